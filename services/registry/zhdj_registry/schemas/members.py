"""API shapes of members, positions and transfers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from zhdj_registry.codes import mask_address, mask_id_number, mask_phone, normalize_id_number
from zhdj_registry.models import Member, Organization, Position, Transfer
from zhdj_registry.vocabulary import (
    GENDER_LABELS,
    LEAVE_REASON_LABELS,
    MEMBER_STATUS_LABELS,
    POSITION_KIND_LABELS,
    Gender,
    LeaveReason,
    MemberStatus,
    PositionKind,
)

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{3,32}$")]
IdNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32),
    AfterValidator(normalize_id_number),
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
RowId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    gender: Gender | None = None
    birth_date: dt.date | None = None
    home_org_id: RowId
    status: MemberStatus = MemberStatus.PROBATIONARY
    joined_on: dt.date | None = Field(default=None, description="入党日期")
    converted_on: dt.date | None = Field(default=None, description="转正日期")
    phone: Phone | None = None
    id_number: IdNumber | None = Field(default=None, description="居民身份证号码 (checked)")
    address: Address | None = None
    user_id: RowId | None = Field(default=None, description="The member's gateway user")


class MemberUpdate(BaseModel):
    """Fields a PATCH may change; the home organization changes only by a transfer."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    gender: Gender | None = None
    birth_date: dt.date | None = None
    status: MemberStatus | None = None
    joined_on: dt.date | None = None
    converted_on: dt.date | None = None
    phone: Phone | None = None
    id_number: IdNumber | None = None
    address: Address | None = None
    user_id: RowId | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> MemberUpdate:
        for field in ("name", "status"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be removed")
        return self


class MemberLeave(BaseModel):
    """The member leaves the party (出党, 去世...): positions end, the record stays."""

    model_config = ConfigDict(extra="forbid")

    left_on: dt.date
    reason: LeaveReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class MemberRead(BaseModel):
    id: str
    name: str
    gender: Gender | None
    gender_label: str | None
    birth_date: dt.date | None = Field(description="Null when personal data is masked")
    home_org_id: str
    status: MemberStatus
    status_label: str
    joined_on: dt.date | None
    converted_on: dt.date | None
    personal_data_masked: bool
    phone: str | None
    id_number: str | None
    address: str | None
    user_id: str | None
    active: bool
    left_on: dt.date | None
    left_reason: LeaveReason | None
    left_reason_label: str | None
    left_note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, member: Member, *, masked: bool) -> MemberRead:
        gender = Gender(member.gender) if member.gender else None
        status = MemberStatus(member.status)
        reason = LeaveReason(member.left_reason) if member.left_reason else None
        return cls(
            id=member.id,
            name=member.name,
            gender=gender,
            gender_label=GENDER_LABELS[gender] if gender else None,
            birth_date=None if masked else member.birth_date,
            home_org_id=member.home_org_id,
            status=status,
            status_label=MEMBER_STATUS_LABELS[status],
            joined_on=member.joined_on,
            converted_on=member.converted_on,
            personal_data_masked=masked,
            phone=_masked(member.phone, mask_phone, masked),
            id_number=_masked(member.id_number, mask_id_number, masked),
            address=_masked(member.address, mask_address, masked),
            user_id=None if masked else member.user_id,
            active=member.left_on is None,
            left_on=member.left_on,
            left_reason=reason,
            left_reason_label=LEAVE_REASON_LABELS[reason] if reason else None,
            left_note=member.left_note,
            created_at=member.created_at,
            updated_at=member.updated_at,
        )


class MemberLeft(MemberRead):
    """The member after leaving, with what the leaving ended."""

    ended_position_ids: list[str] = Field(
        description="Positions ended on left_on (one not yet begun ends on its start)"
    )
    ended_appointment_ids: list[str] = Field(
        description="Alliance leadership seats (班子) ended the day before left_on"
    )
    ended_staff_ids: list[str] = Field(
        description="Alliance full-time staff engagements ended the day before left_on"
    )
    released_claim_ids: list[str] = Field(description="Volunteer post claims released")
    led_team_ids: list[str] = Field(
        description="Active volunteer teams they led, now without a leader"
    )


def _masked(value: str | None, mask: Callable[[str], str], masked: bool) -> str | None:
    return mask(value) if value is not None and masked else value


class PositionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: RowId
    org_id: RowId
    kind: PositionKind
    start_on: dt.date
    end_on: dt.date | None = Field(default=None, description="Only to record a past position")

    @model_validator(mode="after")
    def _ordered(self) -> PositionCreate:
        if self.end_on is not None and self.end_on < self.start_on:
            raise ValueError("end_on is before start_on")
        return self


class PositionEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end_on: dt.date


class PositionRead(BaseModel):
    id: str
    member_id: str
    member_name: str
    org_id: str
    org_name: str
    kind: PositionKind
    kind_label: str
    start_on: dt.date
    end_on: dt.date | None
    current: bool
    appointed_by: str
    ended_by: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, position: Position, member: Member, org: Organization) -> PositionRead:
        kind = PositionKind(position.kind)
        return cls(
            id=position.id,
            member_id=member.id,
            member_name=member.name,
            org_id=org.id,
            org_name=org.name,
            kind=kind,
            kind_label=POSITION_KIND_LABELS[kind],
            start_on=position.start_on,
            end_on=position.end_on,
            current=position.end_on is None,
            appointed_by=position.appointed_by,
            ended_by=position.ended_by,
            created_at=position.created_at,
        )


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_org_id: RowId
    reason: Reason
    transferred_on: dt.date = Field(
        validation_alias=AliasChoices("date", "transferred_on"),
        description="The date of the transfer (field `date`; `transferred_on` also accepted)",
    )


class TransferRead(BaseModel):
    id: str
    member_id: str
    from_org_id: str
    to_org_id: str
    transferred_on: dt.date
    reason: str
    ended_position_ids: list[str]
    performed_by: str
    performed_at: dt.datetime

    @classmethod
    def of(cls, transfer: Transfer) -> TransferRead:
        return cls(
            id=transfer.id,
            member_id=transfer.member_id,
            from_org_id=transfer.from_org_id,
            to_org_id=transfer.to_org_id,
            transferred_on=transfer.transferred_on,
            reason=transfer.reason,
            ended_position_ids=list(transfer.ended_position_ids),
            performed_by=transfer.performed_by,
            performed_at=transfer.performed_at,
        )
