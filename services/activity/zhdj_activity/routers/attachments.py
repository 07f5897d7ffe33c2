"""Attachments of an activity's record: multipart upload, listing, content."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status

from zhdj_activity.routers.deps import Attachments, Id, Reader, Writer
from zhdj_activity.schemas.activities import AttachmentRead
from zhdj_activity.services.attachments import AttachmentService
from zhdj_shared.errors import FieldError, PayloadTooLarge, Unprocessable, problem_responses

router = APIRouter(prefix="/api/activity/activities", tags=["attachments"])
MAX_BATCH = 20


async def _read(service: AttachmentService, file: UploadFile) -> bytes:
    # Read one byte past the limit: enough to refuse without holding a huge upload in memory.
    data = await file.read(service.max_bytes + 1)
    if len(data) > service.max_bytes:
        raise PayloadTooLarge(f"the file is larger than {service.max_bytes} bytes")
    return data


@router.post(
    "/{activity_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a photo or file (JPEG, PNG, WebP, PDF; size-limited; content-addressed)",
    responses=problem_responses(403, 404, 409, 413, 422),
)
async def upload(
    activity_id: Id,
    file: Annotated[UploadFile, File(description="The photo or file")],
    principal: Writer,
    service: Attachments,
    response: Response,
) -> AttachmentRead:
    data = await _read(service, file)
    row = await service.add(
        principal, activity_id, data, file.content_type, file.filename or "file"
    )
    response.headers["Location"] = (
        f"/api/activity/activities/{activity_id}/attachments/{row.id}/content"
    )
    return AttachmentRead.of(row)


@router.post(
    "/{activity_id}/attachments/batch",
    status_code=status.HTTP_201_CREATED,
    summary="Upload several photos or files at once (repeat the `file` field; at most 20)",
    responses=problem_responses(403, 404, 409, 413, 422),
)
async def upload_many(
    activity_id: Id,
    file: Annotated[list[UploadFile], File(description="The photos or files")],
    principal: Writer,
    service: Attachments,
) -> list[AttachmentRead]:
    if len(file) > MAX_BATCH:
        raise Unprocessable(
            f"at most {MAX_BATCH} files at once",
            errors=[FieldError(field="file", message="too many files")],
        )
    files = [(await _read(service, f), f.content_type, f.filename or "file") for f in file]
    rows = await service.add_many(principal, activity_id, files)
    return [AttachmentRead.of(r) for r in rows]


@router.get(
    "/{activity_id}/attachments",
    summary="Attachments of the activity",
    responses=problem_responses(404),
)
async def list_attachments(
    activity_id: Id, _principal: Reader, service: Attachments
) -> list[AttachmentRead]:
    return [AttachmentRead.of(a) for a in await service.list(activity_id)]


@router.get(
    "/{activity_id}/attachments/{attachment_id}/content",
    summary="The attachment's bytes",
    response_class=Response,
    responses=problem_responses(404),
)
async def attachment_content(
    activity_id: Id, attachment_id: Id, _principal: Reader, service: Attachments
) -> Response:
    row, data = await service.content(activity_id, attachment_id)
    return Response(
        content=data,
        media_type=row.content_type,
        headers={
            "ETag": f'"{row.blob_key}"',
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
