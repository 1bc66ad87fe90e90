"""Fixtures for the job-layer tests: a scenario in a private data dir, fast timing knobs, and
a clean-up that kills every process group a test's jobs left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.helpers import kill_leftovers, make_scenario


@pytest.fixture
def job_env(data_dir, monkeypatch):
    """Short heartbeat and grace so the tests are quick; returns the data dir."""
    monkeypatch.setenv("NCOPT_HEARTBEAT_S", "0.2")
    monkeypatch.setenv("NCOPT_GRACE_S", "1")
    monkeypatch.setenv("NCOPT_MAX_WORKERS", "2")
    monkeypatch.delenv("NCOPT_SECRET", raising=False)
    monkeypatch.delenv("NCOPT_BACKEND", raising=False)
    monkeypatch.delenv("NCOPT_ENTRY", raising=False)
    yield data_dir
    kill_leftovers(data_dir)


@pytest.fixture
def scenario(job_env) -> Path:
    return make_scenario(job_env)
