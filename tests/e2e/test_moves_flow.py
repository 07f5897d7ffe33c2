"""A community moves to another street, through the gateway, with real processes: within the
followers' poll interval the new street handles its requests and the old one no longer does;
moved back, the platform is as it was."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_org_tree_flow import bearer, make_staff, password_token

pytestmark = pytest.mark.e2e

ORGS = "/api/registry/organizations"
REQUESTS = "/api/service-requests/requests"
COMMUNITY = "demo-s-xinhua-chaoyang-c2"
CHAOYANG = "demo-s-xinhua-chaoyang"
HEPING = "demo-s-xinhua-heping"
# The followers poll every 5 s (the default): a generous bound for a loaded machine.
FOLLOW_TIMEOUT = 40.0


@pytest.fixture(scope="module")
def gateway(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        yield client


def eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + FOLLOW_TIMEOUT
    while not check():
        assert time.monotonic() < deadline, "the move was not followed in time"
        time.sleep(0.5)


def test_a_moved_community_is_handled_by_its_new_street(
    gateway: httpx.Client, platform: RunningPlatform
) -> None:
    admin = bearer(password_token(gateway, "admin", platform.admin_password))
    heping = bearer(make_staff(gateway, admin, "moves_heping_staff", HEPING))
    chaoyang = bearer(make_staff(gateway, admin, "moves_chaoyang_staff", CHAOYANG))
    listed = gateway.get(REQUESTS, params={"within": COMMUNITY, "limit": 1}, headers=admin)
    assert listed.status_code == 200, listed.text
    (request,) = listed.json()["items"]
    detail = f"{REQUESTS}/{request['id']}"

    def handled_by(headers: dict[str, str]) -> bool:
        return gateway.get(detail, headers=headers).status_code == 200

    assert handled_by(chaoyang)
    assert not handled_by(heping)
    # Services may read the log through the gateway; staff may not.
    assert gateway.get(f"{ORGS}/moves", headers=chaoyang).status_code == 403
    try:
        moved = gateway.post(f"{ORGS}/{COMMUNITY}/move", json={"parent_id": HEPING}, headers=admin)
        assert moved.status_code == 200, moved.text
        eventually(lambda: handled_by(heping) and not handled_by(chaoyang))
    finally:
        back = gateway.post(f"{ORGS}/{COMMUNITY}/move", json={"parent_id": CHAOYANG}, headers=admin)
        assert back.status_code == 200, back.text
    eventually(lambda: handled_by(chaoyang) and not handled_by(heping))
