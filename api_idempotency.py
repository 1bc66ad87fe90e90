"""``Idempotency-Key`` records of the API's job starts: a retried POST gets the same job.

One small JSON file per (token, scenario, key) under ``<data>/.ncopt/idempotency/``, named by
a digest so any key the client sends is a safe file name. The check and the start happen under
one ``flock`` for the folder (a start takes milliseconds), so two retries racing each other
still start one job, and pruning never removes a record someone is reading. Records older
than ``$NCOPT_IDEMPOTENCY_TTL_S`` (one day) are ignored and pruned, as the IETF draft
"The Idempotency-Key HTTP Header Field" suggests keys expire.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jobstore import data_dir, env_float, flocked, read_json, utc_now, write_json_atomic

MAX_KEY_LEN = 255
_last_prune = 0.0


@dataclass(frozen=True)
class Replay:
    """What an earlier request with the same key started."""

    job_id: str
    fingerprint: str


class Claim:
    """An exclusive hold on one key while the caller starts (or refuses) a job."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.replay: Replay | None = None

    def record(self, job_id: str, fingerprint: str) -> None:
        write_json_atomic(
            self.path, {"job_id": job_id, "fingerprint": fingerprint, "created_at": utc_now()}
        )


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LEN and key.isascii() and key.isprintable()


def fingerprint(payload: dict) -> str:
    """A digest of the request body, to refuse a key reused for a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _ttl_s() -> float:
    return env_float("NCOPT_IDEMPOTENCY_TTL_S", 86400.0)


@contextlib.contextmanager
def claim(token_id: str, department: str, scenario: str, key: str) -> Iterator[Claim]:
    folder = data_dir() / ".ncopt" / "idempotency"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256("\0".join((token_id, department, scenario, key)).encode()).hexdigest()
    path = folder / f"{name}.json"
    with flocked(folder / ".lock"):
        _prune(folder)
        held = Claim(path)
        row = read_json(path) if path.exists() else None
        fresh = row is not None and time.time() - path.stat().st_mtime < _ttl_s()
        if row and fresh:
            held.replay = Replay(str(row["job_id"]), str(row.get("fingerprint") or ""))
        yield held


def _prune(folder: Path) -> None:
    """Drop expired records, at most once a minute per process."""
    global _last_prune
    now = time.time()
    if now - _last_prune < 60.0:
        return
    _last_prune = now
    for path in folder.glob("*.json"):
        with contextlib.suppress(FileNotFoundError):
            if now - path.stat().st_mtime > _ttl_s():
                path.unlink()
