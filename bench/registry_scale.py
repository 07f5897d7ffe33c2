"""Does the registry keep its answers fast at city scale? (A script, not a test: issue 3.)

    .venv/bin/python bench/registry_scale.py [--orgs 100000] [--members 1000000] [--requests 300]

1. Creates the PostgreSQL database ``zhdj_bench_registry_scale`` and applies the registry's
   migrations.
2. Generates a city: 1 city committee, 10 districts of ~15 streets / townships, their communities
   and villages, enterprise and joint committees, general branches, branches and party groups
   (~``--orgs`` organizations, Chinese names); ~``--members`` members spread over the branches;
   a few thousand units and some hundreds of alliances with their members and designations.
   Rows are derived as the app derives them (``path``, ``depth``, pinyin keys, ``org_path``)
   and loaded with ``COPY`` (secondary indexes dropped during the load and rebuilt from their
   own definitions; the members' triggers off during their COPY and the rollup
   ``org_member_counts`` backfilled after it), then ``VACUUM ANALYZE``: what autovacuum does
   after a bulk load.
3. Starts the gateway and the registry as real processes and gets an admin token.
4. Measures sequential requests (after a warm-up, interleaved rounds) directly on the registry:
   a page of a district's subtree, a later page of it, a district's and a street's statistics,
   a page of a district's members, and two searches.
5. Imports ``--import-orgs`` organizations (a CSV tree under a new district) through
   ``POST /api/registry/imports/organizations`` and times it until the 201.
6. Prints the figures against the issue's targets (p50 < 50 ms; import < 60 s).

The machine is shared: read the per-round p50s; a round far off the others was disturbed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
from common import (
    Processes,
    admin_token,
    database_dsn,
    drop_database,
    free_port,
    fresh_database,
    machine_speed,
    percentile,
    start_gateway,
    start_registry,
)
from sqlmodel import SQLModel

import zhdj_registry
from zhdj_registry.models import Organization, Unit
from zhdj_registry.models.alliances import Alliance, AllianceDesignation, AllianceMember
from zhdj_registry.models.members import Member
from zhdj_registry.vocabulary import (
    AlliancePattern,
    AllianceStatus,
    Gender,
    LeaveReason,
    MemberStatus,
    OrgKind,
    Sector,
    UnitKind,
)
from zhdj_shared.ids import new_id
from zhdj_shared.migrations import upgrade
from zhdj_shared.text import PinyinKey, pinyin_key

DATABASE = "zhdj_bench_registry_scale"
MIGRATIONS_DIR = Path(zhdj_registry.__file__).parent / "migrations"
TARGET_P50_MS = 50.0
TARGET_IMPORT_S = 60.0
TODAY = date.today()
NOW = datetime.now(UTC)

K, S = OrgKind, Sector


@cache
def key_of(name: str) -> PinyinKey:
    """The app's own pinyin keys, computed once per distinct name.

    pypinyin costs ~60 us a name; names are built from small sets of parts (surname x given
    name, place word x suffix, 第N党支部...), so a million members have a few tens of thousands
    of distinct names. Whole names are cached rather than parts, so that pypinyin's phrase
    rules across a part boundary give exactly what the app stores.
    """
    return pinyin_key(name)


# -- names ----------------------------------------------------------------------------------------

CITY = "泉城市"
DISTRICTS = [
    ("历下区", "370102", True),
    ("市中区", "370103", True),
    ("槐荫区", "370104", True),
    ("天桥区", "370105", True),
    ("历城区", "370112", True),
    ("长清区", "370113", False),
    ("章丘区", "370114", False),
    ("济阳区", "370115", False),
    ("莱芜区", "370116", False),
    ("平阴县", "370124", False),
]
PLACE_FIRST = "东西南北新金银青翠龙凤玉花柳杨梨桃杏泉山河湖文兴和安福永康宁华明"
PLACE_SECOND = "华苑园庄桥湖山泉城关门坊街里岭坡屯湾源店营堡亭阁林"
NUMERALS = "一二三四五六七八九十"
BRANCH_NAMES = [
    "第一网格党支部",
    "第二网格党支部",
    "第三网格党支部",
    "离退休党员党支部",
    "在职党员党支部",
    "流动党员党支部",
    "物业服务党支部",
    "志愿服务党支部",
    "老年协会党支部",
    "商户联合党支部",
]
INDUSTRY = ["科技", "电子", "机械", "食品", "物流", "建材", "医药", "纺织", "软件", "商贸", "能源"]
COMPANY_SUFFIX = ["有限公司", "股份有限公司", "集团有限公司"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
_TWO = (
    "秀英桂英建国建华志强海燕俊杰晓东丽娟国强玉兰淑珍春梅文静子涵浩然雨萱欣怡佳琪宇航振华红霞"
    "立新卫东爱民凤英德明永刚美玲思远明轩一鸣晨曦家豪梓萱金凤宏伟学军春生秋菊冬梅小红志刚海涛"
    "婷婷博文天佑雅琴"
)
GIVEN = [*"伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华玲红梅鹏飞斌波辉宁健莉倩"] + [
    _TWO[i : i + 2] for i in range(0, len(_TWO), 2)
]


def numeral(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十二, 二十三)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


# -- the tree -------------------------------------------------------------------------------------


@dataclass
class Node:
    id: str
    parent: Node | None
    name: str
    kind: OrgKind
    sector: Sector
    area_code: str | None
    path: str
    depth: int
    district: str = ""  # the district's name, for addresses and unit areas
    established_on: date | None = None
    contact_phone: str | None = None


@dataclass
class Tree:
    rng: random.Random
    ids: Iterator[str]
    nodes: list[Node] = field(default_factory=list)

    def add(
        self,
        parent: Node | None,
        name: str,
        kind: OrgKind,
        sector: Sector,
        area_code: str | None = None,
    ) -> Node:
        org_id = next(self.ids)
        node = Node(
            id=org_id,
            parent=parent,
            name=name,
            kind=kind,
            sector=sector,
            area_code=area_code or (parent.area_code if parent else None),
            path=f"{parent.path if parent else '/'}{org_id}/",
            depth=parent.depth + 1 if parent else 0,
            district=parent.district if parent else "",
            established_on=date(1990, 1, 1) + timedelta(days=self.rng.randrange(12000))
            if self.rng.random() < 0.7
            else None,
            contact_phone=f"0531-{self.rng.randrange(80000000, 89999999)}"
            if self.rng.random() < 0.5
            else None,
        )
        self.nodes.append(node)
        return node

    def places(self, count: int) -> list[str]:
        """``count`` distinct two-character place names (siblings never share a name)."""
        pairs = [a + b for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
        return self.rng.sample(pairs, min(count, len(pairs)))

    # One branch with its party groups.
    def branch(self, parent: Node, name: str, sector: Sector, kind: OrgKind = K.BRANCH) -> None:
        node = self.add(parent, name, kind, sector)
        for g in range(1, self.rng.randint(1, 4) + 1):
            self.add(node, f"第{numeral(g)}党小组", K.PARTY_GROUP, sector)

    def community(self, street: Node, place: str, village: bool) -> None:
        sector = S.VILLAGE if village else S.COMMUNITY
        kind = K.VILLAGE_COMMITTEE if village else K.COMMUNITY_COMMITTEE
        node = self.add(street, f"中共{place}{'村' if village else '社区'}委员会", kind, sector)
        for gb in range(1, self.rng.choice((0, 0, 1, 1, 2)) + 1):
            general = self.add(node, f"第{numeral(gb)}党总支", K.GENERAL_BRANCH, sector)
            for b in range(1, self.rng.randint(2, 4) + 1):
                self.branch(general, f"第{numeral(b)}党支部", sector)
        for name in self.rng.sample(BRANCH_NAMES, self.rng.randint(2, 5)):
            self.branch(node, name, sector)

    def enterprise(self, street: Node, name: str, sector: Sector) -> Node:
        node = self.add(street, f"中共{name}委员会", K.PARTY_COMMITTEE, sector)
        for b in range(1, self.rng.randint(2, 5) + 1):
            self.branch(node, f"第{numeral(b)}党支部", sector)
        return node

    def street(self, district: Node, place: str, township: bool, quota: int) -> None:
        start = len(self.nodes)
        kind = K.TOWNSHIP_COMMITTEE if township else K.STREET_WORKING_COMMITTEE
        label = "镇委员会" if township else "街道工作委员会"
        area = f"{district.area_code}{len(self.nodes) % 1000:03d}"
        node = self.add(district, f"中共{place}{label}", kind, S.GOVERNMENT_ORGAN, area)
        self.branch(node, "机关党支部", S.GOVERNMENT_ORGAN)
        for i, word in enumerate(self.rng.sample(INDUSTRY, self.rng.randint(2, 5))):
            sector = S.STATE_ENTERPRISE if i == 0 and self.rng.random() < 0.3 else None
            self.enterprise(
                node,
                f"{CITY[:2]}{place}{word}{self.rng.choice(COMPANY_SUFFIX)}",
                sector or S.PRIVATE_ENTERPRISE,
            )
        joint = self.add(
            node, f"中共{place}商务楼宇联合委员会", K.JOINT_COMMITTEE, S.OFFICE_BUILDING
        )
        for b in range(1, self.rng.randint(2, 5) + 1):
            self.branch(joint, f"第{numeral(b)}联合党支部", S.OFFICE_BUILDING, K.JOINT_BRANCH)
        for place_name in self.places(10_000):  # all of them; the quota stops first
            if len(self.nodes) - start >= quota:
                break
            village = township and self.rng.random() < 0.8
            self.community(node, place_name, village)

    def district(self, city: Node, name: str, code: str, urban: bool, quota: int) -> Node:
        start = len(self.nodes)
        node = self.add(
            city, f"中共{CITY}{name}委员会", K.DISTRICT_COMMITTEE, S.GOVERNMENT_ORGAN, code
        )
        node.district = name
        streets = self.rng.randint(13, 17)
        for i, place in enumerate(self.places(streets)):
            left = quota - (len(self.nodes) - start)
            township = not urban and self.rng.random() < 0.7
            self.street(node, place, township, max(1, left // (streets - i)))
        return node


def build_city(rng: random.Random, total: int) -> tuple[Tree, Node, list[Node]]:
    tree = Tree(rng, iter(new_id, None))
    city = tree.add(None, f"中共{CITY}委员会", K.CITY_COMMITTEE, S.GOVERNMENT_ORGAN, "370100")
    per_district = (total - 1) // len(DISTRICTS)
    districts = [
        tree.district(city, name, code, urban, per_district) for name, code, urban in DISTRICTS
    ]
    return tree, city, districts


# -- rows -----------------------------------------------------------------------------------------

Row = dict[str, Any]


def org_rows(nodes: Iterable[Node]) -> Iterator[Row]:
    """Every column, derived as ``services.organizations.new_organization`` derives it."""
    for n in nodes:
        key = key_of(n.name)
        yield {
            "id": n.id,
            "name": n.name,
            "short_name": None,
            "name_pinyin": key.full,
            "name_initials": key.initials,
            "kind": n.kind.value,
            "sector": n.sector.value,
            "parent_id": n.parent.id if n.parent else None,
            "path": n.path,
            "depth": n.depth,
            "area_code": n.area_code,
            "address": None,
            "contact_phone": n.contact_phone,
            "description": None,
            "established_on": n.established_on,
            "status": "active",
            "dissolved_at": None,
            "dissolution_reason": None,
            "created_at": NOW,
            "updated_at": NOW,
        }


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(area: str, born: date, sequence: int) -> str:
    """A well-formed 18-digit resident ID (GB 11643): area, birth date, sequence, check digit."""
    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    return body + "10X98765432"[(_weighted(body[:14]) + _weighted(body[14:], 14)) % 11]


@cache
def _weighted(digits: str, offset: int = 0) -> int:
    """The ID checksum's weighted sum of a run of digits (cached: areas and dates repeat)."""
    return sum(int(d) * w for d, w in zip(digits, _ID_WEIGHTS[offset:], strict=False)) % 11


def member_counts(rng: random.Random, branches: Sequence[Node], total: int) -> list[int]:
    """``total`` members over ``branches``, unevenly (a branch has ~10 to ~80 members)."""
    weights = [rng.uniform(0.3, 1.7) for _ in branches]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    counts[-1] += total - sum(counts)
    return counts


def member_rows(
    rng: random.Random, branches: Sequence[Node], counts: Sequence[int]
) -> Iterator[Row]:
    """Members as ``services.members`` creates them (``org_path`` = the home's path); ~3 %
    probationary (joined less than a year ago), ~1.5 % left; unique, well-formed ID numbers."""
    sequences: dict[tuple[str, date, bool], int] = {}
    for branch, count in zip(branches, counts, strict=True):
        area = (branch.area_code or "370100")[:6]
        community = branch.parent.name.removeprefix("中共") if branch.parent else ""
        for _ in range(count):
            male = rng.random() < 0.68
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            key = key_of(name)
            born = date(1938, 1, 1) + timedelta(days=rng.randrange(23700))  # to 2002
            adult = born.replace(year=born.year + 18) if born.day < 29 else born
            joined = adult + timedelta(days=rng.randrange(max((TODAY - adult).days, 1)))
            probationary = (TODAY - joined).days < 365
            n = sequences.get((area, born, male), 0)
            sequences[(area, born, male)] = n + 1
            left = rng.random() < 0.015
            yield {
                "id": new_id(),
                "name": name,
                "name_pinyin": key.full,
                "name_initials": key.initials,
                "gender": (Gender.MALE if male else Gender.FEMALE).value,
                "birth_date": born,
                "home_org_id": branch.id,
                "org_path": branch.path,
                "status": (MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL).value,
                "joined_on": joined,
                "converted_on": None if probationary else joined + timedelta(days=365),
                "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                "id_number": id_number(area, born, (n * 2 + (1 if male else 0)) % 1000),
                "address": f"{community}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元",
                "user_id": None,
                "left_on": TODAY - timedelta(days=rng.randrange(1, 3000)) if left else None,
                "left_reason": LeaveReason.DECEASED.value if left else None,
                "left_note": None,
                "created_at": NOW,
                "updated_at": NOW,
            }


UNIT_SECTORS = {
    UnitKind.STATE_ENTERPRISE: S.STATE_ENTERPRISE,
    UnitKind.PRIVATE_ENTERPRISE: S.PRIVATE_ENTERPRISE,
    UnitKind.FOREIGN_ENTERPRISE: S.PRIVATE_ENTERPRISE,
    UnitKind.SOCIAL_ORGANIZATION: S.SOCIAL_ORGANIZATION,
    UnitKind.OFFICE_BUILDING: S.OFFICE_BUILDING,
    UnitKind.MARKET: S.MARKET,
    UnitKind.INDUSTRIAL_PARK: S.INDUSTRIAL_PARK,
    UnitKind.ONLINE_PLATFORM: S.ONLINE,
    UnitKind.PUBLIC_INSTITUTION: S.PUBLIC_INSTITUTION,
    UnitKind.GOVERNMENT_ORGAN: S.GOVERNMENT_ORGAN,
    UnitKind.SCHOOL: S.PUBLIC_INSTITUTION,
    UnitKind.HOSPITAL: S.PUBLIC_INSTITUTION,
}
PLACE_KINDS = {
    UnitKind.OFFICE_BUILDING: "大厦",
    UnitKind.MARKET: "市场",
    UnitKind.INDUSTRIAL_PARK: "产业园",
}


def unit_rows(rng: random.Random, nodes: Sequence[Node], total: int) -> list[Row]:
    """Enterprises covered by their own party committee, the rest by the street's joint
    committee (work coverage), by an instructor, or by nothing (blank spots)."""
    enterprises = [n for n in nodes if n.kind is K.PARTY_COMMITTEE]
    joints = {n.parent.id: n for n in nodes if n.kind is K.JOINT_COMMITTEE and n.parent}
    streets = [n for n in nodes if n.kind in (K.STREET_WORKING_COMMITTEE, K.TOWNSHIP_COMMITTEE)]
    rows: list[Row] = []
    kinds = list(UnitKind)

    def row(
        name: str, kind: UnitKind, supervisor: Node, own: Node | None, covering: Node | None
    ) -> Row:
        key = key_of(name)
        instructor = None
        if own is None and covering is None and rng.random() < 0.4:
            instructor = rng.choice(SURNAMES) + rng.choice(GIVEN)
        employees = rng.randint(5, 2000)
        return {
            "id": new_id(),
            "name": name,
            "name_pinyin": key.full,
            "name_initials": key.initials,
            "kind": kind.value,
            "sector": UNIT_SECTORS[kind].value,
            "area_code": supervisor.area_code,
            "area_name": supervisor.district,
            "address": f"{supervisor.district}{rng.randint(1, 999)}号",
            "credit_code": f"91{(supervisor.area_code or '370100')[:6]}{len(rows):09d}X",
            "employees": employees,
            "party_members": rng.randint(0, max(1, employees // 10)),
            "supervising_org_id": supervisor.id,
            "supervising_org_path": supervisor.path,
            "own_org_id": own.id if own else None,
            "covering_org_id": covering.id if covering else None,
            "instructor_name": instructor,
            "instructor_member_id": None,
            "status": "active",
            "deactivated_at": None,
            "deactivation_reason": None,
            "created_at": NOW,
            "updated_at": NOW,
        }

    for enterprise in enterprises[:total]:
        name = enterprise.name.removeprefix("中共").removesuffix("委员会")
        assert enterprise.parent is not None
        rows.append(row(name, UnitKind.PRIVATE_ENTERPRISE, enterprise.parent, enterprise, None))
    while len(rows) < total:
        street = rng.choice(streets)
        kind = rng.choice(kinds)
        place = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
        name = f"{place}{rng.choice(INDUSTRY)}{rng.choice(COMPANY_SUFFIX)}"
        if kind in PLACE_KINDS:
            name = place + PLACE_KINDS[kind]
        covering = joints.get(street.id) if rng.random() < 0.45 else None
        rows.append(row(name, kind, street, None, covering))
    return rows


ALLIANCE_WORDS = ["红色物业", "红纽带", "共建共享", "乡村振兴", "产业链", "商圈", "楼宇", "邻里"]


@dataclass
class AllianceRows:
    alliances: list[Row] = field(default_factory=list)
    members: list[Row] = field(default_factory=list)
    designations: list[Row] = field(default_factory=list)


def alliance_rows(rng: random.Random, nodes: Sequence[Node], total: int) -> AllianceRows:
    """Alliances led by streets and communities, joined by organizations of the same street;
    ~15 % designated demonstration sites; a few under rectification or dissolved."""
    grassroots = {
        K.COMMUNITY_COMMITTEE,
        K.VILLAGE_COMMITTEE,
        K.PARTY_COMMITTEE,
        K.JOINT_COMMITTEE,
        K.GENERAL_BRANCH,
        K.BRANCH,
    }
    by_street: dict[str, list[Node]] = {}
    for n in nodes:
        if n.kind in grassroots and n.depth >= 3:
            by_street.setdefault(n.path.split("/")[3], []).append(n)
    leads = [n for n in nodes if n.kind in (K.COMMUNITY_COMMITTEE, K.STREET_WORKING_COMMITTEE)]
    patterns = list(AlliancePattern)
    out = AllianceRows()
    names: set[str] = set()
    while len(out.alliances) < total:
        lead = rng.choice(leads)
        short = lead.name.removeprefix("中共").removesuffix("委员会")
        name = f"{short}{rng.choice(ALLIANCE_WORDS)}党建联合体"
        if name in names:
            continue
        names.add(name)
        key = key_of(name)
        founded = date(2019, 1, 1) + timedelta(days=rng.randrange(2000))
        roll = rng.random()
        status = AllianceStatus.ACTIVE
        if roll < 0.05:
            status = AllianceStatus.DISSOLVED
        elif roll < 0.15:
            status = AllianceStatus.UNDER_RECTIFICATION
        alliance_id = new_id()
        out.alliances.append(
            {
                "id": alliance_id,
                "name": name,
                "name_pinyin": key.full,
                "name_initials": key.initials,
                "pattern": rng.choice(patterns).value,
                "lead_org_id": lead.id,
                "area_code": lead.area_code,
                "area_name": lead.district,
                "founded_on": founded,
                "description": None,
                "status": status.value,
                "status_reason": None,
                "status_changed_at": None,
                "created_by": "bench",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        pool = [n for n in by_street.get(lead.path.split("/")[3], []) if n.id != lead.id]
        for org in rng.sample(pool, min(len(pool), rng.randint(3, 12))):
            joined = founded + timedelta(days=rng.randrange(0, 200))
            left = joined + timedelta(days=rng.randrange(30, 900))
            gone = rng.random() < 0.1 and left < TODAY
            out.members.append(
                {
                    "id": new_id(),
                    "alliance_id": alliance_id,
                    "org_id": org.id,
                    "joined_on": joined,
                    "left_on": left if gone else None,
                    "leave_reason": "调整" if gone else None,
                    "created_at": NOW,
                }
            )
        if rng.random() < 0.15:
            for year in rng.sample(range(2021, 2025), rng.randint(1, 2)):
                out.designations.append(
                    {
                        "id": new_id(),
                        "alliance_id": alliance_id,
                        "year": year,
                        "title": "融合党建精品示范点",
                        "designated_on": date(year, 7, 1),
                        "designated_by": "bench",
                        "created_at": NOW,
                    }
                )
    return out


# -- loading --------------------------------------------------------------------------------------

# Migration 0007's backfill of the rollup of members on the rolls (with their path).
MEMBER_COUNTS_BACKFILL = """
INSERT INTO org_member_counts (org_id, status, members, org_path)
SELECT home_org_id, status, count(*), min(org_path) FROM members WHERE left_on IS NULL
GROUP BY home_org_id, status
"""


async def copy_rows(
    connection: asyncpg.Connection, model: type[SQLModel], rows: Iterable[Row], batch: int = 100_000
) -> int:
    """COPY ``rows`` into the model's table, every column of the model named (a missing key is
    a KeyError here, not a NULL in the database); answer the number of rows."""
    table = model.__table__  # type: ignore[attr-defined]
    columns = [c.name for c in table.columns]
    iterator = iter(rows)
    copied = 0
    while chunk := [tuple(r[c] for c in columns) for r in islice(iterator, batch)]:
        await connection.copy_records_to_table(table.name, records=chunk, columns=columns)
        copied += len(chunk)
        if copied >= 2 * batch:
            print(f"  {table.name}: {copied:,}", flush=True)
    return copied


async def without_indexes(
    connection: asyncpg.Connection, tables: Sequence[str]
) -> list[tuple[str, str]]:
    """Drop the secondary indexes of ``tables`` (constraints' indexes stay); answer their DDL."""
    rows = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = ANY($1::text[]) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        list(tables),
    )
    for row in rows:
        await connection.execute(f'DROP INDEX "{row["indexname"]}"')
    return [(row["indexname"], row["indexdef"]) for row in rows]


@dataclass
class Loaded:
    seconds: dict[str, float]
    counts: dict[str, int]


@dataclass
class Scope:
    """What the measurements point at, read back from the database."""

    city_id: str
    district_id: str
    district_name: str
    district_orgs: int
    district_members: int
    street_id: str
    street_name: str
    place: str  # a community's place name, to search for
    districts: int


async def find_scope(dsn: str) -> Scope:
    """The district with the most members, its first street, a community's place name."""
    connection = await asyncpg.connect(dsn)
    try:
        city = await connection.fetchrow("SELECT id, path FROM organizations WHERE depth = 0")
        districts = await connection.fetch(
            "SELECT o.id, o.name, o.path, (SELECT count(*) FROM members m "
            "WHERE m.org_path LIKE o.path || '%') AS members "
            "FROM organizations o WHERE o.depth = 1 ORDER BY members DESC"
        )
        district = districts[0]
        orgs = await connection.fetchval(
            "SELECT count(*) FROM organizations WHERE path LIKE $1", district["path"] + "%"
        )
        street = await connection.fetchrow(
            "SELECT id, name FROM organizations WHERE parent_id = $1 ORDER BY name_pinyin, id "
            "LIMIT 1",
            district["id"],
        )
        community = await connection.fetchval(
            "SELECT name FROM organizations WHERE kind = 'community_committee' "
            "ORDER BY path LIKE $1 DESC, id LIMIT 1",
            district["path"] + "%",
        )
    finally:
        await connection.close()
    return Scope(
        city_id=city["id"],
        district_id=district["id"],
        district_name=district["name"],
        district_orgs=orgs,
        district_members=district["members"],
        street_id=street["id"],
        street_name=street["name"],
        place=(community or street["name"]).removeprefix("中共")[:2],
        districts=len(districts),
    )


async def load(dsn: str, args: argparse.Namespace) -> Loaded:
    rng = random.Random(args.seed)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    tree, _city, _districts = build_city(rng, args.orgs)
    branches = [n for n in tree.nodes if n.kind in (K.BRANCH, K.JOINT_BRANCH)]
    counts = member_counts(rng, branches, args.members)
    units = unit_rows(rng, tree.nodes, args.units)
    alliances = alliance_rows(rng, tree.nodes, args.alliances)
    seconds["generate the tree, units, alliances"] = time.perf_counter() - started

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET maintenance_work_mem = '512MB'")
        tables = ["organizations", "members", "units", "alliances", "alliance_members"]
        indexes = await without_indexes(connection, tables)
        started = time.perf_counter()
        await copy_rows(connection, Organization, org_rows(tree.nodes))
        seconds["COPY organizations (with pinyin)"] = time.perf_counter() - started
        started = time.perf_counter()
        # The per-row triggers keeping org_member_counts would double the COPY's time: off
        # during it, and the rollup recomputed once afterwards (as migration 0007 backfills it).
        await connection.execute("ALTER TABLE members DISABLE TRIGGER USER")
        await copy_rows(connection, Member, member_rows(rng, branches, counts))
        await connection.execute("ALTER TABLE members ENABLE TRIGGER USER")
        seconds["generate + COPY members"] = time.perf_counter() - started
        started = time.perf_counter()
        await connection.execute("DELETE FROM org_member_counts")
        await connection.execute(MEMBER_COUNTS_BACKFILL)
        seconds["backfill org_member_counts"] = time.perf_counter() - started
        started = time.perf_counter()
        await copy_rows(connection, Unit, units)
        await copy_rows(connection, Alliance, alliances.alliances)
        await copy_rows(connection, AllianceMember, alliances.members)
        await copy_rows(connection, AllianceDesignation, alliances.designations)
        seconds["COPY units, alliances"] = time.perf_counter() - started
        started = time.perf_counter()
        for _name, ddl in indexes:
            await connection.execute(ddl)
        seconds[f"rebuild {len(indexes)} secondary indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        seconds["VACUUM ANALYZE"] = time.perf_counter() - started
    finally:
        await connection.close()
    return Loaded(
        seconds=seconds,
        counts={
            "organizations": len(tree.nodes),
            "members": sum(counts),
            "units": len(units),
            "alliances": len(alliances.alliances),
            "alliance members": len(alliances.members),
            "designations": len(alliances.designations),
        },
    )


# -- requests -------------------------------------------------------------------------------------


@dataclass
class Endpoint:
    label: str
    path: str
    target_ms: float | None
    samples: list[float] = field(default_factory=list)
    round_p50: list[float] = field(default_factory=list)


async def get_json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        body = await response.json()
        if response.status != 200:
            raise SystemExit(f"GET {url}: {response.status} {str(body)[:500]}")
        return body


async def later_cursor(
    session: aiohttp.ClientSession, base: str, path: str, pages: int
) -> tuple[str, int]:
    """The cursor of page ``pages + 1`` (or of the last page), walking as a client would."""
    cursor, page = "", 1
    while page <= pages:
        url = f"{base}{path}" + (f"&{urlencode({'cursor': cursor})}" if cursor else "")
        following = (await get_json(session, url))["next_cursor"]
        if not following:
            break
        cursor, page = following, page + 1
    return cursor, page


async def measure(
    base: str, token: str, endpoints: list[Endpoint], requests: int, rounds: int
) -> None:
    """Sequential requests, one keep-alive connection, interleaved rounds after a warm-up."""
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=1)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, timeout=timeout
    ) as session:
        for endpoint in endpoints:
            for _ in range(10):
                await get_json(session, base + endpoint.path)
        per_round = max(1, requests // rounds)
        for round_no in range(rounds):
            for endpoint in endpoints:
                samples = []
                for _ in range(per_round):
                    started = time.perf_counter()
                    async with session.get(base + endpoint.path) as response:
                        await response.read()
                        if response.status != 200:
                            raise SystemExit(f"{endpoint.path}: {response.status}")
                    samples.append(time.perf_counter() - started)
                endpoint.samples.extend(samples)
                endpoint.round_p50.append(percentile(samples, 0.5))
            print(
                f"  round {round_no + 1}/{rounds} (load {os.getloadavg()[0]:.2f}): "
                + ", ".join(f"{e.label} {e.round_p50[-1]:.1f}" for e in endpoints),
                flush=True,
            )


# -- the import -----------------------------------------------------------------------------------

IMPORT_HEADER = ["引用", "名称", "类型", "领域", "上级组织ID", "上级引用", "联系电话", "成立日期"]


def import_csv(rng: random.Random, city: Node, name: str, total: int) -> tuple[bytes, int]:
    """A new district's tree as the import file: the district names the city by id, every
    other row its parent by 引用 (the refs are the generator's own short labels)."""
    counter = iter(range(1, 10**9))
    tree = Tree(rng, (f"r{i}" for i in counter))
    district = tree.district(city, name, "370199", True, total)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPORT_HEADER)
    for n in tree.nodes:
        parent_id = city.id if n is district else ""
        parent_ref = n.parent.id if n.parent is not None and n is not district else ""
        writer.writerow(
            [
                n.id,
                n.name,
                n.kind.value,
                n.sector.value,
                parent_id,
                parent_ref,
                n.contact_phone or "",
                n.established_on.isoformat() if n.established_on else "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig"), len(tree.nodes)


async def run_import(base: str, token: str, data: bytes) -> tuple[float, int, Any]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="orgs.csv", content_type="text/csv")
    timeout = aiohttp.ClientTimeout(total=900)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        async with session.post(
            f"{base}/api/registry/imports/organizations",
            data=form,
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            body = await response.json()
            elapsed = time.perf_counter() - started
            return elapsed, response.status, body


async def count_under(dsn: str, prefix: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        n: int = await connection.fetchval(
            "SELECT count(*) FROM organizations WHERE path LIKE $1", prefix + "%"
        )
    finally:
        await connection.close()
    return n


# -- the run --------------------------------------------------------------------------------------


def report(
    counts: dict[str, int],
    endpoints: list[Endpoint],
    import_figures: tuple[int, float, int] | None,
    args: argparse.Namespace,
) -> None:
    print()
    print(
        "registry at scale, "
        + ", ".join(f"{n:,} {label}" for label, n in counts.items())
        + f"; PostgreSQL, direct to the registry, sequential requests, {args.rounds} "
        f"interleaved rounds of {args.requests // args.rounds} after a warm-up"
    )
    header = f"{'measurement':44} {'p50':>9} {'p99':>9} {'target':>9}  {'p50 per round':22} verdict"
    print(header)
    print("-" * len(header))
    for e in endpoints:
        p50, p99 = percentile(e.samples, 0.5), percentile(e.samples, 0.99)
        target = f"< {e.target_ms:.0f} ms" if e.target_ms else ""
        verdict = "" if e.target_ms is None else ("ok" if p50 < e.target_ms else "MISSED")
        rounds = " / ".join(f"{r:.1f}" for r in e.round_p50)
        print(f"{e.label:44} {p50:6.1f} ms {p99:6.1f} ms {target:>9}  {rounds:22} {verdict}")
    if import_figures is not None:
        rows, elapsed, created = import_figures
        verdict = "ok" if elapsed < TARGET_IMPORT_S else "MISSED"
        label = f"import {rows:,} organizations (CSV, to the 201)"
        print(
            f"{label:44} {elapsed:7.1f} s {'':9} {'< 60 s':>9}  "
            f"{f'{created:,} created':22} {verdict}"
        )


async def with_session(token: str, action: Any) -> Any:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        return await action(session)


async def check_statistics(base: str, token: str, scope: Scope) -> None:
    """The district's figures, beside what the database holds (the timings time real work)."""
    url = f"{base}/api/registry/statistics?{urlencode({'within': scope.district_id})}"
    figures = await with_session(token, lambda s: get_json(s, url))
    print(
        f"  its statistics: {figures['organizations']['total']:,} organizations, "
        f"{figures['members']['total']:,} members in force, "
        f"{figures['alliances']['total']} alliances, {figures['unit_coverage']['units']} units, "
        f"alliance coverage {figures['alliance_coverage']['organization_rate']:.1%} of "
        f"{figures['alliance_coverage']['grassroots_organizations']:,} grassroots organizations"
    )


def endpoints_for(scope: Scope, cursor: str, page: int) -> list[Endpoint]:
    within = urlencode({"within": scope.district_id, "limit": 50})
    initials = key_of(scope.place).initials
    return [
        Endpoint(
            "district subtree, page 1 (limit 50)",
            f"/api/registry/organizations?{within}",
            TARGET_P50_MS,
        ),
        Endpoint(
            f"district subtree, page {page} (cursor)",
            f"/api/registry/organizations?{within}&{urlencode({'cursor': cursor})}",
            TARGET_P50_MS,
        ),
        Endpoint(
            "statistics of a district",
            f"/api/registry/statistics?{urlencode({'within': scope.district_id})}",
            TARGET_P50_MS,
        ),
        Endpoint(
            "statistics of a street",
            f"/api/registry/statistics?{urlencode({'within': scope.street_id})}",
            TARGET_P50_MS,
        ),
        Endpoint("district members, page 1 (limit 50)", f"/api/registry/members?{within}", None),
        Endpoint(
            f"search q={scope.place}", f"/api/registry/search?{urlencode({'q': scope.place})}", None
        ),
        Endpoint(
            f"search q={initials} (initials)",
            f"/api/registry/search?{urlencode({'q': initials})}",
            None,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--alliances", type=int, default=400)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per endpoint")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--import-orgs", type=int, default=100_000, help="0: skip the import")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database kept by an earlier --keep run"
    )
    args = parser.parse_args()
    print(f"before the run: {machine_speed()}")
    tmp = Path(tempfile.mkdtemp(prefix="zhdj-bench-scale-"))
    dsn = database_dsn(DATABASE)
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    procs = Processes(tmp)
    try:
        counts: dict[str, int] = {}
        if not args.reuse:
            asyncio.run(fresh_database(DATABASE))
            upgrade(MIGRATIONS_DIR, url)
            print(f"generating and loading {DATABASE} (setup, not a target) ...", flush=True)
            started = time.perf_counter()
            loaded = asyncio.run(load(dsn, args))
            for label, seconds in loaded.seconds.items():
                print(f"  {label:40} {seconds:7.1f} s")
            print(f"  {'total':40} {time.perf_counter() - started:7.1f} s")
            counts = loaded.counts
        scope = asyncio.run(find_scope(dsn))
        if not counts:
            counts = asyncio.run(table_counts(dsn))
        print(
            f"measured scope: {scope.district_name} ({scope.district_orgs:,} organizations, "
            f"{scope.district_members:,} members) and {scope.street_name}",
            flush=True,
        )

        gateway_port, registry_port = free_port(), free_port()
        start_gateway(procs, gateway_port, registry_port)
        start_registry(procs, registry_port, gateway_port, url, demo_data=False)
        gateway, base = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{registry_port}"
        token = admin_token(gateway)
        asyncio.run(check_statistics(base, token, scope))
        listing = (
            f"/api/registry/organizations?{urlencode({'within': scope.district_id, 'limit': 50})}"
        )
        cursor, page = asyncio.run(
            with_session(token, lambda s: later_cursor(s, base, listing, 40))
        )
        endpoints = endpoints_for(scope, cursor, page)
        asyncio.run(measure(base, token, endpoints, args.requests, args.rounds))

        import_figures = None
        if args.import_orgs:
            city = Node(
                scope.city_id,
                None,
                "",
                K.CITY_COMMITTEE,
                S.GOVERNMENT_ORGAN,
                "370100",
                f"/{scope.city_id}/",
                0,
            )
            name = "新区" if scope.districts <= len(DISTRICTS) else f"新区{scope.districts}"
            data, rows = import_csv(random.Random(args.seed + 1), city, name, args.import_orgs)
            print(
                f"importing {rows:,} organizations ({len(data) / 1e6:.1f} MB CSV) ...", flush=True
            )
            elapsed, status, body = asyncio.run(run_import(base, admin_token(gateway), data))
            if status != 201:
                raise SystemExit(f"import answered {status}: {str(body)[:2000]}")
            import_figures = (rows, elapsed, int(body["created"]))
        report(counts, endpoints, import_figures, args)
    finally:
        procs.stop_all()
        if args.keep:
            print(f"kept: database {DATABASE}, logs in {tmp}")
        else:
            asyncio.run(drop_database(DATABASE))
            shutil.rmtree(tmp, ignore_errors=True)


async def table_counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        return {
            table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("organizations", "members", "units", "alliances")
        }
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
