"""Regressions found by the API fuzzing run (tests/fuzz): what the documents promise."""

from __future__ import annotations

import pytest

from tests.support.tokens import TestKeys
from zhdj_registry.app import create_app as create_registry
from zhdj_registry.settings import RegistrySettings
from zhdj_service_requests.app import create_app as create_requests
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.registry_client import RegistryClient, segment


@pytest.mark.parametrize("org_id", ["\x05", "a/b", "../organizations", "a?limit=1", "a#b", ""])
async def test_an_id_that_is_not_a_path_segment_names_no_organization(
    demo_registry_client: RegistryClient, org_id: str
) -> None:
    # Pasted into the URL as it was: httpx.InvalidURL, another resource, or a redirect (500).
    assert await demo_registry_client.organization(org_id) is None
    assert await demo_registry_client.ancestry(org_id) is None


def test_segment_escapes_everything_but_unreserved_characters() -> None:
    assert segment("demo-d-xinhua_1.x~") == "demo-d-xinhua_1.x~"
    assert segment("a/b?c#d\x05朝") == "a%2Fb%3Fc%23d%05%E6%9C%9D"


def test_every_operation_documents_400_for_a_body_that_cannot_be_read(keys: TestKeys) -> None:
    # A body that is not UTF-8 is answered 400 by FastAPI; the documents did not say so.
    app = create_registry(
        RegistrySettings(migrate_on_start=False, load_demo_data=False),
        token_verifier=keys.verifier(),
    )
    paths = app.openapi()["paths"]
    assert "400" in paths["/api/registry/organizations"]["post"]["responses"]
    # A database that does not answer is a 503 problem on every operation (the token endpoint's
    # RFC 6749 errors included): documented, as the fuzz run met it.
    assert "503" in paths["/api/registry/organizations"]["post"]["responses"]
    # A `within` that names no organization is 404 on the lists.
    for path in (
        "/api/registry/organizations",
        "/api/registry/units",
        "/api/registry/alliances",
        "/api/registry/demonstration-sites",
        "/api/registry/venues",
        "/api/registry/volunteer-teams",
    ):
        assert "404" in paths[path]["get"]["responses"], path


def test_open311_documents_404_for_an_unknown_format(keys: TestKeys) -> None:
    app = create_requests(
        ServiceRequestsSettings(migrate_on_start=False, load_demo_data=False),
        token_verifier=keys.verifier(),
    )
    paths = app.openapi()["paths"]
    assert "404" in paths["/open311/v2/services.{fmt}"]["get"]["responses"]


def test_revoke_documents_an_empty_200() -> None:
    # RFC 7009 answers 200 with no body; the document promised application/json.
    from fastapi import FastAPI

    from zhdj_gateway.identity.routers import token_router

    app = FastAPI()
    app.include_router(token_router)
    ok = app.openapi()["paths"]["/auth/revoke"]["post"]["responses"]["200"]
    assert "content" not in ok
