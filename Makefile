# The two commands a new user needs: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared gateway services/registry services/activity services/service-requests services/assessment
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-sqlite test-postgres lint format install constraints bench clean k8s-check

$(STAMP): constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt \
		--config-settings editable_mode=compat \
		$(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	@touch $@

install: $(STAMP)

## Start the whole platform on SQLite with the demo city (Ctrl-C stops everything).
run: $(STAMP)
	$(BIN)/python scripts/run_platform.py

## Every test: SQLite always, PostgreSQL when reachable (CI requires it: ZHDJ_TEST_REQUIRE_POSTGRES=1).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared gateway services scripts

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Re-pin every third-party version after a dependency change.
constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt.new
	( printf '%s\n' '# Every third-party version, pinned: `make` installs with `pip install -c constraints.txt`.' \
	  '# Regenerate after changing a dependency: make constraints'; cat constraints.txt.new ) > constraints.txt
	rm constraints.txt.new

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

## Render every Kubernetes overlay and check it offline: yamllint, kubernetes-validate --strict,
## checkov (deploy/k8s-check.sh; its tools go to their own virtualenv, installed on first use).
K8S_VENV := $(VENV)/k8s-tools
k8s-check:
	K8S_VENV=$(K8S_VENV) PYTHON=$(PYTHON) bash deploy/k8s-check.sh
