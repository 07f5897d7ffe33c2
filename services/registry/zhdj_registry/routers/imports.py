"""``/api/registry/imports`` and ``/api/registry/exports``: spreadsheets in and out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.imports import ExportFormat, ImportEntity, ImportReport
from zhdj_registry.services.import_members import MembersKind
from zhdj_registry.services.import_organizations import OrganizationsKind
from zhdj_registry.services.import_units import UnitsKind
from zhdj_registry.services.imports import Importer, TabularKind
from zhdj_registry.settings import RegistrySettings
from zhdj_registry.tabular import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Cell,
    TableError,
    csv_bytes,
    read_table,
    xlsx_bytes,
)
from zhdj_shared.db import SessionDep, get_session
from zhdj_shared.errors import (
    FieldError,
    PayloadTooLarge,
    Unprocessable,
    problem_responses,
)

MAX_ROWS = 200_000
CSV_BATCH = 500

imports_router = APIRouter(prefix="/api/registry/imports", tags=["import and export"])
exports_router = APIRouter(prefix="/api/registry/exports", tags=["import and export"])

# The export streams after the handler returns: its session must live until the response ends
# (read-only, so committing after the response is harmless here).
StreamSession = Annotated[AsyncSession, Depends(get_session, scope="request")]

# What differs per kind of record; the pipeline, formats and semantics are shared.
KINDS: dict[ImportEntity, TabularKind[Any]] = {
    ImportEntity.ORGANIZATIONS: OrganizationsKind(),
    ImportEntity.UNITS: UnitsKind(),
    ImportEntity.MEMBERS: MembersKind(),
}

FORMAT_DOC = """
Import organizations, units or party members (`{entity}`).

**File**: CSV (UTF-8, UTF-8 with BOM, or GBK as saved by Excel on Chinese Windows; comma or tab
separated) or Excel `.xlsx` (first sheet). Row 1 holds the column headers, in Chinese or as the
English codes; a leading `*` and a bracketed remark in a header are ignored; empty rows are
skipped. At most 200,000 rows, and a file no larger than the import limit (413 above it:
`ZHDJ_REGISTRY_MAX_IMPORT_BYTES`, by default the gateway's body limit, 10 MiB). Enum columns
take the code (`branch`) or the Chinese label (`党支部`); dates are YYYY-MM-DD. Every kind has
an optional 引用 (`ref`) column: a label of the row, unique in the file; the report maps each
ref to the new id (files of at most 1,000 rows). An export is a valid import file.

**Organizations** (`/imports/organizations`), each row by the rules of `POST /organizations`:

| header | code | |
|---|---|---|
| 名称 | name | required |
| 简称 | short_name | |
| 类型 | kind | required (`branch` / `党支部`) |
| 领域 | sector | required (`community` / `城市社区`) |
| 上级组织ID | parent_id | an existing organization in your subtree |
| 上级引用 | parent_ref | the 引用 of an earlier row |
| 行政区划代码 | area_code | defaults to the parent's |
| 地址 / 联系电话 / 简介 | address / contact_phone / description | |
| 成立日期 | established_on | |

A row gives 上级组织ID or 上级引用; rows with neither go under `?parent_id=` when given (only the
platform administrator imports roots).

**Units** (`/imports/units`), each row by the rules of `POST /units` and
`PUT /units/{id}/coverage`:

| header | code | |
|---|---|---|
| 单位名称 | name | required |
| 单位类型 | kind | required (`private_enterprise` / `民营企业`) |
| 领域 | sector | required |
| 主管组织ID | supervising_org_id | an organization in your subtree; else `?parent_id=` |
| 行政区划代码 / 区划名称 / 地址 | area_code / area_name / address | |
| 统一社会信用代码 | credit_code | checked; unique among all units and in the file |
| 从业人员数 / 党员人数 | employees / party_members | whole numbers |
| 本单位党组织ID | own_org_id | organization coverage: any active organization |
| 覆盖组织ID | covering_org_id | work coverage by a joint organization |
| 党建指导员 / 指导员党员ID | instructor_name / instructor_member_id | work coverage |

**Members** (`/imports/members`), each row by the rules of `POST /members`:

| header | code | |
|---|---|---|
| 姓名 | name | required |
| 性别 | gender | `male` / `男`, `female` / `女` |
| 出生日期 | birth_date | |
| 所属组织ID | home_org_id | an organization in your subtree; else `?parent_id=` |
| 党员类别 | status | `full` / `正式党员`, `probationary` / `预备党员` (the default) |
| 入党日期 / 转正日期 | joined_on / converted_on | |
| 联系电话 / 家庭住址 | phone / address | |
| 身份证号码 | id_number | checked; unique among all members and in the file |
| 用户ID | user_id | the gateway user; unique likewise |

**All or nothing**: every row is validated first; with any error nothing is written and the
answer (422) lists each error with its row number (the header is row 1), column and message;
every row sharing a unique value is reported. `?dry_run=true` only validates (200 with the
report). A successful import answers 201.
"""


async def importer(session: SessionDep) -> Importer:
    return Importer(BulkRepository(session))


async def import_limit(request: Request) -> int:
    """The largest file an import reads (``ZHDJ_REGISTRY_MAX_IMPORT_BYTES``, see settings)."""
    settings: RegistrySettings = request.app.state.settings
    return settings.max_import_bytes


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the file is larger than the import limit of {limit} bytes ({limit / 2**20:g} MiB); "
        "split it into several files",
        extra={"max_bytes": limit},
    )


async def read_upload(file: UploadFile, limit: int) -> bytes:
    # Starlette has spooled the upload already; reading one byte past the limit tells a file
    # that is too large without holding more than that in memory.
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    return data


class ImportFailed(Unprocessable):
    """422 with the whole report beside the field errors."""


@imports_router.post(
    "/{entity}",
    summary="Import organizations, units or members from CSV or Excel (all rows or none)",
    description=FORMAT_DOC,
    status_code=201,
    responses=problem_responses(413, 422),
)
async def import_file(
    entity: Annotated[ImportEntity, Path()],
    principal: Writer,
    service: Annotated[Importer, Depends(importer)],
    response: Response,
    file: Annotated[UploadFile, File(description="The .csv or .xlsx file")],
    limit: Annotated[int, Depends(import_limit)],
    dry_run: Annotated[bool, Query(description="Validate only, write nothing")] = False,
    parent_id: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Organization of rows that name none (parent, supervising or home "
            "organization)",
        ),
    ] = None,
) -> ImportReport:
    try:
        table = read_table(await read_upload(file, limit))
    except TableError as exc:
        raise Unprocessable(str(exc), errors=[FieldError(field="file", message=str(exc))]) from exc
    if len(table.rows) > MAX_ROWS:
        raise PayloadTooLarge(f"at most {MAX_ROWS} rows per file")
    report = await service.run(
        KINDS[entity], principal, table, default_org_id=parent_id, dry_run=dry_run
    )
    if dry_run:
        response.status_code = 200
    elif not report.valid:
        raise ImportFailed(
            f"{report.error_count} errors: nothing was imported",
            errors=[
                FieldError(
                    field=f"row {e.row}" + (f": {e.column}" if e.column else ""), message=e.message
                )
                for e in report.errors
            ],
            extra={"report": report.model_dump(mode="json")},
        )
    return report


EXPORT_DOC = """
The records in the import format (edit the file and import it again); 引用 holds each record's
id.

* **organizations**: a subtree, parents first; the subtree's root names its parent by
  上级组织ID, the others by 上级引用. To import it under another parent, change or clear the
  root's 上级组织ID and pass `parent_id`.
* **units**: the active units whose supervising organization is in the subtree.
* **members**: the active members the caller may list (as `GET /members`); phone, ID number and
  address are masked, and birth date and user id left out, for members the caller does not
  manage.

Organizations and units: staff name a subtree they act for with `within` (the platform
administrator may omit it for everything). Members: `within` is optional, as for the list.
"""


@exports_router.get(
    "/{entity}",
    summary="Export organizations, units or members as CSV or Excel, in the import format",
    description=EXPORT_DOC,
    responses={
        200: {"content": {CSV_MEDIA_TYPE: {}, XLSX_MEDIA_TYPE: {}}},
        **problem_responses(404),
    },
    response_class=StreamingResponse,
)
async def export_file(
    entity: Annotated[ImportEntity, Path()],
    principal: Reader,
    session: StreamSession,
    within: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[ExportFormat, Query()] = ExportFormat.CSV,
) -> Response:
    kind = KINDS[entity]
    rows = await kind.export(session, principal, within)
    filename = f"{entity.value}.{format.value}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == ExportFormat.XLSX:
        data = xlsx_bytes(entity.value, kind.headers, [r async for r in rows])
        return Response(data, media_type=XLSX_MEDIA_TYPE, headers=headers)
    return StreamingResponse(
        _csv_stream(kind.headers, rows), media_type=CSV_MEDIA_TYPE, headers=headers
    )


async def _csv_stream(headers: list[str], rows: AsyncIterator[list[Cell]]) -> AsyncIterator[bytes]:
    yield csv_bytes([headers], bom=True)
    batch: list[list[Cell]] = []
    async for row in rows:
        batch.append(row)
        if len(batch) >= CSV_BATCH:
            yield csv_bytes(batch)
            batch = []
    if batch:
        yield csv_bytes(batch)
