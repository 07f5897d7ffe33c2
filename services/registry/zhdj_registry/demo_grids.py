"""Demo grids and households: three grids in each community of 朝阳街道 and 和平街道.

Positions are around the demo city's centre (a made-up spot near 36.66 N, 117.02 E); each grid is
a 350 m circle. The household linked to ``demo-user-resident-zhang`` is the gateway's demo
resident's home. Values come from a seeded generator, so every start loads the same data.
"""

from __future__ import annotations

import random

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import Grid, Household, Organization
from zhdj_registry.models.grids import encode_flags
from zhdj_registry.vocabulary import CareFlag

DEMO_RESIDENT_USER_ID = "demo-user-resident-zhang"
DEMO_COMMUNITIES = [
    f"demo-s-xinhua-{street}-c{i}" for street in ("chaoyang", "heping") for i in range(1, 5)
]
GRIDS_PER_COMMUNITY = 3
HOUSEHOLDS_PER_GRID = 20
CENTER_LAT, CENTER_LNG = 36.66, 117.02
GRID_RADIUS_M = 350

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
_GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "国庆", "淑珍", "明", "丽", "伟", "芳", "军"]
_WORKERS = ["李网格", "王敏", "赵磊", "孙丽", "周杰", "吴霞"]
# Roughly how often each flag occurs among households.
_FLAG_RATES = {
    CareFlag.ELDERLY_ALONE: 0.12,
    CareFlag.DISABLED: 0.06,
    CareFlag.LOW_INCOME: 0.08,
    CareFlag.VETERAN: 0.07,
    CareFlag.LEFT_BEHIND_CHILDREN: 0.03,
    CareFlag.SERIOUS_ILLNESS: 0.04,
}


def grid_center(community_index: int, grid_index: int) -> tuple[float, float]:
    """Communities 0.01° apart on a row per street; a community's grids 0.007° apart."""
    street, community = divmod(community_index, 4)
    lat = CENTER_LAT + street * 0.02
    lng = CENTER_LNG + community * 0.03 + grid_index * 0.008
    return round(lat, 6), round(lng, 6)


def _grids(community: Organization, index: int) -> list[Grid]:
    short = community.name.removeprefix("中共").removesuffix("委员会")
    grids = []
    for g in range(GRIDS_PER_COMMUNITY):
        lat, lng = grid_center(index, g)
        grids.append(
            Grid(
                id=f"{community.id}-grid{g + 1}",
                community_id=community.id,
                name=f"{short}第{'一二三四五'[g]}网格",
                code=f"{g + 1:02d}",
                worker_name=_WORKERS[(index + g) % len(_WORKERS)],
                worker_phone=f"1380531{index:02d}{g:02d}",
                center_lat=lat,
                center_lng=lng,
                radius_m=GRID_RADIUS_M,
            )
        )
    return grids


def _households(grid: Grid, rng: random.Random) -> list[Household]:
    households = []
    for h in range(HOUSEHOLDS_PER_GRID):
        building, unit, room = h // 8 + 1, h % 2 + 1, 101 + (h % 4) * 100 + h % 3
        flags = [flag for flag, rate in _FLAG_RATES.items() if rng.random() < rate]
        alone = CareFlag.ELDERLY_ALONE in flags
        households.append(
            Household(
                id=f"{grid.id}-h{h + 1:02d}",
                grid_id=grid.id,
                community_id=grid.community_id,
                address=f"{grid.name.removesuffix('网格')}小区{building}号楼{unit}单元{room}室",
                building=f"{building}号楼",
                unit=f"{unit}单元",
                room=f"{room}",
                head_name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                contact_phone=f"139{rng.randrange(10**8):08d}",
                members_count=1 if alone else rng.randint(1, 5),
                care_flags=encode_flags(flags),
            )
        )
    return households


async def load_demo_grids(session: AsyncSession) -> int:
    """Grids and households of the demo communities; returns how many rows were added."""
    if (await session.exec(select(Grid.id).limit(1))).first() is not None:
        return 0
    query = select(Organization).where(col(Organization.id).in_(DEMO_COMMUNITIES))
    communities = {o.id: o for o in (await session.exec(query)).all()}
    rng = random.Random(20261127)  # noqa: S311 - demo data, not security
    rows: list[Grid | Household] = []
    for index, community_id in enumerate(DEMO_COMMUNITIES):
        community = communities.get(community_id)
        if community is None:
            continue
        for grid in _grids(community, index):
            rows.append(grid)
            rows.extend(_households(grid, rng))
    resident = next((r for r in rows if isinstance(r, Household)), None)
    if resident is not None:
        resident.user_id = DEMO_RESIDENT_USER_ID
        resident.head_name = "张建国"
    grids = [r for r in rows if isinstance(r, Grid)]
    session.add_all(grids)
    await session.flush()  # grids first: households refer to them
    session.add_all([r for r in rows if isinstance(r, Household)])
    await session.flush()
    return len(rows)
