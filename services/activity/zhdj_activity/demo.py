"""Demo data: a year of activity history for the demo city, with some organizations behind.

The registry owns the organization tree; this loader mirrors the demo city's fixed, readable ids
(``demo-s-xinhua-chaoyang-c1-b1``...) so the embedded platform shows meaningful compliance and
statistics on first start without calling the registry. History covers the twelve months before
today (China calendar): monthly committee meetings and themed party days, quarterly general
meetings and lectures, monthly party-group meetings, the park joint committee's meetings, and a
few planned activities ahead (for the calendar feed). Most organizations keep every cadence; a
few (``BEHIND``) skip many, so that the compliance report has something to say. Each activity
has a valid hash-chained log (created, record submitted, approved).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_activity.models import Activity, ActivityEvent, CadenceExemption, Participant
from zhdj_activity.services.chain import GENESIS, event_hash
from zhdj_activity.vocabulary import ActivityStatus, PartyKind
from zhdj_shared.clock import CHINA_TZ, today_in_china

DEMO_BY = "demo"
STREETS = {
    "demo-d-xinhua": ("demo-s-xinhua-chaoyang", "demo-s-xinhua-heping"),
    "demo-d-dongcheng": ("demo-s-dongcheng-dongfeng", "demo-s-dongcheng-jianshe"),
}
# How diligent each organization is (share of required activities held); default DILIGENT.
DILIGENT = 0.97
BEHIND = {
    "demo-s-xinhua-heping-c3-b1": 0.45,
    "demo-s-xinhua-heping-c3-b2": 0.6,
    "demo-s-dongcheng-jianshe-c2-b1": 0.3,
    "demo-s-dongcheng-jianshe-c2-b2": 0.5,
    "demo-s-dongcheng-jianshe-market": 0.55,
}
TITLES = {
    "committee_meeting": "支部委员会会议",
    "themed_party_day": "主题党日活动",
    "general_meeting": "支部党员大会",
    "party_lecture": "专题党课",
    "group_meeting": "党小组学习会",
    "joint_committee_meeting": "联合党委联席会议",
    "chain_heads_meeting": "链长会议",
}


@dataclass(frozen=True)
class DemoParty:
    id: str
    path: str
    kind: str  # branch | party_group | joint_committee


def demo_parties() -> list[DemoParty]:
    parties: list[DemoParty] = []
    for district, streets in STREETS.items():
        for street in streets:
            base = f"demo-city/{district}/{street}/"
            for c in range(1, 5):
                community = f"{street}-c{c}"
                for b in range(1, 3):
                    branch = f"{community}-b{b}"
                    path = f"{base}{community}/{branch}/"
                    parties.append(DemoParty(branch, path, "branch"))
                    parties.append(DemoParty(f"{branch}-g1", f"{path}{branch}-g1/", "party_group"))
            parties.append(DemoParty(f"{street}-market", f"{base}{street}-market/", "branch"))
            parties.append(DemoParty(f"{street}-tower", f"{base}{street}-tower/", "branch"))
    park = "demo-city/demo-d-xinhua/demo-park-xinhua/"
    parties += [
        DemoParty("demo-park-xinhua", park, "joint_committee"),
        DemoParty("demo-e-hongxing", f"{park}demo-e-hongxing/", "branch"),
        DemoParty("demo-e-jinglun-b1", f"{park}demo-e-jinglun/demo-e-jinglun-b1/", "branch"),
    ]
    return parties


# (activity type, every n months) per kind of party
SCHEDULE: dict[str, tuple[tuple[str, int], ...]] = {
    "branch": (
        ("committee_meeting", 1),
        ("themed_party_day", 1),
        ("general_meeting", 3),
        ("party_lecture", 3),
    ),
    "party_group": (("group_meeting", 1),),
    "joint_committee": (("joint_committee_meeting", 1), ("chain_heads_meeting", 3)),
}


def _months(today: date) -> list[date]:
    """First days of the twelve months before the current one, oldest first."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(12):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        firsts.append(date(year, month, 1))
    return list(reversed(firsts))


def _events(activity: Activity, held_on: date, approved: bool) -> list[ActivityEvent]:
    moments: list[tuple[str, dict[str, Any], datetime]] = [
        (
            "created",
            {"title": activity.title, "type_code": activity.type_code},
            activity.created_at,
        ),
        (
            "record_submitted",
            {"held_on": held_on.isoformat(), "minutes": activity.minutes},
            activity.ends_at + timedelta(hours=2),
        ),
    ]
    if approved:
        moments.append(("approved", {}, activity.ends_at + timedelta(days=3)))
    events, prev = [], GENESIS
    for seq, (kind, payload, at) in enumerate(moments, start=1):
        digest = event_hash(
            prev, activity_id=activity.id, seq=seq, kind=kind, payload=payload, actor=DEMO_BY, at=at
        )
        events.append(
            ActivityEvent(
                activity_id=activity.id,
                seq=seq,
                kind=kind,
                payload=payload,
                actor=DEMO_BY,
                at=at,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    return events


def _activity(party: DemoParty, type_code: str, day: date, status: ActivityStatus) -> Activity:
    starts = datetime.combine(day, time(14, 30), CHINA_TZ)
    held = status in (ActivityStatus.HELD, ActivityStatus.APPROVED)
    return Activity(
        type_code=type_code,
        title=f"{day.month}月{TITLES[type_code]}",
        owner_kind=PartyKind.ORG.value,
        owner_id=party.id,
        owner_path=party.path,
        status=status.value,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        held_on=day if held else None,
        location="党群服务中心会议室",
        minutes="传达学习上级精神，讨论本月工作安排。" if held else None,
        decisions=["落实本月志愿服务安排"] if held else [],
        created_by=DEMO_BY,
        created_at=starts - timedelta(days=7),
        updated_at=starts + timedelta(days=3),
    )


def _rows_for(party: DemoParty, today: date, rng: random.Random) -> list[Any]:
    rows: list[Any] = []
    share = BEHIND.get(party.id, DILIGENT)
    for i, first in enumerate(_months(today)):
        for type_code, every in SCHEDULE[party.kind]:
            if first.month % every:
                continue  # quarterly ones in the quarter's last month
            if rng.random() > share:
                continue
            day = first + timedelta(days=rng.randrange(3, 25))
            approved = i < 11
            status = ActivityStatus.APPROVED if approved else ActivityStatus.HELD
            activity = _activity(party, type_code, day, status)
            rows += [
                activity,
                _participant(party, activity, day),
                *_events(activity, day, approved),
            ]
    for type_code, _every in SCHEDULE[party.kind][:1]:
        day = today + timedelta(days=rng.randrange(5, 28))
        activity = _activity(party, type_code, day, ActivityStatus.PLANNED)
        rows += [activity, _participant(party, activity, day)]
        rows += _events(activity, day, approved=False)[:1]
    return rows


def _participant(party: DemoParty, activity: Activity, day: date) -> Participant:
    return Participant(
        activity_id=activity.id,
        party_kind=PartyKind.ORG.value,
        party_id=party.id,
        party_path=party.path,
        type_code=activity.type_code,
        status=activity.status,
        day=day,
    )


async def load_demo(session: AsyncSession) -> int:
    """Add the demo history once (idempotent: nothing happens when it is there)."""
    query = select(func.count(col(Activity.id))).where(col(Activity.created_by) == DEMO_BY)
    if (await session.exec(query)).one() > 0:
        return 0
    today = today_in_china()
    rng = random.Random(20250701)  # noqa: S311 - demo data, not secrets
    rows: list[Any] = []
    for party in demo_parties():
        rows += _rows_for(party, today, rng)
    # A branch merging communities is excused for two months (shows exemptions).
    first = _months(today)[6]
    rows.append(
        CadenceExemption(
            party_id="demo-s-xinhua-chaoyang-c4-b2",
            start_on=first,
            end_on=(first + timedelta(days=62)).replace(day=1) - timedelta(days=1),
            reason="社区合并，支部调整期间暂停考核",
            created_by=DEMO_BY,
        )
    )
    activities = [r for r in rows if isinstance(r, Activity)]
    session.add_all(activities)
    await session.flush()
    session.add_all([r for r in rows if not isinstance(r, Activity)])
    await session.flush()
    return len(activities)
