"""Earlier runs (``history/<job_id>/``), the inputs digest, and the job log.

History is ordered by the time recorded inside each run (its status, else its config, else its
signature, else its files' modification time), never by folder name: a run filed under a name
that sorts late (``unknown-…``) must not pass for the newest one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobstore.errors import DamagedRecordError, JobError
from jobstore.files import (
    HISTORY_DIR,
    LOG_FILE,
    RESULT_FILE,
    RUN_FILES,
    SIG_FILE,
    env_float,
    os_error_text,
    read_json,
)
from jobstore.records import JobState, JobStatus, is_job_id, parse_utc, utc_now
from jobstore.status import read_config, read_status

__all__ = [
    "HistoryRun",
    "archive_previous_run",
    "cap_log",
    "file_digest",
    "history_runs",
    "inputs_digest",
    "log_tail",
    "newest_history_result",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HistoryRun:
    """One earlier run as listed: its job id, what its status says, when it was created."""

    path: Path
    job_id: str
    state: str
    created_at: dt.datetime
    finished_at: str | None
    note: str | None
    error: str | None
    has_result: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "state": self.state,
            "created_at": self.created_at.isoformat(timespec="milliseconds"),
            "finished_at": self.finished_at,
            "note": self.note,
            "error": self.error,
            "has_result": self.has_result,
            "path": str(self.path),
        }


def _read_run(run: Path) -> HistoryRun:
    status: JobStatus | None = None
    error = None
    try:
        status = read_status(run)
    except DamagedRecordError as exc:
        error = str(exc)
    state = status.state.value if status else (JobState.DAMAGED.value if error else "unknown")
    return HistoryRun(
        path=run,
        job_id=status.job_id if status else run.name,
        state=state,
        created_at=_run_time(run, status),
        finished_at=status.finished_at if status else None,
        note=status.note if status else None,
        error=error or (status.error.message if status and status.error else None),
        has_result=(run / RESULT_FILE).is_file(),
    )


def _run_time(run: Path, status: JobStatus | None) -> dt.datetime:
    """When the run was created, from the records it holds; last resort its files' mtime."""
    stamps: list[str | None] = [status.created_at if status else None]
    with contextlib.suppress(DamagedRecordError):
        config = read_config(run)
        stamps.append(config.created_at if config else None)
    with contextlib.suppress(DamagedRecordError):
        sig = read_json(run / SIG_FILE)
        stamps.append(sig.get("signed_at") if isinstance(sig, dict) else None)
    for stamp in stamps:
        with contextlib.suppress(ValueError, TypeError):
            when = parse_utc(stamp)
            if when is not None:
                return when
    mtimes = [p.lstat().st_mtime for p in run.iterdir()] or [run.lstat().st_mtime]
    return dt.datetime.fromtimestamp(max(mtimes), dt.UTC)


def history_runs(folder: Path) -> list[HistoryRun]:
    """Earlier runs of the scenario in ``folder``, newest first by their recorded time."""
    history = folder / HISTORY_DIR
    if not history.is_dir():
        return []
    runs = [_read_run(p) for p in history.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(runs, key=lambda r: (r.created_at, r.job_id), reverse=True)


def newest_history_result(folder: Path) -> HistoryRun | None:
    """The newest earlier run that left a result, if any."""
    return next((run for run in history_runs(folder) if run.has_result), None)


def archive_previous_run(folder: Path, keep: int | None = None) -> str | None:
    """Move the last run's files to ``history/<job_id>/`` and prune; returns the job id used.

    A damaged status file moves with the rest (it is evidence, and the history lists it as
    ``damaged``). Nothing is moved unless the history folder could be made first: on a full
    disk the start fails with the reason and the last run stays where it was.
    """
    present = [name for name in RUN_FILES if os.path.lexists(folder / name)]
    if not present:
        return None
    history = folder / HISTORY_DIR
    job_id = _unused(history, _run_job_id(folder))
    dest = history / job_id
    try:
        dest.mkdir(parents=True)
        for name in present:
            os.replace(folder / name, dest / name)
    except OSError as exc:
        raise JobError(f"cannot move the previous run aside: {os_error_text(exc)}") from None
    _prune(history, keep if keep is not None else _history_keep())
    return job_id


def _run_job_id(folder: Path) -> str:
    """The job id of the run in ``folder`` from its status, config or signature, in that order."""
    with contextlib.suppress(DamagedRecordError):
        status = read_status(folder)
        if status:
            return status.job_id
    with contextlib.suppress(DamagedRecordError):
        config = read_config(folder)
        if config:
            return config.job_id
    with contextlib.suppress(DamagedRecordError):
        sig = read_json(folder / SIG_FILE)
        job_id = sig.get("job_id") if isinstance(sig, dict) else None
        if is_job_id(job_id):
            return job_id
    return f"unknown-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"


def _unused(history: Path, job_id: str) -> str:
    name = job_id
    while (history / name).exists():
        name = f"{job_id}-{secrets.token_hex(2)}"
    return name


def _history_keep() -> int:
    return max(1, int(env_float("NCOPT_HISTORY_KEEP", 20)))


def _prune(history: Path, keep: int) -> None:
    """Keep the newest ``keep`` runs, and the newest run with a result whatever its age: a
    string of failed runs must not delete the last good result."""
    runs = history_runs(history.parent)
    newest_good = next((run for run in runs if run.has_result), None)
    for run in runs[keep:]:
        if run != newest_good:
            shutil.rmtree(run.path, ignore_errors=True)


# ------------------------------------------------------------------------------------- inputs


_DIGEST_CACHE: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file, remembered by (path, size, mtime): a poll reads each file once."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    digest = _DIGEST_CACHE.get(key)
    if digest is None:
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if len(_DIGEST_CACHE) > 10_000:
            _DIGEST_CACHE.clear()
        _DIGEST_CACHE[key] = digest
    return digest


def inputs_digest(folder: Path) -> str:
    """sha256 over the scenario's inputs: its spreadsheets and everything under programs/.

    A result whose ``config_hash`` differs from this is ``outdated``. File digests are cached
    by (path, size, mtime) so a status poll does not re-read unchanged programs.
    """
    files = sorted(p for p in folder.glob("*.xlsx") if p.is_file())
    programs = folder / "programs"
    if programs.is_dir():
        files += sorted(p for p in programs.rglob("*") if p.is_file())
    outer = hashlib.sha256()
    for path in files:
        outer.update(f"{path.relative_to(folder).as_posix()}\0{file_digest(path)}\n".encode())
    return outer.hexdigest()


# ------------------------------------------------------------------------------------------ log


def log_tail(folder: Path, max_bytes: int = 20_000) -> str:
    """The last ``max_bytes`` of the job's log, decoded leniently, starting at a line."""
    try:
        with open(folder / LOG_FILE, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return f"(the log cannot be read: {os_error_text(exc)})"
    text = data.decode("utf-8", errors="replace")
    if size > max_bytes and "\n" in text:
        text = text.split("\n", 1)[1]
    return text


def cap_log(path: Path, max_bytes: int) -> bool:
    """Keep the log under ``max_bytes``: when over, keep its newest half. Returns True if cut.

    Writers hold the file with O_APPEND, so after the in-place truncate their next write lands
    at the new end; a line written between our read and the truncate may be lost, which is the
    price of never blocking the engine on its log.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size <= max_bytes:
        return False
    keep = max_bytes // 2
    with open(path, "r+b") as fh:
        fh.seek(size - keep)
        tail = fh.read(keep)
        cut = tail.find(b"\n")
        tail = tail[cut + 1 :] if 0 <= cut < len(tail) - 1 else tail
        header = f"[{utc_now()}] log capped at {max_bytes} bytes: older lines dropped\n"
        fh.seek(0)
        fh.write(header.encode() + tail)
        fh.truncate()
    return True
