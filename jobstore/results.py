"""Signed results: the result record, its signature, and the key that signs them.

The work horse pickles the result; the supervisor signs the bytes with HMAC-SHA256 over a
domain tag, the department, the scenario and the job id, and only a result whose signature
verifies, and names the scenario and job it is asked for, is ever unpickled. So a result copied
from another scenario's folder, or left by another job, is refused like a tampered one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobstore.errors import DamagedRecordError, JobError, NoResultError, ResultError
from jobstore.files import (
    HISTORY_DIR,
    RESULT_FILE,
    SIG_FILE,
    os_error_text,
    read_json,
    write_json_atomic,
)
from jobstore.records import SIG_VERSION, parse_utc, utc_now
from ncopt.paths import data_dir, write_bytes_atomic

__all__ = [
    "JobResult",
    "ResultSignature",
    "ensure_key_readable",
    "key_path",
    "load_signed_result",
    "publish_result",
    "resign_results",
]

log = logging.getLogger(__name__)

_DOMAIN = b"ncopt-result-v2\0"


@dataclass(frozen=True)
class JobResult:
    """What a run leaves: the new and old programs, one ``out_df`` row per program."""

    job_id: str
    success: bool
    new_codes: dict[str, str]
    old_codes: dict[str, str]
    out_df: Any  # a pandas DataFrame; not imported here (the supervisor never needs pandas)
    config_hash: str | None
    stopped_early: bool
    finished_at: str
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "new_codes": self.new_codes,
            "old_codes": self.old_codes,
            "out_df": self.out_df,
            "error": self.error,
            "job_id": self.job_id,
            "config_hash": self.config_hash,
            "stopped_early": self.stopped_early,
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_dict(cls, raw: Any) -> JobResult:
        if not isinstance(raw, dict) or not isinstance(raw.get("job_id"), str):
            raise ResultError("the result file does not hold a job's result")
        return cls(
            job_id=raw["job_id"],
            success=bool(raw.get("success")),
            new_codes=dict(raw.get("new_codes") or {}),
            old_codes=dict(raw.get("old_codes") or {}),
            out_df=raw.get("out_df"),
            config_hash=raw.get("config_hash"),
            stopped_early=bool(raw.get("stopped_early")),
            finished_at=str(raw.get("finished_at") or ""),
            error=raw.get("error"),
        )


@dataclass(frozen=True)
class ResultSignature:
    """``optimization_result.joblib.sig``: who the result belongs to, and the proof of it."""

    job_id: str
    department: str
    scenario: str
    key_id: str
    hmac: str
    signed_at: str
    alg: str = "HMAC-SHA256"
    version: int = SIG_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "alg": self.alg,
            "version": self.version,
            "job_id": self.job_id,
            "department": self.department,
            "scenario": self.scenario,
            "key_id": self.key_id,
            "signed_at": self.signed_at,
            "hmac": self.hmac,
        }

    @classmethod
    def from_dict(cls, raw: Any) -> ResultSignature:
        if not isinstance(raw, dict):
            raise DamagedRecordError(f"it holds a {type(raw).__name__}, not a JSON object")
        if raw.get("version") != SIG_VERSION:
            raise ResultError(
                "the result was signed by an earlier version of NC Optimizer, which did not "
                "bind it to its scenario; run the optimization again"
            )
        fields = ("job_id", "department", "scenario", "key_id", "hmac", "signed_at")
        bad = [key for key in fields if not isinstance(raw.get(key), str)]
        if bad:
            raise DamagedRecordError(f"{', '.join(bad)} missing or not text")
        return cls(**{key: raw[key] for key in fields})


# ------------------------------------------------------------------------------------- the key


def key_path() -> Path:
    return data_dir() / ".ncopt" / "secret"


@dataclass(frozen=True)
class _Key:
    secret: bytes
    created: dt.datetime | None  # None for $NCOPT_SECRET

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"ncopt-key-id\0" + self.secret).hexdigest()[:16]


def _signing_key(*, create: bool) -> _Key:
    """The key from ``$NCOPT_SECRET``, else ``<data>/.ncopt/secret``.

    Only publishing creates the file: a reader that found it missing and made a new one would
    silently turn every earlier result into a "foreign" file.
    """
    env = os.environ.get("NCOPT_SECRET")
    if env:
        return _Key(env.encode(), None)
    path = key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            raise ResultError(
                f"the signing key {path} is missing, so no result can be verified; the next "
                "run creates a new one (results signed before cannot be read then)"
            ) from None
    return _create_key(path)


def _read_key(path: Path) -> _Key:
    try:
        secret = path.read_bytes().strip()
        created = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ResultError(f"the signing key cannot be read: {os_error_text(exc)}") from None
    if not secret:
        raise ResultError(f"the signing key {path} is empty")
    return _Key(secret, created)


def _create_key(path: Path) -> _Key:
    """Write a new key whole, then link it into place: no reader ever sees half a key, and of
    two processes creating it at once, the second uses the first one's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode())
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
            log.warning(
                "created the signing key %s; if an earlier one was lost, the results it "
                "signed cannot be verified any more",
                path,
            )
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return _read_key(path)


def _mac(key: _Key, department: str, scenario: str, job_id: str, data: bytes) -> str:
    header = "\0".join((department, scenario, job_id)).encode() + b"\0"
    return hmac.new(key.secret, _DOMAIN + header + data, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------- publish and load


def publish_result(
    folder: Path, department: str, scenario: str, job_id: str, result_bytes: bytes
) -> None:
    """Sign and move a result into place: the signature first, then the file it signs.

    On a write failure (a full disk) both are removed again and the ``OSError`` raised: the
    folder then holds no result of this job, and the last good one stays where it is.
    """
    key = _signing_key(create=True)
    sig = ResultSignature(
        job_id=job_id,
        department=department,
        scenario=scenario,
        key_id=key.key_id,
        hmac=_mac(key, department, scenario, job_id, result_bytes),
        signed_at=utc_now(),
    )
    try:
        write_json_atomic(folder / SIG_FILE, sig.to_dict())
        write_bytes_atomic(folder / RESULT_FILE, result_bytes)
    except OSError:
        for name in (SIG_FILE, RESULT_FILE):
            with contextlib.suppress(OSError):
                (folder / name).unlink()
        raise


def load_signed_result(folder: Path, department: str, scenario: str, job_id: str) -> dict:
    """The result of job ``job_id`` of ``department/scenario`` in ``folder``, verified first.

    Raises ``ResultError`` (``NoResultError`` if there is none) for anything else: a missing,
    damaged or foreign signature, tampered bytes, or a result of another scenario or job.
    """
    try:
        data = (folder / RESULT_FILE).read_bytes()
    except FileNotFoundError:
        raise NoResultError("no optimization result yet for this scenario") from None
    except OSError as exc:
        raise ResultError(f"the result cannot be read: {os_error_text(exc)}") from None
    sig = _read_signature(folder)
    key = _signing_key(create=False)
    if sig.key_id != key.key_id:
        raise ResultError(_other_key_message(sig, key))
    if not hmac.compare_digest(sig.hmac, _mac(key, sig.department, sig.scenario, sig.job_id, data)):
        raise ResultError("the result file does not match its signature (tampered); refusing it")
    if (sig.department, sig.scenario) != (department, scenario):
        raise ResultError(
            f"the result belongs to scenario {sig.department}/{sig.scenario}, not "
            f"{department}/{scenario} (copied from another folder); refusing it"
        )
    if sig.job_id != job_id:
        raise ResultError(
            f"the result is job {sig.job_id}'s, but the status names job {job_id}; refusing it"
        )
    import joblib  # only after verification, and not at import time (start-up cost)

    result = JobResult.from_dict(joblib.load(io.BytesIO(data)))
    if result.job_id != sig.job_id:
        raise ResultError("the result does not belong to its signature's job")
    return result.to_dict()


def _read_signature(folder: Path) -> ResultSignature:
    try:
        raw = read_json(folder / SIG_FILE)
        if raw is None:
            raise ResultError("the result file has no signature; refusing to load it")
        return ResultSignature.from_dict(raw)
    except DamagedRecordError as exc:
        raise ResultError(f"the result's signature file is damaged: {exc}") from None


def _other_key_message(sig: ResultSignature, key: _Key) -> str:
    signed = parse_utc(sig.signed_at)
    if key.created is not None and signed is not None and key.created > signed:
        return (
            f"the signing key changed on {key.created:%Y-%m-%d %H:%M} UTC (the key file "
            f"{key_path()} was replaced or lost), after this result was signed on "
            f"{signed:%Y-%m-%d %H:%M} UTC: it cannot be verified any more; run the "
            "optimization again"
        )
    return "the result was signed with another key (foreign file); refusing it"


def resign_results(folder: Path, old: tuple[str, str], new: tuple[str, str]) -> int:
    """After a rename: re-issue, for the ``new`` (department, scenario), the signatures of the
    results in ``folder`` and its history that verify for the ``old`` one. Returns how many."""
    try:
        key = _signing_key(create=False)
    except ResultError:
        return 0  # no key: nothing verifies, before or after
    history = folder / HISTORY_DIR
    runs = [folder, *(sorted(history.iterdir()) if history.is_dir() else [])]
    count = 0
    for run in runs:
        try:
            sig = _read_signature(run)
            data = (run / RESULT_FILE).read_bytes()
        except (ResultError, OSError):
            continue  # nothing there, or nothing that verifies: left as it is
        mac = _mac(key, *old, sig.job_id, data)
        if sig.key_id != key.key_id or not hmac.compare_digest(sig.hmac, mac):
            continue
        department, scenario = new
        renewed = dataclasses.replace(
            sig, department=department, scenario=scenario, hmac=_mac(key, *new, sig.job_id, data)
        )
        write_json_atomic(run / SIG_FILE, renewed.to_dict())
        count += 1
    return count


def ensure_key_readable() -> None:
    """Raise ``JobError`` now if publishing could not get a key (checked at start)."""
    try:
        _signing_key(create=True)
    except (ResultError, OSError) as exc:
        raise JobError(str(exc)) from None
