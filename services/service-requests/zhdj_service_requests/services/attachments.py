"""Photos on a request: validated by their bytes, stored content-addressed in the blob store.

The resident who made the request and the handling staff add them; everyone who sees the request
sees its photos. Each photo is also a timeline line.
"""

from __future__ import annotations

from zhdj_service_requests.models import RequestAttachment, RequestEvent
from zhdj_service_requests.services import access
from zhdj_service_requests.services.requests import RequestService, actor_role
from zhdj_service_requests.workflow import FINAL, Status
from zhdj_shared.errors import Conflict, Forbidden, NotFound
from zhdj_shared.security.authz import Principal
from zhdj_shared.storage import IMAGE_TYPES, BlobNotFoundError, BlobStore, validate_upload

MAX_PHOTO_BYTES = 8 * 1024 * 1024


class AttachmentService:
    def __init__(self, requests: RequestService, blobs: BlobStore) -> None:
        self.requests = requests
        self.blobs = blobs

    async def add(
        self,
        principal: Principal,
        request_id: str,
        data: bytes,
        declared_type: str | None,
        filename: str,
    ) -> RequestAttachment:
        row = await self.requests.get_visible(principal, request_id)
        if not (access.owns(principal, row) or access.handles(principal, row)):
            raise Forbidden("photos are added by the resident or the handling staff")
        if Status(row.status) in FINAL:
            raise Conflict(f"the request is {row.status}: no more photos")
        content_type = validate_upload(
            data, declared_type, allowed_types=IMAGE_TYPES, max_bytes=MAX_PHOTO_BYTES
        )
        key = await self.blobs.put(data, content_type, session=self.requests.session)
        event = RequestEvent(
            request_id=row.id,
            action="attachment_added",
            actor_subject=principal.subject,
            actor_name=principal.name,
            actor_role=actor_role(principal),
            note=filename,
            data={"blob_key": key},
        )
        attachment = RequestAttachment(
            request_id=row.id,
            event_id=event.id,
            blob_key=key,
            filename=filename,
            content_type=content_type,
            size=len(data),
            uploaded_by=principal.subject,
        )
        self.requests.requests.add(event)
        self.requests.requests.add(attachment)
        await self.requests.session.flush()
        return attachment

    async def get(
        self, principal: Principal, request_id: str, attachment_id: str
    ) -> tuple[RequestAttachment, bytes]:
        row = await self.requests.get_visible(principal, request_id)
        for attachment in await self.requests.requests.attachments(row.id):
            if attachment.id == attachment_id:
                try:
                    blob = await self.blobs.get(attachment.blob_key, session=self.requests.session)
                    return attachment, blob
                except BlobNotFoundError as exc:
                    raise NotFound("the photo's bytes are missing") from exc
        raise NotFound(f"attachment {attachment_id} does not exist")
