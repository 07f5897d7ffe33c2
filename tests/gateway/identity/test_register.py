"""Resident sign-up: validation with field errors, duplicates, nothing written on refusal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col

from tests.gateway.identity.conftest import Harness
from zhdj_gateway.identity.models import RoleAssignment, User

GOOD = {
    "username": "resident_zhao",
    "password": "Zhao-pass-2026",
    "display_name": "赵六",
    "phone": "13800138000",
}


async def test_register_creates_a_resident(harness: Harness) -> None:
    response = await harness.client.post("/auth/register", json=GOOD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/auth/users/{body['id']}"
    assert body["display_name"] == "赵六"
    assert body["phone"] == "13800138000"
    assert body["roles"] == [{"role": "resident", "org_id": None}]
    assert not any("password" in key or "hash" in key for key in body)
    (user,) = await harness.rows(User, col(User.id) == body["id"])
    assert user.password_hash.startswith("scrypt$")
    assert GOOD["password"] not in user.password_hash


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"password": "short1"}, "password"),
        ({"password": "password1"}, "password"),
        ({"password": "onlyletters"}, "password"),
        ({"password": "resident_zhao-1"}, "password"),
        ({"display_name": ""}, "display_name"),
        # PostgreSQL stores no NUL (it was a 500 there, and stored on SQLite)
        ({"display_name": "赵\x00六"}, "display_name"),
        ({"display_name": "赵六\n管理员"}, "display_name"),
        ({"phone": "call me"}, "phone"),
        ({"role": "admin"}, "role"),
    ],
)
async def test_register_validation(harness: Harness, change: dict[str, Any], field: str) -> None:
    before = await harness.count(User)
    response = await harness.client.post("/auth/register", json={**GOOD, **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert field in {e["field"] for e in body["errors"]}
    assert "Traceback" not in response.text
    assert await harness.count(User) == before


async def test_missing_fields_are_listed(harness: Harness) -> None:
    response = await harness.client.post("/auth/register", json={})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "username",
        "password",
        "display_name",
    }


async def test_duplicate_username_is_409_and_changes_nothing(harness: Harness) -> None:
    first = await harness.client.post("/auth/register", json=GOOD)
    assert first.status_code == 201
    before = (await harness.count(User), await harness.count(RoleAssignment))
    again = await harness.client.post(
        "/auth/register",
        json={
            **GOOD,
            "username": "Resident_Zhao",
            "password": "Other-pass-2026",
            "display_name": "冒名",
        },
    )
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    assert (await harness.count(User), await harness.count(RoleAssignment)) == before
    (user,) = await harness.rows(User, col(User.id) == first.json()["id"])
    assert user.display_name == "赵六"
    assert (await harness.password_login("resident_zhao", GOOD["password"])).status_code == 200
    assert (await harness.password_login("resident_zhao", "Other-pass-2026")).status_code == 400
