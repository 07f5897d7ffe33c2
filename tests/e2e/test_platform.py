"""The platform started like ``make run``: every part answers, and a taken port is explained."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from tests.e2e.conftest import PARTS, RUN_PLATFORM, RunningPlatform, free_ports, platform_env

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("part", PARTS)
def test_every_part_answers_healthz_on_its_port(platform: RunningPlatform, part: str) -> None:
    response = httpx.get(f"{platform.urls[part]}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers.get("x-request-id")


def test_gateway_is_ready(platform: RunningPlatform) -> None:
    response = httpx.get(f"{platform.gateway_url}/readyz", timeout=10)
    assert response.status_code == 200, response.text


def test_secrets_are_generated_once_and_private(platform: RunningPlatform) -> None:
    path = platform.data_dir / "secrets.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (platform.data_dir / "registry.db").exists()


def test_a_taken_port_is_named_with_the_variable_to_change(tmp_path) -> None:
    ports = dict(zip(PARTS, free_ports(len(PARTS)), strict=True))
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        ports["gateway"] = held.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(RUN_PLATFORM)],
            env=platform_env(tmp_path, ports),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert f"port {ports['gateway']} (gateway" in message
    assert "already in use" in message
    assert "ZHDJ_GATEWAY_PORT" in message
    assert not (tmp_path / "secrets.json").exists()  # refused before touching anything


# ---------------------------------------------------------------------------------------------
# Flows through the gateway (token, then the services' APIs).
# ORG-TREE FLOW: the lead adds the organization-tree flow test here once the registry lands.
