"""Open311 GeoReport v2 over the service catalog and the requests.

* Services are the catalog's active items: ``service_code`` is the item id, ``group`` its
  category, ``keywords`` its category, department and pinyin initials; every item has metadata
  (its definition lists the attributes below).
* A request's ``service_request_id`` is its public number (``SR20261127-000123``); its status is
  ``open`` while the workflow is not final, else ``closed``; ``expected_datetime`` is the end of
  the resolution deadline's day (Asia/Shanghai) while it is open, in working days of the
  request's ``calendar_basis``. GeoReport v2 has no field for that basis: when it is not
  ``announced`` (a deadline in a year whose 调休 are not published), ``service_notice`` says so
  (:func:`basis_notice`), on the request and in the answer to its posting.
* Who sees what: everyone (no token; Open311 clients read without a key) gets the public view:
  service, status, dates, agency, never text or place. A caller who may read the request through
  the API (``services/access.py``: a third party its own submissions, staff their subtree) also
  gets its description and coordinates. Residents' personal data (name, phone, address,
  household) never appears, and phone or ID numbers typed into a description are blanked.
* Posting needs a token with ``requests:write``: the gateway exchanges Open311's ``api_key``
  for its client's token. The request goes through the core's ``submit_request`` on the
  ``open311`` channel, so the same rules, deadlines and webhooks apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_service_requests.models import ServiceItem, ServiceRequest
from zhdj_service_requests.repositories.open311 import ItemRow, Open311Filters, Open311Repository
from zhdj_service_requests.schemas.requests import Channel, Location, RequestCreate
from zhdj_service_requests.services import access
from zhdj_service_requests.services.requests import submit_request
from zhdj_service_requests.workdays import CalendarBasis
from zhdj_service_requests.workflow import FINAL, STATUS_LABELS, Status
from zhdj_shared.clock import CHINA_TZ
from zhdj_shared.db import utcnow
from zhdj_shared.errors import FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Scope

DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
# Mainland mobile numbers, landlines with an area code, resident ID numbers.
_PERSONAL_NUMBERS = re.compile(
    r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{17}[\dXx]|\d{15})(?![\dXx])"
)


class BadRequest(Unprocessable):
    """Open311 answers malformed input with 400."""

    status, title, slug = 400, "Bad request", "bad-request"


def china_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def scrub(text: str) -> str:
    """Blank phone and ID numbers a resident typed into free text."""
    return _PERSONAL_NUMBERS.sub("***", text)


# --- services -----------------------------------------------------------------------------------


def service_of(row: ItemRow) -> dict[str, Any]:
    item, category, department = row
    keywords = [category, *([department] if department else []), item.name_initials]
    return {
        "service_code": item.id,
        "service_name": item.name,
        "description": item.description or item.name,
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": category,
    }


def attributes_of(item: ServiceItem) -> list[dict[str, Any]]:
    """What a submission may say beyond the standard fields, as the catalog implies it."""
    attributes: list[dict[str, Any]] = [
        _attribute(1, "title", "string", f"标题（默认：{item.name}）"),
        _attribute(
            2,
            "community_id",
            "string",
            "所在社区的组织编号：没有坐标时必填（有坐标时由网格定位）",
            datatype_description="registry organization id",
        ),
    ]
    if item.materials:
        values = [{"key": f"m{i}", "name": m} for i, m in enumerate(item.materials, start=1)]
        attributes.append(
            _attribute(3, "materials", "multivaluelist", "已备齐的申请材料", values=values)
        )
    return attributes


def _attribute(
    order: int,
    code: str,
    datatype: str,
    description: str,
    *,
    datatype_description: str | None = None,
    values: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": False,
        "datatype_description": datatype_description,
        "order": order,
        "description": description,
    }
    if values is not None:
        attribute["values"] = values
    return attribute


# --- requests -----------------------------------------------------------------------------------


def request_of(
    row: ServiceRequest, items: Mapping[str, ItemRow], principal: Principal | None
) -> dict[str, Any]:
    status = Status(row.status)
    item_row = items.get(row.item_id)
    is_open = status not in FINAL
    expected = datetime.combine(row.resolve_due_on, time(23, 59, 59), CHINA_TZ)
    full = principal is not None and access.sees(principal, row)
    return {
        "service_request_id": row.number,
        "status": "open" if is_open else "closed",
        "status_notes": STATUS_LABELS[status],
        # Never the request's own title: a resident may have typed anything into it.
        "service_name": item_row[0].name if item_row else row.item_id,
        "service_code": row.item_id,
        "description": scrub(row.description) if full else None,
        "agency_responsible": item_row[2] if item_row else None,
        "service_notice": basis_notice(CalendarBasis(row.calendar_basis)) if is_open else None,
        "requested_datetime": china_iso(row.created_at),
        "updated_datetime": china_iso(row.updated_at),
        "expected_datetime": china_iso(expected) if is_open else None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": row.lat if full else None,
        "long": row.lng if full else None,
        "media_url": None,
    }


@dataclass(frozen=True)
class Query:
    """GET requests' standard filters, as sent."""

    service_request_id: str | None = None
    service_code: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None


def filters_of(query: Query, now: datetime | None = None) -> Open311Filters:
    if query.service_request_id:
        return Open311Filters(numbers=_split(query.service_request_id)[:MAX_RESULTS])
    start, end = (
        _parse_time(query.start_date, "start_date"),
        _parse_time(query.end_date, "end_date"),
    )
    if start is None:
        end = end or now or utcnow()
        start = end - DEFAULT_WINDOW
    elif end is None:
        end = start + DEFAULT_WINDOW
    if end < start or end - start > DEFAULT_WINDOW:
        raise _bad("start_date", "start_date to end_date must be at most 90 days, in order")
    return Open311Filters(
        item_ids=_split(query.service_code or ""),
        start=start,
        end=end,
        is_open=_status(query.status),
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _parse_time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        # An unencoded "+08:00" in a query string arrives as " 08:00".
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError as exc:
        raise _bad(field, "use W3C format, e.g. 2026-11-01T00:00:00+08:00") from exc
    # No offset: a time in China, where the service is.
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def _status(value: str | None) -> bool | None:
    wanted = set(_split(value or ""))
    if not wanted <= {"open", "closed"}:
        raise _bad("status", "status is open, closed, or both")
    return None if len(wanted) != 1 else wanted == {"open"}


def _bad(field: str, message: str) -> BadRequest:
    return BadRequest(message, errors=[FieldError(field=field, message=message)])


# --- the service --------------------------------------------------------------------------------


class Open311Service:
    def __init__(self, session: AsyncSession, registry: RegistryClient) -> None:
        self.session = session
        self.registry = registry
        self.repository = Open311Repository(session)

    async def services(self) -> list[dict[str, Any]]:
        return [service_of(row) for row in await self.repository.items()]

    async def definition(self, service_code: str) -> dict[str, Any]:
        rows = await self.repository.items([service_code])
        if not rows:
            raise NotFound(f"service_code {service_code} not found")
        return {"service_code": service_code, "attributes": attributes_of(rows[0][0])}

    async def requests(self, principal: Principal | None, query: Query) -> list[dict[str, Any]]:
        rows = await self.repository.requests(filters_of(query), MAX_RESULTS)
        return await self._documents(rows, principal)

    async def request(self, principal: Principal | None, number: str) -> list[dict[str, Any]]:
        row = await self.repository.request(number)
        if row is None:
            raise NotFound(f"service_request_id {number} not found")
        return await self._documents([row], principal)

    async def _documents(
        self, rows: Sequence[ServiceRequest], principal: Principal | None
    ) -> list[dict[str, Any]]:
        item_rows = await self.repository.items(sorted({r.item_id for r in rows}))
        items = {row[0].id: row for row in item_rows}
        return [request_of(row, items, principal) for row in rows]

    async def token(self, token: str) -> list[dict[str, Any]]:
        """Requests are numbered at once, so a token (the request's id) resolves immediately."""
        row = await self.repository.request(token)
        if row is None:
            raise NotFound(f"token {token} not found")
        return [{"service_request_id": row.number, "token": token}]

    async def submit(
        self, principal: Principal | None, form: Sequence[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        if principal is None:
            raise Forbidden("an api_key is required to post a service request")
        if Scope.REQUESTS_WRITE not in principal.scopes:
            raise Forbidden("this api_key may not post service requests")
        body = await self._body(form)
        row = await submit_request(
            self.session, self.registry, principal, body, channel=Channel.OPEN311
        )
        notice = f"已提交，编号 {row.number}；预计 {row.resolve_due_on.isoformat()} 前办结"
        caveat = basis_notice(CalendarBasis(row.calendar_basis))
        if caveat:
            notice += f"（{caveat}）"
        return [
            {
                "service_request_id": row.number,
                "token": row.id,
                "service_notice": notice,
                "account_id": None,
            }
        ]

    async def _body(self, form: Sequence[tuple[str, str]]) -> RequestCreate:
        fields = dict(reversed(form))  # the first occurrence of a repeated field wins
        attributes = _attributes(form)
        code = fields.get("service_code", "").strip()
        if not code:
            raise _bad("service_code", "service_code is required")
        rows = await self.repository.items([code])
        if not rows:
            raise NotFound(f"service_code {code} not found")
        item = rows[0][0]
        description = (fields.get("description") or "").strip() or item.name
        materials = _materials(item, attributes.get("materials", []))
        if materials:
            description = f"{description}\n已备材料：{'、'.join(materials)}"
        name = (fields.get("last_name", "") + fields.get("first_name", "")).strip() or None
        try:
            return RequestCreate(
                item_id=code,
                title=_first(attributes.get("title")),
                description=description[:2000],
                location=_location(fields),
                address=(fields.get("address_string") or "").strip()[:256] or None,
                community_id=_first(attributes.get("community_id")),
                resident_name=name[:64] if name else None,
                resident_phone=(fields.get("phone") or "").strip() or None,
            )
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise BadRequest(_first_error(exc)) from exc


def _attributes(form: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """``attribute[code]=v`` and, for lists, ``attribute[code][]=v`` (repeated)."""
    found: dict[str, list[str]] = {}
    for name, value in form:
        match = re.fullmatch(r"attribute\[([A-Za-z0-9_]+)\](\[\])?", name)
        if match and value.strip():
            found.setdefault(match.group(1), []).append(value.strip())
    return found


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def _materials(item: ServiceItem, keys: list[str]) -> list[str]:
    by_key = {f"m{i}": m for i, m in enumerate(item.materials, start=1)}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise _bad("attribute[materials]", f"unknown materials value {unknown[0]}")
    return [by_key[k] for k in keys]


def _location(fields: Mapping[str, str]) -> Location | None:
    lat, lng = fields.get("lat"), fields.get("long")
    if not lat and not lng:
        return None
    try:
        return Location(lat=float(lat or ""), lng=float(lng or ""))
    except ValueError as exc:
        raise _bad("lat", "lat and long are decimal degrees, both or neither") from exc


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(exc)


BASIS_NOTICES = {
    CalendarBasis.STATUTORY_ONLY: "办结期限按法定节假日推算，调休安排公布后可能调整",
    CalendarBasis.WEEKENDS_ONLY: "办结期限仅按周末推算，节假日安排公布后可能调整",
}


def basis_notice(basis: CalendarBasis) -> str | None:
    """What an Open311 client is told about a deadline not on an announced calendar."""
    return BASIS_NOTICES.get(basis)
