"""Demo alliances: the seed's three worked examples and a dozen more, with their mechanisms.

(a) 朝阳街道党工委 with 15 units' party organizations, a joint branch of 7 party groups and the
"红纽带" service station; (b) the park joint committee's members sorted into four chains, each
led by a general branch; (c) the agricultural group's industry alliance with a seed-management
station branch, a bank's committee and a village. Convener schedules cover the current year, except
for one alliance left deliberately without a current convener. Idempotent: nothing is added when
the demo alliances exist already.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.models import (
    Alliance,
    AllianceAgreement,
    AllianceAppointment,
    AllianceChain,
    AllianceChainMember,
    AllianceDesignation,
    AllianceMember,
    AllianceProject,
    AllianceStaff,
    AllianceStatusChange,
    AllianceVenue,
    ConvenerPeriod,
    FundEntry,
    Organization,
    SupplyDemandItem,
    SupplyDemandMatch,
    Venue,
    VolunteerClaim,
    VolunteerPost,
    VolunteerTeam,
)
from zhdj_registry.models.members import Member
from zhdj_registry.services.alliance_access import today
from zhdj_registry.services.organizations import new_organization
from zhdj_registry.vocabulary import AlliancePattern as P
from zhdj_registry.vocabulary import OrgKind as K
from zhdj_registry.vocabulary import Sector as S
from zhdj_registry.vocabulary import VolunteerPostKind as V
from zhdj_shared.db import utcnow
from zhdj_shared.text import pinyin_key

FOUNDED = date(2023, 3, 1)
DEMO_SUBJECT = "demo-loader"

# (id, name, kind, sector, parent): organizations the examples need beyond the demo tree.
_EXTRA_ORGS: list[tuple[str, str, K, S, str]] = [
    (
        "demo-o-xinhua-health",
        "新华区卫生健康局（计生）机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-culture",
        "新华区文化和旅游局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    ("demo-o-xinhua-tax", "新华区税务局第一党支部", K.BRANCH, S.GOVERNMENT_ORGAN, "demo-d-xinhua"),
    (
        "demo-o-xinhua-market",
        "新华区市场监督管理局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-police",
        "新华公安分局朝阳派出所党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-urban",
        "新华区城市管理局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-edu",
        "新华区教育和体育局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-housing",
        "新华区住房和城乡建设局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-veterans",
        "新华区退役军人事务局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-insurance",
        "新华区医疗保障局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-emergency",
        "新华区应急管理局机关党支部",
        K.BRANCH,
        S.GOVERNMENT_ORGAN,
        "demo-d-xinhua",
    ),
    (
        "demo-o-xinhua-union",
        "新华区总工会机关党支部",
        K.BRANCH,
        S.PUBLIC_INSTITUTION,
        "demo-d-xinhua",
    ),
    (
        "demo-s-xinhua-chaoyang-hnd",
        "朝阳街道“红纽带”联合党支部",
        K.JOINT_BRANCH,
        S.COMMUNITY,
        "demo-s-xinhua-chaoyang",
    ),
    (
        "demo-park-xinhua-gb-business",
        "新华高新区业务链党总支",
        K.GENERAL_BRANCH,
        S.INDUSTRIAL_PARK,
        "demo-park-xinhua",
    ),
    (
        "demo-park-xinhua-gb-coordination",
        "新华高新区协调链党总支",
        K.GENERAL_BRANCH,
        S.INDUSTRIAL_PARK,
        "demo-park-xinhua",
    ),
    (
        "demo-park-xinhua-gb-mutual",
        "新华高新区互促链党总支",
        K.GENERAL_BRANCH,
        S.INDUSTRIAL_PARK,
        "demo-park-xinhua",
    ),
    (
        "demo-park-xinhua-gb-direct",
        "新华高新区直属链党总支",
        K.GENERAL_BRANCH,
        S.INDUSTRIAL_PARK,
        "demo-park-xinhua",
    ),
    (
        "demo-e-huaxin",
        "华信电子有限公司党支部",
        K.BRANCH,
        S.PRIVATE_ENTERPRISE,
        "demo-park-xinhua-gb-business",
    ),
    (
        "demo-e-lufeng",
        "鲁丰机械制造有限公司党支部",
        K.BRANCH,
        S.PRIVATE_ENTERPRISE,
        "demo-park-xinhua-gb-business",
    ),
    (
        "demo-e-xinyuan",
        "新源新材料有限公司党支部",
        K.BRANCH,
        S.PRIVATE_ENTERPRISE,
        "demo-park-xinhua-gb-coordination",
    ),
    (
        "demo-e-zhongcheng",
        "众诚物流有限公司党支部",
        K.BRANCH,
        S.PRIVATE_ENTERPRISE,
        "demo-park-xinhua-gb-coordination",
    ),
    (
        "demo-e-jinsui",
        "金穗食品有限公司党支部",
        K.BRANCH,
        S.PRIVATE_ENTERPRISE,
        "demo-park-xinhua-gb-mutual",
    ),
    (
        "demo-e-boyuan",
        "博远软件有限公司党支部",
        K.BRANCH,
        S.PRIVATE_ENTERPRISE,
        "demo-park-xinhua-gb-mutual",
    ),
    (
        "demo-e-kangning",
        "康宁医药有限公司党支部",
        K.BRANCH,
        S.PRIVATE_ENTERPRISE,
        "demo-park-xinhua-gb-direct",
    ),
    (
        "demo-o-xinhua-seed",
        "新华区种子管理站党支部",
        K.BRANCH,
        S.PUBLIC_INSTITUTION,
        "demo-d-xinhua",
    ),
    (
        "demo-e-adbc",
        "中国农业发展银行示范市分行党委",
        K.PARTY_COMMITTEE,
        S.STATE_ENTERPRISE,
        "demo-city",
    ),
]
_REASONS = {
    "under_rectification": "年度考核结果为“差”，引领作用不明显",
    "dissolved": "项目完成，联合体撤销",
}
_PARTY_GROUPS = ["街道驻站", "社区", "税务监管", "市场监督", "文化活动中心", "商务楼宇", "商圈市场"]
_FIFTEEN_UNITS = [
    "demo-o-xinhua-justice",
    "demo-o-xinhua-hr",
    "demo-o-xinhua-civil",
    "demo-o-xinhua-health",
    "demo-o-xinhua-culture",
    "demo-o-xinhua-tax",
    "demo-o-xinhua-market",
    "demo-o-xinhua-police",
    "demo-o-xinhua-urban",
    "demo-o-xinhua-edu",
    "demo-o-xinhua-housing",
    "demo-o-xinhua-veterans",
    "demo-o-xinhua-insurance",
    "demo-o-xinhua-emergency",
    "demo-o-xinhua-union",
]


@dataclass
class DemoAlliance:
    id: str
    name: str
    pattern: P
    lead: str
    members: list[str]
    status: str = "active"
    designations: list[int] = field(default_factory=list)
    conveners: bool = True  # a schedule for the current year


def _alliances(year: int) -> list[DemoAlliance]:
    chaoyang = "demo-s-xinhua-chaoyang"
    park_chains = [
        f"demo-park-xinhua-gb-{c}" for c in ("business", "coordination", "mutual", "direct")
    ]
    park_firms = [
        "demo-e-hongxing",
        "demo-e-jinglun",
        "demo-e-huaxin",
        "demo-e-lufeng",
        "demo-e-xinyuan",
        "demo-e-zhongcheng",
        "demo-e-jinsui",
        "demo-e-boyuan",
        "demo-e-kangning",
    ]
    liulin = [f"demo-t-qinghe-liulin-v{i}" for i in range(1, 6)]
    return [
        DemoAlliance(
            "demo-a-chaoyang-hnd",
            "朝阳街道“红纽带”党建联合体",
            P.JOINT_BUILD_JOINT_MANAGE,
            chaoyang,
            [*_FIFTEEN_UNITS, f"{chaoyang}-hnd", f"{chaoyang}-tower", f"{chaoyang}-market"],
            designations=[year - 1, year],
        ),
        DemoAlliance(
            "demo-a-park-xinhua",
            "新华高新区“四链”融合党建联合体",
            P.INDUSTRY_CLUSTER,
            "demo-park-xinhua",
            [*park_chains, *park_firms],
            designations=[year - 1],
        ),
        DemoAlliance(
            "demo-a-agri-industry",
            "示范市农业产业联合党组织",
            P.INDUSTRY_CO_BUILDING,
            "demo-e-agri",
            ["demo-e-agri-b1", "demo-o-xinhua-seed", "demo-e-adbc", "demo-t-qinghe-liulin-v1"],
            designations=[year],
        ),
        DemoAlliance(
            "demo-a-liulin-villages",
            "柳林镇村村联建党建联合体",
            P.VILLAGE_VILLAGE,
            "demo-t-qinghe-liulin",
            liulin,
            designations=[year],
        ),
        DemoAlliance(
            "demo-a-hekou-village-firm",
            "河口镇村企机关联建党建联合体",
            P.VILLAGE_ENTERPRISE_ORGAN,
            "demo-t-qinghe-hekou",
            ["demo-t-qinghe-hekou-v1", "demo-t-qinghe-hekou-v2", "demo-e-agri-b1"],
        ),
        DemoAlliance(
            "demo-a-heping-central",
            "和平街道中心社区党建联合体",
            P.CENTRAL_COMMUNITY,
            "demo-s-xinhua-heping",
            [f"demo-s-xinhua-heping-c{i}" for i in range(1, 5)],
        ),
        DemoAlliance(
            "demo-a-dongfeng-street",
            "东风街道红色商街党建联合体",
            P.RED_COMMERCIAL_STREET,
            "demo-s-dongcheng-dongfeng",
            [
                "demo-s-dongcheng-dongfeng-market",
                "demo-s-dongcheng-dongfeng-tower",
                "demo-s-dongcheng-dongfeng-c1",
            ],
        ),
        DemoAlliance(
            "demo-a-dongcheng-online",
            "东城区智慧党建线上融合联合体",
            P.SMART_ONLINE,
            "demo-d-dongcheng",
            ["demo-online-dongcheng", "demo-s-dongcheng-jianshe"],
        ),
        DemoAlliance(
            "demo-a-jianshe-area",
            "建设街道片区党组织联建体",
            P.AREA_JOINT,
            "demo-s-dongcheng-jianshe",
            [f"demo-s-dongcheng-jianshe-c{i}" for i in range(1, 4)],
            status="under_rectification",
        ),
        DemoAlliance(
            "demo-a-social-orgs",
            "新华区社会组织行业领建联合体",
            P.INDUSTRY_LED,
            "demo-so-xinhua",
            ["demo-so-xinhua-volunteer", "demo-o-xinhua-civil"],
        ),
        DemoAlliance(
            "demo-a-jinglun-lead",
            "精纶纺织龙头带建党建联合体",
            P.LEADING_ENTERPRISE,
            "demo-e-jinglun",
            ["demo-e-jinglun-b1", "demo-e-hongxing"],
            conveners=False,
        ),
        DemoAlliance(
            "demo-a-xinhua-streets",
            "新华区街道强强联合党建联合体",
            P.STRONG_WITH_STRONG,
            "demo-d-xinhua",
            [chaoyang, "demo-s-xinhua-heping"],
        ),
        DemoAlliance(
            "demo-a-yangguang-help",
            "阳光社区以强带弱党建联合体",
            P.STRONG_HELPS_WEAK,
            "demo-s-xinhua-chaoyang-c1",
            ["demo-s-xinhua-chaoyang-c4"],
        ),
        DemoAlliance(
            "demo-a-heping-project",
            "和平街道项目促建联合体",
            P.PROJECT_DRIVEN,
            "demo-s-xinhua-heping",
            ["demo-s-xinhua-heping-market"],
            status="dissolved",
            conveners=False,
        ),
    ]


class _Loader:
    def __init__(self, session: AsyncSession, orgs: dict[str, Organization]) -> None:
        self.session = session
        self.orgs = orgs
        self.year = today().year
        self.people: dict[str, list[tuple[str, str]]] = {}
        self.added = 0

    def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        self.added += len(rows)

    async def person(self, org_id: str, index: int = 0) -> tuple[str, str]:
        """A party member of the organization (or above it), else a stand-in for one."""
        if org_id not in self.people:
            path = self.orgs[org_id].ancestry()
            query = select(Member.id, Member.name).where(col(Member.home_org_id).in_(path))
            rows = (await self.session.exec(query.order_by(col(Member.id)).limit(10))).all()
            self.people[org_id] = [(i, n) for i, n in rows]
        found = self.people[org_id]
        if found:
            return found[index % len(found)]
        return f"demo-person-{org_id}-{index}", ["王建华", "李淑芳", "张国强", "刘红梅"][index % 4]

    async def extra_orgs(self) -> None:
        for org_id, name, kind, sector, parent in _EXTRA_ORGS:
            if org_id not in self.orgs:
                org = new_organization(
                    org_id, self.orgs[parent], name=name, kind=kind, sector=sector
                )
                self.add(org)
                self.orgs[org_id] = org
        hnd = self.orgs["demo-s-xinhua-chaoyang-hnd"]
        for i, group in enumerate(_PARTY_GROUPS, start=1):
            group_id = f"{hnd.id}-g{i}"
            if group_id not in self.orgs:
                org = new_organization(
                    group_id, hnd, name=f"{group}党小组", kind=K.PARTY_GROUP, sector=S.COMMUNITY
                )
                self.add(org)
                self.orgs[group_id] = org
        await self.session.flush()

    def alliance(self, item: DemoAlliance) -> Alliance:
        key = pinyin_key(item.name)
        lead = self.orgs[item.lead]
        alliance = Alliance(
            id=item.id,
            name=item.name,
            name_pinyin=key.full,
            name_initials=key.initials,
            pattern=item.pattern.value,
            lead_org_id=lead.id,
            area_code=lead.area_code,
            founded_on=FOUNDED,
            description=f"{item.name}：不限数量、不设界限、因需而联、动态调整。",
            created_by=DEMO_SUBJECT,
        )
        if item.status != "active":
            alliance.status, alliance.status_reason = item.status, _REASONS[item.status]
            alliance.status_changed_at = utcnow() - timedelta(days=40)
        self.add(alliance)
        return alliance

    def members(self, item: DemoAlliance) -> None:
        for i, org_id in enumerate([item.lead, *item.members]):
            joined = FOUNDED + timedelta(days=30 * (i % 3))
            self.add(
                AllianceMember(
                    id=f"{item.id}-m{i}", alliance_id=item.id, org_id=org_id, joined_on=joined
                )
            )

    def status(self, item: DemoAlliance) -> None:
        if item.status == "active":
            return
        reason = _REASONS[item.status]
        changed = utcnow() - timedelta(days=40)
        self.add(
            AllianceStatusChange(
                id=f"{item.id}-st1",
                alliance_id=item.id,
                from_status="active",
                to_status=item.status,
                reason=reason,
                changed_by=DEMO_SUBJECT,
                changed_at=changed,
            )
        )

    def designations(self, item: DemoAlliance) -> None:
        for year in item.designations:
            self.add(
                AllianceDesignation(
                    id=f"{item.id}-d{year}",
                    alliance_id=item.id,
                    year=year,
                    title="融合党建精品示范点",
                    designated_on=date(year, 6, 28),
                    designated_by=DEMO_SUBJECT,
                )
            )

    async def governance(self, item: DemoAlliance) -> None:
        orgs = [item.lead, *item.members]
        roles = ["convener", "deputy_convener", "committee_member", "committee_member", "liaison"]
        for i, role in enumerate(roles[: len(orgs) + 1]):
            home = orgs[min(i, len(orgs) - 1)]
            member_id, name = await self.person(home, i)
            self.add(
                AllianceAppointment(
                    id=f"{item.id}-ap{i}",
                    alliance_id=item.id,
                    member_id=member_id,
                    person_name=name,
                    role=role,
                    home_org_id=home,
                    started_on=FOUNDED,
                )
            )
        if not item.conveners:
            return
        for q in range(4):
            org_id = orgs[q % len(orgs)]
            member_id, name = await self.person(org_id)
            start = date(self.year, 3 * q + 1, 1)
            end = (
                date(self.year, 3 * q + 4, 1) - timedelta(days=1)
                if q < 3
                else date(self.year, 12, 31)
            )
            self.add(
                ConvenerPeriod(
                    id=f"{item.id}-cv{q + 1}",
                    alliance_id=item.id,
                    start_on=start,
                    end_on=end,
                    org_id=org_id,
                    member_id=member_id,
                    person_name=name,
                )
            )

    def funds(self, alliance_id: str, scale: int, contributor: str) -> None:
        lines = [
            (
                "income",
                "allocated",
                50_000_00 * scale,
                date(self.year, 1, 15),
                "区委组织部拨付党建工作经费",
                None,
            ),
            (
                "income",
                "raised",
                12_000_00 * scale,
                date(self.year, 2, 20),
                "成员单位筹集活动经费",
                contributor,
            ),
            ("income", "dues_subsidy", 3_000_00 * scale, date(self.year, 3, 5), "党费补助", None),
            (
                "expense",
                None,
                8_650_00 * scale,
                date(self.year, 4, 10),
                "“五个一”主题党日活动",
                None,
            ),
            (
                "expense",
                None,
                15_320_50 * scale,
                date(self.year, 7, 1),
                "七一联合活动及党课资料",
                None,
            ),
        ]
        for seq, (kind, source, fen, day, text, org) in enumerate(lines, start=1):
            self.add(
                FundEntry(
                    id=f"{alliance_id}-f{seq}",
                    alliance_id=alliance_id,
                    seq=seq,
                    kind=kind,
                    source=source,
                    amount_fen=fen,
                    occurred_on=day,
                    description=text,
                    contributor_org_id=org,
                    recorded_by=DEMO_SUBJECT,
                )
            )

    async def staff(self, alliance_id: str, home: str, engagement: str) -> None:
        member_id, name = await self.person(home, 2)
        self.add(
            AllianceStaff(
                id=f"{alliance_id}-sf1",
                alliance_id=alliance_id,
                member_id=member_id,
                person_name=name,
                home_org_id=home if engagement == "cross_appointed" else None,
                engagement=engagement,
                duty="专职党务工作者",
                started_on=FOUNDED,
            )
        )

    async def lists(self) -> None:
        a = "demo-a-chaoyang-hnd"
        items = [
            (
                f"{a}-sd1",
                a,
                "supply",
                "demo-o-xinhua-justice",
                "service",
                "每月一次法律咨询进楼宇",
                "matched",
            ),
            (
                f"{a}-sd2",
                a,
                "demand",
                "demo-s-xinhua-chaoyang-tower",
                "service",
                "楼宇企业员工劳动法律咨询",
                "matched",
            ),
            (
                f"{a}-sd3",
                a,
                "demand",
                "demo-s-xinhua-chaoyang-market",
                "venue",
                "商户党员学习场地",
                "open",
            ),
            (
                f"{a}-sd4",
                a,
                "supply",
                "demo-o-xinhua-culture",
                "training",
                "文化活动中心场地与文艺培训",
                "open",
            ),
            (
                "demo-a-park-xinhua-sd1",
                "demo-a-park-xinhua",
                "demand",
                "demo-e-jinsui",
                "talent",
                "食品检测技术人才",
                "open",
            ),
            (
                "demo-a-park-xinhua-sd2",
                "demo-a-park-xinhua",
                "supply",
                "demo-e-boyuan",
                "technology",
                "企业数字化改造咨询",
                "open",
            ),
            (
                "demo-a-agri-industry-sd1",
                "demo-a-agri-industry",
                "demand",
                "demo-t-qinghe-liulin-v1",
                "funds",
                "设施大棚建设贷款",
                "fulfilled",
            ),
            (
                "demo-a-agri-industry-sd2",
                "demo-a-agri-industry",
                "supply",
                "demo-o-xinhua-seed",
                "technology",
                "良种选育与种植技术指导",
                "open",
            ),
        ]
        for item_id, alliance_id, kind, org, category, title, status in items:
            self.add(
                SupplyDemandItem(
                    id=item_id,
                    alliance_id=alliance_id,
                    kind=kind,
                    org_id=org,
                    category=category,
                    title=title,
                    status=status,
                    created_by=DEMO_SUBJECT,
                )
            )
        await self.session.flush()
        self.add(
            SupplyDemandMatch(
                id=f"{a}-mt1",
                alliance_id=a,
                supply_id=f"{a}-sd1",
                demand_id=f"{a}-sd2",
                note="司法所每月第二周进楼宇",
                matched_by=DEMO_SUBJECT,
            )
        )
        projects = [
            (a, "红纽带党群服务驿站提升工程", "demo-s-xinhua-chaoyang", "in_progress"),
            (
                "demo-a-park-xinhua",
                "园区党建引领产业链协同项目",
                "demo-park-xinhua-gb-business",
                "in_progress",
            ),
            ("demo-a-agri-industry", "万亩设施农业园区建设", "demo-e-agri", "completed"),
        ]
        for i, (alliance_id, name, lead, status) in enumerate(projects, start=1):
            notes = [
                {
                    "on": date(self.year, 5, 1).isoformat(),
                    "note": "完成方案论证",
                    "by": DEMO_SUBJECT,
                }
            ]
            self.add(
                AllianceProject(
                    id=f"{alliance_id}-pj{i}",
                    alliance_id=alliance_id,
                    name=name,
                    lead_org_id=lead,
                    start_on=date(self.year, 3, 1),
                    status=status,
                    progress=notes,
                )
            )
        self.add(
            AllianceAgreement(
                id=f"{a}-ag1",
                alliance_id=a,
                kind="agreement",
                title="“红纽带”联建共建协议",
                party_org_ids=["demo-s-xinhua-chaoyang", *_FIFTEEN_UNITS[:5]],
                signed_on=FOUNDED,
                content="资源共享、活动共办、难题共解。",
                created_by=DEMO_SUBJECT,
            )
        )
        self.add(
            AllianceAgreement(
                id=f"{a}-ag2",
                alliance_id=a,
                kind="pledge",
                title="服务群众承诺书",
                party_org_ids=["demo-o-xinhua-justice"],
                signed_on=FOUNDED,
                content="每月进社区开展一次法律服务。",
                created_by=DEMO_SUBJECT,
            )
        )

    async def venues(self) -> None:
        venues = [
            (
                "demo-v-hnd-station",
                "“红纽带”党群服务驿站",
                "demo-s-xinhua-chaoyang",
                "朝阳路88号金融大厦一层",
                60,
                ["会议室", "党员活动室", "图书角", "便民服务台"],
                "周一至周日 8:30-20:30",
                36.6683,
                117.0204,
                ["demo-a-chaoyang-hnd"],
            ),
            (
                "demo-v-park-center",
                "新华高新区党群服务中心",
                "demo-park-xinhua",
                "高新区创新路1号",
                200,
                ["报告厅", "党建展厅", "培训教室"],
                "工作日 9:00-17:30",
                36.6801,
                117.1302,
                ["demo-a-park-xinhua"],
            ),
            (
                "demo-v-liulin-practice",
                "柳林镇新时代文明实践所",
                "demo-t-qinghe-liulin",
                "柳林镇政府东100米",
                120,
                ["多功能厅", "农家书屋"],
                "周二至周日 9:00-17:00",
                None,
                None,
                ["demo-a-liulin-villages", "demo-a-agri-industry"],
            ),
            (
                "demo-v-agri-hall",
                "农业产业党建馆",
                "demo-e-agri",
                "清河县农业产业园区",
                80,
                ["展厅", "会议室"],
                "预约开放",
                None,
                None,
                ["demo-a-agri-industry"],
            ),
        ]
        for vid, name, owner, address, capacity, facilities, hours, lat, lng, alliances in venues:
            key = pinyin_key(name)
            self.add(
                Venue(
                    id=vid,
                    name=name,
                    name_pinyin=key.full,
                    name_initials=key.initials,
                    owner_org_id=owner,
                    address=address,
                    capacity=capacity,
                    facilities=facilities,
                    open_hours=hours,
                    latitude=lat,
                    longitude=lng,
                    description="覆盖周边商务楼宇、商圈市场"
                    if vid == "demo-v-hnd-station"
                    else None,
                )
            )
            await self.session.flush()
            for i, alliance_id in enumerate(alliances):
                self.add(
                    AllianceVenue(
                        id=f"{vid}-l{i}",
                        alliance_id=alliance_id,
                        venue_id=vid,
                        linked_on=FOUNDED,
                        is_office=i == 0,
                    )
                )

    async def volunteer_teams(self) -> None:
        teams = [
            (
                "demo-vt-hnd",
                "“红纽带”党员志愿服务队",
                None,
                "demo-a-chaoyang-hnd",
                "demo-s-xinhua-chaoyang",
                [
                    (V.THEORY_POLICY, "政策宣讲岗", 5),
                    (V.LEGAL_ADVICE, "法律咨询岗", 3),
                    (V.ASSISTANCE_CARE, "关爱帮扶岗", 6),
                ],
            ),
            (
                "demo-vt-yangguang",
                "阳光社区党员志愿服务队",
                "demo-s-xinhua-chaoyang-c1",
                None,
                "demo-s-xinhua-chaoyang-c1",
                [
                    (V.CONVENIENCE, "便民维修岗", 4),
                    (V.PUBLIC_SAFETY, "平安巡逻岗", 8),
                    (V.MEDICAL_HEALTH, "健康义诊岗", 2),
                ],
            ),
            (
                "demo-vt-liulin",
                "柳林镇农技党员志愿服务队",
                "demo-t-qinghe-liulin",
                None,
                "demo-t-qinghe-liulin",
                [(V.PRACTICAL_SKILLS, "农技指导岗", 5), (V.ENVIRONMENT, "人居环境整治岗", 10)],
            ),
            (
                "demo-vt-park",
                "高新区应急志愿服务队",
                None,
                "demo-a-park-xinhua",
                "demo-park-xinhua",
                [
                    (V.EMERGENCY_RESCUE, "应急救援岗", 6),
                    (V.CULTURE_SPORTS, "文体活动岗", 4),
                    (V.CIVILITY, "文明新风岗", 4),
                ],
            ),
        ]
        for tid, name, org_id, alliance_id, home, posts in teams:
            key = pinyin_key(name)
            leader_id, leader = await self.person(home)
            self.add(
                VolunteerTeam(
                    id=tid,
                    name=name,
                    name_pinyin=key.full,
                    name_initials=key.initials,
                    org_id=org_id,
                    alliance_id=alliance_id,
                    home_org_id=home,
                    leader_member_id=leader_id,
                    leader_name=leader,
                )
            )
            await self.session.flush()
            for p, (kind, post_name, capacity) in enumerate(posts, start=1):
                post_id = f"{tid}-p{p}"
                self.add(
                    VolunteerPost(
                        id=post_id, team_id=tid, kind=kind.value, name=post_name, capacity=capacity
                    )
                )
                await self.session.flush()
                for c in range(min(2, capacity)):
                    member_id, person = await self.person(home, p + c)
                    self.add(
                        VolunteerClaim(
                            id=f"{post_id}-c{c + 1}",
                            post_id=post_id,
                            team_id=tid,
                            member_id=member_id,
                            person_name=person,
                        )
                    )


async def load_demo_alliances(session: AsyncSession) -> int:
    """The demo alliances with their mechanisms, venues and volunteer teams; returns rows added."""
    exists = (
        await session.exec(
            select(func.count()).select_from(Alliance).where(col(Alliance.id).startswith("demo-"))
        )
    ).one()
    query = select(Organization).where(col(Organization.id).startswith("demo-"))
    orgs = {o.id: o for o in (await session.exec(query)).all()}
    if exists or "demo-s-xinhua-chaoyang" not in orgs:
        return 0
    loader = _Loader(session, orgs)
    await loader.extra_orgs()
    items = _alliances(loader.year)
    for item in items:
        loader.alliance(item)
    await session.flush()
    for item in items:
        loader.members(item)
        loader.status(item)
        loader.designations(item)
        await loader.governance(item)
    await _park_chains(loader)
    loader.funds("demo-a-chaoyang-hnd", 2, "demo-o-xinhua-tax")
    loader.funds("demo-a-park-xinhua", 3, "demo-e-hongxing")
    loader.funds("demo-a-agri-industry", 1, "demo-e-adbc")
    await loader.staff("demo-a-chaoyang-hnd", "demo-s-xinhua-chaoyang", "cross_appointed")
    await loader.staff("demo-a-park-xinhua", "demo-park-xinhua", "hired")
    await loader.lists()
    await loader.venues()
    await session.flush()
    await loader.volunteer_teams()
    await session.flush()
    return loader.added


async def _park_chains(loader: _Loader) -> None:
    chains = [
        ("business", "业务链", ["demo-e-huaxin", "demo-e-lufeng", "demo-e-hongxing"]),
        ("coordination", "协调链", ["demo-e-xinyuan", "demo-e-zhongcheng"]),
        ("mutual", "互促链", ["demo-e-jinsui", "demo-e-boyuan", "demo-e-jinglun"]),
        ("direct", "直属链", ["demo-e-kangning"]),
    ]
    kinds = {
        "business": "business",
        "coordination": "coordination",
        "mutual": "mutual_promotion",
        "direct": "direct",
    }
    for slug, name, firms in chains:
        chain_id = f"demo-a-park-xinhua-ch-{slug}"
        lead = f"demo-park-xinhua-gb-{slug}"
        loader.add(
            AllianceChain(
                id=chain_id,
                alliance_id="demo-a-park-xinhua",
                name=name,
                kind=kinds[slug],
                lead_org_id=lead,
                description=f"由{name}党总支归口管理",
            )
        )
        await loader.session.flush()
        for n, org_id in enumerate([lead, *firms]):
            loader.add(
                AllianceChainMember(
                    id=f"{chain_id}-{n}",
                    chain_id=chain_id,
                    alliance_id="demo-a-park-xinhua",
                    org_id=org_id,
                )
            )
