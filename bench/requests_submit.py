"""Request submissions through the gateway onto PostgreSQL, and a street's queue over 100k requests.
(A script, not a test.)

    .venv/bin/python bench/requests_submit.py [--requests 6000] [--concurrency 64]
                                              [--timeout 0.5] [--history 100000]
                                              [--service-workers 1] [--database-prefix zhdj_bench]

Starts, in a temporary folder: the gateway (identity on SQLite), the registry (PostgreSQL
``zhdj_bench_registry``, demo city) and the service-requests service (PostgreSQL
``zhdj_bench_requests``, catalog only), each as ``python -m ...`` like in production; the gateway
creates the services' OAuth clients from their secrets.

1. Submissions: service-center staff of 朝阳街道 register call-style requests
   (``POST /api/service-requests/requests`` with an ``Idempotency-Key``) through the gateway,
   ``--concurrency`` at a time. Clients give up on a response after ``--timeout`` seconds and
   retry with the same key and body (and on 409/5xx), and 5 % of them send their request once more
   after success (a lost response). Afterwards the database is checked: exactly one stored
   request per key, none lost, each key's stored response naming its request.
2. Queue: ``--history`` historical requests are bulk-loaded (COPY) into the street's
   communities, then the street staff's queue (``GET .../requests/queue?limit=50``, open work,
   newest first) and full list (``GET .../requests?limit=50``) are timed through the gateway,
   sequentially: p50 and p95. ``--history 0`` skips this part.

During the submissions the CPU time of every process is counted (``/proc``): the gateway, the
registry, the service (all its workers), the PostgreSQL backends serving the two databases,
PostgreSQL's background processes (shared with whatever else runs), and this client itself,
each in milliseconds per answered submission; and how busy the whole machine was. On a shared
machine the CPU per submission is the steadier figure: throughput depends on the others' load.

``--service-workers N`` sets ``ZHDJ_SERVICE_REQUESTS_WORKERS=N``: the service migrates and
seeds once, then N worker processes serve its one socket (``zhdj_shared.serve``); their CPU is
counted together. ``--database-prefix``
names the two databases (``<prefix>_registry``, ``<prefix>_requests``), so this script can run
beside another bench that uses the defaults.

The machine is shared and noisy: read the figures of one run together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from common import (
    PG_ADMIN_DSN,
    PYTHON,
    Processes,
    admin_token,
    base_env,
    database_dsn,
    free_port,
    fresh_database,
    machine_speed,
    percentile,
    start_registry,
    wait_http,
)

REGISTRY_DB = "zhdj_bench_registry"
REQUESTS_DB = "zhdj_bench_requests"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STREET = "demo-s-xinhua-chaoyang"
COMMUNITIES = [f"{STREET}-c{i}" for i in range(1, 5)]
SERVICE_SECRET = "bench-service-requests-secret"  # noqa: S105 - throwaway
STAFF_PASSWORD = "Bench-staff-2026!"  # noqa: S105 - throwaway
ITEM = "item-urban-management-02"  # 路灯故障报修: a department item, no volunteer lookup


@dataclass
class Urls:
    gateway: str
    requests: str
    pids: dict[str, int] = field(default_factory=dict)  # gateway, registry, service


@contextmanager
def platform(tmp: Path, service_workers: int = 1) -> Iterator[Urls]:
    procs = Processes(tmp)
    try:
        registry_url = asyncio.run(fresh_database(REGISTRY_DB))
        requests_url = asyncio.run(fresh_database(REQUESTS_DB))
        gateway_port, registry_port, requests_port = free_port(), free_port(), free_port()
        env = base_env(tmp)
        env.update(
            {
                "ZHDJ_GATEWAY_PORT": str(gateway_port),
                "ZHDJ_GATEWAY_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
                "ZHDJ_GATEWAY_SERVICE_REQUESTS_URL": f"http://127.0.0.1:{requests_port}",
                "ZHDJ_SERVICE_REQUESTS_CLIENT_SECRET": SERVICE_SECRET,
                "ZHDJ_GATEWAY_RATE_LIMIT_PER_IP": "1000000",
                "ZHDJ_GATEWAY_RATE_LIMIT_IP_BURST": "1000000",
                "ZHDJ_GATEWAY_RATE_LIMIT_PER_CLIENT": "1000000",
                "ZHDJ_GATEWAY_RATE_LIMIT_CLIENT_BURST": "1000000",
            }
        )
        gateway = procs.start("gateway", [PYTHON, "-m", "zhdj_gateway"], env)
        wait_http(f"http://127.0.0.1:{gateway_port}/healthz", gateway, tmp / "gateway.log")
        registry = start_registry(procs, registry_port, gateway_port, registry_url)
        env = base_env(tmp)
        env.update(
            {
                "ZHDJ_SERVICE_REQUESTS_PORT": str(requests_port),
                "ZHDJ_SERVICE_REQUESTS_DATABASE_URL": requests_url,
                "ZHDJ_SERVICE_REQUESTS_CLIENT_ID": "svc-service-requests",
                "ZHDJ_SERVICE_REQUESTS_CLIENT_SECRET": SERVICE_SECRET,
                "ZHDJ_SERVICE_REQUESTS_DEMO_REQUESTS": "0",
                "ZHDJ_SERVICE_REQUESTS_ESCALATION_INTERVAL_SECONDS": "0",
                "ZHDJ_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
                "ZHDJ_LOG_LEVEL": "WARNING",
            }
        )
        # With N > 1 workers the service migrates and seeds once, then N processes serve.
        env["ZHDJ_SERVICE_REQUESTS_WORKERS"] = str(service_workers)
        service = procs.start("requests", [PYTHON, "-m", "zhdj_service_requests"], env)
        wait_http(f"http://127.0.0.1:{requests_port}/healthz", service, tmp / "requests.log")
        yield Urls(
            f"http://127.0.0.1:{gateway_port}",
            f"http://127.0.0.1:{requests_port}",
            {"gateway": gateway.pid, "registry": registry.pid, "service": service.pid},
        )
    finally:
        procs.stop_all()


# -- CPU accounting -------------------------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's workers)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


async def postgres_pids() -> dict[str, list[int]]:
    """Backends serving the bench's two databases, and PostgreSQL's background processes."""
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        rows = await connection.fetch(
            "SELECT pid, datname, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    pids: dict[str, list[int]] = {"postgres backends": [], "postgres background": []}
    for row in rows:
        if row["datname"] in (REGISTRY_DB, REQUESTS_DB):
            pids["postgres backends"].append(row["pid"])
        elif row["backend_type"] != "client backend":
            pids["postgres background"].append(row["pid"])
    return pids


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU seconds per part between :meth:`start` and :meth:`stop`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.roots = pids
        self.before: dict[str, dict[int, float]] = {}
        self.after: dict[str, dict[int, float]] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        groups = {name: process_tree(pid) for name, pid in self.roots.items()}
        groups.update(asyncio.run(postgres_pids()))
        sample = {name: {p: process_cpu(p) for p in pids} for name, pids in groups.items()}
        usage = resource.getrusage(resource.RUSAGE_SELF)
        sample["bench client"] = {0: usage.ru_utime + usage.ru_stime}
        return sample

    def start(self) -> None:
        self.before = self._sample()
        self.busy_before = machine_busy()
        self.started = time.perf_counter()

    def stop(self) -> None:
        self.elapsed = time.perf_counter() - self.started
        self.busy_after = machine_busy()
        self.after = self._sample()

    def seconds(self) -> dict[str, float]:
        return {
            name: sum(cpu - self.before.get(name, {}).get(p, 0.0) for p, cpu in pids.items())
            for name, pids in self.after.items()
        }

    def machine_cores_busy(self) -> float:
        busy = self.busy_after[0] - self.busy_before[0]
        return busy / CLOCK_TICKS / self.elapsed


def post_json(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - local URL
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
    return result


def password_token(gateway: str, username: str, password: str) -> str:
    form = urllib.parse.urlencode(
        {"grant_type": "password", "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(f"{gateway}/auth/token", data=form, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        token: str = json.loads(response.read())["access_token"]
    return token


def staff_token(gateway: str) -> str:
    admin = admin_token(gateway)
    post_json(
        f"{gateway}/auth/users",
        {
            "username": "bench_center",
            "password": STAFF_PASSWORD,
            "display_name": "压测服务中心",
            "roles": [{"role": "service_staff", "org_id": STREET}],
        },
        admin,
    )
    return password_token(gateway, "bench_center", STAFF_PASSWORD)


# -- 1. submissions -------------------------------------------------------------------------------


@dataclass
class Outcome:
    ids: dict[str, str] = field(default_factory=dict)  # key -> request id first answered
    mismatched: int = 0  # a retry answered another request than the first answer
    attempts: int = 0
    timeouts: int = 0
    retried_statuses: dict[int, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


async def submit_all(
    url: str, token: str, count: int, concurrency: int, client_timeout: float
) -> tuple[Outcome, float]:
    outcome = Outcome()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    rng = random.Random(7)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def send(key: str, body: dict[str, Any]) -> str | None:
            for _ in range(30):
                outcome.attempts += 1
                started = time.perf_counter()
                try:
                    async with session.post(
                        url,
                        json=body,
                        headers={"Idempotency-Key": key},
                        timeout=aiohttp.ClientTimeout(total=client_timeout),
                    ) as response:
                        payload = await response.read()
                        if response.status == 201:
                            outcome.latencies.append(time.perf_counter() - started)
                            request_id: str = json.loads(payload)["id"]
                            return request_id
                        outcome.retried_statuses[response.status] = (
                            outcome.retried_statuses.get(response.status, 0) + 1
                        )
                        if response.status not in (409, 429, 500, 502, 503, 504):
                            return None
                except (TimeoutError, aiohttp.ClientError):
                    outcome.timeouts += 1
                await asyncio.sleep(0.05)
            return None

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                key = f"bench-{uuid.uuid4().hex}"
                body = {
                    "item_id": ITEM,
                    "description": f"路灯不亮（压测 {i}）",
                    "community_id": COMMUNITIES[i % 4],
                    "resident_name": "压测居民",
                    "resident_phone": f"139{i:08d}",
                }
                first = await send(key, body)
                if first is None:
                    outcome.failed.append(key)
                    continue
                outcome.ids[key] = first
                if rng.random() < 0.05:  # the response was "lost": the client sends it again
                    again = await send(key, body)
                    if again != first:
                        outcome.mismatched += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return outcome, elapsed


async def analyze() -> None:
    connection = await asyncpg.connect(database_dsn(REQUESTS_DB))
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def verify(outcome: Outcome) -> dict[str, int]:
    connection = await asyncpg.connect(database_dsn(REQUESTS_DB))
    try:
        stored = await connection.fetchval(
            "SELECT count(*) FROM service_requests WHERE description LIKE '路灯不亮（压测%'"
        )
        keys = await connection.fetch(
            "SELECT key, response_body FROM idempotency_keys WHERE key LIKE 'bench-%'"
        )
        by_key = {r["key"]: json.loads(r["response_body"])["id"] for r in keys}
        ids = set(by_key.values())
        existing = await connection.fetchval(
            "SELECT count(*) FROM service_requests WHERE id = ANY($1::text[])", list(ids)
        )
    finally:
        await connection.close()
    return {
        "keys answered": len(outcome.ids),
        "keys stored": len(by_key),
        "requests stored": int(stored),
        "distinct requests of the keys": len(ids),
        "key requests present": int(existing),
        "answers naming another request": sum(
            1 for k, v in outcome.ids.items() if by_key.get(k) != v
        ),
    }


# -- 2. the street's queue over history -----------------------------------------------------------


async def load_history(count: int) -> float:
    """``count`` requests of the street's past (most closed), written with COPY."""
    from zhdj_service_requests.catalog_seed import seed_rows
    from zhdj_service_requests.demo import generate
    from zhdj_service_requests.models import ServiceItem
    from zhdj_shared.clock import today_in_china

    started = time.perf_counter()
    items = [r for r in seed_rows() if isinstance(r, ServiceItem)]
    rows, _, _ = generate(count, items, today_in_china(), seed=11)
    connection = await asyncpg.connect(database_dsn(REQUESTS_DB))
    try:
        columns = list(rows[0])
        records = []
        for n, row in enumerate(rows):
            row = dict(row)
            for name in ("community_id", "grid_id", "handling_org_id", "handling_path"):
                if row[name]:
                    row[name] = row[name].replace("heping", "chaoyang")
            row["number"] = f"H{n:09d}"  # history numbers apart from today's
            row["suggested_team_ids"] = "[]"
            records.append(tuple(row[c] for c in columns))
        await connection.copy_records_to_table("service_requests", records=records, columns=columns)
        await connection.execute("ANALYZE service_requests")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def time_gets(url: str, token: str, rounds: int) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for i in range(rounds + 10):
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    sys.exit(f"{url} answered {response.status}")
            if i >= 10:  # warm-up
                latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=0.5, help="client timeout, seconds")
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument(
        "--service-workers", type=int, default=1, help="ZHDJ_SERVICE_REQUESTS_WORKERS"
    )
    parser.add_argument("--database-prefix", default="zhdj_bench")
    args = parser.parse_args()
    global REGISTRY_DB, REQUESTS_DB
    REGISTRY_DB = f"{args.database_prefix}_registry"
    REQUESTS_DB = f"{args.database_prefix}_requests"
    print(f"before the run: {machine_speed()}")
    tmp = Path(tempfile.mkdtemp(prefix="zhdj-bench-requests-"))
    try:
        with platform(tmp, args.service_workers) as urls:
            token = staff_token(urls.gateway)
            submit_url = f"{urls.gateway}/api/service-requests/requests"
            asyncio.run(submit_all(submit_url, token, 200, 16, 5.0))  # warm-up
            asyncio.run(analyze())  # what autovacuum would know (it may be off on this server)
            meter = CpuMeter(urls.pids)
            meter.start()
            outcome, elapsed = asyncio.run(
                submit_all(submit_url, token, args.requests, args.concurrency, args.timeout)
            )
            meter.stop()
            checks = asyncio.run(verify(outcome))
            print(
                f"\n1. submissions through the gateway ({args.concurrency} clients, "
                f"{args.timeout} s client timeout, retry with the same key)"
            )
            print(
                f"   {len(outcome.ids)} requests in {elapsed:.1f} s: "
                f"{len(outcome.ids) / elapsed:.0f} per second"
            )
            print(
                f"   attempts {outcome.attempts}, client timeouts {outcome.timeouts}, "
                f"retried statuses {outcome.retried_statuses}, failed {len(outcome.failed)}"
            )
            print(
                f"   latency of answered attempts: p50 {percentile(outcome.latencies, 0.5):.1f} ms,"
                f" p99 {percentile(outcome.latencies, 0.99):.1f} ms"
            )
            for name, value in checks.items():
                print(f"   {name}: {value}")
            exact = (
                checks["keys stored"]
                == checks["requests stored"]
                == checks["distinct requests of the keys"]
                == checks["key requests present"]
                and not outcome.failed
                and outcome.mismatched == 0
                and checks["answers naming another request"] == 0
            )
            print(f"   exactly one stored request per key, none lost: {exact}")
            answered = max(len(outcome.ids), 1)
            split = meter.seconds()
            print(
                f"   CPU per answered submission (ms; {args.service_workers} service worker(s)): "
                + ", ".join(f"{name} {1000 * cpu / answered:.2f}" for name, cpu in split.items())
                + f"; total {1000 * sum(split.values()) / answered:.2f}"
            )
            print(
                f"   machine: {meter.machine_cores_busy():.2f} of {os.cpu_count()} cores busy "
                f"(this bench {sum(split.values()) / meter.elapsed:.2f}, the rest is others' work)"
            )
            if args.history <= 0:
                return

            seconds = asyncio.run(load_history(args.history))
            print(f"\n2. {args.history} historical requests loaded in {seconds:.1f} s (COPY)")
            for name, path in (
                (
                    "queue (open work)",
                    f"/api/service-requests/requests/queue?within={STREET}&limit=50",
                ),
                ("all requests", f"/api/service-requests/requests?within={STREET}&limit=50"),
            ):
                for where, base in (("gateway", urls.gateway), ("direct", urls.requests)):
                    latencies = asyncio.run(time_gets(base + path, token, args.rounds))
                    print(
                        f"   {name} via {where}: p50 {percentile(latencies, 0.5):.1f} ms, "
                        f"p95 {percentile(latencies, 0.95):.1f} ms"
                    )
    finally:
        if args.keep:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
