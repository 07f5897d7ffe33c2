"""``/api/registry/vocabulary/alliances``: codes and Chinese labels of the alliance domain."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from fastapi import APIRouter
from pydantic import BaseModel

from zhdj_registry.routers.deps import Reader
from zhdj_registry.schemas.organizations import Label
from zhdj_registry.vocabulary import (
    AGREEMENT_KIND_LABELS,
    ALLIANCE_PATTERN_LABELS,
    ALLIANCE_ROLE_LABELS,
    ALLIANCE_STATUS_LABELS,
    CHAIN_KIND_LABELS,
    FUND_ENTRY_KIND_LABELS,
    FUND_SOURCE_LABELS,
    PROJECT_STATUS_LABELS,
    STAFF_ENGAGEMENT_LABELS,
    SUPPLY_DEMAND_CATEGORY_LABELS,
    SUPPLY_DEMAND_KIND_LABELS,
    SUPPLY_DEMAND_STATUS_LABELS,
    VENUE_STATUS_LABELS,
    VOLUNTEER_POST_KIND_LABELS,
    VOLUNTEER_TEAM_STATUS_LABELS,
)

router = APIRouter(prefix="/api/registry/vocabulary", tags=["vocabulary"])
E = TypeVar("E", bound=StrEnum)


class AllianceVocabulary(BaseModel):
    patterns: list[Label]
    statuses: list[Label]
    chain_kinds: list[Label]
    roles: list[Label]
    fund_sources: list[Label]
    fund_entry_kinds: list[Label]
    staff_engagements: list[Label]
    supply_demand_kinds: list[Label]
    supply_demand_categories: list[Label]
    supply_demand_statuses: list[Label]
    project_statuses: list[Label]
    agreement_kinds: list[Label]
    venue_statuses: list[Label]
    volunteer_post_kinds: list[Label]
    volunteer_team_statuses: list[Label]


def _labels(labels: Mapping[E, str]) -> list[Label]:
    return [Label(code=k.value, label=v) for k, v in labels.items()]


@router.get(
    "/alliances",
    summary="Codes and labels of alliances, their lists, venues and volunteer posts",
)
async def get_alliance_vocabulary(_principal: Reader) -> AllianceVocabulary:
    return AllianceVocabulary(
        patterns=_labels(ALLIANCE_PATTERN_LABELS),
        statuses=_labels(ALLIANCE_STATUS_LABELS),
        chain_kinds=_labels(CHAIN_KIND_LABELS),
        roles=_labels(ALLIANCE_ROLE_LABELS),
        fund_sources=_labels(FUND_SOURCE_LABELS),
        fund_entry_kinds=_labels(FUND_ENTRY_KIND_LABELS),
        staff_engagements=_labels(STAFF_ENGAGEMENT_LABELS),
        supply_demand_kinds=_labels(SUPPLY_DEMAND_KIND_LABELS),
        supply_demand_categories=_labels(SUPPLY_DEMAND_CATEGORY_LABELS),
        supply_demand_statuses=_labels(SUPPLY_DEMAND_STATUS_LABELS),
        project_statuses=_labels(PROJECT_STATUS_LABELS),
        agreement_kinds=_labels(AGREEMENT_KIND_LABELS),
        venue_statuses=_labels(VENUE_STATUS_LABELS),
        volunteer_post_kinds=_labels(VOLUNTEER_POST_KIND_LABELS),
        volunteer_team_statuses=_labels(VOLUNTEER_TEAM_STATUS_LABELS),
    )
