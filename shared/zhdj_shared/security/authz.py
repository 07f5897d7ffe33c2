"""Who is calling, and may they do this to this organization's data?

Services verify the bearer token themselves (they never trust the network). The principal's
``orgs`` are the organizations they act for; acting for an organization covers everything below
it in the tree ("acts for this organization or an ancestor"). The registry owns the tree, so a
check needs the target's ancestry: the list of ids from the root down to the target itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from zhdj_shared.errors import Forbidden, ServiceUnavailable, Unauthorized
from zhdj_shared.security.scopes import Role
from zhdj_shared.security.tokens import InvalidToken, SigningKeysUnavailable, TokenVerifier


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: Literal["user", "client"]
    scopes: frozenset[str]
    roles: frozenset[str]
    orgs: frozenset[str]
    name: str | None = None
    client_id: str | None = None
    token_id: str | None = None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        def strings(value: Any) -> frozenset[str]:
            if isinstance(value, str):
                return frozenset(value.split())
            if isinstance(value, list):
                return frozenset(str(v) for v in value)
            return frozenset()

        kind = claims.get("kind")
        return cls(
            subject=str(claims["sub"]),
            kind="client" if kind == "client" else "user",
            scopes=strings(claims.get("scope")),
            roles=strings(claims.get("roles")),
            orgs=strings(claims.get("orgs")),
            name=claims.get("name"),
            client_id=claims.get("client_id"),
            token_id=claims.get("jti"),
        )

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def has_role(self, *roles: str) -> bool:
        return self.is_admin or any(r in self.roles for r in roles)

    def manages(self, ancestry: Iterable[str]) -> bool:
        """Staff (or an administrator) acting for the organization or one above it: the rule
        for writing an organization's data and reading its members' personal data."""
        return self.has_role(Role.ORG_STAFF) and self.acts_for(ancestry)

    def acts_for(self, ancestry: Iterable[str]) -> bool:
        """True when the principal acts for the organization whose root-to-self path is given."""
        return self.is_admin or any(org_id in self.orgs for org_id in ancestry)


_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/token")


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        verified = await verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    except SigningKeysUnavailable as exc:
        raise keys_unavailable() from exc
    return Principal.from_claims(verified.claims)


def keys_unavailable() -> ServiceUnavailable:
    """503 with Retry-After: the gateway's keys could not be fetched; the token may be good."""
    return ServiceUnavailable(
        "The signing keys cannot be fetched from the gateway right now; try again shortly.",
        headers={"Retry-After": "5"},
    )


async def current_principal(
    security_scopes: SecurityScopes,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The authenticated caller; ``Security(current_principal, scopes=[...])`` adds scopes."""
    if principal is None:
        raise Unauthorized("authentication required", headers={"WWW-Authenticate": "Bearer"})
    missing = [s for s in security_scopes.scopes if s not in principal.scopes]
    if missing:
        raise Forbidden(f"missing scope: {' '.join(missing)}")
    return principal


def require_role(principal: Principal, *roles: str) -> None:
    if not principal.has_role(*roles):
        raise Forbidden("your role does not allow this")


AncestryLoader = Callable[[str], Awaitable[list[str]]]


async def require_acts_for(principal: Principal, org_id: str, ancestry: AncestryLoader) -> None:
    """403 unless the principal acts for ``org_id`` or one of its ancestors."""
    if principal.is_admin:
        return
    if not principal.orgs or not principal.acts_for(await ancestry(org_id)):
        raise Forbidden("you do not act for this organization")
