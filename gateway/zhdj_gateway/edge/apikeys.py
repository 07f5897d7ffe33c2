"""API keys at the edge: found in ``X-API-Key`` or Open311's ``api_key`` field, exchanged for a
short-lived bearer token by the identity app, and removed so the raw key never reaches a service.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import unquote_plus

FORM_CONTENT_TYPE = b"application/x-www-form-urlencoded"
OPEN311_PREFIX = "/open311/"
# Open311 form bodies are read whole to find the key; they are small (a service request).
OPEN311_FORM_LIMIT = 64 * 1024


class ApiKeyExchange(Protocol):
    async def token_for(self, raw_key: str) -> str | None: ...


def strip_api_key(encoded: bytes) -> tuple[bytes, str | None]:
    """Remove every ``api_key`` field from a query string or form body; return the rest (byte
    for byte as it was) and the first key found.
    """
    kept: list[bytes] = []
    key: str | None = None
    for part in encoded.split(b"&"):
        name, _, value = part.partition(b"=")
        if unquote_plus(name.decode("latin-1")) == "api_key":
            if key is None:
                key = unquote_plus(value.decode("latin-1"))
            continue
        kept.append(part)
    return b"&".join(kept), key


def is_form(content_type: bytes | None) -> bool:
    return content_type is not None and content_type.lower().startswith(FORM_CONTENT_TYPE)
