"""No request of any part runs its endpoint or a dependency in a worker thread.

FastAPI runs a plain ``def`` endpoint or dependency (a class used as one included) in the thread
pool: a thread hand-off per call, measured as 10-12 % of the registry's and the activity
service's CPU under the platform's mixed load (bench/platform_load.py, py-spy). Everything a
request calls is ``async``; blocking work (password hashing) goes to a thread explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import (
    Dependant,
    _is_async_gen_callable,
    _is_coroutine_callable,
)
from fastapi.routing import APIRoute

from zhdj_activity.app import create_app as activity_app
from zhdj_activity.settings import ActivitySettings
from zhdj_assessment.app import create_app as assessment_app
from zhdj_assessment.settings import AssessmentSettings
from zhdj_gateway.identity.app import create_identity_app
from zhdj_gateway.settings import GatewaySettings
from zhdj_registry.app import create_app as registry_app
from zhdj_registry.settings import RegistrySettings
from zhdj_service_requests.app import create_app as requests_app
from zhdj_service_requests.settings import ServiceRequestsSettings


def _runs_in_the_loop(call: Callable[..., Any]) -> bool:
    """FastAPI's own test of what it awaits rather than sending to the thread pool (private,
    pinned by constraints.txt: a FastAPI that moves it fails this import loudly)."""
    return _is_coroutine_callable(call) or _is_async_gen_callable(call)


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # include_router (FastAPI 0.165)
        if included is not None:
            yield from _api_routes(included.routes)


def _threaded(app: FastAPI) -> list[str]:
    found = []
    routes = list(_api_routes(app.routes))
    assert len(routes) > 5  # the walk reaches the included routers
    for route in routes:
        where = f"{sorted(route.methods)} {route.path}"
        if not _runs_in_the_loop(route.endpoint):
            found.append(f"{where}: endpoint {route.endpoint.__qualname__}")
        for sub in _dependencies(route.dependant):
            if sub.call is not None and not _runs_in_the_loop(sub.call):
                found.append(f"{where}: dependency {getattr(sub.call, '__qualname__', sub.call)}")
    return sorted(set(found))


def _apps(tmp: Path) -> dict[str, FastAPI]:
    def url(name: str) -> str:
        return f"sqlite+aiosqlite:///{tmp / name}.db"

    common: dict[str, Any] = {"migrate_on_start": False, "load_demo_data": False}
    return {
        "registry": registry_app(RegistrySettings(database_url=url("r"), **common)),
        "activity": activity_app(ActivitySettings(database_url=url("a"), **common)),
        "service-requests": requests_app(ServiceRequestsSettings(database_url=url("s"), **common)),
        "assessment": assessment_app(AssessmentSettings(database_url=url("x"), **common)),
        "gateway identity": create_identity_app(GatewaySettings(database_url=url("g"), **common)),
    }


@pytest.mark.parametrize(
    "part", ["registry", "activity", "service-requests", "assessment", "gateway identity"]
)
def test_every_endpoint_and_dependency_is_async(part: str, tmp_path: Path) -> None:
    assert _threaded(_apps(tmp_path)[part]) == []
