"""Bulk import and export of units and members: the organizations' pipeline with their rules.

All or nothing, row-level errors with row number and column, uniqueness against the database
and within the file (every row sharing a value reported), the importer's subtree, dry runs,
round trips, and members' personal data masked in exports for callers who do not manage them.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from openpyxl import load_workbook
from sqlmodel import col, func, select

from tests.registry.conftest import Registry
from tests.registry.test_imports import csv_file, read_csv, xlsx_file
from tests.registry.test_organizations import assert_problem
from zhdj_registry.codes import make_credit_code, make_id_number
from zhdj_registry.models import Member, Organization, Unit

IMPORTS = "/api/registry/imports"
EXPORTS = "/api/registry/exports"
CHAOYANG = "demo-s-xinhua-chaoyang"
C1 = f"{CHAOYANG}-c1"
BRANCH = f"{CHAOYANG}-c1-b1"
HEPING_BRANCH = "demo-s-xinhua-heping-c1-b1"
CHAOYANG_PATH = f"/demo-city/demo-d-xinhua/{CHAOYANG}/"

UNIT_HEADER = [
    "引用",
    "单位名称",
    "单位类型",
    "领域",
    "主管组织ID",
    "统一社会信用代码",
    "从业人员数",
    "本单位党组织ID",
    "覆盖组织ID",
    "党建指导员",
]
MEMBER_HEADER = [
    "引用",
    "姓名",
    "性别",
    "出生日期",
    "所属组织ID",
    "党员类别",
    "入党日期",
    "转正日期",
    "联系电话",
    "身份证号码",
    "家庭住址",
]


def credit_code(n: int) -> str:
    """Valid and unlike any demo unit's (those start 11, 12, 51 or 91)."""
    return make_credit_code(f"93110101{n:09d}")


def id_number(n: int) -> str:
    """Valid, distinct for n < 500,000 and unlike any demo member's (Beijing area code)."""
    born = date(1960, 1, 1) + timedelta(days=n // 500)
    return make_id_number("110101", born, (n % 500) * 2 + 1)  # odd: a man


def unit_rows(count: int, supervisor: str = CHAOYANG, start: int = 0) -> list[list[str]]:
    rows = []
    for i in range(start, start + count):
        own, covering, instructor = "", "", ""
        if i % 3 == 1:
            covering = C1
        elif i % 3 == 2:
            instructor = "王指导"
        kind = ("民营企业", "private_enterprise", "商务楼宇")[i % 3]
        sector = ("非公企业", "private_enterprise", "商务楼宇")[i % 3]
        rows.append(
            [
                f"u{i}",
                f"导入测试科技有限公司{i}",
                kind,
                sector if i % 3 != 0 else "private_enterprise",
                supervisor,
                credit_code(i),
                str(10 + i % 90),
                own,
                covering,
                instructor,
            ]
        )
    return rows


def member_rows(count: int, home: str = BRANCH, start: int = 0) -> list[list[str]]:
    rows = []
    for i in range(start, start + count):
        number = id_number(i)
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        rows.append(
            [
                f"m{i}",
                f"导入党员{i}",
                "男" if i % 2 else "male",
                born.isoformat(),
                home,
                "正式党员" if i % 2 else "full",
                "2010-07-01",
                "2011-07-01",
                f"139{i:08d}",
                number,
                f"山东省示范市新华区朝阳路{i}号",
            ]
        )
    return rows


async def upload(
    registry: Registry,
    entity: str,
    data: bytes,
    headers: dict[str, str],
    name: str = "rows.csv",
    **params: Any,
) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return await registry.client.post(
        f"{IMPORTS}/{entity}", files=files, params=params, headers=headers
    )


async def count(registry: Registry, model: type[Unit] | type[Member]) -> int:
    async with registry.session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


def errors_by_row(report: dict[str, Any]) -> dict[int, set[str | None]]:
    by_row: dict[int, set[str | None]] = {}
    for error in report["errors"]:
        by_row.setdefault(error["row"], set()).add(error["column"])
    return by_row


# --- units -------------------------------------------------------------------------------------


async def test_units_import_from_csv_and_xlsx(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    before = await count(demo_registry, Unit)
    data = csv_file(unit_rows(1500), header=UNIT_HEADER)
    dry = await upload(demo_registry, "units", data, staff, dry_run=True)
    assert dry.status_code == 200, dry.text[:2000]
    assert (dry.json()["valid"], dry.json()["created"]) == (True, 0)
    assert await count(demo_registry, Unit) == before
    response = await upload(demo_registry, "units", data, staff)
    assert response.status_code == 201, response.text[:2000]
    report = response.json()
    assert (report["entity"], report["rows"], report["created"]) == ("units", 1500, 1500)
    assert await count(demo_registry, Unit) == before + 1500
    async with demo_registry.session() as session:
        imported = {
            u.name: u
            for u in (
                await session.exec(select(Unit).where(col(Unit.name).startswith("导入测试")))
            ).all()
        }
    assert len(imported) == 1500
    first, second, third = (imported[f"导入测试科技有限公司{i}"] for i in range(3))
    assert (first.kind, first.sector, first.coverage) == (
        "private_enterprise",
        "private_enterprise",
        "blank",
    )
    assert (second.covering_org_id, second.coverage) == (C1, "work")
    assert (third.kind, third.sector, third.instructor_name) == (
        "office_building",
        "office_building",
        "王指导",
    )
    assert first.supervising_org_path == CHAOYANG_PATH
    assert first.credit_code == credit_code(0)
    assert first.employees == 10
    assert first.name_initials.startswith("drcskjyxgs")

    # xlsx, English code headers, supervising organization from ?parent_id
    header = ["name", "kind", "sector", "credit_code", "employees"]
    rows = [
        [f"表格单位{i}", "market", "商贸市场", credit_code(10_000 + i), str(i)] for i in range(300)
    ]
    xlsx = await upload(
        demo_registry, "units", xlsx_file(rows, header=header), staff, name="u.xlsx", parent_id=C1
    )
    assert xlsx.status_code == 201, xlsx.text[:2000]
    assert xlsx.json()["created"] == 300
    assert await count(demo_registry, Unit) == before + 1800
    async with demo_registry.session() as session:
        market = (await session.exec(select(Unit).where(Unit.name == "表格单位7"))).one()
    assert (market.supervising_org_id, market.supervising_org_path) == (C1, f"{CHAOYANG_PATH}{C1}/")


async def test_unit_coverage_columns_follow_the_coverage_rules(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    async with demo_registry.session() as session:
        member = (await session.exec(select(Member).where(Member.home_org_id == BRANCH))).first()
    assert member is not None
    header = ["ref", "name", "kind", "sector", "own_org_id", "instructor_member_id"]
    elsewhere = "demo-s-dongcheng-dongfeng-c1"  # coverage may point outside the subtree
    rows = [
        ["own", "有组织的公司", "民营企业", "非公企业", elsewhere, ""],
        ["ins", "有指导员的公司", "民营企业", "非公企业", "", member.id],
    ]
    data = csv_file(rows, header=header)
    response = await upload(demo_registry, "units", data, staff, parent_id=C1)
    assert response.status_code == 201, response.text
    refs = response.json()["refs"]
    async with demo_registry.session() as session:
        own = await session.get(Unit, refs["own"])
        instructed = await session.get(Unit, refs["ins"])
    assert own is not None
    assert instructed is not None
    assert (own.own_org_id, own.coverage) == (elsewhere, "organization")
    assert (instructed.instructor_member_id, instructed.instructor_name) == (member.id, member.name)
    assert instructed.coverage == "work"
    bad = csv_file([["x", "某公司", "民营企业", "非公企业", "", "no-such-member"]], header=header)
    refused = assert_problem(await upload(demo_registry, "units", bad, staff, parent_id=C1), 422)
    assert errors_by_row(refused["report"]) == {2: {"instructor_member_id"}}


async def test_a_unit_file_with_errors_imports_nothing(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    async with demo_registry.session() as session:
        taken = (
            await session.exec(
                select(Unit.credit_code).where(col(Unit.credit_code).is_not(None)).limit(1)
            )
        ).one()
    assert taken is not None
    good = unit_rows(20)
    wrong_check = credit_code(901)[:-1] + ("0" if credit_code(901)[-1] != "0" else "1")
    bad = [
        ["b0", "坏校验位", "民营企业", "非公企业", CHAOYANG, wrong_check, "", "", "", ""],
        ["b1", "未知主管", "民营企业", "非公企业", "no-such-org", credit_code(902), "", "", "", ""],
        ["b2", "重复甲", "民营企业", "非公企业", CHAOYANG, credit_code(903), "", "", "", ""],
        ["b3", "重复乙", "民营企业", "非公企业", C1, credit_code(903).lower(), "", "", "", ""],
        ["b4", "库中已有", "民营企业", "非公企业", CHAOYANG, taken, "", "", "", ""],
        ["b5", "越权单位", "民营企业", "非公企业", HEPING_BRANCH, credit_code(905), "", "", "", ""],
        ["b6", "星际公司", "星际企业", "非公企业", CHAOYANG, "", "", "", "", ""],
        ["b7", "未知覆盖", "民营企业", "非公企业", CHAOYANG, "", "-5", "", "nope", ""],
        ["b0", "重复引用", "民营企业", "非公企业", CHAOYANG, "", "", "", "", ""],
    ]
    data = csv_file(good + bad, header=UNIT_HEADER)
    before = await count(demo_registry, Unit)
    problem = assert_problem(await upload(demo_registry, "units", data, staff), 422)
    report = problem["report"]
    assert (report["valid"], report["created"]) == (False, 0)
    first_bad = len(good) + 2
    assert errors_by_row(report) == {
        first_bad: {"统一社会信用代码"},
        first_bad + 1: {"主管组织ID"},
        first_bad + 2: {"统一社会信用代码"},  # both rows of a shared code are reported
        first_bad + 3: {"统一社会信用代码"},
        first_bad + 4: {"统一社会信用代码"},
        first_bad + 5: {"主管组织ID"},
        first_bad + 6: {"单位类型"},
        first_bad + 7: {"从业人员数", "覆盖组织ID"},
        first_bad + 8: {"引用"},
    }
    messages = {e["row"]: e["message"] for e in report["errors"]}
    assert str(first_bad + 3) in messages[first_bad + 2]
    assert str(first_bad + 2) in messages[first_bad + 3]
    assert "无权" in messages[first_bad + 5]
    assert problem["errors"][0]["field"] == f"row {first_bad}: 统一社会信用代码"
    assert await count(demo_registry, Unit) == before
    dry = await upload(demo_registry, "units", data, staff, dry_run=True)
    assert dry.status_code == 200
    assert dry.json()["errors"] == report["errors"]
    assert await count(demo_registry, Unit) == before


async def test_unit_import_refusals(demo_registry: Registry) -> None:
    data = csv_file(unit_rows(2), header=UNIT_HEADER)
    before = await count(demo_registry, Unit)
    assert_problem(await upload(demo_registry, "units", data, demo_registry.as_resident()), 403)
    outsider = demo_registry.as_staff("demo-s-xinhua-heping")
    refused = assert_problem(await upload(demo_registry, "units", data, outsider), 422)
    assert {e["column"] for e in refused["report"]["errors"]} == {"主管组织ID"}
    no_supervisor = csv_file([["某公司", "民营企业", "非公企业"]], header=["名称", "类型", "领域"])
    staff = demo_registry.as_staff(CHAOYANG)
    assert_problem(
        await upload(demo_registry, "units", no_supervisor, staff, parent_id=HEPING_BRANCH), 403
    )
    assert_problem(
        await upload(demo_registry, "units", no_supervisor, staff, parent_id="no-such-org"), 422
    )
    missing = assert_problem(await upload(demo_registry, "units", no_supervisor, staff), 422)
    assert missing["report"]["errors"][0]["row"] == 2
    assert await count(demo_registry, Unit) == before


async def test_units_export_and_import_again(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    response = await demo_registry.client.get(
        f"{EXPORTS}/units", params={"within": CHAOYANG}, headers=staff
    )
    assert response.status_code == 200, response.text
    rows = read_csv(response.content)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["引用", "单位名称", "单位类型", "领域", "主管组织ID"]
    async with demo_registry.session() as session:
        expected = (
            await session.exec(
                select(Unit).where(
                    col(Unit.supervising_org_path).startswith(CHAOYANG_PATH),
                    Unit.status == "active",
                )
            )
        ).all()
    assert len(expected) >= 15
    assert {r[0] for r in body} == {u.id for u in expected}
    code = header.index("统一社会信用代码")
    with_code = {n for n, r in enumerate(body, start=2) if r[code]}
    assert with_code
    # the same file again: every unit's credit code is taken, nothing else is wrong
    dry = await upload(demo_registry, "units", response.content, staff, dry_run=True)
    report = dry.json()
    assert report["valid"] is False
    assert errors_by_row(report) == {key: {"统一社会信用代码"} for key in with_code}
    for row in body:
        row[code] = ""
    before = await count(demo_registry, Unit)
    again = await upload(demo_registry, "units", csv_file(body, header=header), staff)
    assert again.status_code == 201, again.text[:2000]
    assert again.json()["created"] == len(body)
    assert await count(demo_registry, Unit) == before + len(body)
    async with demo_registry.session() as session:
        copy = (
            await session.exec(select(Unit).where(Unit.id == again.json()["refs"][body[0][0]]))
        ).one()
    original = next(u for u in expected if u.id == body[0][0])
    assert (copy.name, copy.kind, copy.coverage, copy.own_org_id, copy.instructor_name) == (
        original.name,
        original.kind,
        original.coverage,
        original.own_org_id,
        original.instructor_name,
    )

    xlsx = await demo_registry.client.get(
        f"{EXPORTS}/units", params={"within": CHAOYANG, "format": "xlsx"}, headers=staff
    )
    assert xlsx.status_code == 200
    dry_xlsx = await upload(
        demo_registry, "units", xlsx.content, staff, name="u.xlsx", dry_run=True
    )
    assert {c for cs in errors_by_row(dry_xlsx.json()).values() for c in cs} == {"统一社会信用代码"}


async def test_unit_export_refusals(demo_registry: Registry) -> None:
    url = f"{EXPORTS}/units"
    outsider = demo_registry.as_staff("demo-s-xinhua-heping")
    assert_problem(
        await demo_registry.client.get(url, params={"within": CHAOYANG}, headers=outsider), 403
    )
    assert_problem(await demo_registry.client.get(url, headers=outsider), 422)
    assert_problem(
        await demo_registry.client.get(
            url, params={"within": CHAOYANG}, headers=demo_registry.as_resident()
        ),
        403,
    )
    everything = await demo_registry.client.get(url, headers=demo_registry.as_admin())
    async with demo_registry.session() as session:
        active = (
            await session.exec(
                select(func.count()).select_from(Unit).where(Unit.status == "active")
            )
        ).one()
    assert len(read_csv(everything.content)) - 1 == active


async def test_imported_units_are_stored_as_the_api_stores_them(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    body = {
        "name": "红纽带 示范企业ABC",
        "kind": "private_enterprise",
        "sector": "private_enterprise",
        "supervising_org_id": C1,
        "area_code": "370102",
        "area_name": "新华区",
        "address": "朝阳路1号",
        "employees": 40,
        "party_members": 3,
    }
    created = await demo_registry.client.post("/api/registry/units", json=body, headers=staff)
    assert created.status_code == 201, created.text
    coverage = {"covering_org_id": CHAOYANG, "instructor_name": "王指导"}
    covered = await demo_registry.client.put(
        f"/api/registry/units/{created.json()['id']}/coverage", json=coverage, headers=staff
    )
    assert covered.status_code == 200, covered.text
    row = {**body, **coverage, "employees": "40", "party_members": "3", "ref": "x"}
    imported = await upload(
        demo_registry, "units", csv_file([list(row.values())], list(row)), staff
    )
    assert imported.status_code == 201, imported.text
    async with demo_registry.session() as session:
        api = await session.get(Unit, created.json()["id"])
        bulk = await session.get(Unit, imported.json()["refs"]["x"])
    assert api is not None
    assert bulk is not None
    ignore = {"id", "created_at", "updated_at"}
    assert bulk.model_dump(exclude=ignore) == api.model_dump(exclude=ignore)


# --- members ------------------------------------------------------------------------------------


async def test_5000_members_import_from_csv(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    before = await count(demo_registry, Member)
    homes = [BRANCH, f"{CHAOYANG}-c1-b2", f"{CHAOYANG}-c2-b1"]
    rows = [r for i, h in enumerate(homes) for r in member_rows(1700, h, start=i * 1700)][:5000]
    data = csv_file(rows, header=MEMBER_HEADER)
    dry = await upload(demo_registry, "members", data, staff, dry_run=True)
    assert dry.status_code == 200, dry.text[:2000]
    assert dry.json()["valid"] is True, dry.json()["errors"][:5]
    assert await count(demo_registry, Member) == before
    response = await upload(demo_registry, "members", data, staff)
    assert response.status_code == 201, response.text[:2000]
    assert (response.json()["rows"], response.json()["created"]) == (5000, 5000)
    assert await count(demo_registry, Member) == before + 5000
    async with demo_registry.session() as session:
        member = (await session.exec(select(Member).where(Member.name == "导入党员3"))).one()
        home = await session.get(Organization, member.home_org_id)
    assert home is not None
    assert (member.home_org_id, member.org_path) == (BRANCH, home.path)
    assert (member.gender, member.status, member.id_number) == ("male", "full", id_number(3))
    assert member.birth_date == date(1960, 1, 1)
    assert member.converted_on == date(2011, 7, 1)
    listed = await demo_registry.client.get(
        "/api/registry/members", params={"name": "导入党员3", "within": BRANCH}, headers=staff
    )
    assert member.id in {m["id"] for m in listed.json()["items"]}


async def test_members_import_from_xlsx_with_code_headers(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    before = await count(demo_registry, Member)
    header = ["name", "gender", "id_number", "status", "joined_on", "user_id"]
    rows = [
        ["表格党员甲", "女", make_id_number("110101", date(1990, 5, 6), 2), "预备党员", "", ""],
        ["表格党员乙", "", id_number(77), "", "2020-01-02", "user-xlsx-1"],
    ]
    response = await upload(
        demo_registry,
        "members",
        xlsx_file(rows, header=header),
        staff,
        name="m.xlsx",
        parent_id=C1,
    )
    assert response.status_code == 201, response.text
    assert await count(demo_registry, Member) == before + 2
    async with demo_registry.session() as session:
        jia = (await session.exec(select(Member).where(Member.name == "表格党员甲"))).one()
        yi = (await session.exec(select(Member).where(Member.name == "表格党员乙"))).one()
    assert (jia.gender, jia.status, jia.home_org_id) == ("female", "probationary", C1)
    assert (yi.status, yi.joined_on, yi.user_id) == (
        "probationary",
        date(2020, 1, 2),
        "user-xlsx-1",
    )


async def test_a_member_file_with_errors_imports_nothing(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    async with demo_registry.session() as session:
        existing = (
            await session.exec(
                select(Member.id_number).where(col(Member.id_number).is_not(None)).limit(1)
            )
        ).one()
    assert existing is not None
    good = member_rows(30)
    valid = id_number(900)
    broken = valid[:-1] + ("0" if valid[-1] != "0" else "1")

    def row(ref: str, home: str, number: str, **changes: str) -> list[str]:
        cells = dict(zip(MEMBER_HEADER, member_rows(1, home, start=900)[0], strict=True))
        cells.update({"引用": ref, "身份证号码": number, "出生日期": "", "性别": ""}, **changes)
        return list(cells.values())

    bad = [
        row("b0", BRANCH, broken),  # check digit
        row("b1", "no-such-org", id_number(901)),  # unknown organization
        row("b2", BRANCH, id_number(902)),  # same ID number as the next row
        row("b3", C1, id_number(902).lower()),
        row("b4", BRANCH, existing),  # held by a demo member
        row("b5", HEPING_BRANCH, id_number(905)),  # outside the importer's subtree
        row("b6", BRANCH, id_number(906), 性别="女"),  # an odd sequence is a man
        row("b7", BRANCH, id_number(907), 党员类别="积极分子"),
        row("b8", BRANCH, id_number(908), 党员类别="预备党员"),  # probationary but converted
        row("b9", BRANCH, id_number(909), 入党日期="2099-01-01", 转正日期=""),
    ]
    data = csv_file(good + bad, header=MEMBER_HEADER)
    before = await count(demo_registry, Member)
    problem = assert_problem(await upload(demo_registry, "members", data, staff), 422)
    report = problem["report"]
    assert (report["valid"], report["created"]) == (False, 0)
    first_bad = len(good) + 2
    assert errors_by_row(report) == {
        first_bad: {"身份证号码"},
        first_bad + 1: {"所属组织ID"},
        first_bad + 2: {"身份证号码"},  # both rows with the same number
        first_bad + 3: {"身份证号码"},
        first_bad + 4: {"身份证号码"},
        first_bad + 5: {"所属组织ID"},
        first_bad + 6: {"身份证号码"},
        first_bad + 7: {"党员类别"},
        first_bad + 8: {"转正日期"},
        first_bad + 9: {"入党日期"},
    }
    messages = {e["row"]: e["message"] for e in report["errors"]}
    assert "check digit" in messages[first_bad]
    assert str(first_bad + 3) in messages[first_bad + 2]
    assert str(first_bad + 2) in messages[first_bad + 3]
    assert "已被已有记录使用" in messages[first_bad + 4]
    assert "无权" in messages[first_bad + 5]
    assert await count(demo_registry, Member) == before
    dry = await upload(demo_registry, "members", data, staff, dry_run=True)
    assert dry.status_code == 200
    assert dry.json()["errors"] == report["errors"]
    assert await count(demo_registry, Member) == before


async def test_member_import_refusals(demo_registry: Registry) -> None:
    data = csv_file(member_rows(3), header=MEMBER_HEADER)
    before = await count(demo_registry, Member)
    assert_problem(await upload(demo_registry, "members", data, demo_registry.as_resident()), 403)
    party_member = demo_registry.keys.bearer(sub="m-1", roles=["member"], orgs=[CHAOYANG])
    assert_problem(await upload(demo_registry, "members", data, party_member), 403)
    branch_staff = demo_registry.as_staff(f"{CHAOYANG}-c2")  # a sibling of the rows' branch
    refused = assert_problem(await upload(demo_registry, "members", data, branch_staff), 422)
    assert errors_by_row(refused["report"]) == {
        2: {"所属组织ID"},
        3: {"所属组织ID"},
        4: {"所属组织ID"},
    }
    assert_problem(
        await upload(
            demo_registry,
            "members",
            csv_file([["某人"]], header=["姓名"]),
            demo_registry.as_staff(CHAOYANG),
            parent_id=HEPING_BRANCH,
        ),
        403,
    )
    assert await count(demo_registry, Member) == before


async def test_imported_members_are_stored_as_the_api_stores_them(
    demo_registry: Registry,
) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    body = {
        "name": "欧阳 修远",
        "gender": "male",
        "birth_date": "1990-03-07",
        "home_org_id": BRANCH,
        "status": "full",
        "joined_on": "2015-07-01",
        "converted_on": "2016-07-01",
        "phone": "13812345678",
        "address": "山东省示范市新华区朝阳路18号",
    }
    created = await demo_registry.client.post("/api/registry/members", json=body, headers=staff)
    assert created.status_code == 201, created.text
    row = {**body, "ref": "x"}
    data = csv_file([list(row.values())], header=list(row))
    imported = await upload(demo_registry, "members", data, staff)
    assert imported.status_code == 201, imported.text
    async with demo_registry.session() as session:
        api = await session.get(Member, created.json()["id"])
        bulk = await session.get(Member, imported.json()["refs"]["x"])
    assert api is not None
    assert bulk is not None
    ignore = {"id", "created_at", "updated_at"}
    assert bulk.model_dump(exclude=ignore) == api.model_dump(exclude=ignore)


async def members_in(registry: Registry, path: str) -> list[Member]:
    async with registry.session() as session:
        query = select(Member).where(
            col(Member.org_path).startswith(path), col(Member.left_on).is_(None)
        )
        return list((await session.exec(query)).all())


async def test_members_export_and_import_again(demo_registry: Registry) -> None:
    staff = demo_registry.as_staff(CHAOYANG)
    response = await demo_registry.client.get(
        f"{EXPORTS}/members", params={"within": CHAOYANG}, headers=staff
    )
    assert response.status_code == 200, response.text
    rows = read_csv(response.content)
    header, body = rows[0], rows[1:]
    expected = {m.id: m for m in await members_in(demo_registry, CHAOYANG_PATH)}
    assert len(expected) >= 20
    assert {r[0] for r in body} == set(expected)
    column = {h: i for i, h in enumerate(header)}
    for row in body:  # managers get everything unmasked
        member = expected[row[0]]
        assert row[column["身份证号码"]] == (member.id_number or "")
        assert row[column["联系电话"]] == (member.phone or "")
        assert row[column["出生日期"]] == (
            member.birth_date.isoformat() if member.birth_date else ""
        )
    with_id = {n for n, r in enumerate(body, start=2) if r[column["身份证号码"]]}
    assert with_id
    # again into the same place: only the ID numbers and user ids are taken
    dry = await upload(demo_registry, "members", response.content, staff, dry_run=True)
    report = dry.json()
    assert report["valid"] is False
    flagged = errors_by_row(report)
    assert set(flagged) == with_id | {n for n, r in enumerate(body, start=2) if r[column["用户ID"]]}
    assert set().union(*flagged.values()) <= {"身份证号码", "用户ID"}
    # into an empty branch, without the unique columns: every row goes in
    for row in body:
        row[column["身份证号码"]] = row[column["用户ID"]] = row[column["所属组织ID"]] = ""
    target = f"{CHAOYANG}-c2-b1"
    before = len(await members_in(demo_registry, f"{CHAOYANG_PATH}{CHAOYANG}-c2/{target}/"))
    again = await upload(
        demo_registry, "members", csv_file(body, header=header), staff, parent_id=target
    )
    assert again.status_code == 201, again.text[:2000]
    assert again.json()["created"] == len(body)
    after = await members_in(demo_registry, f"{CHAOYANG_PATH}{CHAOYANG}-c2/{target}/")
    assert len(after) == before + len(body)


async def test_member_export_masks_what_the_caller_does_not_manage(
    demo_registry: Registry,
) -> None:
    expected = {m.id: m for m in await members_in(demo_registry, CHAOYANG_PATH)}
    assessor = demo_registry.keys.bearer(sub="a-1", roles=["assessor"], orgs=["demo-city"])
    himself = demo_registry.keys.bearer(
        sub="demo-user-member-li", roles=["member"], orgs=[CHAOYANG]
    )
    # A party member does not keep the rolls (though his token names his street): refused.
    refused = await demo_registry.client.get(
        f"{EXPORTS}/members", params={"within": CHAOYANG}, headers=himself
    )
    assert refused.status_code == 403, refused.text
    response = await demo_registry.client.get(
        f"{EXPORTS}/members", params={"within": CHAOYANG}, headers=assessor
    )
    assert response.status_code == 200, response.text
    rows = read_csv(response.content)
    column = {h: i for i, h in enumerate(rows[0])}
    assert {r[0] for r in rows[1:]} == set(expected)
    for row in rows[1:]:
        member = expected[row[0]]
        phone, number = row[column["联系电话"]], row[column["身份证号码"]]
        address, born = row[column["家庭住址"]], row[column["出生日期"]]
        if member.phone:
            assert "****" in phone
            assert phone != member.phone
        if member.id_number:
            assert number == member.id_number[:4] + "*" * 10 + member.id_number[-4:]
        if member.address:
            assert address.endswith("****")
        assert born == ""
        assert row[column["用户ID"]] == ""
        assert row[column["姓名"]] == member.name
    # the xlsx export masks alike
    xlsx = await demo_registry.client.get(
        f"{EXPORTS}/members", params={"within": CHAOYANG, "format": "xlsx"}, headers=assessor
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    cells = [str(c) for r in sheet.iter_rows(values_only=True) for c in r if c is not None]
    numbers = {m.id_number for m in expected.values() if m.id_number}
    assert numbers
    assert not numbers & set(cells)
    assert sum("**********" in c for c in cells) == len(numbers)


async def test_member_export_refusals_and_scope(demo_registry: Registry) -> None:
    url = f"{EXPORTS}/members"
    outsider = demo_registry.as_staff("demo-s-xinhua-heping")
    assert_problem(
        await demo_registry.client.get(url, params={"within": CHAOYANG}, headers=outsider), 403
    )
    assert_problem(await demo_registry.client.get(url, headers=demo_registry.as_resident()), 403)
    assert_problem(
        await demo_registry.client.get(url, params={"within": "nope"}, headers=outsider), 404
    )
    # without ``within``: everything the caller acts for, as the list
    own = await demo_registry.client.get(url, headers=outsider)
    assert own.status_code == 200
    heping = await members_in(demo_registry, "/demo-city/demo-d-xinhua/demo-s-xinhua-heping/")
    assert {r[0] for r in read_csv(own.content)[1:]} == {m.id for m in heping}
