"""Demo units, coverage, members and positions.

Units: the seed's first worked example (朝阳街道党工委 allied with 15 units: the district's
justice, labour, family-planning, civil-affairs and culture bureaus, the tax and market
supervision offices, the culture centre...), the enterprises of the demo park, markets and
office buildings of the streets, the agricultural group, social organizations and online
platforms; some with their own organization, some work-covered, some blank spots.

Members: about 400, spread over the demo's branches, villages and committees, with valid ID
numbers, phones and secretaries / committee members / group leaders. Everything comes from a
seeded generator, so every start loads the same data. ``demo-user-member-li`` links 李明 to a
user id following the demo's convention (see ``demo_grids``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.codes import make_credit_code, make_id_number
from zhdj_registry.models import Member, Organization, Position, Unit
from zhdj_registry.vocabulary import MemberStatus, OrgKind, PositionKind, Sector, UnitKind
from zhdj_shared.text import pinyin_key

DEMO_MEMBER_USER_ID = "demo-user-member-li"
DEMO_BY = "demo-loader"

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
_GIVEN_MALE = "建国志强伟军磊洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林"
_GIVEN_FEMALE = "秀英桂兰丽芳敏静燕娟霞艳玲红梅琳莉雪慧婷颖洁晶倩佳欣月萍璐瑶"
_ROADS = ["朝阳路", "和平路", "建设大街", "东风路", "解放路", "人民路", "文化路", "幸福街"]
_DISTRICTS = {
    "demo-d-xinhua": ("370102", "新华区"),
    "demo-d-dongcheng": ("370103", "东城区"),
    "demo-d-qinghe": ("370124", "清河县"),
}
_BASIC_KINDS = {OrgKind.BRANCH, OrgKind.JOINT_BRANCH, OrgKind.VILLAGE_COMMITTEE}
_LEADING_KINDS = {
    OrgKind.STREET_WORKING_COMMITTEE,
    OrgKind.TOWNSHIP_COMMITTEE,
    OrgKind.COMMUNITY_COMMITTEE,
    OrgKind.PARTY_COMMITTEE,
    OrgKind.JOINT_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
}
_BRANCH_POSTS = [
    PositionKind.SECRETARY,
    PositionKind.ORGANIZATION_COMMITTEE_MEMBER,
    PositionKind.PROPAGANDA_COMMITTEE_MEMBER,
]
_COMMITTEE_POSTS = [
    PositionKind.SECRETARY,
    PositionKind.DEPUTY_SECRETARY,
    PositionKind.DISCIPLINE_COMMITTEE_MEMBER,
]
# Names of people the other demo data mentions (the gateway's demo users).
_NAMED = {("demo-s-xinhua-chaoyang", 0): "陈静", ("demo-s-xinhua-chaoyang-c1-b1", 1): "李明"}


@dataclass(frozen=True)
class DemoUnit:
    name: str
    kind: UnitKind
    sector: Sector
    supervisor: str
    own: str | None = None
    covering: str | None = None
    instructor: bool = False
    employees: int = 50


_u = DemoUnit
K, S = UnitKind, Sector
CY, PARK = "demo-s-xinhua-chaoyang", "demo-park-xinhua"

DEMO_UNITS: list[DemoUnit] = [
    # The 15 units allied with 朝阳街道党工委 (the seed's first example).
    _u("新华区司法局", K.GOVERNMENT_ORGAN, S.GOVERNMENT_ORGAN, CY, own="demo-o-xinhua-justice"),
    _u(
        "新华区人力资源和社会保障局",
        K.GOVERNMENT_ORGAN,
        S.GOVERNMENT_ORGAN,
        CY,
        own="demo-o-xinhua-hr",
    ),
    _u("新华区民政局", K.GOVERNMENT_ORGAN, S.GOVERNMENT_ORGAN, CY, own="demo-o-xinhua-civil"),
    _u(
        "新华区卫生健康局计划生育服务站",
        K.PUBLIC_INSTITUTION,
        S.PUBLIC_INSTITUTION,
        CY,
        covering=CY,
    ),
    _u("新华区文化和旅游局", K.GOVERNMENT_ORGAN, S.GOVERNMENT_ORGAN, CY, covering=CY),
    _u("新华区税务局朝阳税务所", K.GOVERNMENT_ORGAN, S.GOVERNMENT_ORGAN, CY, covering=CY),
    _u(
        "新华区市场监督管理局朝阳市场监管所",
        K.GOVERNMENT_ORGAN,
        S.GOVERNMENT_ORGAN,
        CY,
        covering=CY,
    ),
    _u("朝阳街道文化活动中心", K.PUBLIC_INSTITUTION, S.PUBLIC_INSTITUTION, CY, instructor=True),
    _u("朝阳街道社区卫生服务中心", K.HOSPITAL, S.PUBLIC_INSTITUTION, CY, covering=CY),
    _u("朝阳小学", K.SCHOOL, S.PUBLIC_INSTITUTION, CY, covering=CY),
    _u("朝阳派出所", K.GOVERNMENT_ORGAN, S.GOVERNMENT_ORGAN, CY, covering=CY),
    _u("国网新华供电公司朝阳供电所", K.STATE_ENTERPRISE, S.STATE_ENTERPRISE, CY, covering=CY),
    _u("朝阳邮政支局", K.STATE_ENTERPRISE, S.STATE_ENTERPRISE, CY, instructor=True),
    _u("朝阳农贸市场", K.MARKET, S.MARKET, CY, own=f"{CY}-market", employees=120),
    _u("朝阳国贸商务大厦", K.OFFICE_BUILDING, S.OFFICE_BUILDING, CY, own=f"{CY}-tower"),
    # Near the 红纽带 station: buildings and markets not yet covered, and small firms.
    _u("朝阳金街商圈", K.MARKET, S.MARKET, CY, covering=f"{CY}-market"),
    _u("朝阳时代广场写字楼", K.OFFICE_BUILDING, S.OFFICE_BUILDING, CY, covering=f"{CY}-tower"),
    _u("朝阳电子商城", K.MARKET, S.MARKET, CY),
    _u("晨光文化传媒有限公司", K.PRIVATE_ENTERPRISE, S.PRIVATE_ENTERPRISE, CY, employees=18),
    # The park.
    _u("红星科技有限公司", K.PRIVATE_ENTERPRISE, S.PRIVATE_ENTERPRISE, PARK, own="demo-e-hongxing"),
    _u(
        "精纶纺织股份有限公司",
        K.PRIVATE_ENTERPRISE,
        S.PRIVATE_ENTERPRISE,
        PARK,
        own="demo-e-jinglun",
    ),
    _u("新华高新技术产业园区", K.INDUSTRIAL_PARK, S.INDUSTRIAL_PARK, PARK, own=PARK),
    _u("华创新材料有限公司", K.PRIVATE_ENTERPRISE, S.PRIVATE_ENTERPRISE, PARK, covering=PARK),
    _u("德瑞精密机械有限公司", K.FOREIGN_ENTERPRISE, S.PRIVATE_ENTERPRISE, PARK, covering=PARK),
    _u("智远软件科技有限公司", K.PRIVATE_ENTERPRISE, S.PRIVATE_ENTERPRISE, PARK, instructor=True),
    _u("恒通物流有限公司", K.PRIVATE_ENTERPRISE, S.PRIVATE_ENTERPRISE, PARK, instructor=True),
    _u("绿源环保科技有限公司", K.PRIVATE_ENTERPRISE, S.PRIVATE_ENTERPRISE, PARK),
    _u("蓝海生物医药有限公司", K.PRIVATE_ENTERPRISE, S.PRIVATE_ENTERPRISE, PARK),
    _u("园区创业服务中心", K.PUBLIC_INSTITUTION, S.INDUSTRIAL_PARK, PARK, covering=PARK),
    # The other streets' markets and buildings.
    _u(
        "和平农贸市场",
        K.MARKET,
        S.MARKET,
        "demo-s-xinhua-heping",
        own="demo-s-xinhua-heping-market",
    ),
    _u(
        "和平商务中心",
        K.OFFICE_BUILDING,
        S.OFFICE_BUILDING,
        "demo-s-xinhua-heping",
        own="demo-s-xinhua-heping-tower",
    ),
    _u("和平美食街", K.MARKET, S.MARKET, "demo-s-xinhua-heping"),
    _u(
        "东风农贸市场",
        K.MARKET,
        S.MARKET,
        "demo-s-dongcheng-dongfeng",
        own="demo-s-dongcheng-dongfeng-market",
    ),
    _u(
        "东风金融大厦",
        K.OFFICE_BUILDING,
        S.OFFICE_BUILDING,
        "demo-s-dongcheng-dongfeng",
        own="demo-s-dongcheng-dongfeng-tower",
    ),
    _u(
        "建设农贸市场",
        K.MARKET,
        S.MARKET,
        "demo-s-dongcheng-jianshe",
        own="demo-s-dongcheng-jianshe-market",
    ),
    _u(
        "建设科创大厦",
        K.OFFICE_BUILDING,
        S.OFFICE_BUILDING,
        "demo-s-dongcheng-jianshe",
        covering="demo-s-dongcheng-jianshe-tower",
    ),
    _u("建设家居建材城", K.MARKET, S.MARKET, "demo-s-dongcheng-jianshe"),
    # Other sectors.
    _u(
        "示范市农业发展集团有限公司",
        K.STATE_ENTERPRISE,
        S.STATE_ENTERPRISE,
        "demo-d-qinghe",
        own="demo-e-agri",
        employees=800,
    ),
    _u(
        "清河县丰收农机专业合作社",
        K.PRIVATE_ENTERPRISE,
        S.PRIVATE_ENTERPRISE,
        "demo-d-qinghe",
        covering="demo-e-agri",
    ),
    _u(
        "新华区志愿者协会",
        K.SOCIAL_ORGANIZATION,
        S.SOCIAL_ORGANIZATION,
        "demo-so-xinhua",
        own="demo-so-xinhua-volunteer",
    ),
    _u(
        "新华区律师协会",
        K.SOCIAL_ORGANIZATION,
        S.SOCIAL_ORGANIZATION,
        "demo-so-xinhua",
        covering="demo-so-xinhua",
    ),
    _u("新华区养老服务促进会", K.SOCIAL_ORGANIZATION, S.SOCIAL_ORGANIZATION, "demo-so-xinhua"),
    _u(
        "东城星火直播平台",
        K.ONLINE_PLATFORM,
        S.ONLINE,
        "demo-online-dongcheng",
        own="demo-online-dongcheng",
    ),
    _u(
        "东城优选电商平台",
        K.ONLINE_PLATFORM,
        S.ONLINE,
        "demo-online-dongcheng",
        own="demo-online-dongcheng",
    ),
    _u("东城同城外卖平台", K.ONLINE_PLATFORM, S.ONLINE, "demo-online-dongcheng"),
]


def _district(org: Organization) -> tuple[str, str]:
    for part in org.ancestry():
        if part in _DISTRICTS:
            return _DISTRICTS[part]
    return "370100", "市辖区"


class _People:
    """A seeded source of names, ID numbers, phones and addresses."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.id_numbers: set[str] = set()
        self.count = 0

    def member(self, org: Organization, name: str | None = None) -> Member:
        rng = self.rng
        male = rng.random() < 0.55
        given = _GIVEN_MALE if male else _GIVEN_FEMALE
        name = name or rng.choice(_SURNAMES) + "".join(
            rng.choice(given) for _ in range(rng.choice((1, 2, 2)))
        )
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 50 * 365))
        joined = min(born + timedelta(days=rng.randrange(19 * 365, 40 * 365)), date(2025, 6, 30))
        probationary = joined > date(2024, 9, 1) or rng.random() < 0.03
        if probationary:
            joined = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 300))
        area, district = _district(org)
        self.count += 1
        key = pinyin_key(name)
        return Member(
            id=f"demo-m-{self.count:04d}",
            name=name,
            name_pinyin=key.full,
            name_initials=key.initials,
            gender="male" if male else "female",
            birth_date=born,
            home_org_id=org.id,
            org_path=org.path,
            status=(MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL).value,
            joined_on=joined,
            converted_on=None if probationary else joined + timedelta(days=365),
            phone="1"
            + rng.choice(["38", "39", "58", "59", "86", "87", "35", "36"])
            + f"{rng.randrange(10**8):08d}",
            id_number=self._id_number(area, born, male),
            address=f"山东省示范市{district}{rng.choice(_ROADS)}{rng.randrange(1, 300)}号"
            f"{rng.randrange(1, 20)}号楼{rng.randrange(1, 6)}单元{rng.randrange(101, 1802)}室",
        )

    def _id_number(self, area: str, born: date, male: bool) -> str:
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            number = make_id_number(area, born, sequence)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number


def _position(
    member: Member, org: Organization, kind: PositionKind, rng: random.Random
) -> Position:
    start = max(
        date(2021, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365)),
        member.joined_on or date(2021, 1, 1),
    )
    return Position(
        id=f"demo-p-{member.id.removeprefix('demo-m-')}-{kind.value}",
        member_id=member.id,
        org_id=org.id,
        kind=kind.value,
        start_on=min(start, date(2025, 6, 30)),
        appointed_by=DEMO_BY,
    )


def _members_and_positions(orgs: list[Organization]) -> tuple[list[Member], list[Position]]:
    people = _People(20240701)
    members: list[Member] = []
    positions: list[Position] = []
    by_org: dict[str, list[Member]] = {}
    for org in orgs:
        kind = OrgKind(org.kind)
        if kind in _BASIC_KINDS:
            count, posts = 4 + people.rng.randrange(0, 4), _BRANCH_POSTS
        elif kind in _LEADING_KINDS:
            count, posts = 3, _COMMITTEE_POSTS
        else:
            continue
        staff = [people.member(org, _NAMED.get((org.id, i))) for i in range(count)]
        by_org[org.id] = staff
        members += staff
        positions += [
            _position(m, org, post, people.rng) for m, post in zip(staff, posts, strict=False)
        ]
    for org in orgs:  # party group leaders: a member of the parent branch
        if OrgKind(org.kind) == OrgKind.PARTY_GROUP and org.parent_id in by_org:
            leader = by_org[org.parent_id][-1]
            positions.append(_position(leader, org, PositionKind.GROUP_LEADER, people.rng))
    instructor = people.member(_org(orgs, PARK), "周建国")
    members.append(instructor)
    positions.append(
        _position(instructor, _org(orgs, PARK), PositionKind.PARTY_BUILDING_INSTRUCTOR, people.rng)
    )
    for member in members:
        if member.name == "李明" and member.home_org_id == "demo-s-xinhua-chaoyang-c1-b1":
            member.user_id = DEMO_MEMBER_USER_ID
    return members, positions


def _org(orgs: list[Organization], org_id: str) -> Organization:
    return next(o for o in orgs if o.id == org_id)


def _units(orgs: dict[str, Organization], instructor: Member | None) -> list[Unit]:
    rng = random.Random(20240702)  # noqa: S311 - demo data, not secrets
    units = []
    for i, item in enumerate(DEMO_UNITS, start=1):
        supervisor = orgs.get(item.supervisor)
        if supervisor is None:
            continue
        area, district = _district(supervisor)
        prefix = {"government_organ": "11", "public_institution": "12"}.get(item.sector, "91")
        if item.sector == Sector.SOCIAL_ORGANIZATION:
            prefix = "51"
        key = pinyin_key(item.name)
        units.append(
            Unit(
                id=f"demo-u-{i:03d}",
                name=item.name,
                name_pinyin=key.full,
                name_initials=key.initials,
                kind=item.kind.value,
                sector=item.sector.value,
                area_code=area,
                area_name=district,
                address=f"山东省示范市{district}{rng.choice(_ROADS)}{rng.randrange(1, 300)}号",
                credit_code=make_credit_code(f"{prefix}{area}{rng.randrange(10**9):09d}"),
                employees=item.employees + rng.randrange(0, 40),
                party_members=rng.randrange(0, 12) if item.own else rng.randrange(0, 3),
                supervising_org_id=supervisor.id,
                supervising_org_path=supervisor.path,
                own_org_id=item.own if item.own in orgs else None,
                covering_org_id=item.covering if item.covering in orgs else None,
                instructor_name=instructor.name if item.instructor and instructor else None,
                instructor_member_id=instructor.id if item.instructor and instructor else None,
            )
        )
    return units


async def load_demo_units_members(session: AsyncSession) -> int:
    """Members, positions and units, each part only into an empty table; returns rows added."""
    query = select(Organization).where(col(Organization.id).startswith("demo-"))
    orgs = list((await session.exec(query.order_by(col(Organization.path)))).all())
    if not orgs:
        return 0
    added = 0
    if not (await session.exec(select(func.count()).select_from(Member))).one():
        members, positions = _members_and_positions(orgs)
        session.add_all(members)
        await session.flush()
        session.add_all(positions)
        await session.flush()
        added += len(members) + len(positions)
    if not (await session.exec(select(func.count()).select_from(Unit))).one():
        instructor = (
            await session.exec(select(Member).where(col(Member.name) == "周建国").limit(1))
        ).first()
        units = _units({o.id: o for o in orgs}, instructor)
        session.add_all(units)
        await session.flush()
        added += len(units)
    return added
