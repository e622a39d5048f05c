# open122: `make run` serves the portal with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test bench lint messages cluster

install: $(STAMP)

# Development installs both files (production installs requirements.txt only, docs/deploy.md);
# reinstalls only when either changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: install
	$(PY) bin/run.py

test: install
	$(PY) bin/testrun.py $(ARGS)

# The province deployment on one machine (docs/operations.md "make cluster"); Ctrl-C stops it.
cluster: install
	$(PY) bin/cluster.py

bench: install
	$(PY) bin/bench.py $(if $(ONLY),--only $(ONLY)) $(if $(QUICK),--quick) $(if $(NO_GUARDS),--no-guards)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Extract an app's strings into <app>/locale/zh_Hans (templates/<app> included): make messages APP=plates
messages: install
	$(PY) bin/messages.py $(APP)
