"""Support mechanism (funds, staff) and the lists of an alliance (供需清单, 项目清单, 协议承诺).

The funds ledger is append-only: a mistake is corrected by a further line, never by editing one.
Lines are ordered by date, then by recording order; no line may take the running balance below
zero at any point of the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from zhdj_registry.models import (
    AllianceAgreement,
    AllianceProject,
    AllianceStaff,
    FundEntry,
    SupplyDemandItem,
    SupplyDemandMatch,
)
from zhdj_registry.repositories.alliance_support import (
    AllianceSupportRepository,
    ItemFilters,
    org_ids_of,
)
from zhdj_registry.schemas.alliance_support import (
    AgreementCreate,
    FundEntryCreate,
    FundSummary,
    ItemCreate,
    MatchCreate,
    ProgressCreate,
    ProjectCreate,
    ProjectUpdate,
    SourceTotal,
    StaffCreate,
    StaffEnd,
)
from zhdj_registry.schemas.alliances import OrgRef
from zhdj_registry.services.alliance_access import AllianceAccess, today
from zhdj_registry.services.alliances import AllianceService, require_open
from zhdj_registry.services.members_check import MemberCheck
from zhdj_registry.vocabulary import (
    FUND_SOURCE_LABELS,
    AgreementKind,
    FundEntryKind,
    SupplyDemandKind,
    SupplyDemandStatus,
)
from zhdj_shared.db import utcnow
from zhdj_shared.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.pagination import PageParams
from zhdj_shared.security.authz import Principal


def lowest_balance_from(lines: Sequence[tuple[date, int, int]], start: date) -> int:
    """The lowest running balance on or after ``start`` (the ledger's balance before it counts)."""
    balance, lowest = 0, None
    for occurred_on, _seq, amount in lines:
        balance += amount
        if occurred_on >= start:
            lowest = balance if lowest is None else min(lowest, balance)
    return balance if lowest is None else lowest


class AllianceSupportService:
    def __init__(
        self,
        alliances: AllianceService,
        repository: AllianceSupportRepository,
        members: MemberCheck,
    ) -> None:
        self.alliances = alliances
        self.repository = repository
        self.members = members

    async def org_refs(self, ids: Sequence[str]) -> dict[str, OrgRef]:
        orgs = await self.alliances.repository.organizations(ids)
        return {i: OrgRef.of(o) for i, o in orgs.items()}

    async def _writable(self, principal: Principal, alliance_id: str) -> AllianceAccess:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        require_open(access.alliance)
        return access

    # --- funds ---------------------------------------------------------------------------------

    async def record_entry(
        self, principal: Principal, alliance_id: str, data: FundEntryCreate
    ) -> tuple[FundEntry, int]:
        access = await self._writable(principal, alliance_id)
        access.require_manager()
        if data.contributor_org_id is not None:
            await self.alliances.active_org(data.contributor_org_id, "contributor_org_id")
        lines = await self.repository.ledger_lines(alliance_id)
        signed = data.amount_fen if data.kind == FundEntryKind.INCOME else -data.amount_fen
        seq = await self.repository.next_seq(alliance_id)
        with_new = sorted([*lines, (data.occurred_on, seq, signed)], key=lambda x: (x[0], x[1]))
        if signed < 0 and lowest_balance_from(with_new, data.occurred_on) < 0:
            raise Conflict("the expense would take the alliance's funds below zero")
        entry = FundEntry(
            alliance_id=alliance_id,
            seq=seq,
            kind=data.kind.value,
            source=data.source.value if data.source else None,
            amount_fen=data.amount_fen,
            occurred_on=data.occurred_on,
            description=data.description,
            contributor_org_id=data.contributor_org_id,
            recorded_by=principal.subject,
        )
        self.repository.add(entry)
        await self.repository.session.flush()
        balance = sum(a for d, s, a in with_new if (d, s) <= (data.occurred_on, seq))
        return entry, balance

    async def ledger(
        self, principal: Principal, alliance_id: str, page: PageParams
    ) -> tuple[list[tuple[FundEntry, int]], str | None]:
        access = await self.alliances.access(principal, alliance_id)
        access.require_restricted_read()
        return await self.repository.ledger_page(alliance_id, limit=page.limit, cursor=page.cursor)

    async def summary(self, principal: Principal, alliance_id: str) -> FundSummary:
        access = await self.alliances.access(principal, alliance_id)
        access.require_restricted_read()
        rows = await self.repository.totals(alliance_id)
        by_source = {source: fen for kind, source, fen, _ in rows if kind == "income" and source}
        income = sum(fen for kind, _, fen, _ in rows if kind == FundEntryKind.INCOME.value)
        expense = sum(fen for kind, _, fen, _ in rows if kind == FundEntryKind.EXPENSE.value)
        return FundSummary(
            alliance_id=alliance_id,
            by_source=[
                SourceTotal(source=s, source_label=label, income_fen=by_source.get(s.value, 0))
                for s, label in FUND_SOURCE_LABELS.items()
            ],
            income_fen=income,
            expense_fen=expense,
            balance_fen=income - expense,
            entries=sum(n for *_, n in rows),
        )

    # --- full-time staff -----------------------------------------------------------------------

    async def staff(
        self, principal: Principal, alliance_id: str, on: date | None
    ) -> list[AllianceStaff]:
        access = await self.alliances.access(principal, alliance_id)
        access.require_restricted_read()
        return await self.repository.staff(alliance_id, on)

    async def add_staff(
        self, principal: Principal, alliance_id: str, data: StaffCreate
    ) -> AllianceStaff:
        access = await self._writable(principal, alliance_id)
        access.require_manager()
        if data.home_org_id is not None:
            await self.alliances.active_org(data.home_org_id, "home_org_id")
        await self.members.require(data.member_id, "member_id")
        row = AllianceStaff(alliance_id=alliance_id, **data.model_dump(exclude={"engagement"}))
        row.engagement = data.engagement.value
        self.repository.add(row)
        await self.repository.session.flush()
        return row

    async def end_staff(
        self, principal: Principal, alliance_id: str, staff_id: str, data: StaffEnd
    ) -> AllianceStaff:
        access = await self.alliances.access(principal, alliance_id, for_update=True)
        access.require_manager()
        row = await self.repository.get(AllianceStaff, alliance_id, staff_id)
        if row is None:
            raise NotFound(f"staff record {staff_id} does not exist in this alliance")
        if row.ended_on is not None:
            raise Conflict("the engagement has already ended")
        if data.ended_on < row.started_on:
            raise Unprocessable(
                "an engagement cannot end before it starts",
                errors=[FieldError(field="ended_on", message="before started_on")],
            )
        row.ended_on = data.ended_on
        await self.repository.session.flush()
        return row

    # --- supply-demand lists -------------------------------------------------------------------

    async def items(
        self, alliance_id: str, filters: ItemFilters, page: PageParams
    ) -> tuple[list[SupplyDemandItem], str | None]:
        await self.alliances.get(alliance_id)
        return await self.repository.items_page(
            alliance_id, filters, limit=page.limit, cursor=page.cursor
        )

    async def item(self, alliance_id: str, item_id: str) -> SupplyDemandItem:
        item = await self.repository.get(SupplyDemandItem, alliance_id, item_id)
        if item is None:
            raise NotFound(f"supply-demand item {item_id} does not exist in this alliance")
        return item

    async def add_item(
        self, principal: Principal, alliance_id: str, data: ItemCreate
    ) -> SupplyDemandItem:
        access = await self._writable(principal, alliance_id)
        access.require_writes_for(data.org_id)
        await self.alliances.require_member(alliance_id, data.org_id, "org_id", today())
        item = SupplyDemandItem(
            alliance_id=alliance_id,
            kind=data.kind.value,
            org_id=data.org_id,
            category=data.category.value,
            title=data.title,
            description=data.description,
            created_by=principal.subject,
        )
        self.repository.add(item)
        await self.repository.session.flush()
        return item

    async def match(
        self, principal: Principal, alliance_id: str, data: MatchCreate
    ) -> SupplyDemandMatch:
        access = await self._writable(principal, alliance_id)
        supply = await self._item_for_update(alliance_id, data.supply_id, "supply_id")
        demand = await self._item_for_update(alliance_id, data.demand_id, "demand_id")
        if not (access.writes_for(supply.org_id) or access.writes_for(demand.org_id)):
            raise Forbidden("you act neither for the alliance's lead nor for either organization")
        _check_pair(supply, demand)
        now = utcnow()
        for item in (supply, demand):
            item.status, item.updated_at = SupplyDemandStatus.MATCHED.value, now
        match = SupplyDemandMatch(
            alliance_id=alliance_id,
            supply_id=supply.id,
            demand_id=demand.id,
            note=data.note,
            matched_by=principal.subject,
            matched_at=now,
        )
        self.repository.add(match)
        await self.repository.session.flush()
        return match

    async def _item_for_update(
        self, alliance_id: str, item_id: str, field: str
    ) -> SupplyDemandItem:
        item = await self.repository.item_for_update(alliance_id, item_id)
        if item is None:
            raise Unprocessable(
                "the item does not exist in this alliance",
                errors=[FieldError(field=field, message="unknown item")],
            )
        return item

    async def matches(
        self, alliance_id: str, page: PageParams
    ) -> tuple[list[SupplyDemandMatch], str | None]:
        await self.alliances.get(alliance_id)
        return await self.repository.matches_page(alliance_id, limit=page.limit, cursor=page.cursor)

    async def fulfil(
        self, principal: Principal, alliance_id: str, item_id: str
    ) -> SupplyDemandItem:
        """Fulfil an item (open or matched); a matched pair is fulfilled together."""
        access = await self._writable(principal, alliance_id)
        item = await self._item_for_update(alliance_id, item_id, "item_id")
        access.require_writes_for(item.org_id)
        if item.status not in (SupplyDemandStatus.OPEN.value, SupplyDemandStatus.MATCHED.value):
            raise Conflict(f"the item is already {item.status}")
        items = [item]
        match = await self.repository.match_of(item.id)
        if item.status == SupplyDemandStatus.MATCHED.value and match is not None:
            other_id = match.demand_id if match.supply_id == item.id else match.supply_id
            items.append(await self._item_for_update(alliance_id, other_id, "item_id"))
        now = utcnow()
        for row in items:
            row.status, row.updated_at = SupplyDemandStatus.FULFILLED.value, now
        await self.repository.session.flush()
        return item

    async def withdraw(
        self, principal: Principal, alliance_id: str, item_id: str
    ) -> SupplyDemandItem:
        access = await self._writable(principal, alliance_id)
        item = await self._item_for_update(alliance_id, item_id, "item_id")
        access.require_writes_for(item.org_id)
        if item.status != SupplyDemandStatus.OPEN.value:
            raise Conflict("only an open item can be withdrawn")
        item.status, item.updated_at = SupplyDemandStatus.WITHDRAWN.value, utcnow()
        await self.repository.session.flush()
        return item

    # --- project list --------------------------------------------------------------------------

    async def projects(
        self, alliance_id: str, status: str | None, page: PageParams
    ) -> tuple[list[AllianceProject], str | None]:
        await self.alliances.get(alliance_id)
        return await self.repository.projects_page(
            alliance_id, status, limit=page.limit, cursor=page.cursor
        )

    async def project(self, alliance_id: str, project_id: str) -> AllianceProject:
        row = await self.repository.get(AllianceProject, alliance_id, project_id)
        if row is None:
            raise NotFound(f"project {project_id} does not exist in this alliance")
        return row

    async def add_project(
        self, principal: Principal, alliance_id: str, data: ProjectCreate
    ) -> AllianceProject:
        access = await self._writable(principal, alliance_id)
        access.require_manager()
        _check_span(data.start_on, data.end_on)
        await self.alliances.require_member(alliance_id, data.lead_org_id, "lead_org_id", today())
        row = AllianceProject(alliance_id=alliance_id, **data.model_dump(exclude={"status"}))
        row.status = data.status.value
        self.repository.add(row)
        await self.repository.session.flush()
        return row

    async def update_project(
        self, principal: Principal, alliance_id: str, project_id: str, data: ProjectUpdate
    ) -> AllianceProject:
        access = await self._writable(principal, alliance_id)
        row = await self.project(alliance_id, project_id)
        access.require_writes_for(row.lead_org_id)
        changes = data.model_dump(exclude_unset=True)
        if data.status is not None:
            changes["status"] = data.status.value
        _check_span(changes.get("start_on", row.start_on), changes.get("end_on", row.end_on))
        for field, value in changes.items():
            setattr(row, field, value)
        row.updated_at = utcnow()
        await self.repository.session.flush()
        return row

    async def add_progress(
        self, principal: Principal, alliance_id: str, project_id: str, data: ProgressCreate
    ) -> AllianceProject:
        access = await self._writable(principal, alliance_id)
        row = await self.project(alliance_id, project_id)
        access.require_writes_for(row.lead_org_id)
        note = {"on": (data.on or today()).isoformat(), "note": data.note, "by": principal.subject}
        row.progress = [*row.progress, note]  # a new list: in-place edits of JSON are not saved
        row.updated_at = utcnow()
        await self.repository.session.flush()
        return row

    # --- agreements and pledges ----------------------------------------------------------------

    async def agreements(
        self, alliance_id: str, kind: str | None, page: PageParams
    ) -> tuple[list[AllianceAgreement], str | None]:
        await self.alliances.get(alliance_id)
        return await self.repository.agreements_page(
            alliance_id, kind, limit=page.limit, cursor=page.cursor
        )

    async def add_agreement(
        self, principal: Principal, alliance_id: str, data: AgreementCreate
    ) -> AllianceAgreement:
        """Managers record any; a member's staff record their own organization's pledge."""
        access = await self._writable(principal, alliance_id)
        parties = list(dict.fromkeys(data.party_org_ids))
        if data.kind == AgreementKind.PLEDGE:
            access.require_writes_for(parties[0])
            await self.alliances.require_member(alliance_id, parties[0], "party_org_ids.0", today())
        else:
            access.require_manager()
            for index, org_id in enumerate(parties):
                await self.alliances.active_org(org_id, f"party_org_ids.{index}")
        row = AllianceAgreement(
            alliance_id=alliance_id,
            kind=data.kind.value,
            title=data.title,
            party_org_ids=parties,
            signed_on=data.signed_on,
            content=data.content,
            file_ref=data.file_ref,
            created_by=principal.subject,
        )
        self.repository.add(row)
        await self.repository.session.flush()
        return row

    async def refs_for(self, rows: Sequence[object], *fields: str) -> dict[str, OrgRef]:
        return await self.org_refs(org_ids_of(rows, *fields))


def _check_pair(supply: SupplyDemandItem, demand: SupplyDemandItem) -> None:
    if supply.kind != SupplyDemandKind.SUPPLY.value:
        raise Unprocessable(
            "supply_id must name a supply",
            errors=[FieldError(field="supply_id", message="not a supply")],
        )
    if demand.kind != SupplyDemandKind.DEMAND.value:
        raise Unprocessable(
            "demand_id must name a demand",
            errors=[FieldError(field="demand_id", message="not a demand")],
        )
    for item in (supply, demand):
        if item.status != SupplyDemandStatus.OPEN.value:
            raise Conflict(f"{item.title} is not open (it is {item.status})")


def _check_span(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise Unprocessable(
            "a project cannot end before it starts",
            errors=[FieldError(field="end_on", message="before start_on")],
        )
