"""The identity store's tables. Enums (roles, key status) are stored as plain strings.

No ORM relationships: repositories load related rows explicitly, so nothing lazy-loads by
accident on an async session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from zhdj_gateway.identity.base import GatewayModel
from zhdj_shared.db import JSONType, UTCDateTime, utcnow
from zhdj_shared.ids import new_id


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def _optional_time(*, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=index))


def _string_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSONType, nullable=False))


class User(GatewayModel, table=True):
    __tablename__ = "users"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    username: str = Field(max_length=64)
    # casefolded username: the uniqueness (and lookup) key, so "Admin" and "admin" collide
    username_key: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class RoleAssignment(GatewayModel, table=True):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "org_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role: str = Field(max_length=32)
    org_id: str | None = Field(default=None, max_length=64)


class OAuthClient(GatewayModel, table=True):
    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=255)
    scopes: list[str] = _string_list()
    roles: list[str] = _string_list()
    orgs: list[str] = _string_list()
    is_active: bool = Field(default=True)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ApiKey(GatewayModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    client_id: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("oauth_clients.client_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    # HMAC-SHA256(pepper, raw key), hex: the only form of the key that is stored
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = _string_list()
    label: str = Field(max_length=200)
    last4: str = Field(max_length=4)
    created_at: datetime = _created()
    expires_at: datetime | None = _optional_time()
    revoked_at: datetime | None = _optional_time()


class RefreshToken(GatewayModel, table=True):
    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family_id", "family_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # SHA-256 of the opaque token, hex (the token has 256 random bits, so no salt is needed)
    token_hash: str = Field(max_length=64, unique=True)
    family_id: str = Field(max_length=32)
    user_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    client_id: str | None = Field(default=None, max_length=64)
    scope: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = _optional_time()
    revoked_at: datetime | None = _optional_time()


class SigningKey(GatewayModel, table=True):
    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=64)
    private_pem: str = Field(sa_column=Column(Text, nullable=False))
    public_jwk: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    # "active": the newest key, signing from ``activates_at``; "retired": superseded by a newer
    # one. What a key does at a given moment follows from the two times below (keys.py); the
    # status is kept for the record and for a gateway of the previous release during a rollout.
    status: str = Field(max_length=16)
    source: str = Field(max_length=16)  # "generated" | "configured"
    created_at: datetime = _created()
    # Signs from then: a new key is published in the JWKS first and signs only once every
    # service's cached JWKS has it. None: since ``created_at`` (keys made before this column).
    activates_at: datetime | None = _optional_time()
    # In the JWKS until then (the last token it signed has expired); None: no successor yet.
    retire_after: datetime | None = _optional_time()


class AccessRevocation(GatewayModel, table=True):
    """Access tokens issued up to ``revoked_at`` for ``key`` are refused at the edge.

    ``key`` is ``sid:<refresh-token family>`` (a signed-out or stolen session) or
    ``sub:<user id or client id>`` (an account disabled, its roles or password changed; a
    client disabled, changed or given a new secret). A row matters only while a token issued
    before it can still be alive (the access-token lifetime), and is purged after.
    """

    __tablename__ = "access_revocations"

    key: str = Field(primary_key=True, max_length=128)
    revoked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
