"""``python -m zhdj_gateway`` serves the gateway (edge + identity) under uvicorn;
``python -m zhdj_gateway migrate`` applies the identity migrations and exits.

Both come from :mod:`zhdj_shared.serve` (uvloop, httptools, no uvicorn access log, JSON logging,
a taken port reported in one line with exit status 1).
"""

from __future__ import annotations

import sys

from zhdj_gateway.app import create_app
from zhdj_gateway.identity.app import MIGRATIONS_DIR
from zhdj_gateway.settings import GatewaySettings
from zhdj_shared.serve import main

if __name__ == "__main__":
    main(
        sys.argv[1:],
        settings=GatewaySettings(),
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
        prog="zhdj_gateway",
    )
