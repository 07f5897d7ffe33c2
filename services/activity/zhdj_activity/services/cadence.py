"""Cadence rules and exemptions as data: a city changes rules; staff record exemptions."""

from __future__ import annotations

from zhdj_activity import registry as reg
from zhdj_activity.models import CadenceExemption, CadenceRule
from zhdj_activity.repositories.reports import ReportRepository
from zhdj_activity.schemas.reports import ExemptionCreate, RuleUpdate
from zhdj_activity.services.access import ancestry_of
from zhdj_activity.services.activities import invalid
from zhdj_activity.vocabulary import PartyKind
from zhdj_shared.errors import Forbidden, NotFound
from zhdj_shared.registry_client import RegistryClient
from zhdj_shared.security.authz import Principal


class CadenceService:
    def __init__(self, repository: ReportRepository, registry: RegistryClient) -> None:
        self.repository = repository
        self.registry = registry

    async def rules(self) -> list[CadenceRule]:
        return await self.repository.rules()

    async def update_rule(self, principal: Principal, code: str, data: RuleUpdate) -> CadenceRule:
        if not principal.is_admin:
            raise Forbidden("only platform administrators change cadence rules")
        rule = await self.repository.rule(code)
        if rule is None:
            raise NotFound(f"cadence rule {code} does not exist")
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(rule, name, value.value if hasattr(value, "value") else value)
        await self.repository.flush()
        return rule

    async def exempt(self, principal: Principal, data: ExemptionCreate) -> CadenceExemption:
        if data.rule_code is not None and await self.repository.rule(data.rule_code) is None:
            raise invalid("rule_code", f"unknown cadence rule {data.rule_code}")
        path = await self._path(data.party_kind, data.party_id)
        # An exemption is granted from above: staff of a strict ancestor (or an administrator).
        above = ancestry_of(path)
        above = above if data.party_kind == PartyKind.ALLIANCE else above[:-1]
        if not principal.manages(above):
            raise Forbidden("exemptions are granted by the supervising organization")
        row = CadenceExemption(
            party_id=data.party_id,
            rule_code=data.rule_code,
            start_on=data.start_on,
            end_on=data.end_on,
            reason=data.reason,
            created_by=principal.subject,
        )
        self.repository.add(row)
        await self.repository.flush()
        return row

    async def _path(self, kind: PartyKind, party_id: str) -> str:
        if kind == PartyKind.ORG:
            org = await reg.organization(self.registry, party_id)
            if org is None:
                raise invalid("party_id", f"organization {party_id} is unknown to the registry")
            return org.path
        alliance = await reg.alliance(self.registry, party_id)
        lead = (
            await reg.organization(self.registry, str(alliance["lead_org_id"]))
            if alliance
            else None
        )
        if lead is None:
            raise invalid("party_id", f"alliance {party_id} is unknown to the registry")
        return lead.path

    async def exemptions_of(self, party_id: str) -> list[CadenceExemption]:
        return await self.repository.exemptions_of(party_id)
