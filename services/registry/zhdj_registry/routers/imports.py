"""``/api/registry/imports`` and ``/api/registry/exports``: spreadsheets in and out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.repositories.bulk import BulkRepository
from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.routers.deps import Reader, Writer
from zhdj_registry.schemas.imports import ExportFormat, ImportEntity, ImportReport
from zhdj_registry.services.exports import ORGANIZATION_HEADERS, OrganizationExporter
from zhdj_registry.services.imports import OrganizationImporter
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
    Problem,
    Unprocessable,
    problem_responses,
)

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MAX_ROWS = 200_000
CSV_BATCH = 500

imports_router = APIRouter(prefix="/api/registry/imports", tags=["import and export"])
exports_router = APIRouter(prefix="/api/registry/exports", tags=["import and export"])

# The export streams after the handler returns: its session must live until the response ends
# (read-only, so committing after the response is harmless here).
StreamSession = Annotated[AsyncSession, Depends(get_session, scope="request")]

FORMAT_DOC = """
**File**: CSV (UTF-8, UTF-8 with BOM, or GBK as saved by Excel on Chinese Windows; comma or tab
separated) or Excel `.xlsx` (first sheet). Row 1 holds the column headers, in Chinese or as the
English codes; a leading `*` and a bracketed remark in a header are ignored; empty rows are
skipped. At most 200,000 rows and 64 MB.

**Organizations** (`/imports/organizations`):

| header | code | |
|---|---|---|
| 引用 | ref | optional label of this row, for children in the same file |
| 名称 | name | required |
| 简称 | short_name | |
| 类型 | kind | required; code (`branch`) or label (`党支部`) |
| 领域 | sector | required; code (`community`) or label (`城市社区`) |
| 上级组织ID | parent_id | an existing organization in your subtree |
| 上级引用 | parent_ref | the 引用 of an earlier row |
| 行政区划代码 | area_code | defaults to the parent's |
| 地址 / 联系电话 / 简介 | address / contact_phone / description | |
| 成立日期 | established_on | YYYY-MM-DD |

A row gives 上级组织ID or 上级引用; rows with neither go under `?parent_id=` when given (only the
platform administrator imports roots). Each row follows the rules of `POST /organizations`.

**All or nothing**: every row is validated first; with any error nothing is written and the
answer lists each error with its row number (the header is row 1), column and message.
`?dry_run=true` only validates (200 with the report). A successful import answers 201.
"""


def importer(session: SessionDep) -> OrganizationImporter:
    return OrganizationImporter(BulkRepository(session))


async def read_upload(file: UploadFile) -> bytes:
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    return data


class ImportFailed(Unprocessable):
    """422 with the whole report beside the field errors."""


@imports_router.post(
    "/{entity}",
    summary="Import organizations from CSV or Excel (all rows or none)",
    description=FORMAT_DOC,
    status_code=201,
    responses=problem_responses(413, 422),
)
async def import_file(
    entity: Annotated[ImportEntity, Path()],
    principal: Writer,
    service: Annotated[OrganizationImporter, Depends(importer)],
    response: Response,
    file: Annotated[UploadFile, File(description="The .csv or .xlsx file")],
    dry_run: Annotated[bool, Query(description="Validate only, write nothing")] = False,
    parent_id: Annotated[
        str | None, Query(max_length=64, description="Parent of rows that name none")
    ] = None,
) -> ImportReport:
    if entity != ImportEntity.ORGANIZATIONS:
        raise Problem(f"import of {entity.value} is not available yet")
    try:
        table = read_table(await read_upload(file))
    except TableError as exc:
        raise Unprocessable(str(exc), errors=[FieldError(field="file", message=str(exc))]) from exc
    if len(table.rows) > MAX_ROWS:
        raise PayloadTooLarge(f"at most {MAX_ROWS} rows per file")
    report = await service.run(principal, table, default_parent_id=parent_id, dry_run=dry_run)
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


@exports_router.get(
    "/{entity}",
    summary="Export a subtree's organizations as CSV or Excel, in the import format",
    description="Rows come parents first; 引用 is each organization's id and the subtree's root "
    "names its parent by 上级组织ID. Edit the file and import it again (under another parent: "
    "change or clear the root's 上级组织ID and pass `parent_id`). Staff must name a subtree "
    "they act for with `within`.",
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
    if entity != ImportEntity.ORGANIZATIONS:
        raise Problem(f"export of {entity.value} is not available yet")
    exporter = OrganizationExporter(BulkRepository(session), OrganizationRepository(session))
    root_path = await exporter.root_path(principal, within)
    rows = exporter.rows(root_path)
    filename = f"{entity.value}.{format.value}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == ExportFormat.XLSX:
        data = xlsx_bytes(entity.value, ORGANIZATION_HEADERS, [r async for r in rows])
        return Response(data, media_type=XLSX_MEDIA_TYPE, headers=headers)
    return StreamingResponse(
        _csv_stream(ORGANIZATION_HEADERS, rows), media_type=CSV_MEDIA_TYPE, headers=headers
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
