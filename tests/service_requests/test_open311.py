"""Open311 GeoReport v2 at /open311/v2/: discovery, services, definitions, requests (JSON and
XML), the Open311 error format, and residents' personal data kept out.

The must-show: ``georeport`` (a GeoReport v2 client on PyPI that this project did not write,
requests-based) reads the service list, one definition, the request list and one request from
the service served by a real uvicorn on a free port, in JSON and in XML.
"""

from __future__ import annotations

import asyncio
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI
from georeport import GeoReport
from sqlmodel import col, update
from standardwebhooks import Webhook

from tests.support.databases import IsolatedDatabase, isolated, migrated_url
from tests.support.tokens import TestKeys
from zhdj_service_requests.app import MIGRATIONS_DIR, create_app
from zhdj_service_requests.demo import load_demo
from zhdj_service_requests.models import ServiceRequest
from zhdj_service_requests.services.open311 import basis_notice
from zhdj_service_requests.services.webhook_delivery import deliver_due
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_service_requests.workdays import CalendarBasis
from zhdj_shared.db import Database, get_session
from zhdj_shared.registry_client import RegistryClient

BASE = "/open311/v2"
COMMUNITY = "demo-s-xinhua-chaoyang-c1"  # a community of the registry's demo city
ITEM = "item-repair"
DEMO_REQUESTS = 120


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own server's answer, in a test


@pytest.fixture(scope="session")
async def open311_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """The catalog and demo requests, committed once (the uvicorn test reads them for real)."""
    tmp: Path = tmp_path_factory.mktemp(f"sr-open311-{backend}")
    database = Database(await migrated_url("sr-open311", backend, MIGRATIONS_DIR, tmp))
    async for session in database.unit_of_work():
        await load_demo(session, requests=DEMO_REQUESTS)
    yield database
    await database.dispose()


def _app(database: Database, keys: TestKeys, registry: RegistryClient) -> FastAPI:
    settings = ServiceRequestsSettings(
        migrate_on_start=False,
        load_demo_data=False,
        escalation_interval_seconds=0,
        webhook_poll_seconds=0,
    )
    return create_app(
        settings, database=database, token_verifier=keys.verifier(), registry=registry
    )


@dataclass
class Open311:
    client: httpx.AsyncClient
    db: IsolatedDatabase
    keys: TestKeys

    def as_partner(
        self, client_id: str = "partner-311", scope: str | None = None
    ) -> dict[str, str]:
        """What the gateway forwards after exchanging the partner's api_key."""
        return self.keys.bearer(
            sub=client_id,
            kind="client",
            client_id=client_id,
            roles=["third_party"],
            scope=scope or "requests:read requests:write",
        )

    async def post(
        self, fields: list[tuple[str, str]], fmt: str = "json", **headers: str
    ) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/requests.{fmt}", data=dict(fields) | {}, headers=headers or None
        )


@pytest.fixture
async def open311(
    open311_database: Database, keys: TestKeys, demo_registry_client: RegistryClient
) -> AsyncIterator[Open311]:
    app = _app(open311_database, keys, demo_registry_client)
    async with isolated(open311_database) as iso:
        app.dependency_overrides[get_session] = iso.session_override
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sr") as client:
            yield Open311(client=client, db=iso, keys=keys)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """The app under a real uvicorn on a free port, in this event loop; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def _read_all(client: GeoReport) -> tuple[Any, Any, Any, Any]:
    services = client.get_service_list()
    code = services[0]["service_code"]
    definition = client.get_service_definition(code)
    requests = client.get_service_requests(status="open,closed")
    one = client.get_service_request(requests[0]["service_request_id"])
    return services, definition, requests, one


async def test_an_open311_library_reads_services_a_definition_requests_and_one_request(
    open311_database: Database, keys: TestKeys, demo_registry_client: RegistryClient
) -> None:
    app = _app(open311_database, keys, demo_registry_client)
    async with serve(app) as url:
        for output in ("json", "xml"):
            client = GeoReport(f"{url}{BASE}", output_format=output)
            # georeport is synchronous (requests): run it off the server's event loop.
            services, definition, requests, one = await asyncio.to_thread(_read_all, client)

            assert len(services) > 100
            repair = next(s for s in services if s["service_code"] == ITEM)
            assert repair["service_name"] == "公共设施报修"
            assert repair["type"] == "realtime"
            assert repair["metadata"] in (True, "true")
            assert repair["group"]

            assert definition["service_code"] == services[0]["service_code"]
            attributes = definition["attributes"]
            if output == "xml":
                attributes = attributes["attribute"]
            assert {a["code"] for a in attributes} >= {"title", "community_id"}

            assert 0 < len(requests) <= DEMO_REQUESTS
            assert {r["status"] for r in requests} <= {"open", "closed"}
            assert all(r["service_request_id"].startswith("SR") for r in requests)
            assert one["service_request_id"] == requests[0]["service_request_id"]
            assert one["requested_datetime"].endswith("+08:00")


async def test_discovery_in_json_and_xml(open311: Open311) -> None:
    response = await open311.client.get(f"{BASE}/discovery.json")
    assert response.status_code == 200
    [endpoint] = response.json()["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith(BASE)
    xml = await open311.client.get(f"{BASE}/discovery.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = parse_xml(xml.content)
    formats = [f.text for f in root.iter("format")]
    assert formats == ["application/json", "text/xml"]


async def test_services_and_a_definition_with_the_catalogs_attributes(open311: Open311) -> None:
    services = (await open311.client.get(f"{BASE}/services.json")).json()
    assert all(isinstance(s["service_code"], str) for s in services)
    assert all(s["metadata"] is True and s["type"] == "realtime" for s in services)
    repair = next(s for s in services if s["service_code"] == ITEM)
    assert repair["group"] in repair["keywords"]

    with_materials = next(
        s for s in services if s["service_code"].startswith("item-") and s["service_code"] != ITEM
    )
    definition = (await open311.client.get(f"{BASE}/services/{ITEM}.json")).json()
    assert definition["service_code"] == ITEM
    codes = [a["code"] for a in definition["attributes"]]
    assert codes[:2] == ["title", "community_id"]
    assert all(a["variable"] is True and a["required"] is False for a in definition["attributes"])
    assert with_materials

    # XML: the same definition, Chinese text intact after a round trip through a parser.
    xml = await open311.client.get(f"{BASE}/services/{ITEM}.xml")
    root = parse_xml(xml.content)
    assert root.tag == "service_definition"
    descriptions = [e.text or "" for e in root.iter("description")]
    assert any("社区" in d for d in descriptions)


async def test_posting_form_encoded_and_reading_it_back(open311: Open311) -> None:
    partner = open311.as_partner()
    fields = {
        "service_code": ITEM,
        "description": "3号楼<楼道>灯不亮 & 门禁坏了，联系我 13812345678",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13812345678",
        "email": "wang@example.com",
        "attribute[community_id]": COMMUNITY,
        "attribute[title]": "楼道灯",
    }
    response = await open311.client.post(f"{BASE}/requests.json", data=fields, headers=partner)
    assert response.status_code == 201, response.text
    [created] = response.json()
    assert set(created) >= {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] is None
    number = created["service_request_id"]
    assert isinstance(number, str)
    assert number.startswith("SR")

    token = (await open311.client.get(f"{BASE}/tokens/{created['token']}.json")).json()
    assert token == [{"service_request_id": number, "token": created["token"]}]

    [mine] = (await open311.client.get(f"{BASE}/requests/{number}.json", headers=partner)).json()
    assert mine["status"] == "open"
    assert mine["service_code"] == ITEM
    assert "灯不亮" in mine["description"]
    assert "13812345678" not in mine["description"]  # a phone typed into the text is blanked
    assert mine["expected_datetime"].endswith("T23:59:59+08:00")
    assert datetime.fromisoformat(mine["requested_datetime"]).utcoffset() == timedelta(hours=8)

    # Anyone else: the public view, without the text; nobody ever sees the resident.
    [public] = (await open311.client.get(f"{BASE}/requests/{number}.json")).json()
    assert public["description"] is None
    assert public["lat"] is None
    assert public["status"] == mine["status"]
    for view in (mine, public):
        text = str(view)
        for personal in ("王小明", "13812345678", "example.com"):
            assert personal not in text

    # XML escapes markup and keeps Chinese text.
    xml = await open311.client.get(f"{BASE}/requests/{number}.xml", headers=partner)
    request = parse_xml(xml.content).find("request")
    assert request is not None
    assert request.findtext("description", "").startswith("3号楼<楼道>灯不亮 & 门禁坏了")
    assert request.findtext("service_request_id") == number


async def test_posting_in_xml_with_materials(open311: Open311) -> None:
    definition = (await open311.client.get(f"{BASE}/services/{ITEM}.json")).json()
    materials = next((a for a in definition["attributes"] if a["code"] == "materials"), None)
    fields: list[tuple[str, str]] = [
        ("service_code", ITEM),
        ("lat", "36.66"),
        ("long", "117.02"),
        ("attribute[community_id]", COMMUNITY),
    ]
    if materials is not None:
        fields.append(("attribute[materials][]", materials["values"][0]["key"]))
    response = await open311.client.post(
        f"{BASE}/requests.xml",
        content="&".join(f"{k}={v}" for k, v in fields).encode(),
        headers={**open311.as_partner(), "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 201, response.text
    root = parse_xml(response.content)
    assert root.tag == "service_requests"
    assert (root.findtext("request/service_request_id") or "").startswith("SR")


@pytest.mark.parametrize(
    ("fields", "headers", "status"),
    [
        ({"service_code": ITEM, "attribute[community_id]": COMMUNITY}, None, 403),
        ({"service_code": ITEM, "attribute[community_id]": COMMUNITY}, "read-only", 403),
        ({"service_code": "no-such-item", "attribute[community_id]": COMMUNITY}, "ok", 404),
        ({"attribute[community_id]": COMMUNITY}, "ok", 400),
        ({"service_code": ITEM, "lat": "north", "long": "1"}, "ok", 400),
        ({"service_code": ITEM, "attribute[community_id]": COMMUNITY, "phone": "x"}, "ok", 400),
    ],
)
async def test_refused_posts_answer_in_the_open311_error_format(
    open311: Open311, fields: dict[str, str], headers: str | None, status: int
) -> None:
    auth = {
        None: {},
        "read-only": open311.as_partner(scope="requests:read"),
        "ok": open311.as_partner(),
    }[headers]
    for fmt in ("json", "xml"):
        response = await open311.client.post(f"{BASE}/requests.{fmt}", data=fields, headers=auth)
        assert response.status_code == status, response.text
        if fmt == "json":
            [error] = response.json()
            assert error["code"] == status
            assert error["description"]
        else:
            root = parse_xml(response.content)
            assert root.tag == "errors"
            assert root.findtext("error/code") == str(status)


async def test_request_filters(open311: Open311) -> None:
    async def get(**params: str) -> Any:
        response = await open311.client.get(f"{BASE}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    everything = await get()
    now = datetime.now().astimezone()
    assert everything
    assert all(
        now - datetime.fromisoformat(r["requested_datetime"]) <= timedelta(days=90, minutes=1)
        for r in everything
    )
    closed = await get(status="closed")
    assert closed
    assert all(r["status"] == "closed" for r in closed)
    assert len(closed) + len(await get(status="open")) == len(everything)
    repairs = await get(service_code=ITEM)
    assert repairs
    assert all(r["service_code"] == ITEM for r in repairs)

    wanted = [everything[0]["service_request_id"], everything[-1]["service_request_id"]]
    by_id = await get(service_request_id=",".join(wanted), status="closed")  # ids override
    assert sorted(r["service_request_id"] for r in by_id) == sorted(wanted)

    start = (now - timedelta(days=30)).isoformat(timespec="seconds")
    recent = await get(start_date=start)
    assert all(
        datetime.fromisoformat(r["requested_datetime"]) >= datetime.fromisoformat(start)
        for r in recent
    )
    old = await get(
        start_date=(now - timedelta(days=170)).date().isoformat(),
        end_date=(now - timedelta(days=95)).date().isoformat(),
    )
    assert not {r["service_request_id"] for r in old} & {r["service_request_id"] for r in recent}

    for bad in (
        {"start_date": "yesterday"},
        {"status": "pending"},
        {"start_date": "2026-01-01", "end_date": "2026-06-01"},  # more than 90 days
    ):
        response = await open311.client.get(f"{BASE}/requests.json", params=bad)
        assert response.status_code == 400, bad
        assert response.json()[0]["code"] == 400


async def test_unknown_things_are_open311_404s(open311: Open311) -> None:
    for path, fmt in [
        (f"{BASE}/requests/SR19990101-000001.json", "json"),
        (f"{BASE}/requests/SR19990101-000001.xml", "xml"),
        (f"{BASE}/services/no-such-item.xml", "xml"),
        (f"{BASE}/services.yaml", "json"),
        (f"{BASE}/nothing-here.json", "json"),
    ]:
        response = await open311.client.get(path)
        assert response.status_code == 404, path
        if fmt == "json":
            assert response.json()[0]["code"] == 404
        else:
            assert parse_xml(response.content).findtext("error/code") == "404"
    # The platform's own API keeps problem+json.
    api = await open311.client.get("/api/service-requests/nothing-here")
    assert api.headers["content-type"] == "application/problem+json"


async def test_a_bad_token_is_refused_in_open311_format(open311: Open311) -> None:
    response = await open311.client.get(
        f"{BASE}/requests.json", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert response.json()[0]["code"] == 401


async def test_an_open311_post_reaches_the_partners_webhook(open311: Open311) -> None:
    """The core records ``request.submitted`` in the submission's transaction; the partner that
    posted it is subscribed and gets it, signed."""
    partner = open311.as_partner("partner-hook")
    subscription = await open311.client.post(
        "/api/service-requests/webhooks/subscriptions",
        json={"url": "http://partner.test/hook", "event_types": ["request.submitted"]},
        headers=partner,
    )
    assert subscription.status_code == 201, subscription.text
    fields = {"service_code": ITEM, "attribute[community_id]": COMMUNITY, "description": "路灯"}
    posted = await open311.client.post(f"{BASE}/requests.json", data=fields, headers=partner)
    number = posted.json()[0]["service_request_id"]

    received: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as http:
        result = await deliver_due(open311.db.session, http)
    assert result.delivered == 1
    [request] = received
    body = request.content.decode()
    Webhook(subscription.json()["secret"]).verify(body, dict(request.headers))
    event = orjson.loads(body)
    assert event["type"] == "request.submitted"
    assert event["data"]["request"]["number"] == number


@pytest.mark.parametrize(
    ("basis", "notice"),
    [
        ("announced", None),
        ("statutory_only", "办结期限按法定节假日推算，调休安排公布后可能调整"),
        ("weekends_only", "办结期限仅按周末推算，节假日安排公布后可能调整"),
    ],
)
async def test_a_deadline_not_on_an_announced_calendar_is_said_in_the_notice(
    open311: Open311, basis: str, notice: str | None
) -> None:
    """GeoReport v2 has no field for ``calendar_basis``: its ``service_notice`` carries it."""
    partner = open311.as_partner()
    fields = {
        "service_code": ITEM,
        "description": "楼道灯不亮",
        "attribute[community_id]": COMMUNITY,
    }
    [created] = (
        await open311.client.post(f"{BASE}/requests.json", data=fields, headers=partner)
    ).json()
    number = created["service_request_id"]
    async with open311.db.session() as session:
        await session.exec(
            update(ServiceRequest)
            .where(col(ServiceRequest.number) == number)
            .values(calendar_basis=basis)
        )
        await session.commit()

    [read] = (await open311.client.get(f"{BASE}/requests/{number}.json")).json()
    assert read["service_notice"] == notice
    assert basis_notice(CalendarBasis(basis)) == notice
