"""The status and config files, the liveness rules that derive ``lost``, and the control file."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, TypeVar

import psutil

from jobstore.errors import DamagedRecordError
from jobstore.files import (
    CONFIG_FILE,
    CONTROL_FILE,
    HOST,
    STATUS_FILE,
    STATUS_LOCK_FILE,
    env_float,
    flocked,
    read_json,
    write_json_atomic,
)
from jobstore.records import JobConfig, JobState, JobStatus, parse_utc, utc_now

__all__ = [
    "derive_state",
    "finish_on_behalf",
    "read_config",
    "read_control",
    "read_status",
    "update_status",
    "write_config",
    "write_control",
    "write_status",
]

log = logging.getLogger(__name__)

_R = TypeVar("_R", JobStatus, JobConfig)


def read_status(folder: Path) -> JobStatus | None:
    """The job's status, None if there is none; ``DamagedRecordError`` saying why if unreadable."""
    return _read_record(folder / STATUS_FILE, JobStatus)


def read_config(folder: Path) -> JobConfig | None:
    return _read_record(folder / CONFIG_FILE, JobConfig)


def _read_record(path: Path, record: type[_R]) -> _R | None:
    raw = read_json(path)
    if raw is None:
        return None
    try:
        return record.from_dict(raw)
    except DamagedRecordError as exc:
        raise DamagedRecordError(f"{path.name} is damaged: {exc}") from None


def write_config(folder: Path, config: JobConfig) -> None:
    write_json_atomic(folder / CONFIG_FILE, config.to_dict())


def write_status(folder: Path, status: JobStatus) -> None:
    with flocked(folder / STATUS_LOCK_FILE):
        write_json_atomic(folder / STATUS_FILE, status.to_dict())


def update_status(
    folder: Path, job_id: str, *, only_if_active: bool = False, **changes: Any
) -> JobStatus | None:
    """Read-modify-write the status under its lock; None if the file is not this job's now.

    ``progress`` is merged key by key. With ``only_if_active`` nothing is written once the
    job reached a final state (the supervisor and a cancelling UI may race to write it). A
    damaged status file is no job's: a new start moves it aside.
    """
    with flocked(folder / STATUS_LOCK_FILE):
        try:
            status = read_status(folder)
        except DamagedRecordError as exc:
            log.warning("not updating job %s: %s", job_id, exc)
            return None
        if status is None or status.job_id != job_id:
            return None
        if only_if_active and not status.active:
            return None
        status = status.with_changes(**changes)
        write_json_atomic(folder / STATUS_FILE, status.to_dict())
        return status


def finish_on_behalf(folder: Path, job_id: str, state: JobState, **fields: Any) -> JobStatus | None:
    """Write a final ``state`` for a job whose supervisor cannot (dead, hung, never started).

    Only while the job is still queued/running: if its supervisor wrote an outcome first, that
    one stands.
    """
    return update_status(
        folder, job_id, only_if_active=True, state=state, finished_at=utc_now(), **fields
    )


def derive_state(status: JobStatus) -> JobState:
    """The state as it is now: a queued/running job whose process is gone is ``lost``.

    Same host: the PID must exist, not be a zombie and have the recorded ``create_time``
    (PIDs are reused). Another host: the heartbeat must be younger than the lease
    (``$NCOPT_LEASE_S``, default 30 s), as RQ treats an expired worker lease.
    """
    if not status.active:
        return status.state
    if status.host == HOST:
        # Also for a Celery job run by a worker on this host: a dead PID is proof at once,
        # where a lease would take its full length to expire.
        return status.state if _local_process_alive(status) else JobState.LOST
    if status.backend == "celery" and not status.host:
        # Still in the broker, claimed by no worker: nothing heartbeats it yet, so a long wait
        # behind busy workers is not a death. Lost only past $NCOPT_QUEUE_TIMEOUT_S (1 day).
        waited_s = _age_s(status.created_at)
        fresh = waited_s < env_float("NCOPT_QUEUE_TIMEOUT_S", 86400.0)
        return status.state if fresh else JobState.LOST
    if _age_s(status.heartbeat_at) > env_float("NCOPT_LEASE_S", 30.0):
        return JobState.LOST
    return status.state


def _age_s(stamp: str | None) -> float:
    when = parse_utc(stamp)
    return (dt.datetime.now(dt.UTC) - when).total_seconds() if when else float("inf")


def _local_process_alive(status: JobStatus) -> bool:
    if not status.pid:
        # Between the status write and the spawn the launcher holds the scenario lock, so a
        # PID-less queued job is either microseconds old or its launcher died mid-start.
        return _age_s(status.created_at) < 10
    try:
        proc = psutil.Process(status.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(proc.create_time() - (status.pid_create_time or 0.0)) < 0.05
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


# ------------------------------------------------------------------------------------- control


def write_control(folder: Path, job_id: str, action: str) -> None:
    write_json_atomic(
        folder / CONTROL_FILE, {"job_id": job_id, "action": action, "requested_at": utc_now()}
    )


def read_control(folder: Path, job_id: str) -> str | None:
    """The pending request (``cancel`` or ``finish``) for this job, if any."""
    try:
        control = read_json(folder / CONTROL_FILE)
    except DamagedRecordError as exc:
        log.debug("ignoring the control file: %s", exc)
        return None
    if not isinstance(control, dict) or control.get("job_id") != job_id:
        return None
    action = control.get("action")
    return action if action in {"cancel", "finish"} else None
