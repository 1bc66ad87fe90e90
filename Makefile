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

# One pytest worker per core, at most four (pytest-xdist): the suite waits on servers, browsers
# and detached jobs much of the time, so two workers on two cores took it from 13 to 8 minutes.
# Every test has its own data dir, ports and processes, so workers share nothing. The tests
# marked `alone` measure sub-second waits of our own code, which a test on the other core
# would stretch (a 0.5-s should_stop bound read 0.66 s beside one), so they run afterwards.
test: $(VENV)/.dev system-deps
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not alone" --numprocesses logical --maxprocesses 4 --dist worksteal
	$(PY) -m pytest -m alone

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
