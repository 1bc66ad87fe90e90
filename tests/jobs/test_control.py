"""Cancel, finish-now and time limits, enforced on real processes with real signals."""

from __future__ import annotations

import os
import time

import psutil

import processing
from tests.jobs.helpers import start, status, wait_for, wait_state, wait_terminal


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_cancel_ends_job_within_two_seconds(scenario):
    start("sleepy", params={"seconds": 60})
    running = wait_state("running")
    wait_for(lambda: status()["progress"].get("stage") == "search", what="engine running")
    t0 = time.monotonic()
    reply = processing.cancel_optimization("dept", "scen")
    assert reply["requested"] and reply["action"] == "cancel"
    final = wait_terminal(timeout_s=5)
    assert time.monotonic() - t0 < 2.0
    assert final["state"] == "cancelled"
    assert final["job_id"] == running["job_id"]
    wait_for(
        lambda: _gone(running["worker_pid"]) and _gone(running["pid"]),
        timeout_s=3,
        what="processes gone",
    )


def test_job_ignoring_sigterm_is_killed_after_grace(scenario):
    # NCOPT_GRACE_S=1 (job_env): SIGTERM is ignored as during a blocking .NET call.
    start("ignores_sigterm")
    running = wait_state("running")
    wait_for(lambda: status()["progress"].get("stage") == "running", what="engine started")
    time.sleep(0.3)  # let the entry install its SIG_IGN
    t0 = time.monotonic()
    processing.cancel_optimization("dept", "scen", wait=True)
    elapsed = time.monotonic() - t0
    final = wait_terminal(timeout_s=5)
    assert final["state"] == "cancelled"
    assert 0.9 <= elapsed <= 1.0 + 2.0, elapsed
    wait_for(lambda: _gone(running["worker_pid"]), timeout_s=3, what="work horse killed")


def test_finish_now_keeps_best_result(scenario):
    start("sleepy", params={"seconds": 60})
    wait_for(lambda: status()["progress"].get("stage") == "search", what="engine running")
    processing.cancel_optimization("dept", "scen", finish=True)
    final = wait_terminal(timeout_s=10)
    assert final["state"] == "succeeded"
    assert "finished early" in final["note"]
    assert processing.load_optimization_result("dept", "scen")["stopped_early"] is True


def test_soft_limit_stops_engine_and_keeps_result(scenario):
    t0 = time.monotonic()
    start("sleepy", params={"seconds": 60}, time_limit_s=1.5, hard_limit_s=30)
    final = wait_terminal(timeout_s=15)
    assert final["state"] == "succeeded", final
    assert "time limit" in final["note"]
    assert time.monotonic() - t0 < 10
    assert final["limits"] == {"soft_s": 1.5, "hard_s": 30.0}


def test_a_work_horse_that_delivered_its_result_is_not_asked_to_stop(scenario):
    # The engine is done within the soft limit but its process takes longer to exit (a .NET
    # runtime shutting down): a stop request then would kill it and lose the result.
    # The soft limit falls between the result (importing pandas: ~1 s, more under load) and exit.
    start("slow_exit", params={"exit_s": 6.0}, time_limit_s=3.0, hard_limit_s=30)
    final = wait_terminal(timeout_s=20)
    assert final["state"] == "succeeded", final.get("error")
    assert final.get("note") is None  # it finished by itself, not at the time limit
    assert processing.load_optimization_result("dept", "scen")["success"] is True


def test_hard_limit_kills_engine_that_ignores_stop(scenario):
    start("never_stops", time_limit_s=0.5, hard_limit_s=1.5)
    running = wait_state("running")
    final = wait_terminal(timeout_s=10)
    assert final["state"] == "timed_out"
    assert final["error"]["type"] == "TimeLimitExceeded"
    wait_for(lambda: _gone(running["worker_pid"]), timeout_s=3, what="work horse killed")


def test_cancel_when_nothing_runs_is_a_no_op(scenario):
    reply = processing.cancel_optimization("dept", "scen")
    assert reply == {"job_id": None, "state": "idle", "requested": False}
    start("quick")
    wait_terminal()
    reply = processing.cancel_optimization("dept", "scen")
    assert reply["requested"] is False and reply["state"] == "succeeded"


def test_cancel_while_queued(scenario, job_env, monkeypatch):
    from tests.jobs.helpers import make_scenario

    monkeypatch.setenv("NCOPT_MAX_WORKERS", "1")
    make_scenario(job_env, scenario="other")
    start("sleepy", scenario="other", params={"seconds": 60})
    wait_state("running", scenario="other")
    start("quick")
    queued = wait_for(
        lambda: (s := status()).get("pid") and s["state"] == "queued" and s,
        what="queued with a supervisor",
    )
    processing.cancel_optimization("dept", "scen")
    final = wait_terminal(timeout_s=5)
    assert final["state"] == "cancelled" and final["job_id"] == queued["job_id"]
    assert final["started_at"] is None
    processing.cancel_optimization("dept", "other")
    assert wait_terminal(scenario="other")["state"] == "cancelled"
    assert os.environ["NCOPT_MAX_WORKERS"] == "1"


def test_unresponsive_supervisor_is_killed_by_the_cancel_backstop(scenario):
    import signal

    start("sleepy", params={"seconds": 60})
    running = wait_state("running")
    os.kill(running["pid"], signal.SIGSTOP)  # a hung supervisor: reads no control file
    t0 = time.monotonic()
    reply = processing.cancel_optimization("dept", "scen", wait=True, grace_s=0.5)
    assert reply["state"] == "cancelled"
    assert time.monotonic() - t0 < 0.5 + 2.0 + 1.0 + 1.0
    final = status()
    assert final["state"] == final["written_state"] == "cancelled"
    assert "killed" in final["note"]
    wait_for(
        lambda: _gone(running["pid"]) and _gone(running["worker_pid"]),
        timeout_s=3,
        what="group killed",
    )


def test_engine_budget_becomes_the_soft_limit_when_none_was_given(scenario):
    start("reports_budget", params={"budget_s": 1.0})
    final = wait_terminal(timeout_s=15)
    assert final["state"] == "succeeded" and "time limit of 1 s" in final["note"]
    assert final["limits"] == {"soft_s": 1.0, "hard_s": 61.5}


def test_explicit_limit_wins_over_engine_budget(scenario):
    start("reports_budget", params={"budget_s": 100.0}, time_limit_s=1.0, hard_limit_s=20)
    final = wait_terminal(timeout_s=15)
    assert final["state"] == "succeeded"
    assert final["limits"] == {"soft_s": 1.0, "hard_s": 20.0}


def test_finish_right_after_start_does_not_kill_the_work_horse(scenario):
    start("sleepy", params={"seconds": 30})
    wait_for(lambda: status().get("worker_pid"), what="work horse started")
    processing.cancel_optimization("dept", "scen", finish=True)  # before its imports are done
    final = wait_terminal(timeout_s=20)
    assert final["state"] == "succeeded", final.get("error")
    assert "finished early" in final["note"]
