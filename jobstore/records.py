"""The job's records, typed: config, status with its progress and limits, failure (DESIGN.md §3).

The result and its signature are typed beside the code that signs them, in ``results``.
After RQ's ``Job``: each record is a frozen dataclass with ``to_dict``/``from_dict``, and nobody
else builds these dicts by hand. ``from_dict`` checks what it reads: a file that is valid JSON
but not the record (``[]``, a number where a time belongs) raises ``DamagedRecordError`` with
the field, so one damaged file is reported as such instead of crashing every reader.

>>> s = JobStatus.queued(JobConfig.new("20260101T000000000Z-abcdef", "dept", "scen",
...     Path("/d/dept/scenario/scen"), "m:f", None, Limits(60.0, 150.0), "local", {}, "h"))
>>> JobStatus.from_dict(s.to_dict()) == s
True
>>> JobStatus.from_dict([])
Traceback (most recent call last):
...
jobstore.errors.DamagedRecordError: the status record is a list, not a JSON object
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import signal
import traceback as tb
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from jobstore.errors import DamagedRecordError, InputError

__all__ = [
    "ACTIVE_STATES",
    "MAX_TIME_LIMIT_S",
    "SCHEMA",
    "SIG_VERSION",
    "TERMINAL_STATES",
    "WRITTEN_STATES",
    "JobConfig",
    "JobFailure",
    "JobState",
    "JobStatus",
    "Limits",
    "Progress",
    "finite_or_none",
    "is_job_id",
    "parse_utc",
    "utc_now",
]

SCHEMA = 1
SIG_VERSION = 2
# A week: far above any sensible optimization budget, far below what breaks date arithmetic.
MAX_TIME_LIMIT_S = 7 * 24 * 3600.0
_JOB_ID_RE = re.compile(r"^[\w\-.]{1,100}$")


class JobState(StrEnum):
    """Written states; ``lost`` and ``damaged`` are derived on read, ``idle`` is no job yet."""

    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    LOST = "lost"
    DAMAGED = "damaged"  # the status file cannot be read as a status: shown with the reason


ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
TERMINAL_STATES = frozenset(
    {
        JobState.SUCCEEDED,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.TIMED_OUT,
        JobState.LOST,
        JobState.DAMAGED,
    }
)
WRITTEN_STATES = frozenset(ACTIVE_STATES | (TERMINAL_STATES - {JobState.LOST, JobState.DAMAGED}))


# ------------------------------------------------------------------------ reading fields safely


def _mapping(raw: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise DamagedRecordError(f"the {what} record is a {type(raw).__name__}, not a JSON object")
    return raw


def _text(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise DamagedRecordError(f"{key!r} must be text, got {value!r}")
    return value


def _time(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = _text(raw, key, required=required)
    if value is not None:
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise DamagedRecordError(f"{key!r} is not a time: {value!r}") from None
    return value


def _number(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DamagedRecordError(f"{key!r} must be a finite number, got {value!r}")
    return float(value)


def _integer(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DamagedRecordError(f"{key!r} must be a whole number, got {value!r}")
    return value


def is_job_id(value: Any) -> bool:
    """A job id is also a folder name in history/: a safe name, never a path."""
    return (
        isinstance(value, str)
        and bool(_JOB_ID_RE.match(value))
        and not value.startswith(".")
        and ".." not in value
    )


def _job_id(raw: Mapping[str, Any]) -> str:
    value = raw.get("job_id")
    if not is_job_id(value):
        raise DamagedRecordError(f"'job_id' is not a job id: {value!r}")
    return value


def finite_or_none(value: Any) -> Any:
    """JSON has no NaN or Infinity: a non-finite float becomes None (nothing known)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ------------------------------------------------------------------------------- small records


@dataclass(frozen=True)
class Limits:
    """The soft limit (the engine is asked to stop and keep its best) and the hard one (killed)."""

    soft_s: float
    hard_s: float

    @classmethod
    def from_request(cls, time_limit_s: Any, hard_limit_s: Any, default_soft_s: float) -> Limits:
        """Limits for a start request; anything not finite, positive and in range is refused."""
        soft = _limit("time limit", time_limit_s) if time_limit_s is not None else default_soft_s
        hard = _limit("hard limit", hard_limit_s) if hard_limit_s is not None else soft * 1.5 + 60
        if hard < soft:
            raise InputError(f"hard limit {hard:g} s is shorter than the time limit {soft:g} s")
        return cls(float(soft), float(hard))

    def to_dict(self) -> dict[str, float]:
        return {"soft_s": self.soft_s, "hard_s": self.hard_s}

    @classmethod
    def from_dict(cls, raw: Any) -> Limits:
        raw = _mapping(raw, "limits")
        soft, hard = _number(raw, "soft_s"), _number(raw, "hard_s")
        if soft is None or hard is None:
            raise DamagedRecordError(f"limits need soft_s and hard_s, got {dict(raw)!r}")
        return cls(soft, hard)


def _limit(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{what} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{what} must be a positive, finite number of seconds, got {value!r}")
    if value > MAX_TIME_LIMIT_S:
        raise InputError(f"{what} must be at most {MAX_TIME_LIMIT_S:g} s (a week), got {value:g}")
    return float(value)


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed: the one place the error record of a status is built."""

    type: str
    message: str
    traceback: str | None = None
    signal: str | None = None
    exit_code: int | None = None
    errno: int | None = None

    @classmethod
    def from_exception(cls, exc: BaseException, context: str = "") -> JobFailure:
        text = str(exc) or type(exc).__name__
        return cls(
            type=type(exc).__name__,
            message=f"{context}: {text}" if context else text,
            traceback="".join(tb.format_exception(exc)) if exc.__traceback__ else None,
            errno=exc.errno if isinstance(exc, OSError) else None,
        )

    @classmethod
    def killed_by(cls, signum: int) -> JobFailure:
        name = signal.Signals(signum).name
        message = f"the optimization process was killed by {name} (signal {signum})"
        return cls("WorkHorseKilled", message, signal=name)

    @classmethod
    def exited(cls, code: int) -> JobFailure:
        message = f"the optimization process exited with code {code} without a result"
        return cls("WorkHorseExited", message, exit_code=code)

    @classmethod
    def time_limit(cls, hard_s: float) -> JobFailure:
        return cls("TimeLimitExceeded", f"killed at the hard time limit of {hard_s:g} s")

    @classmethod
    def damaged(cls, reason: str) -> JobFailure:
        return cls("DamagedRecord", reason)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "message": self.message}
        out["traceback"] = self.traceback
        for key in ("signal", "exit_code", "errno"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_dict(cls, raw: Any) -> JobFailure:
        raw = _mapping(raw, "error")
        message = raw.get("message")
        return cls(
            type=_text(raw, "type") or "Error",
            message=str(message) if message is not None else "unknown error",
            traceback=_text(raw, "traceback"),
            signal=_text(raw, "signal"),
            exit_code=_integer(raw, "exit_code"),
            errno=_integer(raw, "errno"),
        )


_PROGRESS_KEYS = ("fraction", "stage", "message", "best_cycle_time_s")


@dataclass(frozen=True)
class Progress:
    """What the engine last said; keys beyond the four named ones are kept as they came."""

    fraction: float | None = 0.0
    stage: str | None = None
    message: str | None = None
    best_cycle_time_s: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def merged(self, changes: Mapping[str, Any]) -> Progress:
        """These values over the current ones; None and non-finite numbers change nothing."""
        current = self.to_dict()
        for key, value in changes.items():
            value = finite_or_none(value)
            if value is not None:
                current[key] = value
        return Progress.from_dict(current)

    def to_dict(self) -> dict[str, Any]:
        known = {key: getattr(self, key) for key in _PROGRESS_KEYS}
        return {**known, **self.extra}

    @classmethod
    def from_dict(cls, raw: Any) -> Progress:
        raw = _mapping(raw, "progress")
        stage, message = raw.get("stage"), raw.get("message")
        return cls(
            fraction=finite_or_none(_lenient_number(raw.get("fraction"))),
            stage=None if stage is None else str(stage),
            message=None if message is None else str(message),
            best_cycle_time_s=finite_or_none(_lenient_number(raw.get("best_cycle_time_s"))),
            extra={k: finite_or_none(v) for k, v in raw.items() if k not in _PROGRESS_KEYS},
        )


def _lenient_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# ------------------------------------------------------------------------------ config, status


@dataclass(frozen=True)
class JobConfig:
    """The frozen config of a job (``optimization_config.json``), written once at start."""

    job_id: str
    department: str
    scenario: str
    scenario_dir: str
    data_dir: str
    entry: str
    time_limit_s: float | None
    limits: Limits
    backend: str
    params: Mapping[str, Any]
    config_hash: str
    created_at: str
    schema: int = SCHEMA

    @classmethod
    def new(
        cls,
        job_id: str,
        department: str,
        scenario: str,
        folder: Path,
        entry: str,
        time_limit_s: float | None,
        limits: Limits,
        backend: str,
        params: Mapping[str, Any],
        config_hash: str,
    ) -> JobConfig:
        return cls(
            job_id=job_id,
            department=department,
            scenario=scenario,
            scenario_dir=str(folder),
            data_dir=str(folder.parents[2]),
            entry=entry,
            time_limit_s=time_limit_s,
            limits=limits,
            backend=backend,
            params=dict(params),
            config_hash=config_hash,
            created_at=utc_now(),
        )

    def engine_request(self, folder: Path) -> dict[str, Any]:
        """What the engine gets: this config with the paths of the folder the job runs in.

        A Celery worker may mount the shared data dir at another path than the app that froze
        the config, so the paths recorded at start are history, not directions.
        """
        return {**self.to_dict(), "scenario_dir": str(folder), "data_dir": str(folder.parents[2])}

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["limits"] = self.limits.to_dict()
        out["params"] = dict(self.params)
        return {"schema": out.pop("schema"), **out}

    @classmethod
    def from_dict(cls, raw: Any) -> JobConfig:
        raw = _mapping(raw, "config")
        params = raw.get("params") or {}
        if not isinstance(params, Mapping):
            raise DamagedRecordError(f"'params' must be a JSON object, got {params!r}")
        return cls(
            job_id=_job_id(raw),
            department=_text(raw, "department", required=True),
            scenario=_text(raw, "scenario", required=True),
            scenario_dir=_text(raw, "scenario_dir") or "",
            data_dir=_text(raw, "data_dir") or "",
            entry=_text(raw, "entry", required=True),
            time_limit_s=_number(raw, "time_limit_s"),
            limits=Limits.from_dict(raw.get("limits")),
            backend=_text(raw, "backend") or "local",
            params=dict(params),
            config_hash=_text(raw, "config_hash") or "",
            created_at=_time(raw, "created_at", required=True),
            schema=_integer(raw, "schema") or SCHEMA,
        )


@dataclass(frozen=True)
class JobStatus:
    """The job's status (``optimization_process_info.json``, DESIGN.md §3)."""

    job_id: str
    department: str
    scenario: str
    state: JobState
    created_at: str
    backend: str = "local"
    host: str | None = None
    pid: int | None = None
    pid_create_time: float | None = None
    worker_pid: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    heartbeat_at: str | None = None
    progress: Progress = field(default_factory=Progress)
    limits: Limits | None = None
    config_hash: str | None = None
    error: JobFailure | None = None
    note: str | None = None
    slot: int | None = None
    celery_task_id: str | None = None
    celery_worker: str | None = None
    schema: int = SCHEMA

    @classmethod
    def queued(cls, config: JobConfig, host: str | None = None) -> JobStatus:
        return cls(
            job_id=config.job_id,
            department=config.department,
            scenario=config.scenario,
            state=JobState.QUEUED,
            created_at=config.created_at,
            backend=config.backend,
            host=host,
            heartbeat_at=config.created_at,
            progress=Progress(0.0, "queued", ""),
            limits=config.limits,
            config_hash=config.config_hash,
        )

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def with_changes(self, **changes: Any) -> JobStatus:
        """A copy with ``changes``; ``progress`` is merged key by key, not replaced."""
        progress = changes.pop("progress", None)
        if "state" in changes:
            changes["state"] = JobState(changes["state"])
        if isinstance(changes.get("limits"), Mapping):
            changes["limits"] = Limits.from_dict(changes["limits"])
        if isinstance(changes.get("error"), Mapping):
            changes["error"] = JobFailure.from_dict(changes["error"])
        updated = dataclasses.replace(self, **changes)
        if progress:
            updated = dataclasses.replace(updated, progress=updated.progress.merged(progress))
        return updated

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["state"] = self.state.value
        out["progress"] = self.progress.to_dict()
        out["limits"] = self.limits.to_dict() if self.limits else None
        out["error"] = self.error.to_dict() if self.error else None
        return {"schema": out.pop("schema"), **out}

    @classmethod
    def from_dict(cls, raw: Any) -> JobStatus:
        raw = _mapping(raw, "status")
        state = raw.get("state")
        if state not in WRITTEN_STATES:
            raise DamagedRecordError(f"'state' is not a job state: {state!r}")
        limits, error, progress = raw.get("limits"), raw.get("error"), raw.get("progress")
        return cls(
            job_id=_job_id(raw),
            department=_text(raw, "department") or "",
            scenario=_text(raw, "scenario") or "",
            state=JobState(state),
            created_at=_time(raw, "created_at", required=True),
            backend=_text(raw, "backend") or "local",
            host=_text(raw, "host"),
            pid=_integer(raw, "pid"),
            pid_create_time=_number(raw, "pid_create_time"),
            worker_pid=_integer(raw, "worker_pid"),
            started_at=_time(raw, "started_at"),
            finished_at=_time(raw, "finished_at"),
            heartbeat_at=_time(raw, "heartbeat_at"),
            progress=Progress.from_dict(progress) if progress is not None else Progress(),
            limits=Limits.from_dict(limits) if limits is not None else None,
            config_hash=_text(raw, "config_hash"),
            error=JobFailure.from_dict(error) if error is not None else None,
            note=_text(raw, "note"),
            slot=_integer(raw, "slot"),
            celery_task_id=_text(raw, "celery_task_id"),
            celery_worker=_text(raw, "celery_worker"),
            schema=_integer(raw, "schema") or SCHEMA,
        )


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def parse_utc(value: str | None) -> dt.datetime | None:
    """A stored time; a time without a zone is taken as UTC (all we write carry one)."""
    if not value:
        return None
    stamp = dt.datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
