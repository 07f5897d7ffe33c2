"""Bulk export in the import format, so that an export can be edited and imported again.

Each kind (:class:`~zhdj_registry.services.imports.TabularKind`) writes its import columns; the
``引用`` column holds the record's id. Who may export what:

* organizations and units: the platform administrator everything, staff a subtree they act for,
  named by ``within`` (:func:`staff_subtree`);
* members: whoever may list them (``GET /members``), with personal data masked row by row unless
  the caller manages the member.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_registry.repositories.organizations import OrganizationRepository
from zhdj_registry.tabular import Cell
from zhdj_shared.errors import FieldError, Forbidden, NotFound, Unprocessable
from zhdj_shared.security.authz import Principal
from zhdj_shared.security.scopes import Role


async def staff_subtree(
    session: AsyncSession, principal: Principal, within: str | None
) -> str | None:
    """The path of the subtree to export (``None``: everything); staff must name one they act
    for."""
    if within is None:
        if principal.is_admin:
            return None
        raise Unprocessable(
            "name the subtree to export",
            errors=[FieldError(field="within", message="required")],
        )
    root = await OrganizationRepository(session).get(within)
    if root is None:
        raise NotFound(f"organization {within} does not exist")
    if not principal.has_role(Role.ORG_STAFF) or not principal.acts_for(root.ancestry()):
        raise Forbidden("you do not act for this organization")
    return root.path


def iso(value: object) -> Cell:
    """Dates as YYYY-MM-DD, numbers as text, ``None`` as an empty cell."""
    if value is None:
        return None
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if isoformat is not None else str(value)


async def collect(rows: AsyncIterator[Sequence[Cell]]) -> list[Sequence[Cell]]:
    return [row async for row in rows]
