"""Exactly one job per scenario, at most N computing per host, and readers never see a torn file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil

import jobstore
import processing
from jobstore.launch import reap_children
from tests.jobs.helpers import (
    ROOT,
    make_scenario,
    start,
    status,
    wait_for,
    wait_state,
    wait_terminal,
)


def test_eight_concurrent_starts_in_threads_make_one_job(scenario):
    barrier = threading.Barrier(8)

    def go(_):
        barrier.wait()
        return start("sleepy", params={"seconds": 2})

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(go, range(8)))
    assert len({r["job_id"] for r in replies}) == 1
    assert sum(not r["already_running"] for r in replies) == 1
    wait_terminal()
    assert not (scenario / "history").exists(), "a refused start must not archive the job"


def test_eight_concurrent_starts_in_processes_make_one_job(scenario, job_env):
    code = (
        "import json, sys, time, processing\n"
        "while time.time() < float(sys.argv[1]): pass\n"
        "print(json.dumps(processing.start_optimization_async('dept', 'scen', "
        "entry='tests.jobs.entries:sleepy', params={'seconds': 2})))\n"
    )
    go_at = str(time.time() + 1.5)  # all processes call start at the same instant
    env = {**os.environ, "NCOPT_DATA_DIR": str(job_env)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, go_at],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    replies = [json.loads(p.communicate(timeout=30)[0]) for p in procs]
    assert len({r["job_id"] for r in replies}) == 1
    assert sum(not r["already_running"] for r in replies) == 1
    wait_terminal()


def test_six_jobs_two_slots_never_more_than_two_running(job_env):
    names = [f"s{i}" for i in range(6)]
    for name in names:
        make_scenario(job_env, scenario=name)
    peak = 0
    stop = threading.Event()

    def monitor():
        nonlocal peak
        while not stop.is_set():
            running = sum(status(scenario=n)["state"] == "running" for n in names)
            peak = max(peak, running)
            time.sleep(0.01)

    watcher = threading.Thread(target=monitor)
    watcher.start()
    try:
        for name in names:
            start("sleepy", scenario=name, params={"seconds": 0.8})
        finals = [wait_terminal(timeout_s=60, scenario=n) for n in names]
    finally:
        stop.set()
        watcher.join()
    assert [f["state"] for f in finals] == ["succeeded"] * 6
    assert peak == 2
    # oldest first: start times follow creation order, pairwise
    started = [f["started_at"] for f in finals]
    assert started[0] <= started[2] <= started[4] and started[1] <= started[3] <= started[5]
    assert {f["slot"] for f in finals} == {0, 1}


def test_sigkilled_job_frees_its_slot_at_once(job_env, monkeypatch):
    monkeypatch.setenv("NCOPT_MAX_WORKERS", "1")
    make_scenario(job_env, scenario="a")
    make_scenario(job_env, scenario="b")
    start("sleepy", scenario="a", params={"seconds": 60})
    running = wait_state("running", scenario="a")
    start("quick", scenario="b")
    # b's supervisor has tried for the one slot and found it taken (its log says so).
    wait_for(lambda: "queued" in processing.read_log_tail("dept", "b"), what="b queued")
    assert status(scenario="b")["state"] == "queued"
    os.killpg(os.getpgid(running["pid"]), 9)
    assert wait_terminal(timeout_s=10, scenario="b")["state"] == "succeeded"
    assert status(scenario="a")["state"] == "lost"


def test_reader_never_sees_invalid_json_while_worker_rewrites(scenario):
    start("sleepy", params={"seconds": 3})
    wait_state("running")
    path = scenario / jobstore.STATUS_FILE
    reads = 0
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        with open(path, "rb") as fh:
            data = fh.read()
        info = json.loads(data)  # raises on a torn file
        assert info["job_id"]
        reads += 1
    assert reads > 1000
    assert wait_terminal()["state"] == "succeeded"


def test_no_processes_left_behind(scenario):
    start("quick")
    final = wait_terminal()
    wait_for(
        lambda: (
            not psutil.pid_exists(final["pid"])
            or psutil.Process(final["pid"]).status() == psutil.STATUS_ZOMBIE
        ),
        timeout_s=5,
        what="supervisor exit",
    )
    reap_children()
    assert not psutil.pid_exists(final["pid"])


def test_a_reserved_ticket_keeps_its_place_until_its_supervisor_starts(tmp_path):
    """A supervisor that starts late under load is not overtaken by a newer job's (the six-job
    test failed on start order that way once)."""
    older = jobstore.SlotQueue(tmp_path, "host", max_workers=1)
    newer = jobstore.SlotQueue(tmp_path, "host", max_workers=1)
    older.reserve("2026-12-01T10:00:00.000+00:00", "a")
    with newer.ticket("2026-12-01T10:00:01.000+00:00", "b"):
        assert not newer.try_acquire()  # the older job has not started yet: it goes first
        with older.ticket("2026-12-01T10:00:00.000+00:00", "a"):
            assert older.try_acquire()
            older.release()
        assert newer.try_acquire()
        newer.release()


def test_a_reservation_whose_supervisor_never_started_expires(tmp_path):
    older = jobstore.SlotQueue(tmp_path, "host", max_workers=1)
    newer = jobstore.SlotQueue(tmp_path, "host", max_workers=1)
    older.reserve("2026-12-01T10:00:00.000+00:00", "a")
    stale = time.time() - jobstore.slots.PENDING_S - 1
    for path in (tmp_path / ".ncopt" / "hosts" / "host" / "tickets").iterdir():
        os.utime(path, (stale, stale))
    with newer.ticket("2026-12-01T10:00:01.000+00:00", "b"):
        assert newer.try_acquire()
        newer.release()
