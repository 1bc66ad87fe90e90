"""The Celery backend (DESIGN.md §6): the same supervisor, run by workers on any host.

    NCOPT_BROKER_URL=redis://HOST:6379/0 NCOPT_DATA_DIR=/mnt/ncopt \\
        celery -A celery_app worker --pool=prefork -l INFO

``processing`` enqueues one ``ncopt.run_job`` task per job (``NCOPT_BACKEND=celery``); the task
runs ``run_optimization_async.supervise`` against the shared data dir, so the status file, the
control file, the limits, the host slots and the signed result are exactly those of a local job.
This module is imported only by workers and, lazily, by ``processing`` when a job is enqueued or
killed: the Streamlit page never pays for importing Celery.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
from celery import Celery

from jobstore import (
    ACTIVE_STATES,
    HOST,
    LOG_FILE,
    DamagedRecordError,
    JobFailure,
    JobState,
    derive_state,
    env_float,
    finish_on_behalf,
    read_control,
    read_status,
    scenario_dir,
    scenario_lock,
    update_status,
    utc_now,
)

# At import, not lazily: `celery -A celery_app` puts the working directory on sys.path only
# while it loads this module, so a later import of a sibling module would fail.
from run_optimization_async import supervise

__all__ = ["TASK_NAME", "app", "enqueue", "kill_task", "run_job", "task_time_limit_s"]

log = logging.getLogger(__name__)

TASK_NAME = "ncopt.run_job"
BROKER_URL = os.environ.get("NCOPT_BROKER_URL", "redis://127.0.0.1:6379/0")
# Seconds a delivered but unacknowledged message stays invisible before Redis hands it to
# another worker. It must exceed the longest task (the hard limit plus the kill margin below),
# or a long job would be delivered twice while still running; enqueue() refuses a job whose
# hard limit does not fit. Six hours covers the default hard limit (46 min) with room.
VISIBILITY_TIMEOUT_S = env_float("NCOPT_CELERY_VISIBILITY_S", 6 * 3600.0)
# Beyond the job's hard limit: the supervisor's own SIGTERM → SIGKILL grace, start-up, slack.
KILL_MARGIN_S = 120.0


def _concurrency() -> int:
    # One pool process per host slot: a task beyond NCOPT_MAX_WORKERS would only sit in the
    # supervisor's SlotQueue holding a message another host could have run.
    return max(1, int(env_float("NCOPT_MAX_WORKERS", os.cpu_count() or 1)))


app = Celery("ncopt", broker=BROKER_URL, backend=os.environ.get("NCOPT_RESULT_BACKEND") or None)
app.conf.update(
    # Reliability, chosen deliberately (issue 6):
    # - prefetch 1: a worker reserves only what its pool can start now, so a queued job is
    #   not stuck behind a long one on a busy worker while another host is idle.
    worker_prefetch_multiplier=1,
    # - acks_late: the message is acknowledged when the job has ended, so a worker that dies
    #   mid-job leaves the message in Redis to be delivered again (at least once) ...
    task_acks_late=True,
    # - ... and likewise when only the pool process running it dies (OOM killer, segfault):
    #   the message is requeued instead of being acknowledged as failed.
    task_reject_on_worker_lost=True,
    # - A redelivery after a lost connection is harmless (run_job is idempotent by job id), so
    #   a running job is not cancelled because Redis blinked: it finishes and writes its result.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
    broker_connection_retry_on_startup=True,
    # The start button must not hang on a dead broker: fail fast, the job is marked failed.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
    broker_connection_timeout=3.0,
    worker_concurrency=_concurrency(),
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=not os.environ.get("NCOPT_RESULT_BACKEND"),
)


def task_time_limit_s(hard_s: float) -> float:
    """Celery's own hard limit for a job: a backstop behind the supervisor's, never before it."""
    return hard_s + 2 * env_float("NCOPT_GRACE_S", 5.0) + KILL_MARGIN_S


def enqueue(department: str, scenario: str, job_id: str, hard_s: float) -> str:
    """Send the job to the workers; returns the Celery task id."""
    time_limit = task_time_limit_s(hard_s)
    if time_limit >= VISIBILITY_TIMEOUT_S:
        raise ValueError(
            f"the hard limit of {hard_s:g} s does not fit the broker's visibility timeout of "
            f"{VISIBILITY_TIMEOUT_S:g} s (raise NCOPT_CELERY_VISIBILITY_S on app and workers)"
        )
    result = run_job.apply_async(args=(department, scenario, job_id), time_limit=time_limit)
    return result.id


def kill_task(task_id: str | None) -> None:
    """SIGKILL the pool process running the task (the supervisor; its work horse follows it)."""
    if task_id:
        app.control.revoke(task_id, terminate=True, signal="SIGKILL")


@app.task(name=TASK_NAME, bind=True)
def run_job(self: Any, department: str, scenario: str, job_id: str) -> dict[str, Any]:
    """Run one job's supervisor here, unless another delivery of it already did or does."""
    folder = scenario_dir(department, scenario)
    try:
        skip = _claim(folder, job_id, self.request.id, self.request.hostname)
    except Exception as exc:
        # Say so in the status, or the job would wait as queued until the queue timeout.
        failure = JobFailure.from_exception(exc, "worker could not start it")
        finish_on_behalf(folder, job_id, JobState.FAILED, error=failure)
        raise
    if skip:
        log.info("job %s not run again: %s", job_id, skip)
        return {"job_id": job_id, "skipped": skip}
    log.info("job %s: supervisor starting for %s/%s", job_id, department, scenario)
    with _job_log(folder), _own_signals():
        code = supervise(folder, job_id)
    log.info("job %s: supervisor exited with %d", job_id, code)
    return {"job_id": job_id, "exit_code": code}


def _claim(folder: Path, job_id: str, task_id: str | None, worker: str | None) -> str | None:
    """Claim the job for this delivery, or say why not (idempotent by job id).

    Under the scenario lock, so two deliveries of one job (a redelivery racing the original)
    and a start replacing the job are decided one at a time.
    """
    with scenario_lock(folder):
        try:
            status = read_status(folder)
        except DamagedRecordError as exc:
            return f"its status file is damaged: {exc}"
        if status is None or status.job_id != job_id:
            return "the scenario has started another job since"
        if not status.active:
            return f"already {status.state}"
        if read_control(folder, job_id) == "cancel":
            note = "cancelled before a worker started it"
            finish_on_behalf(folder, job_id, JobState.CANCELLED, note=note)
            return "cancelled before it started"
        if status.pid and derive_state(status) in ACTIVE_STATES:
            return f"alive on {status.host} (pid {status.pid})"
        if status.pid:
            # A claimed job whose worker died (the message came back through acks_late): run
            # it again from the start rather than leave it lost.
            log.warning("job %s: its worker on %s was lost; running it again", job_id, status.host)
        me = psutil.Process()
        update_status(
            folder,
            job_id,
            host=HOST,
            pid=me.pid,
            pid_create_time=me.create_time(),
            heartbeat_at=utc_now(),
            celery_task_id=task_id,
            celery_worker=worker,
        )
    return None


@contextlib.contextmanager
def _job_log(folder: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (supervisor logging, the work horse's output) to the
    scenario's log for the task, as the detached local supervisor's are, then restore them.
    """
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    fd = os.open(folder / LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(Exception):
                stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for each in (*saved, fd):
            os.close(each)


@contextlib.contextmanager
def _own_signals() -> Iterator[None]:
    """The supervisor installs flag-setting handlers; give the pool process its own back."""
    sigs = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    saved = {sig: signal.getsignal(sig) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)
