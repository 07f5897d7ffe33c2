"""API shapes of the service catalog."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from zhdj_service_requests.models import Category, Department, ServiceItem
from zhdj_service_requests.workdays import CALENDAR_BASIS_DESCRIPTION, CalendarBasis

HANDLER_KIND_LABELS = {"community": "社区", "street": "街道", "department": "职能部门"}


class DepartmentRead(BaseModel):
    id: str
    name: str
    phone: str | None
    description: str | None

    @classmethod
    def of(cls, row: Department) -> DepartmentRead:
        return cls(id=row.id, name=row.name, phone=row.phone, description=row.description)


class CategoryRead(BaseModel):
    id: str
    name: str
    community_level: bool = Field(description="One of the nine kinds moved down to communities")

    @classmethod
    def of(cls, row: Category) -> CategoryRead:
        return cls(id=row.id, name=row.name, community_level=row.community_level)


class ItemRead(BaseModel):
    id: str
    name: str
    category_id: str
    department_id: str | None
    handler_kind: str = Field(description="community, street or department")
    handler_kind_label: str
    community_level: bool
    description: str | None
    regulations: list[str]
    steps: list[str]
    materials: list[str]
    respond_days: int = Field(description="Working days to accept or reject")
    resolve_days: int = Field(description="Working days to resolve")
    preset: str | None = Field(description="One-tap button (help, repair, consult)")
    volunteer_post_kind: str | None

    @classmethod
    def of(cls, row: ServiceItem) -> ItemRead:
        return cls(
            id=row.id,
            name=row.name,
            category_id=row.category_id,
            department_id=row.department_id,
            handler_kind=row.handler_kind,
            handler_kind_label=HANDLER_KIND_LABELS.get(row.handler_kind, row.handler_kind),
            community_level=row.community_level,
            description=row.description,
            regulations=list(row.regulations),
            steps=list(row.steps),
            materials=list(row.materials),
            respond_days=row.respond_days,
            resolve_days=row.resolve_days,
            preset=row.preset,
            volunteer_post_kind=row.volunteer_post_kind,
        )


class PresetRead(BaseModel):
    code: str
    label: str
    item_id: str


class DeadlineRead(BaseModel):
    start: date
    working_days: int
    due_on: date
    calendar_basis: CalendarBasis = Field(description=CALENDAR_BASIS_DESCRIPTION)
