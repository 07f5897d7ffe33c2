"""Webhooks: subscriptions per OAuth client, the outbox written in the caller's transaction,
signed deliveries retried with backoff until the receiver answers, and the delivery log.

The must-show: a receiver that is down at first (nothing listens on its port) still gets every
event once it comes back, each signed per Standard Webhooks, each delivered exactly once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from sqlmodel import select
from standardwebhooks import Webhook

from tests.support.databases import IsolatedDatabase, isolated, migrated_url
from tests.support.tokens import TestKeys
from zhdj_service_requests.app import MIGRATIONS_DIR, create_app
from zhdj_service_requests.models.requests import ServiceRequest
from zhdj_service_requests.models.webhooks import (
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from zhdj_service_requests.repositories.webhooks import WebhookRepository
from zhdj_service_requests.routers.webhooks import PREFIX
from zhdj_service_requests.services.destinations import DestinationPolicy, check_url
from zhdj_service_requests.services.outbox import record_event
from zhdj_service_requests.services.webhook_delivery import (
    MAX_ATTEMPTS,
    backoff,
    database_sessions,
    deliver_due,
    sign,
)
from zhdj_service_requests.services.webhooks import new_secret
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.db import Database, get_session, utcnow
from zhdj_shared.errors import Unprocessable

SUBSCRIPTIONS = f"{PREFIX}/subscriptions"
STREET = "org-street"
PATH_IN_STREET = f"/org-city/{STREET}/org-community/"


@pytest.fixture(scope="session")
async def webhooks_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    tmp: Path = tmp_path_factory.mktemp(f"sr-webhooks-{backend}")
    database = Database(await migrated_url("sr-webhooks", backend, MIGRATIONS_DIR, tmp))
    yield database
    await database.dispose()


def _app(database: Database, keys: TestKeys) -> FastAPI:
    settings = ServiceRequestsSettings(
        migrate_on_start=False,
        load_demo_data=False,
        escalation_interval_seconds=0,
        webhook_poll_seconds=0,
    )
    return create_app(settings, database=database, token_verifier=keys.verifier())


@dataclass
class Hooks:
    client: httpx.AsyncClient
    db: IsolatedDatabase
    keys: TestKeys

    def as_client(
        self, client_id: str, *, orgs: list[str] | None = None, roles: list[str] | None = None
    ) -> dict[str, str]:
        return self.keys.bearer(
            sub=client_id,
            kind="client",
            client_id=client_id,
            roles=roles or ["third_party"],
            orgs=orgs or [],
            scope="requests:read requests:write",
        )

    async def subscribe(self, client_id: str, url: str, **extra: Any) -> dict[str, Any]:
        orgs, roles = extra.pop("orgs", None), extra.pop("roles", None)
        body = {"url": url, "event_types": ["request.*"], **extra}
        headers = self.as_client(client_id, orgs=orgs, roles=roles)
        response = await self.client.post(SUBSCRIPTIONS, json=body, headers=headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def record(self, event_type: str, request: ServiceRequest) -> None:
        async with self.db.session() as session:
            await record_event(
                session, event_type=event_type, request=request, payload={"status": "x"}
            )

    async def deliver(
        self,
        http: httpx.AsyncClient,
        after: timedelta = timedelta(0),
        policy: DestinationPolicy | None = None,
    ) -> Any:
        return await deliver_due(
            self.db.session,
            http,
            now=utcnow() + after,
            rng=random.Random(7),
            **({"policy": policy} if policy else {}),
        )


@pytest.fixture
async def hooks(webhooks_database: Database, keys: TestKeys) -> AsyncIterator[Hooks]:
    app = _app(webhooks_database, keys)
    async with isolated(webhooks_database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sr") as client:
            yield Hooks(client=client, db=iso, keys=keys)


def request_of(
    request_id: str, *, client_id: str | None = None, path: str = "/org-other/"
) -> ServiceRequest:
    """A request as the outbox sees it (not stored: events only copy its visibility facts)."""
    return ServiceRequest(
        id=request_id,
        number=f"SR-{request_id}",
        handling_org_id=path.strip("/").split("/")[-1],
        handling_path=path,
        submitted_client_id=client_id,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Receiver:
    """A real HTTP server that records what it gets and checks each signature."""

    secret: str
    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    answer: int = 204

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        headers = request.headers
        # The published library's verifier and our own HMAC must both agree.
        Webhook(self.secret).verify(body, dict(headers))
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
        mac = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if headers["webhook-signature"] != f"v1,{mac}":
            return web.Response(status=400)
        self.received.append({"id": headers["webhook-id"], "body": await request.json()})
        return web.Response(status=self.answer)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        try:
            yield
        finally:
            await runner.cleanup()


async def _deliveries(hooks: Hooks, subscription: dict[str, Any], client_id: str) -> Any:
    response = await hooks.client.get(
        f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries", headers=hooks.as_client(client_id)
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_receiver_down_at_first_gets_every_event_signed_exactly_once(
    hooks: Hooks,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    # The street's own case system: a client with a staff role acting for the street.
    subscription = await hooks.subscribe("partner-1", url, orgs=[STREET], roles=["org_staff"])
    receiver = Receiver(secret=subscription["secret"], port=port)

    # Seen: submitted by the client itself, and handled within the street it acts for.
    await hooks.record("request.submitted", request_of("r-own", client_id="partner-1"))
    await hooks.record("request.accepted", request_of("r-own", client_id="partner-1"))
    await hooks.record("request.dispatched", request_of("r-street", path=PATH_IN_STREET))
    # Not seen: another client's request elsewhere.
    await hooks.record("request.submitted", request_of("r-other", client_id="partner-2"))

    async with httpx.AsyncClient() as http:
        # Down: nothing listens, every attempt fails and is logged.
        first = await hooks.deliver(http)
        assert (first.attempted, first.delivered) == (3, 0)
        assert (await hooks.deliver(http)).attempted == 0  # backing off, nothing due yet
        items = await _deliveries(hooks, subscription, "partner-1")
        assert {d["status"] for d in items} == {"pending"}
        attempts = await hooks.client.get(
            f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries/{items[0]['id']}/attempts",
            headers=hooks.as_client("partner-1"),
        )
        [attempt] = attempts.json()
        assert attempt["status_code"] is None
        assert attempt["error"]
        assert attempt["duration_ms"] >= 0

        # Back up: the next round, once the backoff has passed, delivers everything.
        async with receiver.running():
            second = await hooks.deliver(http, after=timedelta(minutes=5))
            assert (second.attempted, second.delivered) == (3, 3)
            for later in (timedelta(hours=1), timedelta(days=2)):
                assert (await hooks.deliver(http, after=later)).attempted == 0

    ids = [r["id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 3  # each event exactly once
    assert sorted(
        (r["body"]["type"], r["body"]["data"]["request_id"]) for r in receiver.received
    ) == [
        ("request.accepted", "r-own"),
        ("request.dispatched", "r-street"),
        ("request.submitted", "r-own"),
    ]
    items = await _deliveries(hooks, subscription, "partner-1")
    assert [d["status"] for d in items] == ["delivered"] * 3
    assert all(d["total_attempts"] == 2 and d["last_status_code"] == 204 for d in items)
    assert sorted(d["event_id"] for d in items) == sorted(ids)


async def test_a_subscription_sees_what_its_client_may_read(hooks: Hooks) -> None:
    """The rule of services/access.py: a third-party client only what it submitted, even when
    its token names organizations; staff clients their subtree; platform services all."""
    url = "http://receiver.test/hook"
    third = await hooks.subscribe("partner-2", url, orgs=[STREET])
    staff = await hooks.subscribe("street-app", url, orgs=[STREET], roles=["org_staff"])
    service = await hooks.subscribe("svc-assessment", url, roles=["service"])
    await hooks.record("request.submitted", request_of("r-own", client_id="partner-2"))
    await hooks.record("request.accepted", request_of("r-street", path=PATH_IN_STREET))
    await hooks.record("request.accepted", request_of("r-far", path="/org-city/org-far/"))

    async def seen(subscription: dict[str, Any], client_id: str) -> list[str]:
        items = await _deliveries(hooks, subscription, client_id)
        return sorted(d["payload"]["data"]["request_id"] for d in items)

    assert await seen(third, "partner-2") == ["r-own"]
    assert await seen(staff, "street-app") == ["r-street"]
    assert await seen(service, "svc-assessment") == ["r-far", "r-own", "r-street"]


async def test_an_event_in_a_rolled_back_transaction_is_never_delivered(hooks: Hooks) -> None:
    await hooks.subscribe("partner-1", "http://receiver.test/hook")
    async with hooks.db.sessionmaker() as session:
        await record_event(
            session,
            event_type="request.submitted",
            request=request_of("r-lost", client_id="partner-1"),
            payload={},
        )
        await session.rollback()  # the change failed: its event goes with it
    sent: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as http:
        assert (await hooks.deliver(http, after=timedelta(days=1))).attempted == 0
    async with hooks.db.session() as session:
        assert (await session.exec(select(WebhookEvent))).all() == []
        assert (await session.exec(select(WebhookDelivery))).all() == []
    assert sent == []


async def test_signature_follows_standard_webhooks() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    body = '{"type":"request.resolved","data":{"title":"路灯不亮"}}'
    from datetime import UTC, datetime

    at = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    ours = sign(secret, "msg_1", int(at.timestamp()), body)
    assert ours == Webhook(secret).sign("msg_1", at, body)
    assert ours != sign(new_secret(), "msg_1", int(at.timestamp()), body)


async def test_refusals_another_client_or_a_user_cannot_touch_my_subscription(
    hooks: Hooks,
) -> None:
    mine = await hooks.subscribe("partner-1", "http://receiver.test/hook")
    path = f"{SUBSCRIPTIONS}/{mine['id']}"
    other = hooks.as_client("partner-2")
    for method, url in [
        ("GET", path),
        ("PATCH", path),
        ("DELETE", path),
        ("GET", f"{path}/deliveries"),
    ]:
        response = await hooks.client.request(
            method, url, headers=other, json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, url)
        assert response.headers["content-type"] == "application/problem+json"
    listing = await hooks.client.get(SUBSCRIPTIONS, headers=other)
    assert listing.json()["items"] == []

    resident = hooks.keys.bearer(sub="resident-1", roles=["resident"], scope="requests:read")
    assert (await hooks.client.get(SUBSCRIPTIONS, headers=resident)).status_code == 403
    no_scope = hooks.keys.bearer(
        sub="partner-1", kind="client", client_id="partner-1", scope="registry:read"
    )
    assert (await hooks.client.get(SUBSCRIPTIONS, headers=no_scope)).status_code == 403
    assert (await hooks.client.get(SUBSCRIPTIONS)).status_code == 401

    # The secret is shown once: never in a read.
    read = await hooks.client.get(path, headers=hooks.as_client("partner-1"))
    assert read.status_code == 200
    assert "secret" not in read.json()
    deleted = await hooks.client.delete(path, headers=hooks.as_client("partner-1"))
    assert deleted.status_code == 204
    again = await hooks.client.get(path, headers=hooks.as_client("partner-1"))
    assert again.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://receiver.test/hook", "event_types": ["*"]},
        {"url": "http://receiver.test/hook", "event_types": ["order.created"]},
        {"url": "http://receiver.test/hook", "event_types": []},
        {"url": "http://user:pw@receiver.test/hook", "event_types": ["*"]},
    ],
)
async def test_invalid_subscriptions_are_refused(hooks: Hooks, body: dict[str, Any]) -> None:
    response = await hooks.client.post(
        SUBSCRIPTIONS, json=body, headers=hooks.as_client("partner-1")
    )
    assert response.status_code == 422, response.text


def test_production_requires_https_to_a_public_host() -> None:
    check_url("https://partner.example.com/hook", production=True)
    check_url("https://93.184.216.34/hook", production=True)
    check_url("http://127.0.0.1:9000/hook", production=False)
    for url in (
        "http://partner.example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://localhost/hook",
        # what resolvers read as 127.0.0.1, and a trailing dot
        "https://127.1/hook",
        "https://0x7f000001/hook",
        "https://2130706433/hook",
        "https://017700000001/hook",
        "https://localhost./hook",
        "https://LOCALHOST/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "https://metadata.google.internal/hook",
    ):
        with pytest.raises(Unprocessable):
            check_url(url, production=True)


@dataclass
class ConnectionCounter:
    """A bare TCP listener that only counts who connected (a TLS client would say hello)."""

    port: int
    connections: int = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        server = await asyncio.start_server(connected, "127.0.0.1", self.port)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()


async def test_production_never_connects_to_a_name_that_resolves_privately(hooks: Hooks) -> None:
    """A name that passed at subscription can point inside the network later (DNS
    rebinding): in production each delivery resolves it (here the system resolver says
    ``localhost`` is 127.0.0.1), refuses, never connects, and logs why."""
    counter = ConnectionCounter(port=free_port())
    # Accepted outside production (this app is not), as a rebinding name would be.
    subscription = await hooks.subscribe("partner-1", f"https://localhost:{counter.port}/hook")
    await hooks.record("request.resolved", request_of("r-1", client_id="partner-1"))
    async with counter.running(), httpx.AsyncClient() as http:
        result = await hooks.deliver(http, policy=DestinationPolicy(production=True))
        unchecked = await hooks.deliver(http, after=timedelta(days=1))  # the control
    assert (result.attempted, result.delivered) == (1, 0)
    assert unchecked.attempted == 1
    assert counter.connections == 1  # only the unchecked round reached the listener
    [delivery] = await _deliveries(hooks, subscription, "partner-1")
    log = await hooks.client.get(
        f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries/{delivery['id']}/attempts",
        headers=hooks.as_client("partner-1"),
    )
    first = log.json()[0]
    assert first["status_code"] is None
    assert "private address" in first["error"]
    assert "127.0.0.1" in first["error"]


async def test_production_connects_to_the_checked_address_with_the_original_name(
    hooks: Hooks,
) -> None:
    """The connection goes to the address that was checked (no second lookup can swap it);
    the server is told the name (Host) and TLS checks the certificate against it (SNI)."""
    lookups: list[tuple[str, int]] = []

    async def public_dns(host: str, port: int) -> list[str]:
        lookups.append((host, port))
        return ["93.184.216.34"]

    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    await hooks.subscribe("partner-1", "https://hooks.partner.example:8443/in?src=zhdj")
    await hooks.record("request.resolved", request_of("r-1", client_id="partner-1"))
    policy = DestinationPolicy(production=True, resolve=public_dns)
    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as http:
        result = await hooks.deliver(http, policy=policy)
    assert result.delivered == 1
    assert lookups == [("hooks.partner.example", 8443)]
    [request] = seen
    assert str(request.url) == "https://93.184.216.34:8443/in?src=zhdj"
    assert request.headers["host"] == "hooks.partner.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.partner.example"
    assert request.headers["webhook-signature"].startswith("v1,")


@pytest.mark.parametrize(
    "addresses", [["93.184.216.34", "10.0.0.5"], ["fd00::1"], ["100.64.0.1"], []]
)
async def test_production_refuses_when_any_address_is_not_public(
    hooks: Hooks, addresses: list[str]
) -> None:
    async def dns(host: str, port: int) -> list[str]:
        return addresses

    sent: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    await hooks.subscribe("partner-1", "https://hooks.partner.example/in")
    await hooks.record("request.resolved", request_of("r-1", client_id="partner-1"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as http:
        result = await hooks.deliver(http, policy=DestinationPolicy(production=True, resolve=dns))
    assert (result.attempted, result.delivered, sent) == (1, 0, [])


async def test_disabled_subscription_waits_and_failures_end_after_max_attempts(
    hooks: Hooks,
) -> None:
    subscription = await hooks.subscribe("partner-1", "http://receiver.test/hook")
    path = f"{SUBSCRIPTIONS}/{subscription['id']}"
    owner = hooks.as_client("partner-1")
    await hooks.record("request.resolved", request_of("r-1", client_id="partner-1"))
    answers: list[int] = []

    def receive(request: httpx.Request) -> httpx.Response:
        answers.append(500)
        return httpx.Response(500)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as http:
        disabled = await hooks.client.patch(path, json={"active": False}, headers=owner)
        assert disabled.json()["active"] is False
        assert (await hooks.deliver(http, after=timedelta(days=3))).attempted == 0
        await hooks.client.patch(path, json={"active": True}, headers=owner)

        # Each round far enough ahead for the next retry: it fails MAX_ATTEMPTS times in all.
        for round_no in range(1, MAX_ATTEMPTS + 3):
            await hooks.deliver(http, after=timedelta(days=round_no))
        assert len(answers) == MAX_ATTEMPTS
        [delivery] = await _deliveries(hooks, subscription, "partner-1")
        assert delivery["status"] == "failed"
        assert delivery["last_status_code"] == 500
        assert delivery["next_attempt_at"] is None

    # Redelivery: a new round of attempts, and this time the receiver answers.
    redo = await hooks.client.post(f"{path}/deliveries/{delivery['id']}/redeliver", headers=owner)
    assert redo.status_code == 202
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _: httpx.Response(200))
    ) as http:
        assert (await hooks.deliver(http)).delivered == 1
    log = await hooks.client.get(f"{path}/deliveries/{delivery['id']}/attempts", headers=owner)
    numbers = [a["number"] for a in log.json()]
    assert numbers == list(range(1, MAX_ATTEMPTS + 2))
    assert log.json()[-1]["status_code"] == 200


def test_backoff_grows_with_jitter_and_spans_about_a_day() -> None:
    rng = random.Random(1)
    delays = [backoff(n, rng) for n in range(1, MAX_ATTEMPTS)]
    assert all(later > earlier for earlier, later in itertools.pairwise(delays[:6]))
    assert timedelta(hours=18) < sum(delays, timedelta()) < timedelta(hours=30)
    assert backoff(1, random.Random(2)) != backoff(1, random.Random(3))


async def test_event_types_are_listed(hooks: Hooks) -> None:
    response = await hooks.client.get(f"{PREFIX}/event-types", headers=hooks.as_client("p"))
    types = {t["type"]: t["label_zh"] for t in response.json()}
    assert types["request.reopened"] == "发回重办"


async def test_the_apps_background_worker_delivers_committed_events(
    backend: str, keys: TestKeys, tmp_path: Path
) -> None:
    """The worker the app starts on startup (and stops on shutdown) sends what was committed.

    A database of its own: this test commits for real.
    """
    database = Database(await migrated_url("sr-webhook-worker", backend, MIGRATIONS_DIR, tmp_path))
    settings = ServiceRequestsSettings(
        migrate_on_start=False,
        load_demo_data=False,
        escalation_interval_seconds=0,
        webhook_poll_seconds=0.05,
    )
    app = create_app(settings, database=database, token_verifier=keys.verifier())
    port = free_port()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://sr") as client,
    ):
        hooks = Hooks(client=client, db=None, keys=keys)  # type: ignore[arg-type]
        subscription = await hooks.subscribe("partner-1", f"http://127.0.0.1:{port}/hook")
        receiver = Receiver(secret=subscription["secret"], port=port)
        async with receiver.running():
            async with database_sessions(database)() as session:
                await record_event(
                    session,
                    event_type="request.resolved",
                    request=request_of("r-live", client_id="partner-1"),
                    payload={},
                )
            for _ in range(200):
                if receiver.received:
                    break
                await asyncio.sleep(0.05)
    assert [r["body"]["data"]["request_id"] for r in receiver.received] == ["r-live"]
    assert getattr(app.state, "webhook_worker", None) is not None


async def test_two_workers_claim_disjoint_batches_on_postgresql(
    backend: str, tmp_path: Path
) -> None:
    """``FOR UPDATE SKIP LOCKED``: a second worker skips what the first holds, never waits."""
    if backend != "postgresql":
        pytest.skip("SQLite has no row locks: the embedded default runs a single worker")
    database = Database(await migrated_url("sr-webhook-claims", backend, MIGRATIONS_DIR, tmp_path))
    try:
        sessions = database_sessions(database)
        async with sessions() as session:
            session.add(
                WebhookSubscription(
                    id="sub-1",
                    client_id="partner-1",
                    url="http://x.test/",
                    secret=new_secret(),
                    event_types=["*"],
                    created_by="partner-1",
                )
            )
            await session.flush()
            for n in range(10):
                await record_event(
                    session,
                    event_type="request.submitted",
                    request=request_of(f"r-{n}", client_id="partner-1"),
                    payload={},
                )
        later = utcnow() + timedelta(seconds=1)
        async with sessions() as first, sessions() as second:
            held = await WebhookRepository(first).claim_due(later, 6)
            rest = await asyncio.wait_for(WebhookRepository(second).claim_due(later, 10), 5)
        first_ids = {d.id for d, _e, _s in held}
        second_ids = {d.id for d, _e, _s in rest}
        assert len(first_ids) == 6
        assert len(second_ids) == 4
        assert not first_ids & second_ids
    finally:
        await database.dispose()


async def test_action_names_are_stored_as_past_tense_event_types(hooks: Hooks) -> None:
    subscription = await hooks.subscribe("partner-1", "http://receiver.test/hook")
    await hooks.record("request.accept", request_of("r-1", client_id="partner-1"))
    await hooks.record("request.send_back", request_of("r-1", client_id="partner-1"))
    items = await _deliveries(hooks, subscription, "partner-1")
    assert sorted(d["event_type"] for d in items) == ["request.accepted", "request.returned"]
    assert {d["payload"]["type"] for d in items} == {"request.accepted", "request.returned"}
