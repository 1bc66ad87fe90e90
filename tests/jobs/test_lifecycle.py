"""A job's life in real detached processes: success, progress, every way to fail or die."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

import jobstore
import processing
from tests.jobs.helpers import ROOT, start, status, wait_for, wait_state, wait_terminal


@pytest.mark.alone
def test_happy_path_result_is_signed_and_loadable(scenario):
    t0 = time.perf_counter()
    started = start("quick", params={"programs": 3})
    assert time.perf_counter() - t0 < 0.5, "start must not wait for the worker"
    assert started["state"] == "queued" and not started["already_running"]
    final = wait_terminal()
    assert final["state"] == "succeeded", final
    assert final["job_id"] == started["job_id"]
    assert final["finished_at"] and final["started_at"] and final["progress"]["fraction"] == 1.0
    result = processing.load_optimization_result("dept", "scen")
    assert result["success"] and result["job_id"] == started["job_id"]
    assert sorted(result["new_codes"]) == ["P0.nc", "P1.nc", "P2.nc"]
    assert list(result["out_df"]["program"]) == ["P0.nc", "P1.nc", "P2.nc"]
    assert result["outdated"] is False
    config = json.loads((scenario / jobstore.CONFIG_FILE).read_text())
    assert config["job_id"] == started["job_id"] and len(config["config_hash"]) == 64


def test_progress_is_visible_while_running(scenario):
    start("sleepy", params={"seconds": 3})
    seen = wait_for(
        lambda: (
            (s := status())["state"] == "running"
            and (s["progress"].get("fraction") or 0) > 0.1
            and s
        ),
        what="progress above 10 %",
    )
    assert seen["progress"]["stage"] == "search"
    assert seen["progress"]["best_cycle_time_s"] < 100
    assert processing.is_optimization_running("dept", "scen")
    assert not processing.is_optimization_complete("dept", "scen")
    assert wait_terminal()["state"] == "succeeded"


def test_engine_exception_fails_with_type_message_and_traceback(scenario):
    start("raises")
    final = wait_terminal()
    assert final["state"] == "failed"
    assert final["error"]["type"] == "ValueError"
    assert "T99" in final["error"]["message"]
    assert "Traceback" in final["error"]["traceback"]


def test_hard_exit_fails_with_exit_code(scenario):
    start("hard_exit", params={"code": 7})
    final = wait_terminal()
    assert final["state"] == "failed"
    assert final["error"]["exit_code"] == 7


def test_segfault_in_engine_fails_with_signal(scenario):
    start("segfault")
    final = wait_terminal()
    assert final["state"] == "failed"
    assert final["error"]["signal"] == "SIGSEGV"


def test_sigkill_of_work_horse_fails_with_signal(scenario):
    start("sleepy", params={"seconds": 30})
    running = wait_state("running")
    worker = wait_for(lambda: status().get("worker_pid"), what="worker pid") or running
    os.kill(int(worker), signal.SIGKILL)
    final = wait_terminal()
    assert final["state"] == "failed"
    assert final["error"]["signal"] == "SIGKILL"
    assert "SIGKILL" in final["error"]["message"]


def test_sigkill_of_supervisor_is_lost_and_work_horse_dies(scenario):
    start("sleepy", params={"seconds": 30})
    running = wait_state("running")
    horse = psutil.Process(running["worker_pid"])
    os.kill(running["pid"], signal.SIGKILL)
    lost = wait_state("lost", timeout_s=5)
    assert lost["written_state"] == "running"
    # PR_SET_PDEATHSIG: no orphaned engine keeps computing.
    wait_for(
        lambda: not horse.is_running() or horse.status() == psutil.STATUS_ZOMBIE,
        timeout_s=5,
        what="work horse gone",
    )
    # A lost job does not block a new start.
    again = start("quick")
    assert not again["already_running"]
    assert wait_terminal()["state"] == "succeeded"


def test_job_survives_its_launcher_exiting(scenario, job_env):
    code = (
        "import processing; r = processing.start_optimization_async('dept', 'scen', "
        "entry='tests.jobs.entries:sleepy', params={'seconds': 1.5}); print(r['job_id'])"
    )
    env = {**os.environ, "NCOPT_DATA_DIR": str(job_env)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    job_id = out.stdout.strip()
    final = wait_terminal()
    assert final["state"] == "succeeded" and final["job_id"] == job_id
    assert processing.load_optimization_result("dept", "scen")["job_id"] == job_id


def _fake_running_status(folder, pid, create_time, **extra):
    info = {
        "schema": 1,
        "job_id": "20260101T000000000Z-abcdef",
        "department": "dept",
        "scenario": "scen",
        "backend": "local",
        "state": "running",
        "host": jobstore.HOST,
        "pid": pid,
        "pid_create_time": create_time,
        "created_at": jobstore.utc_now(),
        "heartbeat_at": jobstore.utc_now(),
        "progress": {},
        **extra,
    }
    jobstore.write_status(folder, jobstore.JobStatus.from_dict(info))


def test_zombie_process_is_not_reported_running(scenario):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for(lambda: psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE, what="zombie")
    try:
        _fake_running_status(scenario, child.pid, psutil.Process(child.pid).create_time())
        assert status()["state"] == "lost"
        assert not processing.is_optimization_running("dept", "scen")
    finally:
        child.wait()


def test_reused_pid_is_not_reported_running(scenario):
    me = psutil.Process()
    _fake_running_status(scenario, me.pid, me.create_time())
    assert status()["state"] == "running"  # the control case: same PID, same create_time
    _fake_running_status(scenario, me.pid, me.create_time() - 3600)
    assert status()["state"] == "lost"


def test_dead_pid_is_lost(scenario):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    create_time = psutil.Process(child.pid).create_time()
    child.wait()
    _fake_running_status(scenario, child.pid, create_time)
    assert status()["state"] == "lost"


def test_other_host_job_is_judged_by_heartbeat_lease(scenario, monkeypatch):
    monkeypatch.setenv("NCOPT_LEASE_S", "30")
    _fake_running_status(scenario, 1, 0.0, host="another-host")
    assert status()["state"] == "running"
    stale = "2020-01-01T00:00:00.000+00:00"
    _fake_running_status(scenario, 1, 0.0, host="another-host", heartbeat_at=stale)
    assert status()["state"] == "lost"


def test_idle_scenario_and_missing_scenario(job_env):
    from tests.jobs.helpers import make_scenario

    make_scenario(job_env)
    assert status()["state"] == "idle"
    try:
        processing.get_optimization_status("dept", "nope")
    except processing.InputError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("a missing scenario must raise InputError")
