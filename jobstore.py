"""The job files of a scenario folder: the one module that reads and writes them (DESIGN.md §2-3).

``processing`` (the public API) and the supervisor in ``run_optimization_async`` both go through
here, so the formats live in one place. Standard library and psutil only: the supervisor imports
this at start and its start-up time is the job's start latency.

Every write is temp file + fsync + ``os.replace``: a reader polling the status while the
supervisor rewrites it sees the old or the new file, never half of one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import hmac
import io
import json
import logging
import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

SCHEMA = 1
HOST = socket.gethostname()

CONFIG_FILE = "optimization_config.json"
STATUS_FILE = "optimization_process_info.json"
CONTROL_FILE = "optimization_control.json"
LOG_FILE = "optimization_log.txt"
RESULT_FILE = "optimization_result.joblib"
SIG_FILE = "optimization_result.joblib.sig"
LOCK_FILE = ".optimization.lock"
STATUS_LOCK_FILE = ".optimization_status.lock"
HISTORY_DIR = "history"
RUN_FILES = (STATUS_FILE, CONFIG_FILE, CONTROL_FILE, LOG_FILE, RESULT_FILE, SIG_FILE)

MAX_NAME_LEN = 100
# \w is Unicode-aware: letters and digits of any script (CJK included) and "_".
_NAME_RE = re.compile(r"^[\w\-.]+$")
_SIG_DOMAIN = b"ncopt-result-v1\0"


class JobState(StrEnum):
    """Written states, plus ``lost`` (derived on read) and ``idle`` (no job yet)."""

    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    LOST = "lost"


ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
TERMINAL_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT, JobState.LOST}
)


class JobError(Exception):
    """Base of the job layer's errors."""


class InputError(JobError):
    """Bad input from the caller: an unsafe name, a missing scenario, a bad limit (CLI exit 2)."""


class ResultError(JobError):
    """A result that is missing, unsigned, tampered or signed with another key."""


class NoResultError(ResultError):
    """No run of the scenario has left a result yet."""


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        log.warning("ignoring %s=%r: not a number", name, raw)
        return default


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def parse_utc(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# ------------------------------------------------------------------------------ names and paths


def data_dir() -> Path:
    default = Path(__file__).resolve().parent / "scenarios"
    return Path(os.environ.get("NCOPT_DATA_DIR") or default).resolve()


def validate_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a safe department/scenario name, else raise ``InputError``."""
    if not isinstance(name, str) or not name:
        raise InputError(f"{kind} name is empty")
    if "\0" in name:
        raise InputError(f"{kind} name contains a NUL byte")
    if len(name) > MAX_NAME_LEN:
        raise InputError(f"{kind} name is longer than {MAX_NAME_LEN} characters")
    if name.startswith(".") or ".." in name:
        raise InputError(f"{kind} name {name!r} must not start with '.' or contain '..'")
    if not _NAME_RE.match(name):
        raise InputError(f"{kind} name {name!r} may only contain letters, digits, '-', '_' and '.'")
    return name


def scenario_dir(department: str, scenario: str, *, must_exist: bool = True) -> Path:
    """The resolved scenario folder, checked to stay inside the data dir."""
    validate_name("department", department)
    validate_name("scenario", scenario)
    root = data_dir()
    folder = (root / department / "scenario" / scenario).resolve()
    if not folder.is_relative_to(root):
        raise InputError(f"scenario {department}/{scenario} resolves outside the data dir")
    if must_exist and not folder.is_dir():
        raise InputError(f"no scenario {scenario!r} in department {department!r}")
    return folder


# ------------------------------------------------------------------------------ atomic file I/O


def write_bytes_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_json_atomic(path: Path, payload: Any) -> None:
    write_bytes_atomic(path, json.dumps(payload, indent=1, ensure_ascii=False).encode())


def read_json(path: Path) -> Any | None:
    """The parsed file, or None if it does not exist. Corrupt JSON raises ``JobError``."""
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JobError(f"{path.name} is not valid JSON: {exc}") from exc


@contextlib.contextmanager
def flocked(path: Path, *, timeout_s: float = 30.0) -> Iterator[int]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise JobError(f"timed out waiting for the lock {path.name}") from exc
                time.sleep(0.005)
        yield fd
    finally:
        os.close(fd)


def scenario_lock(folder: Path) -> contextlib.AbstractContextManager[int]:
    """The per-scenario lock that decides between concurrent starts."""
    return flocked(folder / LOCK_FILE)


# ----------------------------------------------------------------------------------- job status


def read_status(folder: Path) -> dict[str, Any] | None:
    return read_json(folder / STATUS_FILE)


def write_status(folder: Path, info: dict[str, Any]) -> None:
    with flocked(folder / STATUS_LOCK_FILE):
        write_json_atomic(folder / STATUS_FILE, info)


def update_status(
    folder: Path, job_id: str, *, only_if_active: bool = False, **changes: Any
) -> dict[str, Any] | None:
    """Read-modify-write the status under its lock; None if the file is another job's now.

    ``progress`` is merged key by key. With ``only_if_active`` nothing is written once the
    job reached a final state (the supervisor and a cancelling UI may race to write it).
    """
    with flocked(folder / STATUS_LOCK_FILE):
        info = read_status(folder)
        if info is None or info.get("job_id") != job_id:
            return None
        if only_if_active and info.get("state") not in ACTIVE_STATES:
            return None
        progress = changes.pop("progress", None)
        info.update(changes)
        if progress:
            info["progress"] = {**(info.get("progress") or {}), **progress}
        write_json_atomic(folder / STATUS_FILE, info)
        return info


def finish_on_behalf(folder: Path, job_id: str, state: str, **fields: Any) -> dict | None:
    """Write a final ``state`` for a job whose supervisor cannot (dead, hung, never started).

    Only while the job is still queued/running: if its supervisor wrote an outcome first, that
    one stands.
    """
    return update_status(
        folder, job_id, only_if_active=True, state=state, finished_at=utc_now(), **fields
    )


def derive_state(info: dict[str, Any]) -> str:
    """The state as it is now: a queued/running job whose process is gone is ``lost``.

    Same host: the PID must exist, not be a zombie and have the recorded ``create_time``
    (PIDs are reused). Another host: the heartbeat must be younger than the lease
    (``$NCOPT_LEASE_S``, default 30 s), as RQ treats an expired worker lease.
    """
    state = info.get("state")
    if state not in ACTIVE_STATES:
        return str(state)
    if info.get("host") == HOST:
        # Also for a Celery job run by a worker on this host: a dead PID is proof at once,
        # where a lease would take its full length to expire.
        return state if _local_process_alive(info) else JobState.LOST.value
    if info.get("backend") == "celery" and not info.get("host"):
        # Still in the broker, claimed by no worker: nothing heartbeats it yet, so a long wait
        # behind busy workers is not a death. Lost only past $NCOPT_QUEUE_TIMEOUT_S (1 day).
        created = parse_utc(info.get("created_at"))
        waited_s = (dt.datetime.now(dt.UTC) - created).total_seconds() if created else 1e18
        fresh = waited_s < env_float("NCOPT_QUEUE_TIMEOUT_S", 86400.0)
        return state if fresh else JobState.LOST.value
    beat = parse_utc(info.get("heartbeat_at"))
    lease = env_float("NCOPT_LEASE_S", 30.0)
    if beat is None or (dt.datetime.now(dt.UTC) - beat).total_seconds() > lease:
        return JobState.LOST.value
    return state


def _local_process_alive(info: dict[str, Any]) -> bool:
    pid = info.get("pid")
    if not pid:
        # Between the status write and the spawn the launcher holds the scenario lock, so a
        # PID-less queued job is either microseconds old or its launcher died mid-start.
        created = parse_utc(info.get("created_at"))
        return created is not None and (dt.datetime.now(dt.UTC) - created).total_seconds() < 10
    try:
        proc = psutil.Process(int(pid))
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(proc.create_time() - float(info.get("pid_create_time") or 0)) < 0.05
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
    except JobError:
        return None
    if not control or control.get("job_id") != job_id:
        return None
    action = control.get("action")
    return action if action in {"cancel", "finish"} else None


# ------------------------------------------------------------------------------------- results


def _secret_key() -> bytes:
    env = os.environ.get("NCOPT_SECRET")
    if env:
        return env.encode()
    key_dir = data_dir() / ".ncopt"
    key_dir.mkdir(parents=True, exist_ok=True)
    path = key_dir / "secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = path.read_bytes().strip()
            if key:
                return key
            time.sleep(0.01)
        raise JobError(f"the signing key {path} is empty") from None
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def _mac(key: bytes, job_id: str, data: bytes) -> str:
    return hmac.new(key, _SIG_DOMAIN + job_id.encode() + b"\0" + data, hashlib.sha256).hexdigest()


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"ncopt-key-id\0" + key).hexdigest()[:16]


def publish_result(folder: Path, job_id: str, result_bytes: bytes) -> None:
    """Sign and move a result into place: the signature first, then the file it signs."""
    key = _secret_key()
    sig = {
        "alg": "HMAC-SHA256",
        "job_id": job_id,
        "key_id": _key_id(key),
        "hmac": _mac(key, job_id, result_bytes),
    }
    write_json_atomic(folder / SIG_FILE, sig)
    write_bytes_atomic(folder / RESULT_FILE, result_bytes)


def load_signed_result(folder: Path) -> dict[str, Any]:
    """Verify the HMAC of the result bytes, and only then unpickle them."""
    try:
        data = (folder / RESULT_FILE).read_bytes()
    except FileNotFoundError:
        raise NoResultError("no optimization result yet for this scenario") from None
    try:
        sig = read_json(folder / SIG_FILE)
    except JobError as exc:
        raise ResultError(f"the result's signature file is damaged: {exc}") from None
    if not sig or not isinstance(sig.get("hmac"), str):
        raise ResultError("the result file has no signature; refusing to load it")
    key = _secret_key()
    if sig.get("key_id") != _key_id(key):
        raise ResultError("the result was signed with another key (foreign file); refusing it")
    if not hmac.compare_digest(sig["hmac"], _mac(key, str(sig.get("job_id")), data)):
        raise ResultError("the result file does not match its signature (tampered); refusing it")
    import joblib  # only after verification, and not at import time (start-up cost)

    result = joblib.load(io.BytesIO(data))
    if not isinstance(result, dict) or result.get("job_id") != sig.get("job_id"):
        raise ResultError("the result does not belong to its signature's job")
    return result


# ------------------------------------------------------------------------------ history, inputs


def archive_previous_run(folder: Path, keep: int | None = None) -> str | None:
    """Move the last run's files to ``history/<job_id>/`` and prune to the newest ``keep``."""
    info = None
    with contextlib.suppress(JobError):
        info = read_status(folder)
    present = [name for name in RUN_FILES if (folder / name).exists()]
    if not present:
        return None
    job_id = (info or {}).get("job_id") or f"unknown-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    job_id = validate_name("job id", str(job_id))
    dest = folder / HISTORY_DIR / job_id
    dest.mkdir(parents=True, exist_ok=True)
    for name in present:
        os.replace(folder / name, dest / name)
    _prune_history(folder / HISTORY_DIR, keep if keep is not None else _history_keep())
    return job_id


def _history_keep() -> int:
    return max(1, int(env_float("NCOPT_HISTORY_KEEP", 20)))


def _prune_history(history: Path, keep: int) -> None:
    runs = sorted(p for p in history.iterdir() if p.is_dir())  # job ids sort by creation time
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def newest_history_result(folder: Path) -> Path | None:
    """The newest earlier run (``history/<job_id>/``) that left a result, if any."""
    history = folder / HISTORY_DIR
    if not history.is_dir():
        return None
    runs = sorted((p for p in history.iterdir() if p.is_dir()), reverse=True)
    return next((run for run in runs if (run / RESULT_FILE).exists()), None)


def list_history(department: str, scenario: str) -> list[dict[str, Any]]:
    """Earlier runs of a scenario, newest first, each with its status file's summary."""
    history = scenario_dir(department, scenario) / HISTORY_DIR
    if not history.is_dir():
        return []
    runs = []
    for run in sorted((p for p in history.iterdir() if p.is_dir()), reverse=True):
        try:
            info = read_json(run / STATUS_FILE) or {}
        except JobError:
            info = {}
        runs.append(
            {
                "job_id": run.name,
                "state": info.get("state"),
                "created_at": info.get("created_at"),
                "finished_at": info.get("finished_at"),
                "note": info.get("note"),
                "has_result": (run / RESULT_FILE).exists(),
                "path": str(run),
            }
        )
    return runs


_DIGEST_CACHE: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
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
        outer.update(f"{path.relative_to(folder).as_posix()}\0{_file_digest(path)}\n".encode())
    return outer.hexdigest()


# ------------------------------------------------------------------------------------------ log


def read_log_tail(department: str, scenario: str, max_bytes: int = 20_000) -> str:
    """The last ``max_bytes`` of the job's log, decoded leniently, starting at a line."""
    path = scenario_dir(department, scenario) / LOG_FILE
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except FileNotFoundError:
        return ""
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


# ------------------------------------------------------------------------------- host slots


class SlotQueue:
    """At most ``$NCOPT_MAX_WORKERS`` jobs compute at once on a host; the rest wait, oldest first.

    A slot is an exclusive ``flock`` on ``slot-N.lock``; the kernel drops it when its holder
    dies, so a SIGKILLed supervisor frees its slot at once. A waiting job holds a ``flock`` on a
    ticket named by its creation time, and may take a slot only when no older ticket is still
    held: a ticket whose lock can be taken belongs to a dead waiter and is removed.
    """

    def __init__(self, root: Path, host: str, max_workers: int | None = None) -> None:
        self.dir = root / ".ncopt" / "hosts" / host
        (self.dir / "tickets").mkdir(parents=True, exist_ok=True)
        default = os.cpu_count() or 1
        self.max_workers = max_workers or max(1, int(env_float("NCOPT_MAX_WORKERS", default)))
        self.slot_fd: int | None = None
        self.slot_index: int | None = None
        self._ticket_name: str | None = None

    @contextlib.contextmanager
    def ticket(self, created_at: str, job_id: str) -> Iterator[None]:
        stamp = re.sub(r"[^0-9A-Za-z]", "", created_at)
        name = f"{stamp}-{job_id}.ticket"
        tmp = self.dir / "tickets" / f".{name}.tmp"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Locked before it becomes visible, so no other waiter can take it for a dead one's.
        os.replace(tmp, self.dir / "tickets" / name)
        self._ticket_name = name
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                (self.dir / "tickets" / name).unlink()
            os.close(fd)

    def _older_ticket_alive(self) -> bool:
        for name in sorted(os.listdir(self.dir / "tickets")):
            if name >= (self._ticket_name or "") or name.startswith("."):
                return False
            path = self.dir / "tickets" / name
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True  # a live, older waiter goes first
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # its waiter died
            finally:
                os.close(fd)
        return False

    def try_acquire(self) -> bool:
        if self._older_ticket_alive():
            return False
        for index in range(self.max_workers):
            fd = os.open(self.dir / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.slot_fd, self.slot_index = fd, index
            return True
        return False

    def release(self) -> None:
        if self.slot_fd is not None:
            os.close(self.slot_fd)
            self.slot_fd = self.slot_index = None
