"""The gateway process loads no module it does not use: memory is one of its targets (< 150 MB).

pypinyin's phrase dictionaries cost ~54 MB resident; the gateway once loaded them through a
validator imported from ``zhdj_shared.text``. The check runs in a fresh interpreter, since this
test process has imported every service.
"""

from __future__ import annotations

import subprocess
import sys

# Services' needs, never the gateway's: Chinese pinyin keys and spreadsheets (registry imports).
HEAVY_MODULES = ("pypinyin", "openpyxl")


def test_the_gateway_app_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from zhdj_gateway.app import create_app\n"
        "from zhdj_gateway.settings import GatewaySettings\n"
        "create_app(GatewaySettings())\n"
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
