"""The demo city (示范市): an organization tree loaded on first start of the embedded default.

Ids are readable and fixed (``demo-...``) so that the gateway's demo users can act for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.demo_alliances import load_demo_alliances
from zhdj_registry.demo_grids import load_demo_grids
from zhdj_registry.demo_units_members import load_demo_units_members
from zhdj_registry.models import Organization
from zhdj_registry.services.organizations import new_organization
from zhdj_registry.vocabulary import OrgKind, Sector

K, S = OrgKind, Sector


@dataclass(frozen=True)
class DemoOrg:
    id: str
    name: str
    kind: OrgKind
    sector: Sector
    parent: str | None
    area_code: str | None = None


def _tree() -> list[DemoOrg]:
    orgs = [
        DemoOrg(
            "demo-city", "中共示范市委员会", K.CITY_COMMITTEE, S.GOVERNMENT_ORGAN, None, "370100"
        ),
        DemoOrg(
            "demo-d-xinhua",
            "中共示范市新华区委员会",
            K.DISTRICT_COMMITTEE,
            S.GOVERNMENT_ORGAN,
            "demo-city",
            "370102",
        ),
        DemoOrg(
            "demo-d-dongcheng",
            "中共示范市东城区委员会",
            K.DISTRICT_COMMITTEE,
            S.GOVERNMENT_ORGAN,
            "demo-city",
            "370103",
        ),
        DemoOrg(
            "demo-d-qinghe",
            "中共清河县委员会",
            K.DISTRICT_COMMITTEE,
            S.GOVERNMENT_ORGAN,
            "demo-city",
            "370124",
        ),
    ]
    streets = {
        "demo-d-xinhua": [("chaoyang", "朝阳街道"), ("heping", "和平街道")],
        "demo-d-dongcheng": [("dongfeng", "东风街道"), ("jianshe", "建设街道")],
    }
    communities = ["阳光", "幸福里", "金桥", "翠园"]
    for district, items in streets.items():
        district_slug = district.removeprefix("demo-d-")
        for slug, name in items:
            street_id = f"demo-s-{district_slug}-{slug}"
            orgs.append(
                DemoOrg(
                    street_id,
                    f"中共{name}工作委员会",
                    K.STREET_WORKING_COMMITTEE,
                    S.GOVERNMENT_ORGAN,
                    district,
                )
            )
            for i, community in enumerate(communities, start=1):
                community_id = f"{street_id}-c{i}"
                orgs.append(
                    DemoOrg(
                        community_id,
                        f"中共{name}{community}社区委员会",
                        K.COMMUNITY_COMMITTEE,
                        S.COMMUNITY,
                        street_id,
                    )
                )
                for b in range(1, 3):
                    branch_id = f"{community_id}-b{b}"
                    orgs.append(
                        DemoOrg(
                            branch_id,
                            f"{community}社区第{_CN[b]}党支部",
                            K.BRANCH,
                            S.COMMUNITY,
                            community_id,
                        )
                    )
                    orgs.append(
                        DemoOrg(
                            f"{branch_id}-g1",
                            f"{community}社区第{_CN[b]}党支部第一党小组",
                            K.PARTY_GROUP,
                            S.COMMUNITY,
                            branch_id,
                        )
                    )
            orgs.append(
                DemoOrg(
                    f"{street_id}-market", f"{name}农贸市场党支部", K.BRANCH, S.MARKET, street_id
                )
            )
            orgs.append(
                DemoOrg(
                    f"{street_id}-tower",
                    f"{name}商务楼宇联合党支部",
                    K.JOINT_BRANCH,
                    S.OFFICE_BUILDING,
                    street_id,
                )
            )
    for slug, name in [("liulin", "柳林镇"), ("hekou", "河口镇")]:
        town_id = f"demo-t-qinghe-{slug}"
        orgs.append(
            DemoOrg(
                town_id,
                f"中共{name}委员会",
                K.TOWNSHIP_COMMITTEE,
                S.GOVERNMENT_ORGAN,
                "demo-d-qinghe",
            )
        )
        for i, village in enumerate(["东", "西", "南", "北", "前"], start=1):
            orgs.append(
                DemoOrg(
                    f"{town_id}-v{i}",
                    f"中共{name}{village}庄村支部委员会",
                    K.VILLAGE_COMMITTEE,
                    S.VILLAGE,
                    town_id,
                )
            )
    orgs += [
        DemoOrg(
            "demo-park-xinhua",
            "新华高新技术产业园区联合党委",
            K.JOINT_COMMITTEE,
            S.INDUSTRIAL_PARK,
            "demo-d-xinhua",
        ),
        DemoOrg(
            "demo-e-hongxing",
            "红星科技有限公司党支部",
            K.BRANCH,
            S.PRIVATE_ENTERPRISE,
            "demo-park-xinhua",
        ),
        DemoOrg(
            "demo-e-jinglun",
            "精纶纺织股份有限公司党总支",
            K.GENERAL_BRANCH,
            S.PRIVATE_ENTERPRISE,
            "demo-park-xinhua",
        ),
        DemoOrg(
            "demo-e-jinglun-b1",
            "精纶纺织生产一线党支部",
            K.BRANCH,
            S.PRIVATE_ENTERPRISE,
            "demo-e-jinglun",
        ),
        DemoOrg(
            "demo-e-agri",
            "示范市农业发展集团有限公司党委",
            K.PARTY_COMMITTEE,
            S.STATE_ENTERPRISE,
            "demo-d-qinghe",
        ),
        DemoOrg(
            "demo-e-agri-b1",
            "农业发展集团种业公司党支部",
            K.BRANCH,
            S.STATE_ENTERPRISE,
            "demo-e-agri",
        ),
        DemoOrg(
            "demo-o-xinhua-justice",
            "新华区司法局机关党支部",
            K.BRANCH,
            S.GOVERNMENT_ORGAN,
            "demo-d-xinhua",
        ),
        DemoOrg(
            "demo-o-xinhua-hr",
            "新华区人力资源和社会保障局机关党支部",
            K.BRANCH,
            S.GOVERNMENT_ORGAN,
            "demo-d-xinhua",
        ),
        DemoOrg(
            "demo-o-xinhua-civil",
            "新华区民政局机关党支部",
            K.BRANCH,
            S.GOVERNMENT_ORGAN,
            "demo-d-xinhua",
        ),
        DemoOrg(
            "demo-so-xinhua",
            "新华区社会组织联合党委",
            K.JOINT_COMMITTEE,
            S.SOCIAL_ORGANIZATION,
            "demo-d-xinhua",
        ),
        DemoOrg(
            "demo-so-xinhua-volunteer",
            "新华区志愿者协会党支部",
            K.BRANCH,
            S.SOCIAL_ORGANIZATION,
            "demo-so-xinhua",
        ),
        DemoOrg(
            "demo-online-dongcheng",
            "东城区网络直播行业联合党支部",
            K.JOINT_BRANCH,
            S.ONLINE,
            "demo-d-dongcheng",
        ),
    ]
    return orgs


_CN = {1: "一", 2: "二", 3: "三"}


DemoLoader = Callable[[AsyncSession], Awaitable[int]]


async def load_demo_city(session: AsyncSession) -> int:
    """Insert the demo tree into an empty registry; returns how many organizations were added."""
    existing = (await session.exec(select(func.count()).select_from(Organization))).one()
    if existing:
        return 0
    created: dict[str, Organization] = {}
    for item in _tree():
        parent = created[item.parent] if item.parent else None
        org = new_organization(
            item.id,
            parent,
            name=item.name,
            kind=item.kind,
            sector=item.sector,
            area_code=item.area_code,
        )
        session.add(org)
        created[item.id] = org
    await session.flush()
    return len(created)


# Every domain's demo loader, in order (later ones may rely on earlier ones' rows). Each must be
# idempotent: it adds nothing when its rows exist already.
DEMO_LOADERS: list[DemoLoader] = [
    load_demo_city,
    load_demo_grids,
    load_demo_units_members,
    load_demo_alliances,
]


async def load_demo(session: AsyncSession) -> dict[str, int]:
    """Run every loader; returns how many rows each added."""
    return {loader.__name__: await loader(session) for loader in DEMO_LOADERS}
