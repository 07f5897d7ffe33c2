"""Bulk import from CSV or Excel: one pipeline for organizations, units and members. Everything is
validated in memory, then all rows are written by one multi-row ``INSERT``, or nothing is.

The pipeline (:class:`Importer`) does what every kind shares:

1. match the headers to the kind's columns (Chinese headers, English codes or aliases);
2. look up every organization the file names by id, in one query (chunked ``IN``), and check
   ``?parent_id=`` (the default organization of rows that name none);
3. parse each row through the kind's rules (the API's own request schemas, codes or Chinese labels
   for enums), and check the optional ``引用`` (ref) column is unique in the file;
4. check the kind's unique columns against the database and within the file (every row sharing a
   value is reported, not only the second);
5. let the kind plan each row (resolve organizations, which must be active and, where the row
   places something, in the importer's subtree; derive the stored columns);
6. with no error and no dry run, insert; report row-level errors with the row number (the header
   is row 1) and the column header as written in the file.

What differs per kind is a small :class:`TabularKind`: its columns, the columns naming
organizations, the unique columns, ``parse`` and ``plan`` (and ``export``, the same columns out;
see :mod:`zhdj_registry.services.exports`). Rows are built as plain column values rather than
SQLModel objects (those cost about a millisecond each); tests hold each kind's builder to what the
API's creation stores.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Organization
from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.schemas.imports import ImportEntity, ImportReport, RowError
from zhdj_registry.services.acting import manages
from zhdj_registry.tabular import Cell, ColumnSpec, Table, match_columns
from zhdj_registry.vocabulary import OrgStatus
from zhdj_shared.errors import Conflict, FieldError, Forbidden, Unprocessable
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role
from zhdj_shared.text import PinyinKey, pinyin_key

MAX_ERRORS = 1000
MAX_REFS_REPORTED = 1000
MAX_OTHERS = 5  # rows named in a message about a value repeated in the file

Values = dict[str, str | None]
T = TypeVar("T")
E = TypeVar("E", bound=Enum)
S = TypeVar("S", bound=BaseModel)

REF_COLUMN = ColumnSpec("ref", "引用", ("引用编号", "编号"))

cached_pinyin_key: Callable[[str], PinyinKey] = lru_cache(maxsize=100_000)(pinyin_key)


class RowErrors:
    """Row-level errors, the first ``MAX_ERRORS`` kept, all counted."""

    def __init__(self, headers: Sequence[str], positions: dict[str, int]) -> None:
        self.headers = headers
        self.positions = positions
        self.items: list[RowError] = []
        self.count = 0

    def add(self, row: int, field: str | None, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append(RowError(row=row, column=self.column(field), message=message))

    def column(self, field: str | None) -> str | None:
        if field is None or field not in self.positions:
            return None
        return self.headers[self.positions[field]]

    def add_validation(self, row: int, error: ValidationError) -> None:
        for item in error.errors():
            location = item.get("loc", ())
            name = str(location[0]) if location else None
            self.add(row, name, str(item.get("msg", "invalid")))

    def add_problem(self, row: int, problem: Unprocessable) -> None:
        for item in problem.errors or [FieldError(field="", message=str(problem.detail))]:
            self.add(row, item.field or None, f"{problem.detail}: {item.message}")

    def sorted(self) -> list[RowError]:
        return sorted(self.items, key=lambda e: e.row)  # stable: a row's errors keep their order


def check_headers(table: Table, specs: Sequence[ColumnSpec]) -> dict[str, int]:
    positions, problems = match_columns(table.headers, specs)
    if problems:
        raise Unprocessable(
            "表头有误：" + "；".join(problems),
            errors=[FieldError(field="file", message=p) for p in problems],
        )
    return positions


def row_values(
    cells: Sequence[Cell], positions: dict[str, int], specs: Sequence[ColumnSpec]
) -> Values:
    """Every column of the kind by field, ``None`` for empty cells and absent columns."""
    values: Values = dict.fromkeys((s.field for s in specs), None)
    values.update({f: cells[i] if i < len(cells) else None for f, i in positions.items()})
    return values


def upper(value: str) -> str:
    """Codes compared as their validators store them (ID numbers, credit codes)."""
    return value.strip().upper()


def choices(labels: Mapping[E, str], *extra: tuple[str, E]) -> dict[str, E]:
    """An enum's codes (any case) and Chinese labels, for cells that may hold either."""
    members = list(labels)
    return {
        **{m.value: m for m in members},
        **{v: k for k, v in labels.items()},
        **dict(extra),
    }


def parse_with(
    schema: type[S],
    number: int,
    values: Values,
    errors: RowErrors,
    *,
    fields: Iterable[str],
    enums: Mapping[str, tuple[Mapping[str, Enum], str]] | None = None,
) -> S | None:
    """The row's ``fields`` through one of the API's request schemas; enum cells as codes or
    labels (``enums``: field → (choices, column label for messages))."""
    payload: dict[str, Any] = {f: values[f] for f in fields if values.get(f) is not None}
    ok = True
    for name, (table, label) in (enums or {}).items():
        raw = payload.get(name)
        if raw is None:
            continue
        found = table.get(raw) or table.get(raw.lower())
        if found is None:
            errors.add(number, name, f"未知的{label}：{raw}")
            ok = False
        else:
            payload[name] = found
    try:
        parsed = schema.model_validate(payload)
    except ValidationError as exc:
        errors.add_validation(number, exc)
        return None
    return parsed if ok else None


@dataclass
class ParsedRow(Generic[T]):
    number: int  # as the spreadsheet shows it (the header is row 1)
    values: Values
    data: T | None  # None: the row's own cells have errors
    ref: str | None  # None also when the ref repeats an earlier row's


@dataclass(frozen=True)
class UniqueColumn:
    """A column no two records may share (checked in the database and in the file)."""

    field: str
    column: Any  # the model attribute
    what: str  # for messages: 身份证号码
    normalize: Callable[[str], str] = str.strip


@dataclass
class ImportContext:
    principal: Principal
    bulk: BulkRepository
    errors: RowErrors
    orgs: dict[str, Organization]  # every organization the file names, found in one query
    default_org: Organization | None

    def org(
        self, number: int, field: str, org_id: str, *, what: str, managed: bool
    ) -> Organization | None:
        """An active organization named by the row, else an error on the row. ``managed``: the
        row places something under it, so the importer must act for it or above."""
        org = self.orgs.get(org_id)
        if org is None or org.status != OrgStatus.ACTIVE.value:
            self.errors.add(number, field, f"{what} {org_id} 不存在或已撤销")
            return None
        if managed and not manages(self.principal, org.ancestry()):
            self.errors.add(number, field, f"无权在{what} {org_id} 之下导入")
            return None
        return org


class TabularKind(ABC, Generic[T]):
    """What one kind of record needs to travel through a spreadsheet, in and out."""

    entity: ClassVar[ImportEntity]
    columns: ClassVar[Sequence[ColumnSpec]]  # REF_COLUMN first; import and export alike
    model: ClassVar[type[SQLModel]]
    org_columns: ClassVar[Sequence[str]] = ()  # fields naming existing organizations by id
    default_org_column: ClassVar[str | None] = None  # filled from ``?parent_id`` when empty
    unique: ClassVar[Sequence[UniqueColumn]] = ()

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @abstractmethod
    def parse(self, number: int, values: Values, errors: RowErrors) -> T | None:
        """The row's own cells through the kind's rules (no database), or ``None`` on errors."""

    @abstractmethod
    async def plan(
        self, ctx: ImportContext, rows: Sequence[ParsedRow[T]]
    ) -> list[dict[str, Any] | None]:
        """Per row, every column of the new record (``id`` among them), or ``None`` on errors."""

    @abstractmethod
    async def export(
        self, session: AsyncSession, principal: Principal, within: str | None
    ) -> AsyncIterator[list[Cell]]:
        """Check the caller may export (raising before anything is sent), then the rows."""


def require_importer(principal: Principal) -> None:
    if not principal.has_role(Role.ORG_STAFF):
        raise Forbidden("only organization staff import data")


class Importer:
    def __init__(self, bulk: BulkRepository) -> None:
        self.bulk = bulk

    async def run(
        self,
        kind: TabularKind[Any],
        principal: Principal,
        table: Table,
        *,
        default_org_id: str | None,
        dry_run: bool,
    ) -> ImportReport:
        require_importer(principal)
        positions = check_headers(table, kind.columns)
        errors = RowErrors(table.headers, positions)
        values = [(n, row_values(cells, positions, kind.columns)) for n, cells in table.rows]
        wanted = {v[f] or "" for _, v in values for f in kind.org_columns} - {""}
        if default_org_id:
            wanted.add(default_org_id)
        orgs = await self.bulk.organizations(wanted)
        default_org = _default_org(principal, default_org_id, orgs)
        if default_org is not None and kind.default_org_column is not None:
            for _, v in values:
                v[kind.default_org_column] = v[kind.default_org_column] or default_org.id
        rows = _parse(kind, values, errors)
        context = ImportContext(principal, self.bulk, errors, orgs, default_org)
        await _check_unique(kind, context, rows)
        planned = await kind.plan(context, rows)
        new_rows = [p for p in planned if p is not None]
        created = 0
        if not errors.count and not dry_run and new_rows:
            try:
                await self.bulk.insert(kind.model, new_rows)
            except IntegrityError as exc:  # a concurrent writer took a unique value meanwhile
                raise Conflict("the file conflicts with a record written meanwhile") from exc
            created = len(new_rows)
        refs = {r.ref: p["id"] for r, p in zip(rows, planned, strict=True) if r.ref and p}
        return ImportReport(
            entity=kind.entity,
            dry_run=dry_run,
            valid=not errors.count,
            rows=len(rows),
            created=created,
            error_count=errors.count,
            errors=errors.sorted(),
            refs=refs if not errors.count and len(rows) <= MAX_REFS_REPORTED else {},
        )


def _default_org(
    principal: Principal, org_id: str | None, orgs: dict[str, Organization]
) -> Organization | None:
    if org_id is None:
        return None
    org = orgs.get(org_id)
    if org is None or org.status != OrgStatus.ACTIVE.value:
        raise Unprocessable(
            "the default organization does not exist or has been dissolved",
            errors=[FieldError(field="parent_id", message="unknown organization")],
        )
    if not manages(principal, org.ancestry()):
        raise Forbidden("you do not act for the default organization")
    return org


def _parse(
    kind: TabularKind[T], values: list[tuple[int, Values]], errors: RowErrors
) -> list[ParsedRow[T]]:
    rows: list[ParsedRow[T]] = []
    first_of: dict[str, int] = {}
    for number, cells in values:
        ref = cells.get("ref")
        if ref is not None and ref in first_of:
            errors.add(number, "ref", f"引用 {ref} 与第 {first_of[ref]} 行重复")
            ref = None
        elif ref is not None:
            first_of[ref] = number
        rows.append(ParsedRow(number, cells, kind.parse(number, cells, errors), ref))
    return rows


async def _check_unique(
    kind: TabularKind[Any], ctx: ImportContext, rows: Sequence[ParsedRow[Any]]
) -> None:
    """Every row whose value the database holds, and every row sharing a value with another."""
    for unique in kind.unique:
        numbers: dict[str, list[int]] = {}
        for row in rows:
            raw = row.values.get(unique.field)
            if raw:
                numbers.setdefault(unique.normalize(raw), []).append(row.number)
        taken = await ctx.bulk.existing_values(unique.column, numbers)
        for value, rows_with in numbers.items():
            for number in rows_with:
                if value in taken:
                    ctx.errors.add(number, unique.field, f"{unique.what}已被已有记录使用")
                others = [str(n) for n in rows_with if n != number]
                if others:
                    listed = "、".join(others[:MAX_OTHERS]) + (
                        "等" if len(others) > MAX_OTHERS else ""
                    )
                    ctx.errors.add(number, unique.field, f"与第 {listed} 行的{unique.what}相同")
