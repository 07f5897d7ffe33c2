"""What does the gateway cost on a real, database-backed read? (A script, not a test.)

    .venv/bin/python bench/gateway_proxy.py [--duration 10] [--connections 32]

Starts, in a temporary folder: the gateway (``python -m zhdj_gateway``, identity on SQLite), the
registry (``python -m zhdj_registry`` on the PostgreSQL database ``zhdj_bench_registry``, demo
data loaded) and nginx (one worker, keepalive upstream: the reference reverse proxy). Then
``GET /api/registry/organizations/demo-city`` with an admin bearer token is measured three ways:
(a) on the registry directly, (b) through the gateway, (c) through nginx.

1. Throughput at saturation: ``wrk`` with 32 connections (one wrk thread, to leave the two
   cores to the servers), after a short warm-up.
2. Latency at half of the *direct* saturation rate: wrk2 is not packaged, so a paced, open-loop
   load generator written with aiohttp (here) sends requests on a fixed schedule over 32 keep-alive
   connections and measures each from its *scheduled* time (no coordinated omission). The
   generator's own overhead is the same for the three paths; "added p99" is the difference.
3. The gateway's peak RSS (``VmHWM`` from ``/proc``).

Ratios are what to read: the machine is shared and noisy, absolute numbers vary between runs.
Needs ``wrk`` and ``nginx`` (Debian packages; installed with apt-get when missing and root).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from common import (
    Processes,
    admin_token,
    free_port,
    fresh_database,
    machine_speed,
    percentile,
    start_gateway,
    start_registry,
    wait_http,
)

DATABASE = "zhdj_bench_registry"
ORG_PATH = "/api/registry/organizations/demo-city"


@dataclass
class Rss:
    startup_peak: float  # includes scrypt hashing at start-up and at the admin's login
    load_peak: float | None  # peak while measured (None when the peak could not be reset)
    end: float


@dataclass
class Result:
    name: str
    rps: float = 0.0
    proxy_cpu_us: float = 0.0  # CPU of the proxy process per request at saturation
    registry_cpu_us: float = 0.0
    errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    paced_errors: int = 0


# -- tools ----------------------------------------------------------------------------------------


def ensure_tools() -> None:
    missing = [tool for tool in ("wrk", "nginx") if not shutil.which(tool, path=_path())]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing {', '.join(missing)}: apt-get install wrk nginx (as root)")
    print(f"installing {' '.join(missing)} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def _path() -> str:
    return os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


# -- processes ------------------------------------------------------------------------------------


def start_nginx(procs: Processes, port: int, registry_port: int) -> subprocess.Popen[bytes]:
    template = (Path(__file__).parent / "nginx.conf.template").read_text()
    config = procs.tmp / "nginx.conf"
    user_line = "user root root;" if os.geteuid() == 0 else ""
    config.write_text(
        template.format(tmp=procs.tmp, port=port, registry_port=registry_port, user_line=user_line)
    )
    nginx = shutil.which("nginx", path=_path()) or "nginx"
    process = procs.start(
        "nginx", [nginx, "-p", str(procs.tmp), "-c", str(config)], dict(os.environ)
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", process, procs.tmp / "nginx-error.log")
    return process


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    """``VmHWM`` is the peak resident set since start (or since :func:`reset_peak`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (nginx's workers), from ``/proc``."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    ticks = 0
    for one in pids:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> bool:
    """Restart the peak count from now (Linux >= 4.0, same user): the start-up peak includes
    scrypt password hashing (demo users, the admin's login), not the proxy's own footprint.
    """
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# -- load -----------------------------------------------------------------------------------------


def wrk(url: str, token: str, connections: int, seconds: int) -> tuple[float, int]:
    """Requests per second and non-2xx responses (and socket errors) from one wrk run."""
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    return rps, errors


async def paced(
    url: str, token: str, rate: float, seconds: float, connections: int
) -> tuple[list[float], int]:
    """Open-loop load at ``rate`` req/s; latency from each request's scheduled start."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.1
        count = int(rate * seconds)

        async def one(i: int) -> None:
            nonlocal errors
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
                return
            latencies.append(loop.time() - scheduled)

        await asyncio.gather(*(one(i) for i in range(count)))
    return latencies, errors


# -- the run --------------------------------------------------------------------------------------


@contextmanager
def platform(tmp: Path) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    procs = Processes(tmp)
    try:
        database_url = asyncio.run(fresh_database(DATABASE))
        gateway_port, registry_port, nginx_port = free_port(), free_port(), free_port()
        gateway = start_gateway(procs, gateway_port, registry_port)
        registry = start_registry(procs, registry_port, gateway_port, database_url)
        nginx = start_nginx(procs, nginx_port, registry_port)
        urls = {
            "direct": f"http://127.0.0.1:{registry_port}{ORG_PATH}",
            "gateway": f"http://127.0.0.1:{gateway_port}{ORG_PATH}",
            "nginx": f"http://127.0.0.1:{nginx_port}{ORG_PATH}",
        }
        yield urls, {"gateway": gateway.pid, "registry": registry.pid, "nginx": nginx.pid}
    finally:
        procs.stop_all()


def check(urls: dict[str, str], token: str) -> None:
    import urllib.request

    for name, url in urls.items():
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local URL
            if response.status != 200:
                sys.exit(f"{name}: {url} answered {response.status}")


def measure(
    urls: dict[str, str], pids: dict[str, int], token: str, args: argparse.Namespace
) -> dict[str, Result]:
    """Interleaved rounds (direct, gateway, nginx, again...), so drift hits every path alike."""
    results = {name: Result(name) for name in urls}
    for url in urls.values():
        wrk(url, token, args.connections, 3)  # warm-up: connection pools, caches
    rates: dict[str, list[float]] = {name: [] for name in urls}
    cpu: dict[str, list[tuple[float, float, int]]] = {name: [] for name in urls}
    for round_no in range(args.rounds):
        for name, url in urls.items():
            proxy = pids.get(name)
            before = (cpu_seconds(proxy) if proxy else 0.0, cpu_seconds(pids["registry"]))
            rps, errors = wrk(url, token, args.connections, args.duration)
            after = (cpu_seconds(proxy) if proxy else 0.0, cpu_seconds(pids["registry"]))
            count = round(rps * args.duration)
            cpu[name].append((after[0] - before[0], after[1] - before[1], count))
            rates[name].append(rps)
            results[name].errors += errors
            print(f"  round {round_no + 1} saturation {name:8} {rps:9.0f} req/s", flush=True)
    for name in urls:
        results[name].rps = statistics.median(rates[name])
        served = sum(count for _, _, count in cpu[name]) or 1
        results[name].proxy_cpu_us = sum(p for p, _, _ in cpu[name]) / served * 1e6
        results[name].registry_cpu_us = sum(r for _, r, _ in cpu[name]) / served * 1e6
    rate = results["direct"].rps / 2
    latencies: dict[str, list[float]] = {name: [] for name in urls}
    for round_no in range(args.rounds):
        for name, url in urls.items():
            samples, errors = asyncio.run(paced(url, token, rate, args.duration, args.connections))
            latencies[name].extend(samples)
            results[name].paced_errors += errors
            print(
                f"  round {round_no + 1} {rate:6.0f} req/s {name:8} "
                f"p50 {percentile(samples, 0.5):6.2f} ms p99 {percentile(samples, 0.99):6.2f} ms",
                flush=True,
            )
    for name in urls:
        results[name].p50_ms = percentile(latencies[name], 0.50)
        results[name].p99_ms = percentile(latencies[name], 0.99)
    return results


def report(results: dict[str, Result], rss: Rss, rate: float, args: argparse.Namespace) -> None:
    direct = results["direct"]
    print()
    print(
        f"GET {ORG_PATH} (PostgreSQL, RS256 bearer); wrk -t1 -c{args.connections} "
        f"-d{args.duration}s, median of {args.rounds} interleaved rounds; "
        f"latency at {rate:.0f} req/s (half of direct) over "
        f"{args.connections} connections, paced aiohttp generator"
    )
    header = (
        f"{'path':10} {'req/s':>9} {'vs direct':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'added p99':>10} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for result in results.values():
        added = "" if result is direct else f"{result.p99_ms - direct.p99_ms:+.2f}"
        print(
            f"{result.name:10} {result.rps:9.0f} {result.rps / direct.rps:10.2f} "
            f"{result.p50_ms:8.2f} {result.p99_ms:8.2f} {added:>10} "
            f"{result.errors + result.paced_errors:7d}"
        )
    print(
        "CPU per request at saturation (user+system, from /proc): registry "
        f"{direct.registry_cpu_us:.0f} us; gateway {results['gateway'].proxy_cpu_us:.0f} us; "
        f"nginx {results['nginx'].proxy_cpu_us:.0f} us"
    )
    load_peak = f"{rss.load_peak:.1f} MB" if rss.load_peak is not None else "n/a"
    print(
        f"gateway RSS: peak under load {load_peak}, at the end {rss.end:.1f} MB, "
        f"peak since start {rss.startup_peak:.1f} MB (includes scrypt password hashing)"
    )
    gateway = results["gateway"]
    peak = rss.load_peak if rss.load_peak is not None else rss.startup_peak
    verdicts = [
        ("throughput >= 0.8 of direct", gateway.rps / direct.rps >= 0.8),
        ("added p99 < 2 ms at half load", gateway.p99_ms - direct.p99_ms < 2.0),
        ("peak RSS under load < 150 MB", peak < 150),
    ]
    for label, ok in verdicts:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per path")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args()
    ensure_tools()
    print(f"before the run: {machine_speed()}")
    tmp = Path(tempfile.mkdtemp(prefix="zhdj-bench-"))
    try:
        with platform(tmp) as (urls, pids):
            gateway_pid = pids["gateway"]
            token = admin_token(urls["gateway"].split("/api/")[0])
            check(urls, token)
            startup_peak = rss_mb(gateway_pid)
            reset = reset_peak(gateway_pid)
            results = measure(urls, pids, token, args)
            rss = Rss(
                startup_peak, rss_mb(gateway_pid) if reset else None, rss_mb(gateway_pid, "VmRSS")
            )
        report(results, rss, results["direct"].rps / 2, args)
    finally:
        if args.keep:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
