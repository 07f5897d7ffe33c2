"""The identity app's collaborators, built once in ``app.py`` and kept in ``app.state.identity``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from zhdj_gateway.identity.keys import KeyStore
from zhdj_gateway.identity.passwords import PasswordHasher
from zhdj_gateway.identity.services.api_keys import ApiKeyExchange
from zhdj_gateway.identity.services.oauth import OAuthDeps
from zhdj_gateway.identity.sessions import SessionSource
from zhdj_gateway.identity.throttle import LoginThrottle
from zhdj_gateway.identity.tokens import TokenMinter
from zhdj_gateway.settings import GatewaySettings


@dataclass(frozen=True)
class IdentityContext:
    settings: GatewaySettings
    hasher: PasswordHasher
    sessions: SessionSource
    key_store: KeyStore
    minter: TokenMinter
    throttle: LoginThrottle
    api_keys: ApiKeyExchange

    @property
    def oauth(self) -> OAuthDeps:
        return OAuthDeps(
            hasher=self.hasher,
            minter=self.minter,
            throttle=self.throttle,
            refresh_ttl_seconds=self.settings.refresh_token_ttl_seconds,
        )


async def identity_context(request: Request) -> IdentityContext:
    context: IdentityContext = request.app.state.identity
    return context


IdentityDep = Annotated[IdentityContext, Depends(identity_context)]
