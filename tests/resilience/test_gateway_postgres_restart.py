"""The gateway's own PostgreSQL restarted during identity traffic (issue 7, point 3b, gateway side).

The gateway's identity store is a database of the private PostgreSQL instance (the machine's
shared cluster is never touched); ``pg_ctl restart -m fast`` cuts every connection of its pool
while three clients keep going through the real gateway:

* ``users``: administrators create users (``POST /auth/users``, a scrypt hash and two inserts);
* ``grants``: a user logs in (password grant: a read, a hash check, a refresh token stored);
* ``keys``: an administrator makes API keys (``POST /auth/api-keys``);
* ``calls``: a third party calls with API keys made before (``GET /auth/me`` with ``X-API-Key``,
  each key until its first success): the edge exchanges a key for a token reading the database
  *outside* the identity app, so the app's error handlers do not cover it.

Afterwards, counted by SQL in the gateway's database: every write answered with success is
stored; every refusal was 503 problem+json with ``Retry-After`` (the token endpoint included),
never a 500 or no answer; and the same gateway process serves again without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest

from tests.resilience.conftest import GATEWAY_DATABASE, Platform

pytestmark = pytest.mark.e2e

PASSWORD = "Resil-pass-2026"
GRANTER = "resil-granter"
USER_PREFIX = "resil-u"
KEY_LABEL = "韧性密钥"
RECOVERY_TIMEOUT = 20.0
PACE = 0.02  # seconds between a client's requests (keeps the volume, and the run, small)
KEY_POOL = 40  # API keys for the calls (each used until its first success)


@dataclass
class Stream:
    """One client's outcome: what was answered with success, what was refused and how."""

    name: str
    restarted: asyncio.Event = field(repr=False)
    accepted: set[str] = field(default_factory=set, repr=False)  # writes answered with success
    refused_writes: set[str] = field(default_factory=set, repr=False)  # answered with an error
    refused: list[httpx.Response] = field(default_factory=list, repr=False)  # calls included
    successes: int = 0
    after_restart: int = 0  # successes once the restart has returned

    def answered(self, response: httpx.Response, written: str | None = None) -> bool:
        if response.is_success:
            if written is not None:
                self.accepted.add(written)
            self.successes += 1
            self.after_restart += self.restarted.is_set()
            return True
        self.refused.append(response)
        if written is not None:
            self.refused_writes.add(written)
        return False


Step = Callable[[httpx.AsyncClient, Stream, int], Awaitable[None]]


async def run_stream(
    client: httpx.AsyncClient, stream: Stream, step: Step, stop: asyncio.Event
) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        await step(client, stream, i)
        await asyncio.sleep(PACE)


def create_user(admin: dict[str, str]) -> Step:
    async def step(client: httpx.AsyncClient, stream: Stream, i: int) -> None:
        username = f"{USER_PREFIX}{i}"
        response = await client.post(
            "/auth/users",
            headers=admin,
            json={"username": username, "password": PASSWORD, "display_name": f"韧性用户{i}"},
        )
        stream.answered(response, username)

    return step


async def grant(client: httpx.AsyncClient, stream: Stream, _i: int) -> None:
    response = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": GRANTER, "password": PASSWORD},
    )
    # The refresh token is the grant's write: stored as its SHA-256.
    refresh = response.json()["refresh_token"] if response.status_code == 200 else None
    stream.answered(response, hashlib.sha256(refresh.encode()).hexdigest() if refresh else None)


async def new_key(
    client: httpx.AsyncClient, admin: dict[str, str], client_id: str, label: str
) -> httpx.Response:
    return await client.post(
        "/auth/api-keys",
        headers=admin,
        json={"client_id": client_id, "label": label, "scopes": ["registry:read"]},
    )


def create_key(admin: dict[str, str], client_id: str) -> Step:
    async def step(client: httpx.AsyncClient, stream: Stream, i: int) -> None:
        label = f"{KEY_LABEL}{i}"
        stream.answered(await new_key(client, admin, client_id, label), label)

    return step


def call_with_keys(keys: list[str], client_id: str) -> Step:
    """Each key until it is answered with success, then the next: a key's first exchange reads
    the database (later ones are served from the edge's cache, which would test nothing)."""
    unused = iter(keys)
    current = [next(unused)]

    async def step(client: httpx.AsyncClient, stream: Stream, _i: int) -> None:
        called = await client.get("/auth/me", headers={"X-API-Key": current[0]})
        if stream.answered(called):
            assert called.json()["client_id"] == client_id
            current[0] = next(unused, current[0])

    return step


async def stored(platform: Platform) -> dict[str, set[str]]:
    connection = await asyncpg.connect(platform.postgres.dsn_of(GATEWAY_DATABASE))
    try:
        users = await connection.fetch(
            "SELECT username FROM users WHERE username LIKE $1", f"{USER_PREFIX}%"
        )
        refresh = await connection.fetch(
            "SELECT r.token_hash FROM refresh_tokens r JOIN users u ON u.id = r.user_id"
            " WHERE u.username = $1",
            GRANTER,
        )
        keys = await connection.fetch(
            "SELECT label FROM api_keys WHERE label LIKE $1", f"{KEY_LABEL}%"
        )
    finally:
        await connection.close()
    return {
        "users": {row["username"] for row in users},
        "grants": {row["token_hash"] for row in refresh},
        "keys": {row["label"] for row in keys},
        "calls": set(),  # reads only
    }


async def test_gateway_postgres_restart_loses_no_accepted_write_and_refuses_with_503(
    live: Platform,
) -> None:
    gateway = live.gateway
    assert gateway is not None
    admin = live.admin_headers()
    async with httpx.AsyncClient(base_url=live.gateway_url, timeout=30) as client:
        made = await client.post(
            "/auth/users",
            headers=admin,
            json={"username": GRANTER, "password": PASSWORD, "display_name": "韧性登录"},
        )
        assert made.status_code == 201, made.text
        third_party = await client.post(
            "/auth/clients",
            headers=admin,
            json={"name": "韧性第三方", "scopes": ["registry:read"]},
        )
        assert third_party.status_code == 201, third_party.text
        client_id = third_party.json()["client_id"]
        pool = [
            (await new_key(client, admin, client_id, f"调用{n}")).json()["key"]
            for n in range(KEY_POOL)
        ]

        restarted, stop = asyncio.Event(), asyncio.Event()
        steps: dict[str, Step] = {
            "users": create_user(admin),
            "grants": grant,
            "keys": create_key(admin, client_id),
            "calls": call_with_keys(pool, client_id),
        }
        streams = {name: Stream(name, restarted) for name in steps}
        tasks = [
            asyncio.create_task(run_stream(client, streams[name], steps[name], stop))
            for name in streams
        ]
        try:
            deadline = time.monotonic() + RECOVERY_TIMEOUT
            while any(s.successes < 2 for s in streams.values()):  # traffic flowing
                assert time.monotonic() < deadline, f"no traffic before the restart: {streams}"
                assert not any(t.done() for t in tasks), [t.exception() for t in tasks if t.done()]
                await asyncio.sleep(0.05)
            await asyncio.to_thread(live.postgres.restart)
            restarted.set()
            deadline = time.monotonic() + RECOVERY_TIMEOUT
            while any(s.after_restart < 2 for s in streams.values()):  # every client recovered
                assert time.monotonic() < deadline, (
                    f"no recovery in {RECOVERY_TIMEOUT} s: {streams}\n{gateway.tail()}"
                )
                assert not any(t.done() for t in tasks), [t.exception() for t in tasks if t.done()]
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

        # The same process grants a token afterwards (nothing restarted but PostgreSQL).
        again = await client.post(
            "/auth/token",
            data={"grant_type": "password", "username": GRANTER, "password": PASSWORD},
        )
        assert again.status_code == 200, again.text

    found = await stored(live)
    summary = "; ".join(
        f"{s.name}: {s.successes} successes (after the restart {s.after_restart}),"
        f" {len(s.accepted)} writes,"
        f" stored {len(s.accepted & found[s.name])}; refused {len(s.refused)}"
        f" {sorted({r.status_code for r in s.refused})}"
        f", stored {len(s.refused_writes & found[s.name])} of the refused writes"
        for s in streams.values()
    )
    print(summary)
    for stream in streams.values():
        assert stream.accepted <= found[stream.name], summary  # no accepted write lost
        for refusal in stream.refused:  # "try again shortly", never a 500
            assert refusal.status_code == 503, f"{summary}\n{refusal.text}"
            assert refusal.headers["content-type"].startswith("application/problem+json")
            assert refusal.headers["retry-after"], refusal.headers
    # Nothing stored that no request asked for.
    for name in ("users", "keys"):
        assert found[name] <= streams[name].accepted | streams[name].refused_writes, summary
    assert gateway.popen.poll() is None  # recovered without a restart
    assert live.gateway is gateway
