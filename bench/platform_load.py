"""The whole platform under a realistic mixed load, through the gateway, on PostgreSQL.
(A script, not a test: issue 7, point 5.)

    .venv/bin/python bench/platform_load.py [--rate 300] [--duration 60] [--warmup 10]
        [--recompute-every 30] [--residents 200] [--members 40] [--connections 256]
        [--timeout 5] [--seed 7] [--database-prefix zhdj_bench_load]
        [--env ZHDJ_NAME=VALUE ...] [--keep]

The platform. The gateway and the four services run as real processes (``python -m
zhdj_<part>``, as in production), each on its own fresh PostgreSQL database
(``<prefix>_gateway``, ``_registry``, ``_activity``, ``_service_requests``, ``_assessment``),
with their demo data (the registry's demo city with its grids and households, the catalog and
3,000 demo requests, a year of activities, the demo's assessment cycles) and their client
credentials, so the services call each other through the gateway (a one-tap submission reads the
household from the registry, planning an activity reads the roster, a dashboard or a recompute
reads the other three services). The gateway's rate limits are raised far above the load: the
limiter runs (its cost is in the figures), it never refuses.

The people. The gateway's demo users (张伟 the resident, 李明 the member, the service centre of
朝阳街道, the street's and the district's organization staff, the assessor), plus, created through
the real API before the measured phase: ``--residents`` residents (``POST /auth/register``; each
then linked by the administrator to a household of the registry's demo grids, so one-tap works),
``--members`` party members (``POST /auth/users``, linked to member records of the two streets'
branches), and for 和平街道 a service centre and organization staff like 朝阳街道's. Everyone
logs in once (password grant) before the load: scrypt makes a login cost ~0.1 s of the gateway's
CPU, which is not what a day of use looks like. Tokens are refreshed (refresh grant, its own row
in the figures) when one would expire within a minute.

The load. An open-loop generator: request *i* is sent at ``start + i / --rate`` whatever the
answers before it did, and its latency is measured from that scheduled time, so a platform that
falls behind shows it as latency (no coordinated omission). Each slot draws one operation from the
weighted mix printed at the start: reads dominate (residents following their requests, staff
reading their queues, members reading their branch's activities, tree and calendar, leaders
reading statistics and dashboards); the writes follow the requests' and the activities' real
workflows. A resident submits (one tap from the household, or the app with an item, and half of
those with a location instead: the registry locates the grid), with an ``Idempotency-Key``; a
few resend a submission with the same key and body, as after a lost answer, and must get the same
request back (``Idempotent-Replayed``); the request's street service centre accepts it,
dispatches it to its department when it is a department's item, starts and resolves it; the
resident then rates it (or, one time in ten, sends it back: 发回重办, and the centre handles it
again). A street's staff plan an activity of one of its branches (the roster comes from the
registry), read the attendance, check the members in, upload two photos, submit the record and
approve it. A state-dependent operation with nothing to act on (no resolved request to rate yet)
is replaced by its actor's read (listed in the weights table). On top of the mix, the assessor
recomputes the demo's open cycle every ``--recompute-every`` seconds (the recompute reads every
alliance's figures from the other services through the gateway).

Every answer's status is checked against what the scenario expects (a 201 for a submission, 200
for a read...). An unexpected status is an error (listed with its first bodies), and so is a
timeout (``--timeout``; the recompute gets 120 s) or a broken connection.

The figures. Per operation (endpoint template): how many were measured, their throughput, p50,
p99 and max latency (from the scheduled time), and the errors by status; then all together. The
throughput is the measured requests answered as expected divided by the time from the first
scheduled send to the last answer: if the platform cannot keep up, the answers trail the schedule
and the throughput falls below the rate. Then the CPU seconds each process spent in the measured
phase (the gateway, each service, the PostgreSQL backends of the five databases, PostgreSQL's
background processes, which serve whatever else runs, and this client), also in milliseconds per
request answered as expected, and, when the platform kept up, what its total per request allows
on the machine's cores (the steadier figure on a shared machine), each one's peak
resident memory during the load (``VmHWM``, reset after the set-up, whose scrypt hashing would
dominate the gateway's peak; the PostgreSQL backends' peaks include the shared buffers they
touched), how busy the machine's cores were and the load average. Then how many requests each
part served (their ``/metrics``): beyond the bench's own, the gateway carries the services' calls
to each other, and the busiest routes show where that amplification comes from. Error lines in
the parts' logs are shown. Last, a verdict per target of the issue: >= 300 req/s, p99 < 250 ms,
no errors.

The machine is small (2 cores) and may be shared: read the figures together with the machine's
busy cores and the load average printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg
from common import (
    ADMIN_PASSWORD,
    PG_ADMIN_DSN,
    PYTHON,
    Processes,
    base_env,
    drop_database,
    free_port,
    fresh_database,
    machine_speed,
    percentile,
    start_gateway,
    start_registry,
    wait_http,
)
from requests_submit import machine_busy, process_cpu, process_tree

from zhdj_registry.demo_grids import DEMO_COMMUNITIES, grid_center
from zhdj_shared.clock import today_in_china

PARTS = ("gateway", "registry", "activity", "service-requests", "assessment")
SERVICES = PARTS[1:]
MODULES = {part: f"zhdj_{part.replace('-', '_')}" for part in PARTS}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DEMO_PASSWORD = "demo-only-2026"  # noqa: S105 - the gateway's demo default
RESIDENT_PASSWORD = "Bench-resident-2026"  # noqa: S105 - throwaway
STAFF_PASSWORD = "Bench-staff-2026!"  # noqa: S105 - throwaway
DISTRICT = "demo-d-xinhua"
STREETS = {"chaoyang": "demo-s-xinhua-chaoyang", "heping": "demo-s-xinhua-heping"}
YEAR = today_in_china().year
TARGET_RATE = 300.0
TARGET_P99_MS = 250.0
REFRESH_MARGIN_S = 60.0
RECOMPUTE_TIMEOUT_S = 120.0
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 80  # ~20 KB: a phone photo, scaled down
# What residents file from the app: (item, description). The department items are dispatched.
APP_ITEMS = [
    ("item-repair", "单元楼道灯不亮，晚上上下楼看不清"),
    ("item-repair", "小区健身器材螺丝松动，存在安全隐患"),
    ("item-urban-management-02", "路口路灯连续三晚不亮"),
    ("item-consult", "想咨询一下独生子女父母奖励怎么申请"),
    ("item-temporary-relief", "家中老人突发疾病，生活暂时困难"),
]
ONE_TAP = ["repair", "repair", "help", "consult"]
ACTIVITY_TYPES = [
    ("themed_party_day", "主题党日：学习贯彻党的二十大精神"),
    ("general_meeting", "支部党员大会：发展党员票决"),
    ("committee_meeting", "支部委员会：研究本月工作"),
]


def log(message: str) -> None:
    print(message, flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


# -- the platform ---------------------------------------------------------------------------------


def secret_of(part: str) -> str:
    return f"bench-load-{part}-secret-2026"


def env_prefix(part: str) -> str:
    return f"ZHDJ_{part.upper().replace('-', '_')}_"


@dataclass
class Platform:
    gateway: str
    pids: dict[str, int]
    databases: dict[str, str]
    urls: dict[str, str]  # each part's own address (its /metrics)


def start_service(
    procs: Processes,
    part: str,
    port: int,
    gateway_port: int,
    url: str,
    extra: dict[str, str],
    settings: dict[str, str],
) -> subprocess.Popen[bytes]:
    prefix = env_prefix(part)
    env = base_env(procs.tmp)
    env.update(
        {
            f"{prefix}PORT": str(port),
            f"{prefix}DATABASE_URL": url,
            f"{prefix}CLIENT_ID": f"svc-{part}",
            f"{prefix}CLIENT_SECRET": secret_of(part),
            f"{prefix}LOAD_DEMO_DATA": "true",
            "ZHDJ_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
            **settings,
            **extra,
        }
    )
    process = procs.start(part, [PYTHON, "-m", MODULES[part]], env)
    wait_http(f"http://127.0.0.1:{port}/healthz", process, procs.tmp / f"{part}.log", 180)
    return process


@contextmanager
def platform(
    tmp: Path, prefix: str, settings: dict[str, str], token_ttl: int | None = None
) -> Iterator[Platform]:
    """The five parts, each on a fresh database of its own, demo data loaded; ``settings``
    (``ZHDJ_*`` variables, ``--env``) given to every part."""
    procs = Processes(tmp)
    try:
        databases = {part: f"{prefix}_{part.replace('-', '_')}" for part in PARTS}
        urls = {part: asyncio.run(fresh_database(db)) for part, db in databases.items()}
        ports = {part: free_port() for part in PARTS}
        upstreams = {
            f"ZHDJ_GATEWAY_{part.upper().replace('-', '_')}_URL": f"http://127.0.0.1:{ports[part]}"
            for part in SERVICES
        }
        gateway = start_gateway(
            procs,
            ports["gateway"],
            ports["registry"],
            {
                "ZHDJ_GATEWAY_DATABASE_URL": urls["gateway"],
                **settings,
                **({"ZHDJ_GATEWAY_ACCESS_TOKEN_TTL_SECONDS": str(token_ttl)} if token_ttl else {}),
                **upstreams,
                # the gateway creates svc-<part> for each secret it is given
                **{f"{env_prefix(part)}CLIENT_SECRET": secret_of(part) for part in SERVICES},
            },
        )
        pids = {"gateway": gateway.pid}
        pids["registry"] = start_registry(
            procs,
            ports["registry"],
            ports["gateway"],
            urls["registry"],
            extra_env={
                "ZHDJ_REGISTRY_CLIENT_ID": "svc-registry",
                "ZHDJ_REGISTRY_CLIENT_SECRET": secret_of("registry"),
                **settings,
            },
        ).pid
        extras: dict[str, dict[str, str]] = {
            "activity": {"ZHDJ_ACTIVITY_STORAGE_URL": f"file://{tmp / 'activity-blobs'}"},
            "service-requests": {"ZHDJ_SERVICE_REQUESTS_STORAGE_URL": str(tmp / "request-blobs")},
            "assessment": {},
        }
        for part, extra in extras.items():
            process = start_service(
                procs, part, ports[part], ports["gateway"], urls[part], extra, settings
            )
            pids[part] = process.pid
        urls = {part: f"http://127.0.0.1:{port}" for part, port in ports.items()}
        yield Platform(urls["gateway"], pids, databases, urls)
    finally:
        procs.stop_all()


# -- users and tokens -----------------------------------------------------------------------------


@dataclass(eq=False)
class User:
    username: str
    password: str
    user_id: str = ""
    access: str = ""
    refresh: str = ""
    expires_at: float = 0.0  # time.monotonic()
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(eq=False)
class Resident:
    user: User
    requests: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Member:
    user: User
    branch: str
    community: str  # the branch's parent: what a member browses


@dataclass
class Tracked:
    """A request the bench submitted, as its street's desk sees it."""

    id: str
    resident: Resident
    department_id: str | None
    street: Street
    closed: bool = False  # rated (the rating may still be on its way)


@dataclass
class Flow:
    """An activity a street's staff are recording: the steps done so far."""

    branch: str
    id: str = ""
    roster: list[str] = field(default_factory=list)
    step: int = 0  # index in ACTIVITY_STEPS
    busy: bool = False


@dataclass(eq=False)
class Street:
    """A street: its service centre's desk (work by next action) and its organization staff."""

    org_id: str
    center: User
    staff: User
    branches: list[str]
    work: dict[str, deque[Tracked]] = field(
        default_factory=lambda: {a: deque() for a in ("resolve", "start", "dispatch", "accept")}
    )
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    flows: list[Flow] = field(default_factory=list)


class Api:
    """The bench's HTTP client: every call through the gateway, each user's own token."""

    def __init__(self, gateway: str, session: aiohttp.ClientSession, timeout: float) -> None:
        self.gateway = gateway
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.on_refresh: Callable[[float, str], None] | None = None  # (seconds, outcome)

    async def token(self, form: dict[str, str]) -> dict[str, Any]:
        async with self.session.post(
            f"{self.gateway}/auth/token", data=form, timeout=self.timeout
        ) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"token: {response.status} {body[:300]!r}")
            answer: dict[str, Any] = json.loads(body)
        return answer

    async def login(self, user: User) -> None:
        answer = await self.token(
            {"grant_type": "password", "username": user.username, "password": user.password}
        )
        self._keep(user, answer)

    async def bearer(self, user: User) -> str:
        """The user's access token, refreshed first when it would expire within a minute
        (a user not logged in yet logs in: in the set-up only)."""
        if not user.refresh:
            async with user.lock:
                if not user.refresh:
                    await self.login(user)
        if user.expires_at - time.monotonic() < REFRESH_MARGIN_S:
            async with user.lock:
                if user.expires_at - time.monotonic() < REFRESH_MARGIN_S:
                    started, outcome = time.monotonic(), "ok"
                    try:
                        answer = await self.token(
                            {"grant_type": "refresh_token", "refresh_token": user.refresh}
                        )
                        self._keep(user, answer)
                    except (RuntimeError, aiohttp.ClientError, TimeoutError) as exc:
                        outcome = "refresh failed"
                        raise RuntimeError(f"refresh of {user.username}: {exc}") from exc
                    finally:
                        if self.on_refresh:
                            self.on_refresh(time.monotonic() - started, outcome)
        return user.access

    def _keep(self, user: User, answer: dict[str, Any]) -> None:
        user.access = answer["access_token"]
        user.refresh = answer.get("refresh_token", user.refresh)
        user.expires_at = time.monotonic() + float(answer["expires_in"])

    async def call(
        self, method: str, path: str, user: User | None, *, expect: int = 200, **kw: Any
    ) -> Any:
        """A set-up call: anything but ``expect`` stops the bench with the answer."""
        headers = {"Authorization": f"Bearer {await self.bearer(user)}"} if user else {}
        kw.setdefault("timeout", self.timeout)
        async with self.session.request(
            method, self.gateway + path, headers=headers, **kw
        ) as response:
            body = await response.read()
            if response.status != expect:
                raise SystemExit(f"set-up: {method} {path}: {response.status} {body[:500]!r}")
        return json.loads(body) if body else None


# -- the set-up -----------------------------------------------------------------------------------


@dataclass
class World:
    """Everyone, and what the load has done so far."""

    assessor: User
    district_staff: User
    residents: list[Resident]
    members: list[Member]
    streets: list[Street]
    cycle_id: str
    with_requests: list[Resident] = field(default_factory=list)
    to_rate: deque[Tracked] = field(default_factory=deque)
    sent: deque[tuple[Resident, str, dict[str, Any], str]] = field(
        default_factory=lambda: deque(maxlen=100)
    )  # (resident, key, body, id) of recent app submissions, for the lost-answer resend
    activities: dict[str, list[str]] = field(default_factory=dict)  # branch -> known ids
    fresh: deque[Tracked] = field(default_factory=lambda: deque(maxlen=200))  # the run's own

    def street_of(self, org_id: str) -> Street:
        for street in self.streets:
            if org_id.startswith(street.org_id):
                return street
        raise KeyError(org_id)

    def track(self, resident: Resident, request_id: str) -> None:
        if not resident.requests:
            self.with_requests.append(resident)
        resident.requests.append(request_id)


T = TypeVar("T")


async def gather_limited(n: int, jobs: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """The jobs' results, at most ``n`` running at once (scrypt: the gateway's CPU is the limit)."""
    semaphore = asyncio.Semaphore(n)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


async def free_households(api: Api, admin: User, count: int) -> list[str]:
    """Demo households nobody's account is linked to, spread over the eight communities."""
    per_community: list[list[str]] = []
    for community in DEMO_COMMUNITIES:
        page = await api.call(
            "GET", f"/api/registry/households?community_id={community}&limit=200", admin
        )
        per_community.append([h["id"] for h in page["items"] if h["user_id"] is None])
    spread = [
        ids[i] for i in range(max(map(len, per_community))) for ids in per_community if i < len(ids)
    ]
    if len(spread) < count:
        raise SystemExit(f"only {len(spread)} free demo households for {count} residents")
    return spread[:count]


async def free_members(api: Api, admin: User, count: int) -> list[dict[str, Any]]:
    """Member records of the two streets' branches that no account is linked to."""
    found: list[dict[str, Any]] = []
    for street in STREETS.values():
        cursor = ""
        while True:
            page = await api.call(
                "GET", f"/api/registry/members?within={street}&limit=200{cursor}", admin
            )
            found += [m for m in page["items"] if m["user_id"] is None and m["active"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
    rng = random.Random(3)
    rng.shuffle(found)
    return found[:count]


DEMO_USERS = (
    "service_center",
    "chaoyang_secretary",
    "xinhua_staff",
    "assessor",
    "member_li",
    "resident_zhang",
)
# 和平街道's service centre and organization staff, like the demo's for 朝阳街道.
HEPING_STAFF = {
    "heping_center": ("和平街道党群服务中心", "service_staff"),
    "heping_secretary": ("和平街道党工委", "org_staff"),
}


async def create_user(api: Api, admin: User, user: User, name: str, role: str, org: str) -> None:
    view = await api.call(
        "POST",
        "/auth/users",
        admin,
        expect=201,
        json={
            "username": user.username,
            "password": user.password,
            "display_name": name,
            "roles": [{"role": role, "org_id": org}],
        },
    )
    user.user_id = view["id"]


async def register_resident(api: Api, admin: User, n: int, household: str) -> Resident:
    """A resident signs up in the app; the community links the account to their household."""
    user = User(f"bench_resident_{n:04d}", RESIDENT_PASSWORD)
    body = {
        "username": user.username,
        "password": user.password,
        "display_name": f"压测居民{n:04d}",
        "phone": f"139{n:08d}",
    }
    view = await api.call("POST", "/auth/register", None, expect=201, json=body)
    user.user_id = view["id"]
    link = {"user_id": user.user_id}
    await api.call("PATCH", f"/api/registry/households/{household}", admin, json=link)
    return Resident(user)


async def enrol_member(
    api: Api, admin: User, n: int, record: dict[str, Any], parents: dict[str, str]
) -> Member:
    """An account for a member of the registry, linked to their record."""
    user = User(f"bench_member_{n:04d}", STAFF_PASSWORD)
    home = record["home_org_id"]
    await create_user(api, admin, user, record["name"], "member", home)
    link = {"user_id": user.user_id}
    await api.call("PATCH", f"/api/registry/members/{record['id']}", admin, json=link)
    return Member(user, home, parents.get(home, home))


async def street_orgs(api: Api, admin: User) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each street's branches, and every organization's parent in the two streets."""
    branches: dict[str, list[str]] = {}
    parents: dict[str, str] = {}
    for street in STREETS.values():
        path = f"/api/registry/organizations?within={street}&limit=200"
        items = (await api.call("GET", path, admin))["items"]
        branches[street] = sorted(o["id"] for o in items if o["kind"] == "branch")
        parents.update({o["id"]: o["parent_id"] for o in items if o["parent_id"]})
    return branches, parents


async def set_up(api: Api, args: argparse.Namespace) -> World:
    admin = User("admin", ADMIN_PASSWORD)
    users = {name: User(name, DEMO_PASSWORD) for name in DEMO_USERS}
    for username, (name, role) in HEPING_STAFF.items():
        users[username] = User(username, STAFF_PASSWORD)
        await create_user(api, admin, users[username], name, role, STREETS["heping"])

    started = time.perf_counter()
    households = await free_households(api, admin, args.residents)
    signups = [partial(register_resident, api, admin, n, h) for n, h in enumerate(households, 1)]
    residents = [Resident(users["resident_zhang"]), *await gather_limited(4, signups)]
    branches, parents = await street_orgs(api, admin)
    li = await api.call("GET", "/api/registry/members/me", users["member_li"])
    records = await free_members(api, admin, args.members)
    enrolments = [
        partial(enrol_member, api, admin, n, r, parents) for n, r in enumerate(records, 1)
    ]
    members = [
        Member(users["member_li"], li["home_org_id"], parents[li["home_org_id"]]),
        *await gather_limited(4, enrolments),
    ]
    log(
        f"  {len(residents) - 1} residents registered and linked to households, "
        f"{len(members) - 1} members linked to their records "
        f"({time.perf_counter() - started:.0f} s)"
    )

    started = time.perf_counter()
    everyone = [*users.values(), *(r.user for r in residents[1:]), *(m.user for m in members[1:])]
    await gather_limited(4, [partial(api.login, u) for u in everyone if not u.access])
    log(f"  {len(everyone) + 1} users logged in ({time.perf_counter() - started:.0f} s)")

    streets = [
        Street(org, users[center], users[staff], branches[org])
        for org, center, staff in (
            (STREETS["chaoyang"], "service_center", "chaoyang_secretary"),
            (STREETS["heping"], "heping_center", "heping_secretary"),
        )
    ]
    cycles = await api.call("GET", "/api/assessment/cycles", users["assessor"])
    open_cycles = [c["id"] for c in cycles["items"] if c["status"] == "open"]
    if not open_cycles:
        raise SystemExit("the assessment demo has no open cycle")
    world = World(
        users["assessor"], users["xinhua_staff"], residents, members, streets, open_cycles[0]
    )
    # 张伟 follows his demo requests from the start
    mine = await api.call("GET", "/api/service-requests/requests?limit=50", residents[0].user)
    for item in mine["items"]:
        world.track(residents[0], item["id"])
    return world


# -- operations -----------------------------------------------------------------------------------


@dataclass
class Call:
    """One HTTP request of the mix, what it must answer, and what to remember of the answer."""

    op: str  # the endpoint template the figures are grouped by
    method: str
    path: str
    user: User
    expect: int = 200
    json: Any = None
    body: bytes | None = None
    form: Callable[[], aiohttp.FormData] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Called with the answer's headers and JSON; returns a problem (an error) or None.
    then: Callable[[Any, Any], str | None] | None = None
    # Called when the answer was not the expected one (to give back a claimed piece of work).
    failed: Callable[[], None] | None = None
    timeout: float | None = None


Builder = Callable[["Scenario"], Call | None]


@dataclass(frozen=True)
class Op:
    actor: str
    label: str
    weight: float  # per mille of the scheduled slots
    build: Builder
    fallback: str | None = None  # the label run instead when ``build`` has nothing to act on


def get(template: str, user: User, query: str = "", id: str = "", **kw: Any) -> Call:
    """A read: the figures group it by ``template``; its path is the template, ``{id}`` filled."""
    name = kw.pop("name", "")
    return Call(f"GET {template}{name}", "GET", template.format(id=id) + query, user, **kw)


def post(template: str, user: User, id: str = "", **kw: Any) -> Call:
    name = kw.pop("name", "")
    return Call(f"POST {template}{name}", "POST", template.format(id=id), user, **kw)


REQUESTS = "/api/service-requests/requests"
ONE_REQUEST = REQUESTS + "/{id}"
ACTIVITY = "/api/activity/activities/{id}"
Then = Callable[[Any, Any], str | None]


class Scenario:
    """Builds each slot's call from the world's state (one event loop: no locks needed)."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng

    def resident(self) -> Resident:
        return self.rng.choice(self.world.residents)

    def member(self) -> Member:
        return self.rng.choice(self.world.members)

    def street(self) -> Street:
        return self.rng.choice(self.world.streets)

    def own_request(self) -> tuple[Resident, str] | None:
        if not self.world.with_requests:
            return None
        resident = self.rng.choice(self.world.with_requests)
        return resident, self.rng.choice(resident.requests[-20:])

    def submitted(self, resident: Resident) -> Then:
        """What a submission's answer starts: the resident follows it, its street's desk has
        it to accept."""

        def then(_headers: Any, body: Any) -> str | None:
            self.world.track(resident, body["id"])
            street = self.world.street_of(body["handling_org_id"])
            tracked = Tracked(body["id"], resident, body["department_id"], street)
            self.world.fresh.append(tracked)
            street.work["accept"].append(tracked)
            street.recent.append(body["id"])
            return None

        return then

    # residents

    def list_own(self) -> Call:
        return get(REQUESTS, self.resident().user, "?limit=20")

    def follow_one(self) -> Call | None:
        picked = self.own_request()
        if picked is None:
            return None
        return get(ONE_REQUEST, picked[0].user, id=picked[1])

    def one_tap(self) -> Call:
        resident = self.resident()
        return post(
            REQUESTS + "/one-click",
            resident.user,
            expect=201,
            json={"preset": self.rng.choice(ONE_TAP)},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            then=self.submitted(resident),
        )

    def app_submit(self) -> Call:
        resident = self.resident()
        item, description = self.rng.choice(APP_ITEMS)
        body: dict[str, Any] = {"item_id": item, "description": description}
        if self.rng.random() < 0.5:  # somewhere else than home: the registry locates the grid
            lat, lng = grid_center(self.rng.randrange(8), self.rng.randrange(3))
            body["location"] = {"lat": lat, "lng": lng}
        key = uuid.uuid4().hex
        remember = self.submitted(resident)

        def then(headers: Any, answer: Any) -> str | None:
            self.world.sent.append((resident, key, body, answer["id"]))
            return remember(headers, answer)

        return post(
            REQUESTS,
            resident.user,
            expect=201,
            json=body,
            headers={"Idempotency-Key": key},
            then=then,
        )

    def resend(self) -> Call | None:
        """The same key and body again: the stored answer, naming the same request."""
        if not self.world.sent:
            return None
        resident, key, body, request_id = self.rng.choice(self.world.sent)

        def then(headers: Any, answer: Any) -> str | None:
            if answer["id"] != request_id or headers.get("Idempotent-Replayed") != "true":
                return "resend answered another request"
            return None

        return post(
            REQUESTS,
            resident.user,
            name=" (resent key)",
            expect=201,
            json=body,
            headers={"Idempotency-Key": key},
            then=then,
        )

    def rate(self) -> Call | None:
        if not self.world.to_rate:
            return None
        tracked = self.world.to_rate.popleft()
        user = tracked.resident.user
        if self.rng.random() < 0.1:  # unsatisfied: 发回重办, the centre handles it again

            def reopened(_headers: Any, _answer: Any) -> str | None:
                tracked.street.work["start"].append(tracked)
                return None

            reason = {"reason": "问题没有解决，灯又不亮了"}
            return post(ONE_REQUEST + "/reopen", user, tracked.id, json=reason, then=reopened)
        tracked.closed = True  # from now: no photo may race the rating
        rating = self.rng.choices([5, 4, 3, 2, 1], [60, 25, 8, 4, 3])[0]
        comment = "办理及时，态度很好" if rating >= 4 else "处理效果一般"
        body = {"rating": rating, "comment": comment}
        return post(ONE_REQUEST + "/rate", user, tracked.id, json=body)

    def photo(self) -> Call | None:
        """A photo of what the resident just reported (one of the run's own submissions)."""
        still_open = [t for t in self.world.fresh if not t.closed]  # a closed one takes none
        if not still_open:
            return None
        tracked = self.rng.choice(still_open)
        return Call(
            f"POST {ONE_REQUEST}/attachments",
            "POST",
            f"{REQUESTS}/{tracked.id}/attachments?filename=现场.png",
            tracked.resident.user,
            expect=201,
            body=PNG + uuid.uuid4().bytes,
            headers={"Content-Type": "image/png"},
        )

    def presets(self) -> Call:
        return get("/api/service-requests/catalog/presets", self.resident().user)

    def catalog_search(self) -> Call:
        q = self.rng.choice(["路灯", "ld", "户口", "hkqr", "低保", "dibao", "维修", "养老"])
        return get(
            "/api/service-requests/catalog/items",
            self.resident().user,
            f"?q={q}&limit=20",
            name="?q=",
        )

    def household(self) -> Call:
        return get("/api/registry/households/mine", self.resident().user)

    def me(self) -> Call:
        return get("/auth/me", self.rng.choice([self.resident().user, self.member().user]))

    # service centres

    def queue(self) -> Call:
        return get(REQUESTS + "/queue", self.street().center, "?limit=20")

    def open_request(self) -> Call | None:
        street = self.street()
        if not street.recent:
            return None
        return get(ONE_REQUEST, street.center, id=self.rng.choice(street.recent))

    def move(self) -> Call | None:
        """The furthest-along request of a desk takes its next step (so some get resolved)."""
        street = self.street()
        action = next((a for a, queue in street.work.items() if queue), None)
        if action is None:
            return None
        tracked = street.work[action].popleft()
        body: dict[str, Any] = {}
        if action == "dispatch":
            body = {"department_id": tracked.department_id, "note": "请尽快处理"}
        elif action == "resolve":
            body = {"result": "已现场处理完毕，居民确认", "volunteers": 0}

        def then(_headers: Any, _answer: Any) -> str | None:
            if action == "resolve":
                self.world.to_rate.append(tracked)
            else:
                street.work[NEXT_STEP[action, tracked.department_id is not None]].append(tracked)
            return None

        return post(f"{ONE_REQUEST}/{action}", street.center, tracked.id, json=body, then=then)

    def overdue(self) -> Call:
        street = self.street()
        query = f"?overdue=true&within={street.org_id}&limit=20"
        return get(REQUESTS, street.center, query, name="?overdue=true&within=")

    # street staff recording activities

    def activity_step(self) -> Call | None:
        """The next step of an activity being recorded; a new one when none is waiting."""
        street = self.street()
        flow = next((f for f in street.flows if not f.busy), None)
        if flow is None:
            if len(street.flows) >= 3:
                return None
            flow = Flow(self.rng.choice(street.branches))
            street.flows.append(flow)
        flow.busy = True
        call = self._step(street, flow)
        then = call.then

        def done(headers: Any, answer: Any) -> str | None:
            problem = then(headers, answer) if then else None
            flow.step += 1
            flow.busy = False
            if flow.step == len(ACTIVITY_STEPS):
                street.flows.remove(flow)
            return problem

        def dropped() -> None:
            street.flows.remove(flow)

        call.then, call.failed = done, dropped
        return call

    def _step(self, street: Street, flow: Flow) -> Call:
        step, user = ACTIVITY_STEPS[flow.step], street.staff
        if step == "plan":
            type_code, title = self.rng.choice(ACTIVITY_TYPES)
            starts = datetime.now(UTC) - timedelta(hours=3)  # recorded after the meeting

            def planned(_headers: Any, answer: Any) -> str | None:
                flow.id = answer["id"]
                self.world.activities.setdefault(flow.branch, []).append(flow.id)
                return None

            body = {
                "type_code": type_code,
                "title": title,
                "owner": {"id": flow.branch},
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(minutes=90)).isoformat(),
                "location": "党群服务中心二楼会议室",
            }
            return post("/api/activity/activities", user, expect=201, json=body, then=planned)
        if step == "attendance":

            def roster(_headers: Any, answer: Any) -> str | None:
                flow.roster = [r["member_id"] for r in answer["items"]]
                return None

            return get(ACTIVITY + "/attendance", user, id=flow.id, then=roster)
        if step == "checkins":
            present = flow.roster[:-1] or flow.roster  # one member is away
            body = {"member_ids": present}
            return post(ACTIVITY + "/attendance/checkins", user, flow.id, json=body)
        if step == "photos":

            def photos() -> aiohttp.FormData:
                form = aiohttp.FormData()
                for i in range(2):
                    photo = PNG + uuid.uuid4().bytes
                    form.add_field("file", photo, filename=f"现场{i}.png", content_type="image/png")
                return form

            return post(ACTIVITY + "/attachments/batch", user, flow.id, expect=201, form=photos)
        if step == "record":
            body = {"minutes": "支部书记主持，传达学习上级精神，讨论下月工作安排。"}
            return post(ACTIVITY + "/record", user, flow.id, json=body)
        return post(ACTIVITY + "/approve", user, flow.id, json={})  # the street supervises

    def street_activities(self) -> Call:
        street = self.street()
        query = f"?within={street.org_id}&limit=20"
        return get("/api/activity/activities", street.staff, query, name="?within=")

    def branch_compliance(self) -> Call:
        street = self.street()
        org = self.rng.choice(street.branches)
        path = "/api/activity/compliance/organizations/{id}"
        return get(path, street.staff, f"?period={YEAR}", id=org)

    # members

    def org_tree(self) -> Call:
        member = self.member()
        path = "/api/registry/organizations/{id}/tree"
        return get(path, member.user, "?depth=2", id=member.community)

    def my_activities(self) -> Call:
        member = self.member()

        def then(_headers: Any, answer: Any) -> str | None:
            known = self.world.activities.setdefault(member.branch, [])
            known += [a["id"] for a in answer["items"][:5] if a["id"] not in known]
            return None

        since = (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%dT00:00:00Z")
        query = f"?party_id={member.branch}&starts_from={since}&limit=20"
        return get("/api/activity/activities", member.user, query, name="?party_id=", then=then)

    def one_activity(self) -> Call | None:
        member = self.member()
        known = self.world.activities.get(member.branch)
        if not known:
            return None
        return get(ACTIVITY, member.user, id=self.rng.choice(known))

    def calendar(self) -> Call:
        member = self.member()
        path = "/api/activity/organizations/{id}/calendar.ics"
        return get(path, member.user, id=member.branch)

    def member_me(self) -> Call:
        return get("/api/registry/members/me", self.member().user)

    def search(self) -> Call:
        q = self.rng.choice(["阳光", "和平", "yg", "党建联合体", "dj", "新华"])
        return get("/api/registry/search", self.member().user, f"?q={q}&limit=20", name="?q=")

    # leaders: statistics and dashboards

    def request_statistics(self) -> Call:
        street = self.street()
        query = f"?within={street.org_id}&group_by=community"
        return get("/api/service-requests/statistics", street.staff, query)

    def activity_statistics(self) -> Call:
        street = self.street()
        query = f"?within={street.org_id}&period={YEAR}"
        return get("/api/activity/statistics", street.staff, query)

    def registry_statistics(self) -> Call:
        query = f"?within={DISTRICT}"
        return get("/api/registry/statistics", self.world.district_staff, query)

    def street_compliance(self) -> Call:
        street = self.street()
        path = "/api/activity/compliance/organizations/{id}"
        query = f"?period={YEAR}&subtree=true"
        return get(path, street.staff, query, id=street.org_id, name="?subtree=true")

    def organizations(self) -> Call:
        query = f"?within={DISTRICT}&limit=50"
        return get("/api/registry/organizations", self.world.district_staff, query, name="?within=")

    def street_members(self) -> Call:
        street = self.street()
        query = f"?within={street.org_id}&limit=20"
        return get("/api/registry/members", street.staff, query, name="?within=")

    def overview(self) -> Call:
        street = self.street()
        query = f"?within={street.org_id}"
        return get("/api/assessment/dashboards/overview", street.staff, query)

    def warnings(self) -> Call:
        street = self.street()
        query = f"?within={street.org_id}"
        return get("/api/assessment/dashboards/warnings", street.staff, query)

    def trends(self) -> Call:
        street = self.street()
        query = f"?year={YEAR}&within={street.org_id}"
        return get("/api/assessment/dashboards/trends", street.staff, query)

    def results(self) -> Call:
        path = "/api/assessment/cycles/{id}/results"
        return get(path, self.world.assessor, id=self.world.cycle_id)

    def recompute(self) -> Call:
        path = "/api/assessment/cycles/{id}/recompute"
        user, cycle = self.world.assessor, self.world.cycle_id
        return post(path, user, cycle, name=" (timer)", timeout=RECOMPUTE_TIMEOUT_S)


# A request's next step at its street's desk after ``action`` (and whether it is a
# department's item, which the centre dispatches to the department).
NEXT_STEP = {
    ("accept", True): "dispatch",
    ("accept", False): "start",
    ("dispatch", True): "start",
    ("start", True): "resolve",
    ("start", False): "resolve",
}
ACTIVITY_STEPS = ("plan", "attendance", "checkins", "photos", "record", "approve")


# Weights per mille of the scheduled slots: a city's day, reads dominate.
MIX: list[Op] = [
    Op("resident", "list own requests", 120, Scenario.list_own),
    Op("resident", "follow one", 110, Scenario.follow_one, "list own requests"),
    Op("resident", "one-tap submission (一键式)", 30, Scenario.one_tap),
    Op("resident", "app submission (half with a location)", 20, Scenario.app_submit),
    Op("resident", "resend a submission (lost answer)", 5, Scenario.resend, "list own requests"),
    Op("resident", "rate a resolved one (1 in 10 reopen)", 15, Scenario.rate, "follow one"),
    Op("resident", "photo on a request", 10, Scenario.photo, "follow one"),
    Op("resident", "one-tap buttons", 40, Scenario.presets),
    Op("resident", "catalog search", 30, Scenario.catalog_search),
    Op("resident", "own household", 30, Scenario.household),
    Op("resident/member", "who am I", 40, Scenario.me),
    Op("service centre", "queue", 90, Scenario.queue),
    Op("service centre", "open a request", 40, Scenario.open_request, "queue"),
    Op("service centre", "move a request along", 80, Scenario.move, "queue"),
    Op("service centre", "overdue requests of the street", 20, Scenario.overdue),
    Op("street staff", "record an activity (a step)", 40, Scenario.activity_step, "activities"),
    Op("street staff", "activities", 10, Scenario.street_activities),
    Op("street staff", "compliance of a branch", 10, Scenario.branch_compliance),
    Op("member", "community tree", 30, Scenario.org_tree),
    Op("member", "branch's activities", 40, Scenario.my_activities),
    Op("member", "one activity", 20, Scenario.one_activity, "branch's activities"),
    Op("member", "branch calendar (iCalendar)", 30, Scenario.calendar),
    Op("member", "own member record", 20, Scenario.member_me),
    Op("member", "search organizations", 20, Scenario.search),
    Op("leader", "request statistics of the street", 15, Scenario.request_statistics),
    Op("leader", "activity statistics of the street", 15, Scenario.activity_statistics),
    Op("leader", "registry statistics of the district", 15, Scenario.registry_statistics),
    Op("leader", "compliance of the street's subtree", 10, Scenario.street_compliance),
    Op("leader", "organizations of the district", 10, Scenario.organizations),
    Op("leader", "members of the street", 5, Scenario.street_members),
    Op("leader", "assessment overview", 15, Scenario.overview),
    Op("leader", "alliance warnings", 5, Scenario.warnings),
    Op("leader", "monthly trends", 5, Scenario.trends),
    Op("assessor", "open cycle's results", 5, Scenario.results),
]


# -- the load -------------------------------------------------------------------------------------


@dataclass
class Sample:
    op: str
    scheduled: float  # loop time the request was due
    latency: float  # from ``scheduled`` to the whole answer read
    outcome: str  # "ok", or what went wrong: a status, "timeout", a broken connection...
    measured: bool


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.examples: dict[tuple[str, str], list[str]] = {}
        self.substituted: Counter[tuple[str, str]] = Counter()
        self.measuring = False

    def add(self, sample: Sample, detail: str = "") -> None:
        self.samples.append(sample)
        if sample.outcome != "ok" and sample.measured and detail:  # a timeout has no body
            shown = self.examples.setdefault((sample.op, sample.outcome), [])
            if len(shown) < 2:
                shown.append(detail[:300])


class Load:
    """The open-loop generator: slot i is due at start + i / rate, whatever came before."""

    def __init__(
        self, api: Api, scenario: Scenario, args: argparse.Namespace, meter: Meter
    ) -> None:
        self.api = api
        self.scenario = scenario
        self.args = args
        self.meter = meter
        self.recorder = Recorder()
        self.by_label = {op.label: op for op in MIX}
        self.weights = [op.weight for op in MIX]
        self.rng = random.Random(args.seed + 1)
        api.on_refresh = self._refreshed

    def _refreshed(self, took: float, outcome: str) -> None:
        began = asyncio.get_running_loop().time() - took
        sample = Sample("POST /auth/token (refresh)", began, took, outcome, self.recorder.measuring)
        self.recorder.add(sample)

    def pick(self) -> Call:
        op = self.rng.choices(MIX, self.weights)[0]
        call = op.build(self.scenario)
        tried = op
        while call is None:
            assert tried.fallback is not None, tried.label
            tried = self.by_label[tried.fallback]
            call = tried.build(self.scenario)
        if tried is not op and self.recorder.measuring:
            self.recorder.substituted[(op.label, tried.label)] += 1
        return call

    async def send(self, call: Call, scheduled: float, measured: bool) -> None:
        loop = asyncio.get_running_loop()
        outcome, detail = "ok", ""
        try:
            token = await self.api.bearer(call.user)
        except RuntimeError as exc:
            self.recorder.add(
                Sample(call.op, scheduled, loop.time() - scheduled, "no token", measured), str(exc)
            )
            return
        headers = {"Authorization": f"Bearer {token}", **call.headers}
        kw: dict[str, Any] = {}
        if call.json is not None:
            kw["json"] = call.json
        elif call.body is not None:
            kw["data"] = call.body
        elif call.form is not None:
            kw["data"] = call.form()
        timeout = aiohttp.ClientTimeout(total=call.timeout or self.args.timeout)
        answer: Any = None
        try:
            async with self.api.session.request(
                call.method, self.api.gateway + call.path, headers=headers, timeout=timeout, **kw
            ) as response:
                body = await response.read()
                status, answer_headers = response.status, response.headers
            latency = loop.time() - scheduled
            if status != call.expect:
                outcome, detail = str(status), body.decode(errors="replace")
            elif call.then is not None:
                answer = json.loads(body)
                problem = call.then(answer_headers, answer)
                if problem:
                    outcome, detail = problem, body.decode(errors="replace")
        except TimeoutError:
            latency, outcome = loop.time() - scheduled, "timeout"
        except aiohttp.ClientError as exc:
            latency, outcome, detail = loop.time() - scheduled, "connection", repr(exc)
        except (KeyError, ValueError, TypeError) as exc:  # an answer of an unexpected shape
            latency, outcome, detail = loop.time() - scheduled, "bad answer", repr(exc)
        if outcome != "ok" and call.failed is not None:
            call.failed()
        self.recorder.add(Sample(call.op, scheduled, latency, outcome, measured), detail)

    async def run(self) -> tuple[float, float]:
        """Warm-up, then the measured phase; answers (start, end) of the measured phase."""
        loop = asyncio.get_running_loop()
        rate, warmup, duration = self.args.rate, self.args.warmup, self.args.duration
        start = loop.time() + 0.5
        measured_from = start + warmup
        end = measured_from + duration
        total = int(rate * (warmup + duration))
        every = self.args.recompute_every
        recomputes: deque[float] = deque()
        while every > 0 and measured_from + len(recomputes) * every < end:
            recomputes.append(measured_from + len(recomputes) * every)
        tasks: set[asyncio.Task[None]] = set()

        def launch(call: Call, due: float) -> None:
            task = asyncio.create_task(self.send(call, due, due >= measured_from))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        for i in range(total):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.recorder.measuring and due >= measured_from:
                self.recorder.measuring = True
                await self.meter.start()
                log(f"  measuring {duration:.0f} s at {rate:.0f} req/s; {load_average()}")
            while recomputes and recomputes[0] <= due:
                launch(self.scenario.recompute(), recomputes.popleft())
            launch(self.pick(), due)
        while tasks:
            await asyncio.gather(*list(tasks))
        await self.meter.stop()
        return measured_from, end


# -- CPU and memory -------------------------------------------------------------------------------


def peak_mb(pid: int) -> float | None:
    """``VmHWM``: the peak resident set since the start (or since :func:`reset_peak`)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak(pid: int) -> bool:
    """Restart the peak count from now (Linux >= 4.0; root for another user's process)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


RouteKey = tuple[str, str, str, str]  # part, method, route template, status


async def served(session: aiohttp.ClientSession, urls: dict[str, str]) -> Counter[RouteKey]:
    """Requests each part has served so far, by route (its Prometheus ``/metrics``)."""
    counts: Counter[RouteKey] = Counter()
    for part, url in urls.items():
        async with session.get(f"{url}/metrics") as response:
            text = await response.text()
        for line in text.splitlines():
            if not line.startswith("http_requests_total{"):
                continue
            labels, value = line[len("http_requests_total{") :].rsplit("} ", 1)
            fields = dict(
                item.split("=", 1) for item in labels.replace('"', "").split(",") if "=" in item
            )
            route = fields.get("route", "")
            if route != "/metrics":  # the bench's own scraping
                key = (part, fields.get("method", ""), route, fields.get("status", ""))
                counts[key] += int(float(value))
    return counts


class Meter:
    """CPU seconds per part between :meth:`start` and :meth:`stop`, the requests each part
    served meanwhile, and the machine's load."""

    def __init__(
        self,
        roots: dict[str, int],
        databases: list[str],
        session: aiohttp.ClientSession,
        urls: dict[str, str],
    ) -> None:
        self.roots = roots
        self.databases = databases
        self.session = session
        self.urls = urls
        self.pg: asyncpg.Connection | None = None
        self.before: dict[str, dict[int, float]] = {}
        self.after: dict[str, dict[int, float]] = {}
        self.peaks_reset = False

    async def close(self) -> None:
        if self.pg is not None:
            await self.pg.close()

    async def groups(self) -> dict[str, list[int]]:
        groups = await asyncio.to_thread(
            lambda: {name: process_tree(pid) for name, pid in self.roots.items()}
        )
        if self.pg is None:
            # Opened once, before the load: under load the services' pools may take every
            # connection the server allows (5 x 20 = 100, PostgreSQL's default maximum).
            self.pg = await asyncpg.connect(PG_ADMIN_DSN)
        rows = await self.pg.fetch(
            "SELECT pid, datname, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        )
        groups["postgres backends"] = [r["pid"] for r in rows if r["datname"] in self.databases]
        groups["postgres background"] = [
            r["pid"]
            for r in rows
            if r["datname"] not in self.databases and r["backend_type"] != "client backend"
        ]
        return groups

    async def sample(self) -> dict[str, dict[int, float]]:
        groups = await self.groups()
        sample = {name: {p: process_cpu(p) for p in pids} for name, pids in groups.items()}
        usage = resource.getrusage(resource.RUSAGE_SELF)
        sample["bench client"] = {0: usage.ru_utime + usage.ru_stime}
        return sample

    async def reset_peaks(self) -> None:
        groups = await self.groups()
        pids = [p for name, ps in groups.items() if name != "postgres background" for p in ps]
        self.peaks_reset = all([reset_peak(p) for p in pids])  # noqa: C419 - reset every one

    async def peaks(self) -> dict[str, list[float]]:
        groups = await self.groups()
        found = {
            name: [mb for p in pids if (mb := peak_mb(p)) is not None]
            for name, pids in groups.items()
            if name != "postgres background"
        }
        found["bench client"] = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
        return found

    async def start(self) -> None:
        self.served_before = await served(self.session, self.urls)
        self.before = await self.sample()
        self.busy_before = machine_busy()
        self.started = time.monotonic()
        self.load_at_start = os.getloadavg()

    async def stop(self) -> None:
        self.elapsed = time.monotonic() - self.started
        self.busy_after = machine_busy()
        self.after = await self.sample()
        self.served = await served(self.session, self.urls) - self.served_before

    def seconds(self) -> dict[str, float]:
        return {
            name: sum(cpu - self.before.get(name, {}).get(p, 0.0) for p, cpu in pids.items())
            for name, pids in self.after.items()
        }

    def machine_cores_busy(self) -> float:
        return (self.busy_after[0] - self.busy_before[0]) / CLOCK_TICKS / self.elapsed


# -- the report -----------------------------------------------------------------------------------


def print_mix() -> None:
    total = sum(op.weight for op in MIX)
    log(f"\nthe mix ({len(MIX)} operations; weight = share of the scheduled slots):")
    log(f"  {'actor':16} {'operation':42} {'weight':>7}  instead when nothing to act on")
    for op in MIX:
        instead = op.fallback or ""
        log(f"  {op.actor:16} {op.label:42} {100 * op.weight / total:6.1f}%  {instead}")
    shares: dict[str, float] = {}
    for op in MIX:
        actor = op.actor.split("/")[0]
        shares[actor] = shares.get(actor, 0.0) + op.weight
    log(
        "  by actor: "
        + ", ".join(
            f"{a} {100 * w / total:.1f}%" for a, w in sorted(shares.items(), key=lambda kv: -kv[1])
        )
        + "; plus the assessor's recompute of the open cycle on a timer"
    )


Verdict = tuple[str, bool, str]


def print_figures(
    load: Load, window: tuple[float, float], args: argparse.Namespace
) -> list[Verdict]:
    measured = [s for s in load.recorder.samples if s.measured]
    if not measured:
        return [("something measured", False, "nothing")]
    first = min(s.scheduled for s in measured)
    last = max(s.scheduled + s.latency for s in measured)
    span = max(last - first, window[1] - window[0])
    by_op: dict[str, list[Sample]] = {}
    for sample in measured:
        by_op.setdefault(sample.op, []).append(sample)
    log(
        f"\nper operation, measured phase ({args.duration:.0f} s; latency from the scheduled "
        "send, ms):"
    )
    header = (
        f"  {'operation':62} {'count':>6} {'req/s':>6} {'p50':>7} {'p99':>7} {'max':>7}  errors"
    )
    log(header)
    for op, samples in sorted(by_op.items(), key=lambda kv: -len(kv[1])):
        latencies = [s.latency for s in samples]
        errors = Counter(s.outcome for s in samples if s.outcome != "ok")
        shown = ", ".join(f"{k}: {v}" for k, v in errors.most_common()) or "-"
        log(
            f"  {op[:62]:62} {len(samples):6d} {len(samples) / span:6.1f} "
            f"{percentile(latencies, 0.5):7.1f} {percentile(latencies, 0.99):7.1f} "
            f"{max(latencies) * 1000:7.1f}  {shown}"
        )
    latencies = [s.latency for s in measured]
    errors = Counter(s.outcome for s in measured if s.outcome != "ok")
    answered = len(measured) - sum(errors.values())
    # Held: the requests scheduled in the measured window, answered as expected, per second of
    # that window. A platform that falls behind shows it in the latencies (measured from the
    # schedule) and in timeouts (errors), not here; dividing by first-send-to-last-answer
    # instead would put any rate just below itself by the last answer's latency.
    throughput = answered / (window[1] - window[0])
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    log(
        f"  {'all':62} {len(measured):6d} {len(measured) / span:6.1f} {p50:7.1f} {p99:7.1f} "
        f"{max(latencies) * 1000:7.1f}  "
        + (", ".join(f"{k}: {v}" for k, v in errors.most_common()) or "-")
    )
    log(
        f"  answered as expected: {answered} of the {len(measured)} scheduled in the "
        f"{window[1] - window[0]:.1f} s window = {throughput:.1f} req/s (the last answered "
        f"{span:.2f} s after the first send); errors {sum(errors.values())}"
    )
    if load.recorder.substituted:
        log(
            "  run instead (nothing to act on yet): "
            + ", ".join(f"{a} -> {b}: {n}" for (a, b), n in load.recorder.substituted.items())
        )
    examples = [(k, b) for k, bodies in load.recorder.examples.items() for b in bodies]
    for (op, outcome), body in examples[:20]:
        log(f"  error {op} -> {outcome}: {body}")
    if len(examples) > 20:
        log(f"  ... and {len(examples) - 20} more error bodies")

    verdicts: list[Verdict] = [
        (
            f">= {TARGET_RATE:.0f} req/s through the gateway",
            throughput >= TARGET_RATE,
            f"{throughput:.1f}",
        ),
        (f"p99 < {TARGET_P99_MS:.0f} ms", p99 < TARGET_P99_MS, f"{p99:.1f} ms"),
        ("no errors", not errors, str(sum(errors.values()))),
    ]
    return verdicts


def print_resources(meter: Meter, peaks: dict[str, list[float]], answered: int, sent: int) -> None:
    """CPU per part (ms per request answered as expected), peak memory, the machine, and, when
    the platform kept up, what its CPU per request allows on these cores."""
    seconds = meter.seconds()
    log(
        f"\nCPU during the measured phase ({meter.elapsed:.1f} s) and peak memory "
        + ("since the end of the set-up" if meter.peaks_reset else "since each process started")
        + ":"
    )
    log(f"  {'process':22} {'CPU s':>7} {'cores':>6} {'ms/req':>7} {'peak RSS MB':>12}")
    for name, cpu in seconds.items():
        found = peaks.get(name, [])
        if name == "postgres backends" and found:
            peak = f"{max(found):.0f} max of {len(found)}"
        elif name == "postgres background":
            peak = "(shared)"
        else:
            peak = f"{sum(found):.0f}" if found else "-"
        log(
            f"  {name:22} {cpu:7.1f} {cpu / meter.elapsed:6.2f} "
            f"{1000 * cpu / max(answered, 1):7.2f} {peak:>12}"
        )
    total = sum(seconds.values())
    log(
        f"  {'all of the above':22} {total:7.1f} {total / meter.elapsed:6.2f} "
        f"{1000 * total / max(answered, 1):7.2f}"
    )
    platform = total - seconds.get("bench client", 0.0) - seconds.get("postgres background", 0.0)
    per_request = 1000 * platform / max(answered, 1)
    cores = os.cpu_count() or 1
    if answered >= 0.99 * sent and per_request > 0:
        log(
            f"  the platform alone: {per_request:.2f} ms of CPU per request; {cores} cores "
            f"hold at most ~{1000 * cores / per_request:.0f} req/s of this mix"
        )
    else:  # abandoned requests cost work too: the CPU per answered request overstates it
        log(
            f"  the platform alone: {per_request:.2f} ms of CPU per answered request; it did not "
            "keep up, so no capacity estimate (run at a lower --rate for one)"
        )
    log(
        f"  machine: {meter.machine_cores_busy():.2f} of {os.cpu_count()} cores busy "
        f"(this bench's processes {total / meter.elapsed:.2f}; the rest is others' work); "
        "load average at the measured start "
        + " ".join(f"{v:.2f}" for v in meter.load_at_start)
        + f", at the end {load_average()}"
    )


def print_served(meter: Meter, sent: int) -> None:
    """How many requests each part served: beyond the bench's own, the services' calls to each
    other (through the gateway), the most frequent of them, and every answer >= 400 the parts
    gave (also those a client had stopped waiting for)."""
    totals: Counter[str] = Counter()
    routes: Counter[tuple[str, str, str]] = Counter()
    failures: Counter[tuple[str, str]] = Counter()
    for (part, method, route, status), n in meter.served.items():
        totals[part] += n
        routes[part, method, route] += n
        if status >= "400":
            failures[part, status] += n
    log(f"\nrequests served in the measured phase (bench sent {sent}):")
    log(
        "  "
        + ", ".join(f"{part} {totals[part]}" for part in PARTS)
        + f"; through the gateway beyond the bench's: {totals['gateway'] - sent}"
    )
    top = [(k, n) for k, n in routes.most_common() if k[0] != "gateway"][:8]
    log("  busiest service routes: " + "; ".join(f"{p} {m} {r} {n}" for (p, m, r), n in top))
    shown = ", ".join(f"{part} {status}: {n}" for (part, status), n in sorted(failures.items()))
    log(f"  answers >= 400 by part and status: {shown or 'none'}")
    refused = Counter(
        {k: n for k, n in meter.served.items() if k[3] >= "400" and k[0] != "gateway"}
    )
    if refused:
        log(
            "  the services' answers >= 400 by route: "
            + "; ".join(f"{p} {m} {r} {st}: {n}" for (p, m, r, st), n in refused.most_common(8))
        )


def print_log_problems(tmp: Path) -> None:
    """What the parts logged as errors: how often each (path, exception) occurred, with the
    exception's last line (a JSON log line carries the whole traceback)."""
    for part in PARTS:
        path = tmp / f"{part}.log"
        if not path.exists():
            continue
        found: Counter[str] = Counter()
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict) or entry.get("level") not in ("error", "critical"):
                continue
            exception = str(entry.get("exception", "")).strip().splitlines()
            found[
                f"{entry.get('path', '')} {entry.get('message', '')}: "
                f"{exception[-1] if exception else ''}"
            ] += 1
        if found:
            log(f"  {part}.log: {sum(found.values())} error lines")
            for what, n in found.most_common(5):
                log(f"    {n} x {what[:300]}")


async def bench(plat: Platform, args: argparse.Namespace, tmp: Path) -> None:
    connector = aiohttp.TCPConnector(limit=args.connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        api = Api(plat.gateway, session, args.timeout)
        log("set-up (through the gateway):")
        world = await set_up(api, args)
        scenario = Scenario(world, random.Random(args.seed))
        started = time.perf_counter()
        await api.call(
            "POST",
            f"/api/assessment/cycles/{world.cycle_id}/recompute",
            world.assessor,
            timeout=aiohttp.ClientTimeout(total=RECOMPUTE_TIMEOUT_S),
        )
        log(
            f"  one recompute of the open cycle before the load: "
            f"{time.perf_counter() - started:.2f} s"
        )
        meter = Meter(plat.pids, list(plat.databases.values()), session, plat.urls)
        await meter.reset_peaks()
        load = Load(api, scenario, args, meter)
        log(f"warm-up {args.warmup:.0f} s at {args.rate:.0f} req/s; {load_average()}")
        window = await load.run()
        peaks = await meter.peaks()
        await meter.close()
    verdicts = print_figures(load, window, args)
    sent = sum(1 for s in load.recorder.samples if s.measured)
    answered = sum(1 for s in load.recorder.samples if s.measured and s.outcome == "ok")
    print_resources(meter, peaks, answered, sent)
    print_served(meter, sent)
    print_log_problems(tmp)
    log("\nverdict:")
    for label, passed, value in verdicts:
        log(f"  [{'ok' if passed else 'MISSED'}] {label}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rate", type=float, default=300.0, help="requests sent per second")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds of the same load before measuring"
    )
    parser.add_argument(
        "--recompute-every",
        type=float,
        default=30.0,
        help="seconds between the assessor's recomputes of the open cycle (0: none)",
    )
    parser.add_argument(
        "--residents", type=int, default=200, help="residents registered besides 张伟 (<= 479)"
    )
    parser.add_argument(
        "--members", type=int, default=40, help="member accounts created besides 李明"
    )
    parser.add_argument(
        "--connections", type=int, default=256, help="most keep-alive connections at once"
    )
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="client timeout per request, seconds"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the mix's choices")
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=None,
        help="the gateway's access-token lifetime, seconds (default: the gateway's own, 900); "
        "below ~120 the users refresh their tokens during the run",
    )
    parser.add_argument(
        "--database-prefix",
        default="zhdj_bench_load",
        help="the five databases are <prefix>_gateway, _registry, _activity, "
        "_service_requests, _assessment (another prefix runs beside another bench)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="ZHDJ_NAME=VALUE",
        help="a setting for every part, repeatable (e.g. ZHDJ_SERVICE_REQUESTS_WORKERS=2); the "
        "parts run with their defaults otherwise (INFO logs, one worker)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases and the logs (printed path)"
    )
    args = parser.parse_args()
    log(f"before the run: {machine_speed()}")
    print_mix()
    tmp = Path(tempfile.mkdtemp(prefix="zhdj-bench-load-"))
    databases = [f"{args.database_prefix}_{part.replace('-', '_')}" for part in PARTS]
    try:
        started = time.perf_counter()
        log("\nstarting the platform (five processes, five fresh databases, demo data) ...")
        settings = dict(item.split("=", 1) for item in args.env)
        with platform(tmp, args.database_prefix, settings, args.token_ttl) as plat:
            log(f"  up in {time.perf_counter() - started:.0f} s")
            asyncio.run(bench(plat, args, tmp))
    finally:
        if args.keep:
            log(f"databases {', '.join(databases)} and logs in {tmp} kept")
        else:
            for database in databases:
                asyncio.run(drop_database(database))
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
