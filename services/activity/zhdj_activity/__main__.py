"""Command line of the service (see ``zhdj_shared.serve``).

``python -m zhdj_activity`` serves the API;
``python -m zhdj_activity migrate`` applies the migrations and exits.
"""

from __future__ import annotations

import sys

from zhdj_activity.app import MIGRATIONS_DIR, create_app
from zhdj_activity.settings import ActivitySettings
from zhdj_shared.serve import main

if __name__ == "__main__":
    main(
        sys.argv[1:],
        settings=ActivitySettings(),
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )
