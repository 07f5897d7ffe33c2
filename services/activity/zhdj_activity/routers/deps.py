"""Dependencies shared by the activity service's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Security

from zhdj_activity.models.base import IDEMPOTENCY_KEYS
from zhdj_activity.repositories.activities import ActivityRepository
from zhdj_activity.repositories.bookings import BookingRepository
from zhdj_activity.repositories.reports import ReportRepository
from zhdj_activity.services.activities import ActivityService
from zhdj_activity.services.attachments import AttachmentService
from zhdj_activity.services.attendance import AttendanceService
from zhdj_activity.services.bookings import BookingService
from zhdj_activity.services.cadence import CadenceService
from zhdj_activity.services.compliance import ComplianceService
from zhdj_activity.settings import ActivitySettings
from zhdj_shared.db import SessionDep
from zhdj_shared.idempotency import Once, once_per_key
from zhdj_shared.pagination import PageParams, page_params
from zhdj_shared.registry_client import RegistryDep
from zhdj_shared.security.authz import Principal, current_principal
from zhdj_shared.security.scopes import Scope
from zhdj_shared.storage import BlobStore

Reader = Annotated[Principal, Security(current_principal, scopes=[Scope.ACTIVITY_READ])]
Writer = Annotated[Principal, Security(current_principal, scopes=[Scope.ACTIVITY_WRITE])]
Id = Annotated[str, Path(min_length=1, max_length=64)]
Paging = Annotated[PageParams, Depends(page_params)]
# A POST a phone retries: its Idempotency-Key, answered once (zhdj_shared.idempotency).
OncePerKey = Annotated[Once, once_per_key(IDEMPOTENCY_KEYS)]


async def settings_of(request: Request) -> ActivitySettings:
    settings: ActivitySettings = request.app.state.settings
    return settings


def blob_store(request: Request) -> BlobStore:
    blobs: BlobStore = request.app.state.blobs
    return blobs


Settings = Annotated[ActivitySettings, Depends(settings_of)]


async def activity_service(session: SessionDep, registry: RegistryDep) -> ActivityService:
    return ActivityService(ActivityRepository(session), registry)


Activities = Annotated[ActivityService, Depends(activity_service)]


async def attendance_service(activities: Activities, settings: Settings) -> AttendanceService:
    return AttendanceService(activities, code_minutes=settings.checkin_code_minutes)


async def attachment_service(
    activities: Activities, settings: Settings, request: Request
) -> AttachmentService:
    return AttachmentService(
        activities, blob_store(request), max_bytes=settings.max_attachment_bytes
    )


async def compliance_service(session: SessionDep, registry: RegistryDep) -> ComplianceService:
    return ComplianceService(ReportRepository(session), registry)


async def cadence_service(session: SessionDep, registry: RegistryDep) -> CadenceService:
    return CadenceService(ReportRepository(session), registry)


async def booking_service(session: SessionDep, registry: RegistryDep) -> BookingService:
    return BookingService(BookingRepository(session), registry)


AttendanceDep = Annotated[AttendanceService, Depends(attendance_service)]
Attachments = Annotated[AttachmentService, Depends(attachment_service)]
Compliance = Annotated[ComplianceService, Depends(compliance_service)]
Cadence = Annotated[CadenceService, Depends(cadence_service)]
Bookings = Annotated[BookingService, Depends(booking_service)]
