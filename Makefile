# The two commands of the README: `make run` and `make test`. Everything else is their plumbing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
NCOPT_DATA_DIR ?= $(CURDIR)/scenarios
export NCOPT_DATA_DIR

.PHONY: run test test-fast lint format bench system-deps clean

$(VENV)/.runtime: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt -c constraints.txt
	# compile the local search once (numba caches it in ncopt/sequencing/__pycache__)
	$(PY) -m ncopt.sequencing._oropt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -r requirements-dev.txt -c constraints.txt
	touch $@

run: $(VENV)/.runtime
	$(VENV)/bin/streamlit run streamlit_app.py --server.address 127.0.0.1 --server.port 8501 \
		--server.headless true --browser.gatherUsageStats false

system-deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.dev system-deps
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# The tests that do not spend wall-clock search budgets or drive long jobs (about a minute).
test-fast: $(VENV)/.dev system-deps
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not slow" -x -q

lint: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.dev
	$(PY) bench/jobs.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
