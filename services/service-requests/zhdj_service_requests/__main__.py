"""Command line of the service (see ``zhdj_shared.serve``).

``python -m zhdj_service_requests`` serves the API;
``python -m zhdj_service_requests migrate`` applies the migrations and exits.
"""

from __future__ import annotations

import sys

from zhdj_service_requests.app import MIGRATIONS_DIR, create_app
from zhdj_service_requests.settings import ServiceRequestsSettings
from zhdj_shared.serve import main

if __name__ == "__main__":
    main(
        sys.argv[1:],
        settings=ServiceRequestsSettings(),
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )
