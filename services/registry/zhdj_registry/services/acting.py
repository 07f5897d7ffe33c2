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


def path_ancestry(path: str) -> list[str]:
    """``/a/b/c/`` → ``["a", "b", "c"]``."""
    return [part for part in path.split("/") if part]
