"""Request submissions through the gateway onto PostgreSQL, and a street's queue over 100k requests.
(A script, not a test.)

    .venv/bin/python bench/requests_submit.py [--requests 6000] [--concurrency 64]
                                              [--timeout 0.5] [--history 100000]

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
   sequentially: p50 and p95.

The machine is shared and noisy: read the figures of one run together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
    PYTHON,
    Processes,
    admin_token,
    base_env,
    database_dsn,
    free_port,
    fresh_database,
    percentile,
    start_registry,
    wait_http,
)

REGISTRY_DB = "zhdj_bench_registry"
REQUESTS_DB = "zhdj_bench_requests"
STREET = "demo-s-xinhua-chaoyang"
COMMUNITIES = [f"{STREET}-c{i}" for i in range(1, 5)]
SERVICE_SECRET = "bench-service-requests-secret"  # noqa: S105 - throwaway
STAFF_PASSWORD = "Bench-staff-2026!"  # noqa: S105 - throwaway
ITEM = "item-urban-management-02"  # 路灯故障报修: a department item, no volunteer lookup


@dataclass
class Urls:
    gateway: str
    requests: str


@contextmanager
def platform(tmp: Path) -> Iterator[Urls]:
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
        start_registry(procs, registry_port, gateway_port, registry_url)
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
        service = procs.start("requests", [PYTHON, "-m", "zhdj_service_requests"], env)
        wait_http(f"http://127.0.0.1:{requests_port}/healthz", service, tmp / "requests.log")
        yield Urls(f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{requests_port}")
    finally:
        procs.stop_all()


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
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="zhdj-bench-requests-"))
    try:
        with platform(tmp) as urls:
            token = staff_token(urls.gateway)
            submit_url = f"{urls.gateway}/api/service-requests/requests"
            asyncio.run(submit_all(submit_url, token, 200, 16, 5.0))  # warm-up
            outcome, elapsed = asyncio.run(
                submit_all(submit_url, token, args.requests, args.concurrency, args.timeout)
            )
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
