"""Party members in and out of spreadsheets.

Each row goes through the rules of ``POST /members``: the request schema (``MemberCreate``: the ID
number's checksum, gender and status as codes or labels) and the members service's
``check_consistency`` (dates in order, the ID number agreeing with birth date and gender). The
home organization must be active and in the importer's subtree (or ``?parent_id=`` for rows
that name none); ``org_path`` copies its path. ID numbers and user ids are unique among all
members and within the file.

The export lists the active members the caller may list (``GET /members``: ``within``, else
every organization they act for), grouped by home organization; phone, ID number and address are
masked, and birth date and user id left out, unless the caller manages the member (the members
service's ``sees_unmasked``), exactly as the API shows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Member
from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.repositories.members import MemberRepository
from zhdj_registry.schemas.imports import ImportEntity
from zhdj_registry.schemas.members import MemberCreate, MemberRead
from zhdj_registry.services.exports import iso
from zhdj_registry.services.imports import (
    REF_COLUMN,
    ImportContext,
    ParsedRow,
    RowErrors,
    TabularKind,
    UniqueColumn,
    Values,
    cached_pinyin_key,
    choices,
    parse_with,
    upper,
)
from zhdj_registry.services.members import MemberService, check_consistency, sees_unmasked
from zhdj_registry.tabular import Cell, ColumnSpec
from zhdj_registry.vocabulary import GENDER_LABELS, MEMBER_STATUS_LABELS, MemberStatus
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Unprocessable
from zhdj_shared.ids import new_id
from zhdj_shared.security.authz import Principal

MEMBER_COLUMNS: list[ColumnSpec] = [
    REF_COLUMN,
    ColumnSpec("name", "姓名", ("党员姓名",), required=True),
    ColumnSpec("gender", "性别"),
    ColumnSpec("birth_date", "出生日期"),
    ColumnSpec("home_org_id", "所属组织ID", ("所在党组织ID", "党组织ID", "所属组织id")),
    ColumnSpec("status", "党员类别", ("类别", "党员状态")),
    ColumnSpec("joined_on", "入党日期"),
    ColumnSpec("converted_on", "转正日期"),
    ColumnSpec("phone", "联系电话", ("手机号码", "手机", "电话")),
    ColumnSpec("id_number", "身份证号码", ("身份证号", "公民身份号码")),
    ColumnSpec("address", "家庭住址", ("住址", "地址")),
    ColumnSpec("user_id", "用户ID", ("用户id",)),
]
_FIELDS = list(MemberCreate.model_fields)
GENDERS = choices(GENDER_LABELS)
STATUSES = choices(
    MEMBER_STATUS_LABELS, ("正式", MemberStatus.FULL), ("预备", MemberStatus.PROBATIONARY)
)


def member_values(member_id: str, org_path: str, data: MemberCreate) -> dict[str, Any]:
    """Every column of a new member, as ``MemberService.create`` stores it."""
    key = cached_pinyin_key(data.name)
    now = utcnow()
    return {
        "id": member_id,
        **data.model_dump(mode="python"),
        "gender": data.gender.value if data.gender else None,
        "status": data.status.value,
        "name_pinyin": key.full,
        "name_initials": key.initials,
        "org_path": org_path,
        "left_on": None,
        "left_reason": None,
        "left_note": None,
        "created_at": now,
        "updated_at": now,
    }


class MembersKind(TabularKind[MemberCreate]):
    entity = ImportEntity.MEMBERS
    columns = MEMBER_COLUMNS
    model = Member
    org_columns = ("home_org_id",)
    default_org_column = "home_org_id"
    unique = (
        UniqueColumn("id_number", Member.id_number, "身份证号码", upper),
        UniqueColumn("user_id", Member.user_id, "用户ID"),
    )

    def parse(self, number: int, values: Values, errors: RowErrors) -> MemberCreate | None:
        data = parse_with(
            MemberCreate,
            number,
            values,
            errors,
            fields=_FIELDS,
            enums={"gender": (GENDERS, "性别"), "status": (STATUSES, "党员类别")},
        )
        if data is None:
            return None
        try:
            check_consistency(data.model_dump(mode="python"))
        except Unprocessable as exc:
            errors.add_problem(number, exc)
            return None
        return data

    async def plan(
        self, ctx: ImportContext, rows: Sequence[ParsedRow[MemberCreate]]
    ) -> list[dict[str, Any] | None]:
        planned: list[dict[str, Any] | None] = []
        for row in rows:
            before, home_id = ctx.errors.count, row.values["home_org_id"]
            home = None
            if home_id:
                home = ctx.org(row.number, "home_org_id", home_id, what="所属组织", managed=True)
            if row.data is None or home is None or ctx.errors.count > before:
                planned.append(None)
            else:
                planned.append(member_values(new_id(), home.path, row.data))
        return planned

    async def export(
        self, session: AsyncSession, principal: Principal, within: str | None
    ) -> AsyncIterator[list[Cell]]:
        paths = await MemberService(MemberRepository(session)).visible_paths(principal, within)
        return _rows(BulkRepository(session), principal, paths)


async def _rows(
    bulk: BulkRepository, principal: Principal, paths: tuple[str, ...] | None
) -> AsyncIterator[list[Cell]]:
    if paths == ():
        return
    query = select(Member).where(col(Member.left_on).is_(None))
    if paths is not None:
        query = query.where(
            or_(*(col(Member.org_path).startswith(p, autoescape=True) for p in paths))
        )
    order = (col(Member.home_org_id), col(Member.name_pinyin), col(Member.id))
    async for batch in bulk.batches(query, order, lambda m: (m.home_org_id, m.name_pinyin, m.id)):
        for member in batch:
            yield member_row(MemberRead.of(member, masked=not sees_unmasked(principal, member)))


def member_row(member: MemberRead) -> list[Cell]:
    """The member as the API shows it to this caller (masked or not)."""
    values: dict[str, Cell] = {
        "ref": member.id,
        "name": member.name,
        "gender": member.gender_label,
        "birth_date": iso(member.birth_date),
        "home_org_id": member.home_org_id,
        "status": member.status_label,
        "joined_on": iso(member.joined_on),
        "converted_on": iso(member.converted_on),
        "phone": member.phone,
        "id_number": member.id_number,
        "address": member.address,
        "user_id": member.user_id,
    }
    return [values[c.field] for c in MEMBER_COLUMNS]
