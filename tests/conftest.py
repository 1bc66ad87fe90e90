"""Fixtures shared by every test area.

Tests that need a real system program (chromium, redis-server, mono) ask for it through
``require_program``: under ``CI=true`` a missing program fails the test instead of skipping it,
because CI installs them in ``.ci/run`` and a silent skip would hide a broken install.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_program(name: str) -> str:
    """Return the path of ``name`` on PATH; fail under CI, skip elsewhere, if it is missing."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (make test installs it through apt-get when run as root)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty, private NCOPT_DATA_DIR for one test."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("NCOPT_DATA_DIR", str(root))
    return root


@pytest.fixture
def job_env(data_dir, monkeypatch):
    """A private data dir with short heartbeat and grace, so real-job tests are quick.

    Afterwards every supervisor the test left running is killed with its process group.
    """
    from tests.jobs.helpers import kill_leftovers

    monkeypatch.setenv("NCOPT_HEARTBEAT_S", "0.2")
    monkeypatch.setenv("NCOPT_GRACE_S", "1")
    monkeypatch.setenv("NCOPT_MAX_WORKERS", "2")
    for name in ("NCOPT_SECRET", "NCOPT_BACKEND", "NCOPT_ENTRY"):
        monkeypatch.delenv(name, raising=False)
    yield data_dir
    kill_leftovers(data_dir)


@pytest.fixture
def scenario(job_env) -> Path:
    """A scenario ``dept/scen`` with a stand-in spreadsheet and one program."""
    from tests.jobs.helpers import make_scenario

    return make_scenario(job_env)


# What `make test-fast` leaves out (`-m "not slow"`): tests that drive a real browser, Redis
# and Celery, Mono, a real server or real detached jobs. `make test` and CI run everything.
_SLOW_MARKERS = {"browser", "celery", "dotnet"}
_SLOW_FOLDERS = {"jobs", "api"}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in _SLOW_FOLDERS or _SLOW_MARKERS & {m.name for m in item.iter_markers()}:
            item.add_marker(pytest.mark.slow)
