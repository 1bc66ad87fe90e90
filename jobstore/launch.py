"""Starting and stopping jobs: the launcher side of the process model (docs/jobs.md).

``processing`` calls these with a checked scenario folder. Starting happens under the scenario
lock: the frozen config and the ``queued`` status are written, then the supervisor is spawned
detached (or the task sent to Celery). Stopping never signals blindly: the request goes to the
control file first, and only a supervisor that does not answer is killed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import psutil

from jobstore.errors import DamagedRecordError, InputError, JobError
from jobstore.files import (
    CONFIG_FILE,
    HOST,
    LOG_FILE,
    STATUS_FILE,
    STATUS_LOCK_FILE,
    env_float,
    flocked,
    os_error_text,
    scenario_lock,
    write_json_atomic,
)
from jobstore.history import archive_previous_run, inputs_digest
from jobstore.records import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    JobConfig,
    JobFailure,
    JobState,
    JobStatus,
    Limits,
)
from jobstore.results import ensure_key_readable
from jobstore.slots import SlotQueue
from jobstore.status import (
    derive_state,
    finish_on_behalf,
    read_status,
    update_status,
    write_control,
)

__all__ = ["cancel_job", "start_job", "wait_terminal"]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
WORKER_SCRIPT = ROOT / "run_optimization_async.py"
DEFAULT_ENTRY = "ncopt.pipeline:run_generate_nc_code"

# Popen objects of supervisors this process launched. Polled on every start so a long-running
# Streamlit server never accumulates zombies; the job itself does not depend on this list.
_CHILDREN: list[subprocess.Popen] = []
_CHILDREN_LOCK = threading.Lock()


def reap_children() -> None:
    with _CHILDREN_LOCK:
        _CHILDREN[:] = [p for p in _CHILDREN if p.poll() is None]


def _new_job_id() -> str:
    now = dt.datetime.now(dt.UTC)
    # Readable creation time, unique across hosts; history is ordered by the recorded time.
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def _checked_request(
    entry: str | None, params: Mapping[str, Any]
) -> tuple[str, dict[str, Any], str]:
    entry = entry or os.environ.get("NCOPT_ENTRY") or DEFAULT_ENTRY
    module, _, function = entry.partition(":")
    if not module or not function:
        raise InputError(f"entry must be 'module:function', got {entry!r}")
    try:
        json.dumps(dict(params), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"params must be plain JSON with finite numbers: {exc}") from None
    backend = os.environ.get("NCOPT_BACKEND", "local").strip().lower() or "local"
    if backend not in {"local", "celery"}:
        raise InputError(f"unknown NCOPT_BACKEND {backend!r} (use 'local' or 'celery')")
    return entry, dict(params), backend


def start_job(
    folder: Path,
    department: str,
    scenario: str,
    time_limit_s: float | None,
    hard_limit_s: float | None,
    entry: str | None,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """Start a job in ``folder`` or return the one already active: ``{job_id, state,
    already_running}``. A damaged status file is moved aside into history like a finished run.
    """
    reap_children()
    limits = Limits.from_request(time_limit_s, hard_limit_s, env_float("NCOPT_TIME_LIMIT_S", 1800))
    entry, params, backend = _checked_request(entry, params)
    ensure_key_readable()  # a result that could not be signed is not worth computing
    with scenario_lock(folder):
        try:
            current = read_status(folder)
        except DamagedRecordError as exc:
            log.warning("%s: %s; moving it aside", folder, exc)
            current = None
        if current is not None and derive_state(current) in ACTIVE_STATES:
            state = derive_state(current).value
            return {"job_id": current.job_id, "state": state, "already_running": True}
        config = JobConfig.new(
            _new_job_id(), department, scenario, folder, entry, time_limit_s, limits, backend,
            params, inputs_digest(folder),
        )  # fmt: skip
        _write_start(folder, config)
        if backend == "celery":
            _submit_celery(folder, config)
        else:
            # Its place in the host's queue is taken now, not when the supervisor gets going.
            SlotQueue(folder.resolve().parents[2], HOST).reserve(config.created_at, config.job_id)
            _spawn_supervisor(folder, config.job_id)
    log.info("started job %s for %s/%s", config.job_id, department, scenario)
    return {"job_id": config.job_id, "state": JobState.QUEUED.value, "already_running": False}


def _write_start(folder: Path, config: JobConfig) -> None:
    """Write the new job's config and status, and move the last run aside: all or nothing.

    Both files are written in full before anything moves, so a start refused for want of
    space (or any write error) leaves the last run, its status and its result where they were.
    """
    host = HOST if config.backend == "local" else None
    records = {CONFIG_FILE: config.to_dict(), STATUS_FILE: JobStatus.queued(config, host).to_dict()}
    staged: dict[str, Path] = {}
    try:
        for name, payload in records.items():
            staged[name] = folder / f".{name}.{config.job_id}.tmp"
            write_json_atomic(staged[name], payload)
        archive_previous_run(folder)
        os.replace(staged.pop(CONFIG_FILE), folder / CONFIG_FILE)
        with flocked(folder / STATUS_LOCK_FILE):
            os.replace(staged.pop(STATUS_FILE), folder / STATUS_FILE)
    except OSError as exc:
        raise JobError(f"cannot start the job: {os_error_text(exc)}") from None
    finally:
        for path in staged.values():
            path.unlink(missing_ok=True)


def _spawn_supervisor(folder: Path, job_id: str) -> None:
    kwargs: dict[str, Any] = {
        "stdin": subprocess.DEVNULL,
        "stderr": subprocess.STDOUT,
        "cwd": ROOT,
        "close_fds": True,
        # A new session: no controlling terminal, and Ctrl-C or a restart of the server's
        # process group does not reach the job.
        "start_new_session": True,
    }
    try:
        with open(folder / LOG_FILE, "ab") as log_fh:
            proc = subprocess.Popen(
                [sys.executable, str(WORKER_SCRIPT), str(folder), job_id], stdout=log_fh, **kwargs
            )
    except OSError as exc:
        failure = JobFailure.from_exception(exc, "the job process could not be started")
        finish_on_behalf(folder, job_id, JobState.FAILED, error=failure)
        raise JobError(failure.message) from None
    with _CHILDREN_LOCK:
        _CHILDREN.append(proc)
    try:
        create_time = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:  # already gone: the supervisor wrote its own outcome
        return
    update_status(folder, job_id, pid=proc.pid, pid_create_time=create_time)


def _submit_celery(folder: Path, config: JobConfig) -> None:
    try:
        import celery_app  # lazily: Celery costs ~0.3 s to import and only this path needs it

        task_id = celery_app.enqueue(
            config.department, config.scenario, config.job_id, config.limits.hard_s
        )
    except Exception as exc:
        # Never leave a queued job that no worker will ever see: record why, then refuse.
        failure = JobFailure.from_exception(exc, "enqueue failed")
        finish_on_behalf(folder, config.job_id, JobState.FAILED, error=failure)
        raise JobError(f"could not send the job to the Celery broker: {exc}") from exc
    update_status(folder, config.job_id, celery_task_id=task_id)


# ------------------------------------------------------------------------------------ stopping


def cancel_job(folder: Path, *, finish: bool, wait: bool, grace_s: float | None) -> dict[str, Any]:
    """Write the request to the control file; for a cancel, arm the backstop (docs/jobs.md)."""
    try:
        status = read_status(folder)
    except DamagedRecordError:
        return {"job_id": None, "state": JobState.DAMAGED.value, "requested": False}
    if status is None or derive_state(status) not in ACTIVE_STATES:
        state = derive_state(status).value if status else JobState.IDLE.value
        return {"job_id": status and status.job_id, "state": state, "requested": False}
    action = "finish" if finish else "cancel"
    write_control(folder, status.job_id, action)
    grace = grace_s if grace_s is not None else env_float("NCOPT_GRACE_S", 5.0)
    if not finish:
        make = _celery_backstop if status.backend == "celery" else _local_backstop
        backstop = make(folder, status.job_id, grace + 2.0)
        if wait:
            backstop()
        else:
            threading.Thread(target=backstop, name=f"cancel-{status.job_id}", daemon=True).start()
    return {
        "job_id": status.job_id,
        "state": status.state.value,
        "requested": True,
        "action": action,
    }


def _signal_group(status: JobStatus | None, sig: signal.Signals) -> bool:
    """Signal the job's process group; False if its supervisor is gone or the PID was reused."""
    if status is None or not status.pid or status.host != HOST:
        return False
    try:
        proc = psutil.Process(status.pid)
        if abs(proc.create_time() - (status.pid_create_time or 0.0)) > 0.05:
            return False  # never signal a PID that now belongs to an unrelated process
        os.killpg(os.getpgid(status.pid), sig)
        return True
    except (psutil.NoSuchProcess, ProcessLookupError, PermissionError):
        return False


def _current(folder: Path) -> JobStatus | None:
    try:
        return read_status(folder)
    except DamagedRecordError:
        return None


def _local_backstop(folder: Path, job_id: str, patience_s: float) -> Callable[[], None]:
    def backstop() -> None:
        if wait_terminal(folder, job_id, patience_s):
            return
        status = _current(folder)
        log.warning("job %s did not answer a cancel within %.1f s: killing it", job_id, patience_s)
        if _signal_group(status, signal.SIGTERM) and not wait_terminal(folder, job_id, 1.0):
            _signal_group(status, signal.SIGKILL)
            time.sleep(0.1)
        # The supervisor died with its group, so write the outcome on its behalf.
        note = "cancelled; the job did not answer and was killed"
        finish_on_behalf(folder, job_id, JobState.CANCELLED, note=note)

    return backstop


def _celery_backstop(folder: Path, job_id: str, patience_s: float) -> Callable[[], None]:
    """A Celery job's supervisor may be on another host: no signals from here, but the
    worker kills the pool process running the task (``revoke``), and its work horse with it."""

    def backstop() -> None:
        if wait_terminal(folder, job_id, patience_s):
            return
        from celery_app import kill_task

        log.warning("job %s did not answer a cancel within %.1f s: revoking it", job_id, patience_s)
        status = _current(folder)
        try:
            kill_task(status.celery_task_id if status else None)
        except Exception:  # broker down: still record the cancel, or the job stays queued
            log.exception("could not revoke job %s", job_id)
        note = "cancelled; the job did not answer and its Celery task was killed"
        finish_on_behalf(folder, job_id, JobState.CANCELLED, note=note)

    return backstop


def wait_terminal(folder: Path, job_id: str, timeout_s: float) -> bool:
    """Wait until job ``job_id`` has ended (or is no longer the scenario's job)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = _current(folder)
        if status is None or status.job_id != job_id or derive_state(status) in TERMINAL_STATES:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
