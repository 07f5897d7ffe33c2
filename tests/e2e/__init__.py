"""End-to-end tests: the real processes started by scripts/run_platform.py, driven over HTTP."""
