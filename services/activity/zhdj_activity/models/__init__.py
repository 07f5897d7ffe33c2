"""Every table of the activity service (importing this module registers them)."""

from zhdj_activity.models.activities import (
    Activity,
    ActivityEvent,
    ActivityType,
    Attachment,
    Attendance,
    Participant,
)
from zhdj_activity.models.base import ActivityModel
from zhdj_activity.models.bookings import VenueBooking, VenueLock, VolunteerRecord
from zhdj_activity.models.cadence import CadenceExemption, CadenceRule

__all__ = [
    "Activity",
    "ActivityEvent",
    "ActivityModel",
    "ActivityType",
    "Attachment",
    "Attendance",
    "CadenceExemption",
    "CadenceRule",
    "Participant",
    "VenueBooking",
    "VenueLock",
    "VolunteerRecord",
]
