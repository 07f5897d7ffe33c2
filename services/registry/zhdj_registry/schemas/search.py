"""API shapes of the name search."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class SearchType(StrEnum):
    ORGANIZATION = "organization"
    UNIT = "unit"
    ALLIANCE = "alliance"


SEARCH_TYPE_LABELS: dict[SearchType, str] = {
    SearchType.ORGANIZATION: "党组织",
    SearchType.UNIT: "单位",
    SearchType.ALLIANCE: "党建联合体",
}


class MatchKind(StrEnum):
    EXACT = "exact"
    NAME_PREFIX = "name_prefix"
    INITIALS_PREFIX = "initials_prefix"
    PINYIN_PREFIX = "pinyin_prefix"
    SUBSTRING = "substring"


class SearchHit(BaseModel):
    type: SearchType
    type_label: str = Field(description="党组织 / 单位 / 党建联合体")
    id: str
    name: str
    kind: str = Field(description="The organization's kind, the unit's kind or the pattern")
    kind_label: str = Field(description="Chinese label of kind, e.g. 党支部, 民营企业, 以强带弱")
    match: MatchKind
    parent_id: str | None = Field(
        description="Organization: its parent; unit: its supervising organization; "
        "alliance: its lead organization"
    )
    parent_name: str | None


class SearchResults(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None = None
