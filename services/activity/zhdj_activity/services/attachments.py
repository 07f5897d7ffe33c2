"""Attachments of an activity's record: validated, content-addressed, logged."""

from __future__ import annotations

from zhdj_activity.models import Attachment
from zhdj_activity.services.access import require_manager
from zhdj_activity.services.activities import ActivityService
from zhdj_activity.services.events import append_event
from zhdj_activity.vocabulary import ActivityStatus
from zhdj_shared.errors import Conflict, NotFound
from zhdj_shared.security.authz import Principal
from zhdj_shared.storage import BlobNotFoundError, BlobStore, validate_upload

CLOSED = frozenset({ActivityStatus.APPROVED, ActivityStatus.CANCELLED})


class AttachmentService:
    def __init__(self, activities: ActivityService, blobs: BlobStore, *, max_bytes: int) -> None:
        self.activities = activities
        self.blobs = blobs
        self.max_bytes = max_bytes

    async def add(
        self,
        principal: Principal,
        activity_id: str,
        data: bytes,
        declared_type: str | None,
        filename: str,
    ) -> Attachment:
        return (await self.add_many(principal, activity_id, [(data, declared_type, filename)]))[0]

    async def add_many(
        self,
        principal: Principal,
        activity_id: str,
        files: list[tuple[bytes, str | None, str]],
    ) -> list[Attachment]:
        """Validate every file first (one bad file stores none), then store them; one event."""
        activity = await self.activities.get(activity_id, for_update=True)
        require_manager(principal, activity)
        if ActivityStatus(activity.status) in CLOSED:
            raise Conflict(f"the record of an activity that is {activity.status} is closed")
        types = [
            validate_upload(data, declared, max_bytes=self.max_bytes, field=f"file.{i}")
            for i, (data, declared, _name) in enumerate(files)
        ]
        rows = []
        for (data, _declared, filename), content_type in zip(files, types, strict=True):
            key = await self.blobs.put(
                data, content_type, session=self.activities.repository.session
            )
            row = Attachment(
                activity_id=activity.id,
                blob_key=key,
                content_type=content_type,
                size=len(data),
                filename=filename[:256] or "file",
                uploaded_by=principal.subject,
            )
            self.activities.repository.add(row)
            rows.append(row)
        await append_event(
            self.activities.repository,
            activity,
            "attachments_added",
            {
                "attachments": [
                    {"id": r.id, "sha256": r.blob_key, "filename": r.filename, "size": r.size}
                    for r in rows
                ]
            },
            principal.subject,
        )
        return rows

    async def list(self, activity_id: str) -> list[Attachment]:
        await self.activities.get(activity_id)
        return await self.activities.repository.attachments(activity_id)

    async def content(self, activity_id: str, attachment_id: str) -> tuple[Attachment, bytes]:
        row = await self.activities.repository.attachment(activity_id, attachment_id)
        if row is None:
            raise NotFound(f"attachment {attachment_id} does not exist on this activity")
        try:
            blob = await self.blobs.get(row.blob_key, session=self.activities.repository.session)
            return row, blob
        except BlobNotFoundError as exc:
            raise NotFound("the attachment's content is missing from storage") from exc
