"""Host slots: at most ``$NCOPT_MAX_WORKERS`` jobs compute at once on a host (docs/jobs.md)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from jobstore.files import env_float

__all__ = ["PENDING_S", "SlotQueue"]

# How long a reserved ticket waits for its supervisor to start before it is taken for dead.
PENDING_S = 30.0


def _ticket_name(created_at: str, job_id: str) -> str:
    return f"{re.sub(r'[^0-9A-Za-z]', '', created_at)}-{job_id}.ticket"


class SlotQueue:
    """At most ``$NCOPT_MAX_WORKERS`` jobs compute at once on a host; the rest wait, oldest first.

    A slot is an exclusive ``flock`` on ``slot-N.lock``; the kernel drops it when its holder
    dies, so a SIGKILLed supervisor frees its slot at once. A waiting job holds a ``flock`` on a
    ticket named by its creation time, and may take a slot only when no older ticket is still
    held: a ticket whose lock can be taken belongs to a dead waiter and is removed.

    The launcher reserves the ticket (an empty file) before it starts the supervisor, so a
    supervisor that starts late under load keeps its place: an empty, unlocked ticket younger
    than ``PENDING_S`` is a waiter still starting. The supervisor writes its pid into the
    ticket when it locks it, so an unlocked ticket with a pid is a dead waiter's.
    """

    def __init__(self, root: Path, host: str, max_workers: int | None = None) -> None:
        self.dir = root / ".ncopt" / "hosts" / host
        (self.dir / "tickets").mkdir(parents=True, exist_ok=True)
        default = os.cpu_count() or 1
        self.max_workers = max_workers or max(1, int(env_float("NCOPT_MAX_WORKERS", default)))
        self.slot_fd: int | None = None
        self.slot_index: int | None = None
        self._ticket_name: str | None = None

    def reserve(self, created_at: str, job_id: str) -> None:
        """The launcher's place in the queue, taken before the supervisor starts."""
        path = self.dir / "tickets" / _ticket_name(created_at, job_id)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))

    @contextlib.contextmanager
    def ticket(self, created_at: str, job_id: str) -> Iterator[None]:
        name = _ticket_name(created_at, job_id)
        path = self.dir / "tickets" / name
        if path.exists():  # reserved by the launcher: lock it where it is
            fd = os.open(path, os.O_RDWR)
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            tmp = self.dir / "tickets" / f".{name}.tmp"
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Locked before it becomes visible, so no other waiter can take it for a dead one's.
            os.replace(tmp, path)
        os.write(fd, str(os.getpid()).encode())  # held by a live waiter from here on
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
                info = os.fstat(fd)
                if info.st_size == 0 and time.time() - info.st_mtime < PENDING_S:
                    return True  # reserved, its supervisor still starting: it goes first
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # its waiter died (or never started)
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
