"""``/api/registry/vocabulary``: codes and Chinese labels of the registry's enums."""

from __future__ import annotations

from fastapi import APIRouter

from zhdj_registry.routers.deps import Reader
from zhdj_registry.schemas.organizations import Label, Vocabulary
from zhdj_registry.vocabulary import ORG_KIND_LABELS, ORG_STATUS_LABELS, SECTOR_LABELS

router = APIRouter(prefix="/api/registry/vocabulary", tags=["vocabulary"])


@router.get("", summary="Codes and Chinese labels of kinds, sectors and statuses")
async def get_vocabulary(_principal: Reader) -> Vocabulary:
    return Vocabulary(
        kinds=[Label(code=k.value, label=v) for k, v in ORG_KIND_LABELS.items()],
        sectors=[Label(code=k.value, label=v) for k, v in SECTOR_LABELS.items()],
        statuses=[Label(code=k.value, label=v) for k, v in ORG_STATUS_LABELS.items()],
    )
