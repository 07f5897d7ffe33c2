"""Regressions found by the API fuzzing run (tests/fuzz): each was a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.activity.conftest import BASE, BRANCH, C1, ActivityApp, activity_body, assert_problem


@pytest.mark.parametrize(
    "path", ["/statistics", "/compliance/organizations/demo-d-xinhua", "/compliance/alliances/x"]
)
async def test_a_period_in_year_zero_is_422_not_500(activity: ActivityApp, path: str) -> None:
    # date() has no year 0: `?period=0000` raised ValueError.
    response = await activity.client.get(
        f"{BASE}{path}", params={"period": "0000"}, headers=activity.admin()
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "period"


@pytest.mark.parametrize("org_id", ["\x05bad", "a/b", "a?b=c", "a#b", ""])
async def test_an_id_that_is_not_a_url_segment_is_unknown_not_500(
    activity: ActivityApp, org_id: str
) -> None:
    # The id was pasted into the registry URL: httpx.InvalidURL (control characters), or
    # another path ("a/b", "" -> a redirect whose empty body failed to parse as JSON).
    body = activity_body(owner={"kind": "org", "id": org_id})
    created = await activity.client.post(f"{BASE}/activities", json=body, headers=activity.admin())
    assert 400 <= created.status_code < 500, created.text
    listed = await activity.client.get(
        f"{BASE}/activities", params={"within": org_id}, headers=activity.admin()
    )
    assert listed.status_code < 500, listed.text


async def test_a_calendar_of_an_id_with_any_character_has_a_valid_header(
    activity: ActivityApp,
) -> None:
    # 'latin-1' codec can't encode: the id went into Content-Disposition as it was.
    org_id = '朝阳\x05"x'
    response = await activity.client.get(
        f"{BASE}/organizations/{quote(org_id, safe='')}/calendar.ics", headers=activity.admin()
    )
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("inline; filename=\"calendar.ics\"; filename*=UTF-8''")
    assert "%E6%9C%9D%E9%98%B3%05%22x.ics" in disposition


async def test_a_forged_feed_token_with_non_ascii_characters_is_403_not_500(
    activity: ActivityApp,
) -> None:
    # hmac.compare_digest refuses str with non-ASCII characters (TypeError).
    response = await activity.client.get(
        f"{BASE}/organizations/{BRANCH}/calendar.ics", params={"feed_token": "令牌" * 12}
    )
    assert_problem(response, 403)
    assert C1  # the branch belongs to the demo community (conftest)
