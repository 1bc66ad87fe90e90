"""Completion hooks: tell other systems that a job ended (docs/api.md, "Completion hooks").

The supervisor calls ``run_hooks`` once, after it wrote the job's final state, so a hook can
neither delay nor change the outcome: the state is on disk and the host slot is free before
the first request leaves. Each target gets the same JSON summary:

* webhook URLs, from the scenario's settings sheet (``webhook_urls``) and from
  ``<data>/.ncopt/webhooks.json`` (``{"urls": [...]}``), POSTed and signed as Standard
  Webhooks specifies (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256
  with the key from ``$NCOPT_WEBHOOK_SECRET`` or ``<data>/.ncopt/webhook_secret``), so a
  receiver can verify with any Standard Webhooks library;
* an in-process handler named by ``$NCOPT_ON_COMPLETE=module:function``, called with the
  summary dict.

A failed attempt (no connection, a timeout, HTTP 408/425/429/5xx, a handler that raised) is
retried with doubling back-off until ``$NCOPT_HOOK_RETRY_S`` (60 s) after the job ended; other
4xx answers are final. Every attempt is one line in the job's log (the supervisor's stderr).

    python job_hooks.py secret    # print the signing key (made on first use), for receivers
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jobstore import (
    JobError,
    data_dir,
    env_float,
    load_signed_result,
    read_json,
    read_status,
)

# The supervisor imports this module at its start, whose time is the job's start latency: the
# modules only a delivery needs (urllib.request, zipfile, ...) are imported when one happens.

__all__ = ["job_summary", "run_hooks", "webhook_secret"]

log = logging.getLogger("ncopt.hooks")

HOOKS_FILE = "webhooks.json"
SECRET_FILE = "webhook_secret"
RETRYABLE_HTTP = frozenset({408, 425, 429})
USER_AGENT = "ncopt-hooks/1"


@dataclass(frozen=True)
class Target:
    """Where a summary goes: a name for the log, and a callable that raises on failure."""

    name: str
    send: Callable[[dict[str, Any], float], None]  # (summary, timeout_s)


class Permanent(Exception):
    """An answer that retrying will not change (HTTP 4xx other than 408/425/429)."""


def run_hooks(folder: Path, job_id: str) -> None:
    """Deliver the job's summary to every configured target. Never raises."""
    try:
        status = read_status(folder)
        if status is None or status.job_id != job_id or status.active:
            return  # another job's status now, or no final state: nothing of ours ended
        targets = _targets(folder)
        if not targets:
            return
        summary = job_summary(folder, status.to_dict())
        deliver(targets, summary, time.monotonic() + env_float("NCOPT_HOOK_RETRY_S", 60.0))
    except Exception:
        log.exception("completion hooks of job %s failed", job_id)


def _targets(folder: Path) -> list[Target]:
    urls = list(dict.fromkeys([*_settings_urls(folder), *_data_dir_urls()]))
    targets = [Target(_loggable(url), _webhook(url)) for url in urls]
    spec = os.environ.get("NCOPT_ON_COMPLETE", "").strip()
    if spec:
        targets.append(Target(f"handler {spec}", _handler(spec)))
    return targets


def _settings_urls(folder: Path) -> tuple[str, ...]:
    """``webhook_urls`` of the scenario's settings sheet, read on its own so a scenario whose
    other sheets are broken (the very job that failed) still reports."""
    # ncopt.scenario.scenario_xlsx_path names it so; importing that package costs a second
    # (pandas, openpyxl), which every job would pay at its end even with no hooks set.
    xlsx = folder / f"{folder.name}.xlsx"
    if not _mentions(xlsx, b"webhook_urls"):
        return ()  # the common case, found without importing pandas and openpyxl
    scenario = _project_module("ncopt.scenario")
    read_sheets, webhook_urls = scenario.read_sheets, scenario.webhook_urls
    try:
        frame = read_sheets(xlsx).get("settings")
    except Exception as exc:
        log.warning("hooks: settings sheet not readable (%s); using the data folder's only", exc)
        return ()
    if frame is None or "key" not in frame or "value" not in frame:
        return ()
    for key, value in zip(frame["key"], frame["value"], strict=True):
        if str(key).strip().lower() == "webhook_urls" and isinstance(value, str):
            try:
                return webhook_urls(value)
            except ValueError as exc:
                log.warning("hooks: settings webhook_urls ignored: %s", exc)
    return ()


def _project_module(name: str) -> Any:
    """Import a module of this project when it is first needed.

    In a Celery worker the project folder is on ``sys.path`` only while ``celery -A
    celery_app`` loads that module (see celery_app.py); the supervisor runs there too, and a
    lazy import of ``ncopt`` would fail without this.
    """
    root = str(Path(__file__).resolve().parent)
    if root not in sys.path:
        sys.path.append(root)
    return importlib.import_module(name)


def _mentions(xlsx: Path, word: bytes) -> bool:
    """Whether any part of the workbook (a zip of XML files) holds ``word``, in any case."""
    import zipfile

    try:
        with zipfile.ZipFile(xlsx) as archive:
            return any(
                word in archive.read(name).lower()
                for name in archive.namelist()
                if name.startswith("xl/") and name.endswith(".xml")
            )
    except (OSError, zipfile.BadZipFile):
        return False


def _data_dir_urls() -> tuple[str, ...]:
    path = data_dir() / ".ncopt" / HOOKS_FILE
    if not path.exists():
        return ()
    webhook_urls = _project_module("ncopt.scenario").webhook_urls
    try:
        config = read_json(path) or {}
        return webhook_urls(" ".join(config.get("urls") or ()))
    except (JobError, ValueError, AttributeError, TypeError) as exc:
        log.warning("hooks: %s ignored: %s", HOOKS_FILE, exc)
        return ()


def job_summary(folder: Path, info: dict[str, Any]) -> dict[str, Any]:
    """What a hook is told: who, how it ended, why, and what it saved."""
    error = info.get("error") or None
    department, scenario, job_id = info.get("department"), info.get("scenario"), info["job_id"]
    path = "/".join(quote(str(part), safe="") for part in (department, scenario))
    return {
        "type": "job.finished",
        "job_id": job_id,
        "department": department,
        "scenario": scenario,
        "state": info.get("state"),
        "note": info.get("note"),
        "error": {"type": error.get("type"), "message": error.get("message")} if error else None,
        "created_at": info.get("created_at"),
        "started_at": info.get("started_at"),
        "finished_at": info.get("finished_at"),
        "saving": _saving(folder, info) if info.get("state") == "succeeded" else None,
        "api_path": f"/api/v1/scenarios/{path}/jobs/{quote(job_id, safe='')}",
    }


def _saving(folder: Path, info: dict[str, Any]) -> dict[str, Any] | None:
    job_id = info["job_id"]
    try:
        # Under the names the supervisor signed it with, which its status repeats.
        result = load_signed_result(folder, info["department"], info["scenario"], job_id)
    except JobError as exc:
        log.warning("hooks: no saving in the summary: %s", exc)
        return None
    out_df = result.get("out_df")
    if result.get("job_id") != job_id or out_df is None:
        return None
    import pandas as pd  # loaded with the result anyway

    totals = {
        column: round(float(pd.to_numeric(out_df[column], errors="coerce").fillna(0).sum()), 3)
        for column in ("cycle_time_old_s", "cycle_time_new_s", "saving_s")
        if column in out_df
    }
    old, saving = totals.get("cycle_time_old_s", 0.0), totals.get("saving_s", 0.0)
    optimized = int((out_df["status"] == "optimized").sum()) if "status" in out_df else None
    return {
        **totals,
        "saving_pct": round(100.0 * saving / old, 3) if old else 0.0,
        "programs": len(out_df),
        "programs_optimized": optimized,
    }


# ---------------------------------------------------------------------------------- delivery


def deliver(targets: list[Target], summary: dict[str, Any], deadline: float) -> None:
    """Every target in its own thread, so a dead receiver does not hold back the others."""
    threads = [
        threading.Thread(
            target=_deliver_one, args=(t, summary, deadline), name=f"hook-{i}", daemon=True
        )
        for i, t in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 1.0)


def _deliver_one(target: Target, summary: dict[str, Any], deadline: float) -> None:
    backoff = env_float("NCOPT_HOOK_BACKOFF_S", 1.0)
    timeout = env_float("NCOPT_HOOK_TIMEOUT_S", 10.0)
    attempt = 0
    while True:
        attempt += 1
        started = time.monotonic()
        try:
            target.send(summary, max(0.1, min(timeout, deadline - started)))
        except Exception as exc:
            took = time.monotonic() - started
            wait = min(backoff * 2 ** (attempt - 1), 30.0)
            final = isinstance(exc, Permanent) or time.monotonic() + wait >= deadline
            log.warning(
                "hook %s attempt %d failed in %.2f s: %s%s",
                target.name,
                attempt,
                took,
                exc,
                "; giving up" if final else f"; retrying in {wait:g} s",
            )
            if final:
                return
            time.sleep(wait)
        else:
            took = time.monotonic() - started
            log.info("hook %s attempt %d delivered in %.2f s", target.name, attempt, took)
            return


def _loggable(url: str) -> str:
    """The URL without its query or user info, which may hold a receiver's secrets."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"POST {parts.scheme}://{parts.hostname}{port}{parts.path}"


def _webhook(url: str) -> Callable[[dict[str, Any], float], None]:
    def send(summary: dict[str, Any], timeout_s: float) -> None:
        import urllib.error
        import urllib.request

        body = json.dumps(summary, ensure_ascii=False).encode()
        request = urllib.request.Request(
            url, data=body, method="POST", headers=_signed_headers(summary["job_id"], body)
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:
                answer.read(1024)
        except urllib.error.HTTPError as exc:
            if exc.code in RETRYABLE_HTTP or exc.code >= 500:
                raise RuntimeError(f"HTTP {exc.code}") from None
            raise Permanent(f"HTTP {exc.code}") from None

    return send


def _signed_headers(job_id: str, body: bytes) -> dict[str, str]:
    from standardwebhooks import Webhook

    # One id per job: a receiver that got the first attempt can drop the retries.
    message_id = f"job_{job_id}"
    now = dt.datetime.now(dt.UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(webhook_secret()).sign(message_id, now, body.decode()),
    }


def _handler(spec: str) -> Callable[[dict[str, Any], float], None]:
    def send(summary: dict[str, Any], timeout_s: float) -> None:
        module_name, _, name = spec.partition(":")
        function = getattr(importlib.import_module(module_name), name)
        outcome: list[BaseException | None] = []

        def call() -> None:
            try:
                function(dict(summary))
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=call, name="hook-handler", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if not outcome:
            raise TimeoutError(f"still running after {timeout_s:.1f} s")
        if outcome[0] is not None:
            raise RuntimeError(f"{type(outcome[0]).__name__}: {outcome[0]}")

    return send


def webhook_secret() -> str:
    """``$NCOPT_WEBHOOK_SECRET``, else ``<data>/.ncopt/webhook_secret`` (made 0600 once)."""
    env = os.environ.get("NCOPT_WEBHOOK_SECRET", "").strip()
    if env:
        return env
    path = data_dir() / ".ncopt" / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)
        raise JobError(f"the webhook key {path} is empty") from None
    import base64
    import secrets

    key = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return key


def main(argv: list[str]) -> int:
    if argv != ["secret"]:
        print(__doc__, file=sys.stderr)
        return 2
    print(webhook_secret())
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main(sys.argv[1:]))
