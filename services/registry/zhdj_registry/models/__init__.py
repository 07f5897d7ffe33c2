"""Every table of the registry (importing this module registers them on the metadata)."""

from zhdj_registry.models.alliances import (
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
    ConvenerPeriod,
    FundEntry,
    SupplyDemandItem,
    SupplyDemandMatch,
)
from zhdj_registry.models.grids import Grid, Household
from zhdj_registry.models.members import Member, OrgMemberCount, Position, Transfer
from zhdj_registry.models.organizations import Organization, OrganizationMoveEntry
from zhdj_registry.models.units import Unit
from zhdj_registry.models.venues import AllianceVenue, Venue
from zhdj_registry.models.volunteer_teams import VolunteerClaim, VolunteerPost, VolunteerTeam

__all__ = [
    "Alliance",
    "AllianceAgreement",
    "AllianceAppointment",
    "AllianceChain",
    "AllianceChainMember",
    "AllianceDesignation",
    "AllianceMember",
    "AllianceProject",
    "AllianceStaff",
    "AllianceStatusChange",
    "AllianceVenue",
    "ConvenerPeriod",
    "FundEntry",
    "Grid",
    "Household",
    "Member",
    "OrgMemberCount",
    "Organization",
    "OrganizationMoveEntry",
    "Position",
    "SupplyDemandItem",
    "SupplyDemandMatch",
    "Transfer",
    "Unit",
    "Venue",
    "VolunteerClaim",
    "VolunteerPost",
    "VolunteerTeam",
]
