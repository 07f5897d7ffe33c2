"""A scope of a statistics batch: an alliance, a subtree (``within``) or one organization."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScopeKind(StrEnum):
    ORG = "org"
    WITHIN = "within"
    ALLIANCE = "alliance"


@dataclass(frozen=True)
class ScopeRef:
    kind: ScopeKind
    id: str

    @property
    def label(self) -> str:
        return f"{self.kind.value}:{self.id}"
