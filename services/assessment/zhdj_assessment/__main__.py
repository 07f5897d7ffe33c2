"""Command line of the service (see ``zhdj_shared.serve``).

``python -m zhdj_assessment`` serves the API;
``python -m zhdj_assessment migrate`` applies the migrations and exits.
"""

from __future__ import annotations

import sys

from zhdj_assessment.app import MIGRATIONS_DIR, create_app
from zhdj_assessment.settings import AssessmentSettings
from zhdj_shared.serve import main

if __name__ == "__main__":
    main(
        sys.argv[1:],
        settings=AssessmentSettings(),
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )
