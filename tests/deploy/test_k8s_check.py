"""`make k8s-check` (deploy/k8s-check.sh): passes on the real manifests, fails on a broken one.

The tools live in their own virtualenv (.venv/k8s-tools), installed by the script on first use
(about 2 minutes). CI runs `make k8s-check` before `make test`, so they are there; on a
developer's machine without them these tests are skipped unless CI or ZHDJ_TEST_REQUIRE_K8S=1
is set, in which case the script installs them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "k8s-check.sh"
TOOLS = ROOT / ".venv" / "k8s-tools" / ".installed-stamp"

if not TOOLS.exists() and not (os.environ.get("CI") or os.environ.get("ZHDJ_TEST_REQUIRE_K8S")):
    pytest.skip(
        "k8s tools not installed: run `make k8s-check` once (CI always runs these tests)",
        allow_module_level=True,
    )


def run_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_real_manifests_pass() -> None:
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "k8s-check: OK" in result.stdout
    # Both overlays were rendered and checked.
    assert "overlays/single-node ->" in result.stdout
    assert "overlays/production ->" in result.stdout


def broken_deployment() -> dict[str, Any]:
    """The real gateway Deployment, without resource limits and with a misspelt field."""
    docs = list(yaml.safe_load_all((ROOT / "deploy/k8s/base/gateway.yaml").read_text()))
    deployment: dict[str, Any] = next(d for d in docs if d["kind"] == "Deployment")
    deployment["metadata"]["namespace"] = "zhdj"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    del container["resources"]["limits"]
    container["imagePullPolcy"] = "Always"  # an unknown field: --strict must refuse it
    return deployment


def test_broken_manifest_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(broken_deployment(), sort_keys=False))
    result = run_check(broken)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # kubernetes-validate refuses the unknown field, checkov the missing limits.
    assert "FAILED: kubernetes-validate" in result.stderr, output
    assert "imagePullPolcy" in output
    assert "FAILED: checkov" in result.stderr, output
    assert "CKV_K8S_11" in output  # CPU limits
    assert "CKV_K8S_13" in output  # memory limits
