"""File names, atomic writes, locks and the space reserve of a scenario folder's job files.

Every write is temp file + fsync + ``os.replace``: a reader polling the status while the
supervisor rewrites it sees the old or the new file, never half of one, and a write that fails
(a full disk) leaves no temp file behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import math
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jobstore.errors import DamagedRecordError, InputError, JobError
from ncopt.paths import write_bytes_atomic

__all__ = [
    "CONFIG_FILE",
    "CONTROL_FILE",
    "HISTORY_DIR",
    "HOST",
    "LOCK_FILE",
    "LOG_FILE",
    "RESERVE_FILE",
    "RESULT_FILE",
    "RUN_FILES",
    "SIG_FILE",
    "STATUS_FILE",
    "STATUS_LOCK_FILE",
    "SpaceReserve",
    "env_float",
    "flocked",
    "os_error_text",
    "read_json",
    "scenario_lock",
    "write_bytes_atomic",
    "write_json_atomic",
]

log = logging.getLogger(__name__)

HOST = socket.gethostname()

CONFIG_FILE = "optimization_config.json"
STATUS_FILE = "optimization_process_info.json"
CONTROL_FILE = "optimization_control.json"
LOG_FILE = "optimization_log.txt"
RESULT_FILE = "optimization_result.joblib"
SIG_FILE = "optimization_result.joblib.sig"
LOCK_FILE = ".optimization.lock"
STATUS_LOCK_FILE = ".optimization_status.lock"
RESERVE_FILE = ".optimization.reserve"
HISTORY_DIR = "history"
RUN_FILES = (STATUS_FILE, CONFIG_FILE, CONTROL_FILE, LOG_FILE, RESULT_FILE, SIG_FILE)


def env_float(name: str, default: float) -> float:
    """A number from the environment; anything not a finite number is ignored, with a warning."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        log.warning("ignoring %s=%r: not a finite number", name, raw)
        return default
    return value


def os_error_text(exc: OSError) -> str:
    """``No space left on device (…/optimization_result.joblib)``: what a user can act on."""
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def write_json_atomic(path: Path, payload: Any) -> None:
    # allow_nan=False: NaN and Infinity are not JSON; a record holding one is a bug to surface.
    data = json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False)
    write_bytes_atomic(path, data.encode())


def read_json(path: Path) -> Any | None:
    """The parsed file, or None if it does not exist; ``DamagedRecordError`` if unreadable."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:  # a directory in its place, no permission, an I/O error
        raise DamagedRecordError(f"{path.name} cannot be read: {os_error_text(exc)}") from None
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DamagedRecordError(f"{path.name} is not valid JSON: {exc}") from None


@contextlib.contextmanager
def flocked(path: Path, *, timeout_s: float = 30.0) -> Iterator[int]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) for the block."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        folder = path.parent
        raise JobError(f"cannot lock {folder}: {os_error_text(exc)}") from None
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


@contextlib.contextmanager
def scenario_lock(folder: Path) -> Iterator[int]:
    """The per-scenario lock that decides between starts, renames, deletes and uploads.

    A caller that waited for it may find the scenario renamed or deleted by the holder: that is
    ``InputError`` (no such scenario), like a name that never existed.
    """
    gone = f"the scenario folder {folder.name!r} no longer exists"
    with contextlib.ExitStack() as stack:
        try:
            fd = stack.enter_context(flocked(folder / LOCK_FILE))
        except JobError:
            if not folder.is_dir():
                raise InputError(gone) from None
            raise
        if not folder.is_dir():
            raise InputError(gone)
        yield fd


class SpaceReserve:
    """A few blocks of disk held back so a job's final state can be written on a full disk.

    A database keeps a ballast file for the same reason: when the disk fills up during the run,
    the supervisor frees this and then writes the outcome, instead of dying mid-write and
    leaving a job that reads ``lost`` with no reason.
    """

    SIZE = 256 * 1024

    def __init__(self, folder: Path) -> None:
        self.path = folder / RESERVE_FILE

    def take(self) -> None:
        """Claim the space; raises ``OSError`` if even that does not fit (the disk is full)."""
        try:
            with open(self.path, "wb") as fh:
                try:
                    os.posix_fallocate(fh.fileno(), 0, self.SIZE)
                except OSError as exc:
                    if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                        raise
                    fh.write(b"\0" * self.SIZE)  # file systems without fallocate (NFS v3)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError:
            self.release()
            raise

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
