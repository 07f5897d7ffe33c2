"""Search organizations, units and alliances by name the way a phone user types it.

``红纽带`` is found by ``红纽``, ``hongniu`` or ``hnd``. Ranking: exact name, name prefix,
initials prefix, full-pinyin prefix, substring; within a rank shorter names first, then pinyin
order. Pages are offsets into the merged ranking (a search is a short list, not a listing).

Polyphonic characters: names are stored with one reading (pypinyin's choice, 朝阳 → zhaoyang), so
``cyjd`` would miss 朝阳街道. When the first letter typed could be another reading of a common
polyphonic character (朝 zhao/chao, 长 chang/zhang, 行 xing/hang...), one more query looks for
names whose initials contain the query with that letter swapped, and keeps only those where the
character at that spot really has the typed reading (pypinyin heteronyms).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from pypinyin import Style, pinyin

from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.repositories.search import (
    INITIALS_PREFIX,
    MIN_PINYIN_SUBSTRING,
    SUBSTRING,
    TARGETS,
    Candidate,
    Query,
    SearchRepository,
)
from zhdj_registry.schemas.search import (
    SEARCH_TYPE_LABELS,
    MatchKind,
    SearchHit,
    SearchType,
)
from zhdj_registry.vocabulary import (
    ALLIANCE_PATTERN_LABELS,
    ORG_KIND_LABELS,
    UNIT_KIND_LABELS,
    AlliancePattern,
    OrgKind,
    UnitKind,
)
from zhdj_shared.errors import NotFound
from zhdj_shared.pagination import PageParams, decode_cursor, encode_cursor
from zhdj_shared.text import normalize

# Deeper than this a user refines the query instead of paging.
MAX_RESULTS = 500
HETERONYM_CANDIDATES = 200
_MATCH = [
    MatchKind.EXACT,
    MatchKind.NAME_PREFIX,
    MatchKind.INITIALS_PREFIX,
    MatchKind.PINYIN_PREFIX,
    MatchKind.SUBSTRING,
]
_TYPE_ORDER = {t: i for i, t in enumerate(SearchType)}
# Polyphonic characters common at the start of place, street and company names.
_POLYPHONIC = "朝长重行单乐曾解藏厦会调参柏朴仇区查种盛宿翟沈尉便传差干降强"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@cache
def _initials_of(char: str) -> frozenset[str]:
    """Every first letter the character's readings start with (all heteronyms)."""
    readings = pinyin(char, style=Style.FIRST_LETTER, heteronym=True)
    return frozenset(r[0].lower() for r in readings[0] if r)


@cache
def _letter_swaps() -> dict[str, frozenset[str]]:
    swaps: dict[str, set[str]] = {}
    for char in _POLYPHONIC:
        letters = _initials_of(char)
        for letter in letters:
            swaps.setdefault(letter, set()).update(letters - {letter})
    return {k: frozenset(v) for k, v in swaps.items()}


def _positions(name: str, stored_initials: str) -> list[frozenset[str]]:
    """Per initials position, the letters it may be typed as (stored reading + heteronyms)."""
    positions: list[frozenset[str]] = []
    for char in normalize(name).lower():
        if _HAN.match(char):
            positions.append(_initials_of(char))
        elif re.match(r"[a-z0-9]", char):
            positions.append(frozenset({char}))
    if len(positions) != len(stored_initials):
        return [frozenset({c}) for c in stored_initials]  # unexpected text: stored key only
    return [p | {stored_initials[i]} for i, p in enumerate(positions)]


def heteronym_match(name: str, stored_initials: str, letters: str) -> int | None:
    """Where ``letters`` match the name's initials with any reading; ``None`` when nowhere."""
    positions = _positions(name, stored_initials)
    for start in range(len(positions) - len(letters) + 1):
        if all(letters[i] in positions[start + i] for i in range(len(letters))):
            return start
    return None


def _alternatives(letters: str) -> list[str]:
    return [alt + letters[1:] for alt in sorted(_letter_swaps().get(letters[0], ()))]


class SearchService:
    def __init__(self, repository: SearchRepository, orgs: OrganizationRepository) -> None:
        self.repository = repository
        self.orgs = orgs

    async def search(
        self,
        text: str,
        types: Sequence[SearchType],
        within: str | None,
        page: PageParams,
    ) -> tuple[list[SearchHit], str | None]:
        query = Query.parse(text)
        within_path = await self._within_path(within)
        offset = int(decode_cursor(page.cursor, 1)[0]) if page.cursor else 0
        wanted = min(offset + page.limit + 1, MAX_RESULTS)
        candidates: list[Candidate] = []
        for search_type in dict.fromkeys(types):
            target = TARGETS[search_type.value]
            found = await self.repository.search(target, query, within=within_path, limit=wanted)
            found += await self._heteronym_candidates(search_type, query, within_path)
            candidates += _best_per_row(found)
        candidates.sort(key=_order)
        window = candidates[offset : offset + page.limit]
        more = len(candidates) > offset + page.limit and offset + page.limit < MAX_RESULTS
        next_cursor = encode_cursor([offset + page.limit]) if more else None
        return await self._hits(window), next_cursor

    async def _within_path(self, within: str | None) -> str | None:
        if within is None:
            return None
        org = await self.orgs.get(within)
        if org is None:
            raise NotFound(f"organization {within} does not exist")
        return org.path

    async def _heteronym_candidates(
        self, search_type: SearchType, query: Query, within_path: str | None
    ) -> list[Candidate]:
        letters = query.letters
        if not letters or len(letters) < 2 or not letters[0].isalpha():
            return []
        patterns = _alternatives(letters)
        if not patterns:
            return []
        rows = await self.repository.initials_containing(
            TARGETS[search_type.value], patterns, within=within_path, limit=HETERONYM_CANDIDATES
        )
        found = []
        for row in rows:
            start = heteronym_match(row.name, row.name_initials, letters)
            if start == 0:
                found.append(Candidate(search_type.value, row, INITIALS_PREFIX))
            elif start is not None and len(letters) >= MIN_PINYIN_SUBSTRING:
                found.append(Candidate(search_type.value, row, SUBSTRING))
        return found

    async def _hits(self, candidates: Sequence[Candidate]) -> list[SearchHit]:
        parents = [_parent_id(c) for c in candidates]
        names = await self.repository.org_names([p for p in parents if p])
        return [_hit(c, p, names) for c, p in zip(candidates, parents, strict=True)]


def _best_per_row(candidates: Sequence[Candidate]) -> list[Candidate]:
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        current = best.get(candidate.row.id)
        if current is None or candidate.rank < current.rank:
            best[candidate.row.id] = candidate
    return list(best.values())


def _order(candidate: Candidate) -> tuple[Any, ...]:
    row = candidate.row
    order = _TYPE_ORDER[SearchType(candidate.type)]
    return (candidate.rank, len(row.name), row.name_pinyin, order, row.id)


def _parent_id(candidate: Candidate) -> str | None:
    row = candidate.row
    if candidate.type == SearchType.ORGANIZATION:
        parent: str | None = row.parent_id
    elif candidate.type == SearchType.UNIT:
        parent = row.supervising_org_id
    else:
        parent = row.lead_org_id
    return parent


def _kind(candidate: Candidate) -> tuple[str, str]:
    row = candidate.row
    if candidate.type == SearchType.ORGANIZATION:
        return row.kind, ORG_KIND_LABELS[OrgKind(row.kind)]
    if candidate.type == SearchType.UNIT:
        return row.kind, UNIT_KIND_LABELS[UnitKind(row.kind)]
    return row.pattern, ALLIANCE_PATTERN_LABELS[AlliancePattern(row.pattern)]


def _hit(candidate: Candidate, parent_id: str | None, names: dict[str, str]) -> SearchHit:
    search_type = SearchType(candidate.type)
    kind, kind_label = _kind(candidate)
    return SearchHit(
        type=search_type,
        type_label=SEARCH_TYPE_LABELS[search_type],
        id=candidate.row.id,
        name=candidate.row.name,
        kind=kind,
        kind_label=kind_label,
        match=_MATCH[candidate.rank],
        parent_id=parent_id,
        parent_name=names.get(parent_id) if parent_id else None,
    )
