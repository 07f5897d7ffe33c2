"""Errors of the token endpoint (RFC 6749 section 5.2), distinct from problem+json errors."""

from __future__ import annotations


class OAuthError(Exception):
    """Answered as ``{"error": ..., "error_description": ...}``; 401 for ``invalid_client``.

    Raised by the grant services and turned into a response *inside* the route, so whatever the
    service already flushed (a revoked refresh-token family) is still committed.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    @property
    def status(self) -> int:
        return 401 if self.error == "invalid_client" else 400


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after} s")
        self.retry_after = retry_after
