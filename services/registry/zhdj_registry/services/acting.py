"""Who manages what: an organization's staff manage it and everything below it."""

from __future__ import annotations

from collections.abc import Sequence

from zhdj_shared.errors import Forbidden
from zhdj_shared.security.authz import Principal


def manages(principal: Principal, ancestry: Sequence[str]) -> bool:
    """Staff acting for the organization (root-to-self ``ancestry``) or above it, or an admin."""
    return principal.manages(ancestry)


def require_manages(principal: Principal, ancestry: Sequence[str], what: str) -> None:
    if not manages(principal, ancestry):
        raise Forbidden(f"you do not act for {what} or any organization above it")


def require_user_token(principal: Principal, what: str) -> None:
    """403 unless the token speaks for a person (a user who logged in).

    A client-credentials token, and the token the gateway exchanges for an API key, carry a
    client id as their subject, not a person: looking that up among members' or households'
    ``user_id`` would at best find nothing and at worst hand a client another person's record.
    """
    if principal.kind != "user":
        raise Forbidden(f"{what} answers a person's own token; a client token speaks for no one")


def path_ancestry(path: str) -> list[str]:
    """``/a/b/c/`` → ``["a", "b", "c"]``."""
    return [part for part in path.split("/") if part]
