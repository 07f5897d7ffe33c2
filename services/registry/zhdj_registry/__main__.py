"""``python -m zhdj_registry`` serves the registry; ``python -m zhdj_registry migrate`` migrates."""

import sys

from zhdj_registry.app import MIGRATIONS_DIR, create_app
from zhdj_registry.settings import RegistrySettings
from zhdj_shared.serve import main

main(
    sys.argv[1:], settings=RegistrySettings(), create_app=create_app, migrations_dir=MIGRATIONS_DIR
)
