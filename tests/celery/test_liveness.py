"""Which liveness rule judges a Celery job: the PID on its own host, the lease elsewhere, and
no rule at all while it waits in the broker (no servers needed)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import psutil
import pytest

import jobstore

pytestmark = pytest.mark.celery


def _ago(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)).isoformat()


def _job(**fields) -> dict:
    base = {"job_id": "j1", "state": "running", "backend": "celery", "created_at": _ago(60)}
    return {**base, **fields}


def _state(job: dict) -> str:
    return jobstore.derive_state(jobstore.JobStatus.from_dict(job))


@pytest.fixture
def dead_pid() -> tuple[int, float]:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    create_time = psutil.Process(proc.pid).create_time()
    proc.wait()
    return proc.pid, create_time


def test_same_host_is_judged_by_pid_not_by_a_fresh_heartbeat(dead_pid, monkeypatch):
    monkeypatch.setenv("NCOPT_LEASE_S", "30")
    pid, created = dead_pid
    job = _job(host=jobstore.HOST, pid=pid, pid_create_time=created, heartbeat_at=_ago(0))
    assert _state(job) == "lost"
    me = psutil.Process(os.getpid())
    alive = _job(host=jobstore.HOST, pid=me.pid, pid_create_time=me.create_time())
    assert _state({**alive, "heartbeat_at": _ago(3600)}) == "running"


def test_another_host_is_judged_by_the_heartbeat_lease(monkeypatch):
    monkeypatch.setenv("NCOPT_LEASE_S", "3")
    job = _job(host="other-host", pid=1, pid_create_time=0.0)
    assert _state({**job, "heartbeat_at": _ago(1)}) == "running"
    assert _state({**job, "heartbeat_at": _ago(4)}) == "lost"


def test_a_job_waiting_in_the_broker_is_queued_until_the_queue_timeout(monkeypatch):
    monkeypatch.setenv("NCOPT_LEASE_S", "3")
    monkeypatch.setenv("NCOPT_QUEUE_TIMEOUT_S", "600")
    waiting = _job(state="queued", host=None, pid=None, heartbeat_at=_ago(500))
    assert _state({**waiting, "created_at": _ago(500)}) == "queued"
    assert _state({**waiting, "created_at": _ago(700)}) == "lost"
