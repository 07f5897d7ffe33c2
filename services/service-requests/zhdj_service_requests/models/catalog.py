"""The service catalog: departments (部门), categories (类别) and items (事项) with their procedure.

An item carries its regulations, workflow steps and required materials, who handles it (a
department, or an organization of a kind: the community or the street) and its deadlines in
working days. Names keep a full-pinyin and an initials key for search (``hkqy`` finds 户口迁移).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field

from zhdj_service_requests.models.base import ServiceRequestsModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow


class Department(ServiceRequestsModel, table=True):
    __tablename__ = "departments"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    name_pinyin: str = Field(max_length=512, index=True)
    name_initials: str = Field(max_length=128, index=True)
    phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Category(ServiceRequestsModel, table=True):
    __tablename__ = "categories"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    name_pinyin: str = Field(max_length=512)
    name_initials: str = Field(max_length=128)
    community_level: bool = Field(default=False, description="One of the nine moved down")
    sort_order: int = Field(default=0)


class ServiceItem(ServiceRequestsModel, table=True):
    __tablename__ = "service_items"
    __table_args__ = (
        Index("ix_service_items_category_pinyin", "category_id", "name_pinyin"),
        Index("ix_service_items_name_pinyin_id", "name_pinyin", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    name_pinyin: str = Field(max_length=512)
    name_initials: str = Field(max_length=128, index=True)
    category_id: str = Field(foreign_key="categories.id", max_length=64)
    department_id: str | None = Field(
        default=None, foreign_key="departments.id", max_length=64, index=True
    )
    # Who handles it: "community" or "street" (the organization of that kind above the
    # resident's home), or "department" (the department, coordinated by the street's center).
    handler_kind: str = Field(max_length=16)
    community_level: bool = Field(default=False)
    description: str | None = Field(default=None, max_length=2000)
    regulations: list[str] = Field(default_factory=list, sa_column=Column(JSONType))
    steps: list[str] = Field(default_factory=list, sa_column=Column(JSONType))
    materials: list[str] = Field(default_factory=list, sa_column=Column(JSONType))
    respond_days: int = Field(ge=0, description="Working days to accept or reject")
    resolve_days: int = Field(ge=1, description="Working days to resolve")
    preset: str | None = Field(default=None, max_length=16, description="One-tap button")
    volunteer_post_kind: str | None = Field(default=None, max_length=32)
    active: bool = Field(default=True)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType))
