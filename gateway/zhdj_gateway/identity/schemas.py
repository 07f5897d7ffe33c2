"""Request and response bodies of ``/auth/*``. No schema ever carries a hash or a private key."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from zhdj_gateway.identity.grants import ALL_SCOPES, CLIENT_ROLES, USER_ROLES
from zhdj_shared.one_line import no_control_characters
from zhdj_shared.security.scopes import Role

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{2,63}$"
PHONE_PATTERN = r"^\+?[0-9][0-9\- ]{4,19}$"
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
# A few passwords every guessing list starts with.
COMMON_PASSWORDS = frozenset(
    {"password", "password1", "12345678", "123456789", "1234567890", "qwertyui", "11111111",
     "88888888", "66666666", "abc12345", "iloveyou", "admin123", "qwerty123", "a1234567"}
)  # fmt: skip

Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=USERNAME_PATTERN)]
OneLine = AfterValidator(no_control_characters)
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), OneLine
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=PHONE_PATTERN)]
Password = Annotated[str, Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]
OrgId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine
]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine
]


def check_password(password: str, username: str | None = None) -> str:
    if password.casefold() in COMMON_PASSWORDS:
        raise ValueError("this password is too common")
    if len(set(password)) < 4:
        raise ValueError("use at least 4 different characters")
    if username and username.casefold() in password.casefold():
        raise ValueError("the password must not contain the username")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[^A-Za-z]", password)):
        raise ValueError("use letters and at least one digit or symbol")
    return password


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {' '.join(unknown)}")
    return sorted(set(scopes))


# --- token endpoint -------------------------------------------------------------------------


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6750 type name
    expires_in: int
    scope: str
    refresh_token: str | None = None


class OAuthErrorBody(BaseModel):
    error: str
    error_description: str | None = None


# --- users ----------------------------------------------------------------------------------


class RoleGrant(BaseModel):
    role: Role
    org_id: OrgId | None = None

    @field_validator("role")
    @classmethod
    def _user_role(cls, role: Role) -> Role:
        if role not in USER_ROLES:
            raise ValueError(f"{role.value} is a client role, not a user role")
        return role


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    display_name: DisplayName
    phone: Phone | None = None

    @field_validator("password")
    @classmethod
    def _password_policy(cls, password: str, info: ValidationInfo) -> str:
        return check_password(password, info.data.get("username"))


class UserCreate(RegisterRequest):
    roles: list[RoleGrant] = Field(default_factory=list, max_length=50)
    is_active: bool = True


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    phone: Phone | None = None
    roles: list[RoleGrant] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password

    @field_validator("password")
    @classmethod
    def _password_policy(cls, password: str) -> str:
        return check_password(password)


class RoleView(BaseModel):
    role: str
    org_id: str | None


class UserView(BaseModel):
    id: str
    username: str
    display_name: str
    phone: str | None
    is_active: bool
    roles: list[RoleView]
    created_at: datetime
    updated_at: datetime


class UserPage(BaseModel):
    items: list[UserView]
    next_cursor: str | None


class MeView(BaseModel):
    kind: Literal["user", "client"]
    subject: str
    scopes: list[str]
    roles: list[RoleView]
    orgs: list[str]
    username: str | None = None
    display_name: str | None = None
    phone: str | None = None
    client_id: str | None = None
    name: str | None = None


# --- clients ---------------------------------------------------------------------------------


class _ClientFields(BaseModel):
    @field_validator("scopes", check_fields=False)
    @classmethod
    def _known_scopes(cls, scopes: list[str] | None) -> list[str] | None:
        return None if scopes is None else _check_scopes(scopes)

    @field_validator("roles", check_fields=False)
    @classmethod
    def _client_roles(cls, roles: list[Role] | None) -> list[Role] | None:
        if roles is not None and any(role not in CLIENT_ROLES for role in roles):
            raise ValueError("a client's roles are service or third_party")
        return roles


class ClientCreate(_ClientFields):
    model_config = ConfigDict(extra="forbid")

    name: Label
    scopes: list[str] = Field(default_factory=list, max_length=20)
    roles: list[Role] = Field(default_factory=lambda: [Role.THIRD_PARTY], max_length=5)
    orgs: list[OrgId] = Field(default_factory=list, max_length=50)


class ClientUpdate(_ClientFields):
    model_config = ConfigDict(extra="forbid")

    name: Label | None = None
    scopes: list[str] | None = Field(default=None, max_length=20)
    roles: list[Role] | None = Field(default=None, max_length=5)
    orgs: list[OrgId] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class ClientView(BaseModel):
    client_id: str
    name: str
    scopes: list[str]
    roles: list[str]
    orgs: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(ClientView):
    client_secret: str = Field(description="Shown once; only a hash is stored.")


class ClientSecret(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once; only a hash is stored.")


class ClientPage(BaseModel):
    items: list[ClientView]
    next_cursor: str | None


# --- API keys --------------------------------------------------------------------------------


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=64)
    label: Label
    scopes: list[str] = Field(min_length=1, max_length=20)
    expires_at: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        return _check_scopes(scopes)

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time with its offset (RFC 3339)")
        return value


class ApiKeyView(BaseModel):
    id: str
    client_id: str
    label: str
    scopes: list[str]
    last4: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyWithSecret(ApiKeyView):
    key: str = Field(description="Shown once; only a keyed hash is stored.")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyView]
    next_cursor: str | None


# --- signing keys ----------------------------------------------------------------------------


class SigningKeyView(BaseModel):
    kid: str
    status: Literal["next", "active", "retired"] = Field(
        description="next: in the JWKS, signs from activates_at; active: signs now;"
        " retired: superseded, in the JWKS until retire_after"
    )
    source: str
    created_at: datetime
    activates_at: datetime
    retire_after: datetime | None


class SigningKeyList(BaseModel):
    items: list[SigningKeyView]
