"""Issue 7 point 4: schemathesis against every part's OpenAPI document, THROUGH THE GATEWAY.

The platform runs as ``make run`` starts it (real processes, SQLite, the demo city); the schema
is the gateway's merged ``/openapi.json`` (the identity app and the four services, as
published); every request carries an administrator's token obtained with the password grant
and goes through the real edge (token check, limits, reverse proxy). Each operation gets a
bounded, reproducible number of examples (``derandomize``), valid ones and invalid ones; the
checks are: no 5xx, every response matches its documented schema and its status code is
documented.

Every operation is run as its own Hypothesis test (in two worker processes), and every failing
operation is reported, under the test of its part (not only the first failure).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import RunningPlatform

# Examples per operation and mode; ``ZHDJ_FUZZ_EXAMPLES=50 make test`` for a deeper run.
EXAMPLES = int(os.environ.get("ZHDJ_FUZZ_EXAMPLES", "0")) or None
MAX_EXAMPLES = {GenerationMode.POSITIVE: EXAMPLES or 4, GenerationMode.NEGATIVE: EXAMPLES or 2}
WORKERS = 2
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

# Each part's operations, by path prefix.
PARTS: dict[str, tuple[str, ...]] = {
    "identity": ("/auth/", "/.well-known/", "/healthz", "/readyz"),
    "registry": ("/api/registry/",),
    "activity": ("/api/activity/",),
    "service-requests": ("/api/service-requests/", "/open311/"),
    "assessment": ("/api/assessment/",),
}

SERVICES = ("registry", "activity", "service-requests", "assessment")

# Operations not fuzzed, each with its reason (nothing is left out silently).
EXCLUDED: dict[str, str] = {}


def load_schema(gateway_url: str) -> Any:
    """The gateway's merged document, once every service's part is in it (a service's first
    ``/openapi.json`` can exceed the gateway's short fetch timeout just after start)."""
    deadline = time.monotonic() + 60
    while True:
        response = httpx.get(f"{gateway_url}/openapi.json", timeout=30)
        assert response.status_code == 200, response.text
        document = response.json()
        missing = document.get("x-unavailable")
        if not missing:
            return schemathesis.openapi.from_dict(document)
        assert time.monotonic() < deadline, f"the gateway's document lacks {missing}"
        time.sleep(1)


def part_operations(schema: Any, part: str) -> list[Any]:
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(PARTS[part]) and operation.label not in EXCLUDED:
            operations.append(operation)
    return operations


def fuzz_operation(
    operation: Any, base_url: str, token: str, session: requests.Session
) -> list[str]:
    """Every failure found for one operation, as readable text (empty when none)."""
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES[mode],
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
            print_blob=False,
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                base_url=base_url, session=session, headers=headers, checks=CHECKS, timeout=30
            )

        try:
            run()
        except Unsatisfiable:
            # Nothing of this operation can be made invalid (no parameters, no body).
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (AssertionError, Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.label} [{mode.value}]: {error}")
    return failures


def part_of(operation: Any) -> str:
    return next(part for part, prefixes in PARTS.items() if operation.path.startswith(prefixes))


def fuzz_share(
    gateway_url: str, token: str, index: int, count: int, parts: tuple[str, ...] = SERVICES
) -> dict[str, list[str]]:
    """One worker's share of ``parts``: every ``count``-th operation from ``index``."""
    schema = load_schema(gateway_url)
    operations = [op for part in parts for op in part_operations(schema, part)]
    failures: dict[str, list[str]] = {part: [] for part in PARTS}
    with requests.Session() as session:
        for operation in operations[index::count]:
            failures[part_of(operation)] += fuzz_operation(operation, gateway_url, token, session)
    return failures


@pytest.fixture(scope="session")
def fuzz_failures(fuzz_platform: RunningPlatform, admin_token: str) -> dict[str, list[str]]:
    """Fuzz every operation once per session, in WORKERS processes (generating cases is
    CPU-bound: two processes keep the run near half the time on two cores).

    The identity app is fuzzed alongside the services. It used to run last, alone: a key
    rotation made the next tokens fail at services whose JWKS was fresh (a new key now signs
    only after its publication delay), and on SQLite an identity write failed with 503 when
    another one committed during its password hash (identity writes now take the write lock
    first: ``zhdj_shared.db.claim_writer``)."""
    schema = load_schema(fuzz_platform.gateway_url)
    for part in PARTS:
        assert part_operations(schema, part), f"no operation found for {part}"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        shares = pool.map(
            fuzz_share,
            [fuzz_platform.gateway_url] * WORKERS,
            [admin_token] * WORKERS,
            range(WORKERS),
            [WORKERS] * WORKERS,
            [tuple(PARTS)] * WORKERS,
        )
        failures: dict[str, list[str]] = {part: [] for part in PARTS}
        for share in shares:
            for part, found in share.items():
                failures[part] += found
    return failures


@pytest.mark.parametrize("part", list(PARTS))
def test_api_through_gateway(part: str, fuzz_failures: dict[str, list[str]]) -> None:
    assert not fuzz_failures[part], "\n\n".join(fuzz_failures[part])
