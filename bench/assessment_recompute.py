"""Does an assessment cycle of 500 alliances over 5,000 organizations recompute in < 30 s?
(A script, not a test: issue 6.)

    .venv/bin/python bench/assessment_recompute.py [--orgs 5000] [--alliances 500]
        [--members 50000] [--requests 20000] [--concurrency 8] [--rounds 3] [--keep]

1. Creates the PostgreSQL databases ``zhdj_bench_assess_{registry,activity,requests,assessment}``.
2. Registry: a city of ~``--orgs`` organizations, ``--members`` members, units and
   ``--alliances`` alliances with their member organizations and designations, generated and
   loaded (COPY) by ``registry_scale.py``'s own code.
3. Activity: a year of history (the cycle's year, last year) for every branch and party group
   (``activity_compliance.py``'s schedule), loaded with COPY.
4. Starts the gateway, the registry, the activity and the service-requests services and the
   assessment service as real processes (``python -m ...``); each service reaches the others
   through the gateway with its own client credentials.
5. Service requests: ``--requests`` requests of the demo generator, moved into the city's
   communities and a year back (into the cycle's year), loaded with COPY.
6. An assessor (the admin) creates a cycle of the default system (融合党建工作标准体系, all
   alliances) for last year and opens it (targets resolved in the registry, a first compute),
   then recomputes it ``--rounds`` times, through the gateway (whose upstream deadline is
   raised to 900 s here, so that a slow recompute is measured rather than cut off by a 504 at
   the default 30 s). For every ``--concurrency`` value the assessment
   service is restarted with ``ZHDJ_ASSESSMENT_FETCH_CONCURRENCY`` set to it.
7. Prints: the open and recompute times against the target (< 30 s), the CPU seconds each
   process (and the PostgreSQL backends) spent during one recompute, and the latency of each
   kind of source read (the same GETs the recompute makes, sequential, through the gateway).

The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import registry_scale
from activity_compliance import ACTIVITY_COLUMNS, PARTICIPANT_COLUMNS, Org, history
from common import (
    PG_ADMIN_DSN,
    PYTHON,
    Processes,
    admin_token,
    base_env,
    database_dsn,
    drop_database,
    free_port,
    fresh_database,
    machine_speed,
    percentile,
    start_registry,
    wait_http,
)
from requests_submit import machine_busy, process_cpu, process_tree

import zhdj_activity
import zhdj_registry
from zhdj_shared.clock import today_in_china
from zhdj_shared.migrations import upgrade

PREFIX = "zhdj_bench_assess"
DATABASES = {
    name: f"{PREFIX}_{name}" for name in ("registry", "activity", "requests", "assessment")
}
SECRETS = {
    "activity": "bench-assess-activity-secret",
    "service-requests": "bench-assess-requests-secret",
    "assessment": "bench-assess-assessment-secret",
}
TARGET_S = 30.0
YEAR = today_in_china().year - 1  # a whole year, every window ended (as the demo's last cycle)
SHIFT = timedelta(weeks=52)  # requests of the last 180 days moved into YEAR (same weekdays)


def log(message: str) -> None:
    print(message, flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


# -- data -----------------------------------------------------------------------------------------


async def city_orgs(dsn: str) -> list[Org]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT id, kind, path, parent_id, name FROM organizations")
    finally:
        await connection.close()
    return [Org(r["id"], r["kind"], r["path"], r["parent_id"], r["name"]) for r in rows]


async def load_activity(dsn: str, orgs: list[Org]) -> int:
    import activity_compliance

    activity_compliance.YEAR = YEAR
    # joint branches hold the same meetings as branches
    scheduled = [
        Org(o.id, "branch", o.path, o.parent, o.name) if o.kind == "joint_branch" else o
        for o in orgs
    ]
    rows = list(history(scheduled, random.Random(6)))
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "activities", records=[a for a, _p in rows], columns=ACTIVITY_COLUMNS
        )
        await connection.copy_records_to_table(
            "activity_participants", records=[p for _a, p in rows], columns=PARTICIPANT_COLUMNS
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return len(rows)


def _shifted(value: Any) -> Any:
    return value - SHIFT if isinstance(value, date | datetime) else value


async def load_requests(dsn: str, orgs: list[Org], count: int) -> int:
    """The demo generator's requests, moved into the city's communities and into YEAR."""
    from zhdj_service_requests.catalog_seed import seed_rows
    from zhdj_service_requests.demo import generate
    from zhdj_service_requests.models import ServiceItem

    items = [r for r in seed_rows() if isinstance(r, ServiceItem)]
    rows, _, _ = generate(count, items, today_in_china(), seed=13)
    communities = [o for o in orgs if o.kind in ("community_committee", "village_committee")]
    communities = communities or [o for o in orgs if o.kind == "street_working_committee"]
    by_id = {o.id: o for o in orgs}
    rng = random.Random(13)
    columns = list(rows[0])
    records = []
    for n, row in enumerate(rows):
        community = rng.choice(communities)
        street = by_id[community.parent] if community.parent else community
        handler = community if row["handling_path"].count("/") == 5 else street
        row = {k: _shifted(v) for k, v in row.items()}
        row["community_id"] = community.id
        row["grid_id"] = f"{community.id}-grid1"
        row["handling_org_id"] = handler.id
        row["handling_path"] = handler.path
        row["number"] = f"B{n:09d}"
        row["suggested_team_ids"] = "[]"
        records.append(tuple(row[c] for c in columns))
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table("service_requests", records=records, columns=columns)
        await connection.execute("VACUUM ANALYZE service_requests")
    finally:
        await connection.close()
    return len(records)


# -- processes ------------------------------------------------------------------------------------


class Ports:
    def __init__(self) -> None:
        self.gateway, self.registry, self.activity = free_port(), free_port(), free_port()
        self.requests, self.assessment = free_port(), free_port()


def start_gateway(procs: Processes, ports: Ports) -> subprocess.Popen[bytes]:
    env = base_env(procs.tmp)
    env.update(
        {
            "ZHDJ_GATEWAY_PORT": str(ports.gateway),
            "ZHDJ_GATEWAY_REGISTRY_URL": f"http://127.0.0.1:{ports.registry}",
            "ZHDJ_GATEWAY_ACTIVITY_URL": f"http://127.0.0.1:{ports.activity}",
            "ZHDJ_GATEWAY_SERVICE_REQUESTS_URL": f"http://127.0.0.1:{ports.requests}",
            "ZHDJ_GATEWAY_ASSESSMENT_URL": f"http://127.0.0.1:{ports.assessment}",
            "ZHDJ_GATEWAY_RATE_LIMIT_PER_IP": "1000000",
            "ZHDJ_GATEWAY_RATE_LIMIT_IP_BURST": "1000000",
            "ZHDJ_GATEWAY_RATE_LIMIT_PER_CLIENT": "1000000",
            "ZHDJ_GATEWAY_RATE_LIMIT_CLIENT_BURST": "1000000",
            "ZHDJ_LOG_LEVEL": "WARNING",
            # The gateway gives an upstream 30 s (the target itself): longer here, so that a
            # slow recompute is measured rather than cut off by a 504.
            "ZHDJ_GATEWAY_UPSTREAM_READ_TIMEOUT": "900",
            "ZHDJ_GATEWAY_UPSTREAM_DEADLINE": "900",
            **{
                f"ZHDJ_{name.upper().replace('-', '_')}_CLIENT_SECRET": secret
                for name, secret in SECRETS.items()
            },
        }
    )
    process = procs.start("gateway", [PYTHON, "-m", "zhdj_gateway"], env)
    wait_http(f"http://127.0.0.1:{ports.gateway}/healthz", process, procs.tmp / "gateway.log")
    return process


def start_service(
    procs: Processes, name: str, module: str, port: int, gateway_port: int, extra: dict[str, str]
) -> subprocess.Popen[bytes]:
    prefix = f"ZHDJ_{name.upper().replace('-', '_')}_"
    env = base_env(procs.tmp)
    env.update(
        {
            f"{prefix}PORT": str(port),
            f"{prefix}DATABASE_URL": extra.pop("url"),
            f"{prefix}CLIENT_ID": f"svc-{name}",
            f"{prefix}CLIENT_SECRET": SECRETS[name],
            f"{prefix}LOAD_DEMO_DATA": "false",
            "ZHDJ_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
            "ZHDJ_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    process = procs.start(name, [PYTHON, "-m", module], env)
    wait_http(f"http://127.0.0.1:{port}/healthz", process, procs.tmp / f"{name}.log")
    return process


def start_assessment(
    procs: Processes, ports: Ports, url: str, concurrency: int
) -> subprocess.Popen[bytes]:
    return start_service(
        procs,
        "assessment",
        "zhdj_assessment",
        ports.assessment,
        ports.gateway,
        {"url": url, "ZHDJ_ASSESSMENT_FETCH_CONCURRENCY": str(concurrency)},
    )


# -- measuring ------------------------------------------------------------------------------------


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kw: Any
) -> tuple[float, Any]:
    started = time.perf_counter()
    async with session.request(method, url, **kw) as response:
        body = await response.read()
        if response.status >= 400:
            sys.exit(f"{method} {url}: {response.status} {body[:800]!r}")
    return time.perf_counter() - started, json.loads(body) if body else None


def session(token: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {token}"},
        timeout=aiohttp.ClientTimeout(total=900),
    )


async def open_cycle(gateway: str, token: str) -> tuple[str, float, dict[str, Any]]:
    base = f"{gateway}/api/assessment"
    async with session(token) as s:
        _, cycle = await call(
            s,
            "POST",
            f"{base}/cycles",
            json={
                "name": f"{YEAR}年度压测考核",
                "system_id": "system-rhdj-standard-v1",
                "year": YEAR,
            },
        )
        elapsed, _ = await call(s, "POST", f"{base}/cycles/{cycle['id']}/open")
        summary = await results_summary(s, base, cycle["id"])
    return cycle["id"], elapsed, summary


async def results_summary(s: aiohttp.ClientSession, base: str, cycle_id: str) -> dict[str, Any]:
    """What the recompute produced: manual indicators stay unscored, so totals are partial."""
    _, body = await call(s, "GET", f"{base}/cycles/{cycle_id}/results")
    items: list[dict[str, Any]] = body["items"]
    known = [float(i["known_points"]) for i in items]
    unavailable: dict[str, int] = {}
    for item in items:
        for source in item["unavailable_sources"]:
            unavailable[source] = unavailable.get(source, 0) + 1
    return {
        "targets": len(items),
        "complete": sum(1 for i in items if i["status"] == "complete"),
        "known points min/mean/max": (
            f"{min(known):.1f}/{statistics.mean(known):.1f}/{max(known):.1f}" if known else "-"
        ),
        "unavailable sources": unavailable,
    }


async def recompute(gateway: str, token: str, cycle_id: str) -> float:
    async with session(token) as s:
        elapsed, _ = await call(s, "POST", f"{gateway}/api/assessment/cycles/{cycle_id}/recompute")
    return elapsed


async def source_reads(
    gateway: str, token: str, alliances: list[tuple[str, str]], sample: int
) -> dict[str, list[float]]:
    """The GETs a recompute makes per alliance, timed one at a time through the gateway."""
    period = {"period": str(YEAR)}
    reads: dict[str, list[float]] = {
        "registry: alliance": [],
        "activity: statistics of the alliance": [],
        "activity: secretaries' lectures": [],
        "service-requests: statistics of the lead's subtree": [],
    }
    async with session(token) as s:
        for i, (alliance_id, lead) in enumerate(alliances[: sample + 5]):
            urls = [
                f"{gateway}/api/registry/alliances/{alliance_id}",
                f"{gateway}/api/activity/statistics?alliance_id={alliance_id}"
                f"&period={period['period']}",
                f"{gateway}/api/activity/compliance/alliances/{alliance_id}/secretary-lectures"
                f"?year={YEAR}",
                f"{gateway}/api/service-requests/statistics?within={lead}"
                f"&from={YEAR}-01-01&to={YEAR}-12-31",
            ]
            for label, url in zip(reads, urls, strict=True):
                elapsed, _ = await call(s, "GET", url)
                if i >= 5:  # warm-up
                    reads[label].append(elapsed)
    return reads


async def cycle_alliances(dsn: str) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT id, lead_org_id FROM alliances WHERE status <> 'dissolved' ORDER BY id"
        )
    finally:
        await connection.close()
    return [(r["id"], r["lead_org_id"]) for r in rows]


async def postgres_backends() -> list[int]:
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])",
            list(DATABASES.values()),
        )
    finally:
        await connection.close()
    return [r["pid"] for r in rows]


def cpu_sample(roots: dict[str, int]) -> dict[str, float]:
    sample = {name: sum(process_cpu(p) for p in process_tree(pid)) for name, pid in roots.items()}
    sample["postgres backends"] = sum(process_cpu(p) for p in asyncio.run(postgres_backends()))
    return sample


# -- main -----------------------------------------------------------------------------------------


def setup_data(args: argparse.Namespace) -> tuple[dict[str, str], list[Org], int]:
    urls = {name: asyncio.run(fresh_database(db)) for name, db in DATABASES.items()}
    started = time.perf_counter()
    # registry_scale's streets hold ~60 organizations at least: ~1,300 per district here
    registry_scale.DISTRICTS = registry_scale.DISTRICTS[: max(1, min(10, round(args.orgs / 1300)))]
    upgrade(Path(zhdj_registry.__file__).parent / "migrations", urls["registry"])
    upgrade(Path(zhdj_activity.__file__).parent / "migrations", urls["activity"])
    loaded = asyncio.run(
        registry_scale.load(
            database_dsn(DATABASES["registry"]),
            argparse.Namespace(
                seed=6,
                orgs=args.orgs,
                members=args.members,
                units=args.orgs // 10,
                alliances=args.alliances,
            ),
        )
    )
    log(
        "registry: "
        + ", ".join(f"{n:,} {name}" for name, n in loaded.counts.items())
        + f" ({time.perf_counter() - started:.0f} s)"
    )
    orgs = asyncio.run(city_orgs(database_dsn(DATABASES["registry"])))
    started = time.perf_counter()
    activities = asyncio.run(load_activity(database_dsn(DATABASES["activity"]), orgs))
    log(f"activity: {activities:,} activities of {YEAR} ({time.perf_counter() - started:.0f} s)")
    return urls, orgs, activities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=5000)
    parser.add_argument("--alliances", type=int, default=500)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument(
        "--concurrency",
        default="8",
        help="ZHDJ_ASSESSMENT_FETCH_CONCURRENCY values, comma-separated (e.g. 8,16)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="recomputes per concurrency")
    parser.add_argument("--sample", type=int, default=40, help="alliances of the per-read timing")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the logs")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    log(f"before the run: {machine_speed()}")
    tmp = Path(tempfile.mkdtemp(prefix="zhdj-bench-assessment-"))
    procs = Processes(tmp)
    setup_started = time.perf_counter()
    try:
        urls, orgs, _ = setup_data(args)
        ports = Ports()
        pids = {"gateway": start_gateway(procs, ports).pid}
        pids["registry"] = start_registry(
            procs,
            ports.registry,
            ports.gateway,
            urls["registry"],
            demo_data=False,
            extra_env={"ZHDJ_LOG_LEVEL": "WARNING"},
        ).pid
        pids["activity"] = start_service(
            procs,
            "activity",
            "zhdj_activity",
            ports.activity,
            ports.gateway,
            {"url": urls["activity"], "ZHDJ_ACTIVITY_STORAGE_URL": f"file://{tmp / 'blobs'}"},
        ).pid
        pids["service-requests"] = start_service(
            procs,
            "service-requests",
            "zhdj_service_requests",
            ports.requests,
            ports.gateway,
            {
                "url": urls["requests"],
                "ZHDJ_SERVICE_REQUESTS_LOAD_DEMO_DATA": "true",  # the catalog, no requests
                "ZHDJ_SERVICE_REQUESTS_DEMO_REQUESTS": "0",
                "ZHDJ_SERVICE_REQUESTS_ESCALATION_INTERVAL_SECONDS": "0",
            },
        ).pid
        count = asyncio.run(load_requests(database_dsn(DATABASES["requests"]), orgs, args.requests))
        log(f"service-requests: {count:,} requests moved into {YEAR}")
        assessment = start_assessment(procs, ports, urls["assessment"], concurrencies[0])
        pids["assessment"] = assessment.pid
        gateway = f"http://127.0.0.1:{ports.gateway}"
        token = admin_token(gateway)
        with urllib.request.urlopen(f"{gateway}/healthz", timeout=5):  # noqa: S310 - local URL
            pass
        alliances = asyncio.run(cycle_alliances(database_dsn(DATABASES["registry"])))
        log(f"setup: {time.perf_counter() - setup_started:.0f} s")

        log(f"\nopening the cycle ({len(alliances)} alliances, {len(orgs):,} organizations) ...")
        cycle_id, opened, summary = asyncio.run(open_cycle(gateway, token))
        log(f"open (targets from the registry + first compute): {opened:.1f} s; {load_average()}")
        log(f"  results: {summary}")

        best: float | None = None
        for n, concurrency in enumerate(concurrencies):
            if n > 0:
                assessment.terminate()
                assessment.wait(timeout=30)
                assessment = start_assessment(procs, ports, urls["assessment"], concurrency)
                pids["assessment"] = assessment.pid
                asyncio.run(recompute(gateway, token, cycle_id))  # warm-up: token, pools
            times, cpu = [], {}
            for _ in range(args.rounds):
                before = cpu_sample(pids)
                busy_before = machine_busy()
                elapsed = asyncio.run(recompute(gateway, token, cycle_id))
                busy_after = machine_busy()
                after = cpu_sample(pids)
                times.append(elapsed)
                cpu = {k: after[k] - before.get(k, 0.0) for k in after}
                cores = (busy_after[0] - busy_before[0]) / os.sysconf("SC_CLK_TCK") / elapsed
                log(
                    f"recompute, concurrency {concurrency}: {elapsed:.1f} s "
                    f"(machine {cores:.2f} of {os.cpu_count()} cores busy; {load_average()})"
                )
            reads = 4 * len(alliances)
            median = statistics.median(times)
            best = median if best is None else min(best, median)
            log(
                f"  median {median:.1f} s = {1000 * median / reads:.1f} ms per source read "
                f"({reads:,} reads, {len(alliances)} targets)"
            )
            log(
                "  CPU seconds of the last recompute: "
                + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
                + f"; total {sum(cpu.values()):.1f}"
            )

        reads_by_kind = asyncio.run(source_reads(gateway, token, alliances, args.sample))
        log(f"\nsource reads, one at a time through the gateway ({args.sample} alliances):")
        for label, values in reads_by_kind.items():
            log(
                f"  {label}: p50 {percentile(values, 0.5):.1f} ms, "
                f"p90 {percentile(values, 0.9):.1f} ms"
            )
        serial = sum(statistics.median(v) for v in reads_by_kind.values())
        log(f"  one alliance's reads back to back: {1000 * serial:.0f} ms")

        assert best is not None
        verdict = "ok" if best < TARGET_S else "SLOW"
        log(
            f"\nrecompute of {len(alliances)} alliances over {len(orgs):,} organizations: "
            f"median {best:.1f} s (target < {TARGET_S:.0f} s) {verdict}; {load_average()}"
        )
    finally:
        procs.stop_all()
        if args.keep:
            log(f"databases {', '.join(DATABASES.values())} and logs in {tmp} kept")
        else:
            for db in DATABASES.values():
                asyncio.run(drop_database(db))
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
