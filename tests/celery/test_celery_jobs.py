"""The Celery backend end to end: real redis-server, real ``celery worker``, real jobs."""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil
import pytest

import jobstore
import processing
from tests.jobs.helpers import make_scenario, start, status, wait_for, wait_state, wait_terminal

pytestmark = pytest.mark.celery

LEASE_S = 3.0


def test_happy_path_through_the_public_api(start_worker):
    start_worker()
    make_scenario(jobstore.data_dir())
    reply = start("quick", params={"programs": 2})
    assert reply["already_running"] is False
    final = wait_terminal()
    assert final["state"] == "succeeded", final
    assert final["backend"] == "celery"
    assert final["host"] == jobstore.HOST
    assert final["celery_task_id"]
    result = processing.load_optimization_result("dept", "scen")
    assert result["success"] and result["job_id"] == reply["job_id"]
    assert sorted(result["new_codes"]) == ["P0.nc", "P1.nc"]
    assert "work horse" in processing.read_log_tail("dept", "scen"), "the job log is filled"


def test_progress_and_heartbeat_visible_while_running(start_worker):
    start_worker()
    make_scenario(jobstore.data_dir())
    start("sleepy", params={"seconds": 4})
    first = wait_state("running", timeout_s=15)
    assert first["pid"] and first["celery_task_id"]

    def moved_on() -> dict | None:
        now = status()
        fraction = (now["progress"] or {}).get("fraction") or 0.0
        ahead = fraction > (first["progress"].get("fraction") or 0.0)
        return now if now["heartbeat_at"] > first["heartbeat_at"] and ahead else None

    later = wait_for(moved_on, timeout_s=10, what="a later heartbeat and progress")
    assert later["state"] == "running"
    assert later["progress"]["stage"] == "search"
    assert wait_terminal()["state"] == "succeeded"


def test_duplicate_start_is_refused(start_worker):
    start_worker()
    make_scenario(jobstore.data_dir())
    first = start("sleepy", params={"seconds": 2})
    again = start("sleepy", params={"seconds": 2})
    assert again == {"job_id": first["job_id"], "state": "queued", "already_running": True}
    wait_state("running", timeout_s=15)
    assert start("sleepy")["already_running"] is True
    assert wait_terminal()["state"] == "succeeded"


def test_cancel_ends_cancelled(start_worker):
    start_worker()
    make_scenario(jobstore.data_dir())
    start("sleepy", params={"seconds": 30})
    wait_state("running", timeout_s=15)
    t0 = time.monotonic()
    processing.cancel_optimization("dept", "scen", wait=True)
    final = wait_terminal(timeout_s=10)
    assert final["state"] == "cancelled", final
    assert time.monotonic() - t0 < 3.0
    assert final["note"] == "cancelled on request"


def test_finish_now_keeps_the_best_found(start_worker):
    start_worker()
    make_scenario(jobstore.data_dir())
    start("sleepy", params={"seconds": 30})
    # Once the engine reports: a finish request (SIGUSR1) sent in the ~0.1 s before the work
    # horse installs its handler would kill it (a race of the supervisor, also local).
    wait_for(lambda: status()["progress"].get("stage") == "search", 15, "engine progress")
    reply = processing.cancel_optimization("dept", "scen", finish=True)
    assert reply["requested"] and reply["action"] == "finish"
    final = wait_terminal(timeout_s=10)
    assert final["state"] == "succeeded", final["error"]
    assert final["note"] == "finished early on request; best found so far"
    assert processing.load_optimization_result("dept", "scen")["stopped_early"] is True


def test_cancel_escalates_to_revoke_when_the_supervisor_does_not_answer(start_worker):
    start_worker()
    make_scenario(jobstore.data_dir())
    start("sleepy", params={"seconds": 30})
    running = wait_state("running", timeout_s=15)
    supervisor = psutil.Process(running["pid"])
    horse = psutil.Process(running["worker_pid"])
    os.kill(supervisor.pid, signal.SIGSTOP)  # a hung supervisor: it never reads the control file
    try:
        processing.cancel_optimization("dept", "scen", wait=True)
        final = wait_terminal(timeout_s=10)
        assert final["state"] == "cancelled", final
        assert "Celery task was killed" in final["note"]
        wait_for(lambda: not supervisor.is_running(), 10, "the revoked pool process to die")
        wait_for(lambda: not horse.is_running(), 10, "the work horse to follow it")
    finally:
        if supervisor.is_running():
            os.kill(supervisor.pid, signal.SIGCONT)


def test_sigkill_of_the_whole_worker_is_lost_within_the_lease_then_a_new_start_works(
    start_worker,
):
    worker = start_worker()
    make_scenario(jobstore.data_dir())
    old = start("sleepy", params={"seconds": 30})
    wait_state("running", timeout_s=15)
    os.killpg(worker.pid, signal.SIGKILL)
    t0 = time.monotonic()
    lost = wait_state("lost", timeout_s=LEASE_S + 2)
    assert time.monotonic() - t0 <= LEASE_S
    assert lost["job_id"] == old["job_id"]
    start_worker()
    new = start("quick")
    assert new["already_running"] is False and new["job_id"] != old["job_id"]
    assert wait_terminal(timeout_s=15)["state"] == "succeeded"


def test_two_jobs_with_concurrency_one_run_one_after_the_other(start_worker):
    start_worker(concurrency=1)
    root = jobstore.data_dir()
    for name in ("a", "b"):
        make_scenario(root, scenario=name)
    seconds = LEASE_S + 0.5  # the second waits in the broker longer than the lease
    states: list[tuple[str, str]] = []
    done = threading.Event()

    def monitor():
        while not done.is_set():
            states.append((status(scenario="a")["state"], status(scenario="b")["state"]))
            time.sleep(0.02)

    watcher = threading.Thread(target=monitor)
    start("sleepy", scenario="a", params={"seconds": seconds})
    time.sleep(0.2)
    start("sleepy", scenario="b", params={"seconds": seconds})
    watcher.start()
    try:
        first = wait_terminal(timeout_s=20, scenario="a")
        second = wait_terminal(timeout_s=20, scenario="b")
    finally:
        done.set()
        watcher.join()
    assert first["state"] == second["state"] == "succeeded"
    assert ("running", "running") not in states
    assert all("lost" not in pair for pair in states), "waiting in the broker is not lost"
    assert ("running", "queued") in states
    assert second["started_at"] >= first["finished_at"]


def test_a_redelivered_task_runs_a_job_only_if_it_is_neither_ended_nor_alive(start_worker):
    import celery_app

    start_worker()
    folder = make_scenario(jobstore.data_dir())
    job_id = start("quick")["job_id"]
    assert wait_terminal()["state"] == "succeeded"

    def redeliver():
        return celery_app.run_job.apply_async(args=("dept", "scen", job_id)).get(timeout=15)

    assert redeliver() == {"job_id": job_id, "skipped": "already succeeded"}
    # Alive elsewhere: another host's worker heartbeats it within the lease.
    elsewhere = {"state": "running", "host": "other-host", "pid": 4242}
    jobstore.update_status(folder, job_id, heartbeat_at=jobstore.utc_now(), **elsewhere)
    assert redeliver()["skipped"].startswith("alive on other-host")
    assert status()["host"] == "other-host"
    # That host's worker died: its lease ran out, so the job is lost and a redelivery reruns it.
    stale = "2000-01-01T00:00:00.000+00:00"
    jobstore.update_status(folder, job_id, heartbeat_at=stale)
    assert status()["state"] == "lost"
    assert redeliver() == {"job_id": job_id, "exit_code": 0}
    final = status()
    assert final["state"] == "succeeded" and final["host"] == jobstore.HOST
    assert processing.load_optimization_result("dept", "scen")["job_id"] == job_id
    other = jobstore.update_status(folder, job_id, state="running")
    assert other is not None
    jobstore.write_status(folder, other.with_changes(job_id="someone-else"))
    assert redeliver()["skipped"] == "the scenario has started another job since"
