"""Public job API and CLI: start, watch, cancel and read background optimizations.

A job lives in its scenario folder (DESIGN.md §2). This module owns every job file there: the
frozen config, the status file, the control file, the signed result and the history. The
detached supervisor (``run_optimization_async.py``) writes through the functions here.

Import cost matters: the Streamlit server imports this on every rerun and the supervisor imports
it at start, so only the standard library and psutil are imported at module level.

CLI (JSON on stdout; exit 0 ok, 1 job failed, 2 bad input)::

    python processing.py start DEPT SCENARIO [--time-limit S] [--wait]
    python processing.py status DEPT SCENARIO
    python processing.py cancel DEPT SCENARIO [--finish]
    python processing.py result DEPT SCENARIO
    python processing.py list
    python processing.py token create DEPT [DEPT ...] [--label TEXT]   # HTTP API bearer token
    python processing.py token list
    python processing.py token revoke TOKEN_ID
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from typing import Any

import psutil

from jobstore import (
    ACTIVE_STATES,
    CONFIG_FILE,
    HOST,
    LOG_FILE,
    RESULT_FILE,
    SCHEMA,
    TERMINAL_STATES,
    InputError,
    JobError,
    JobState,
    NoResultError,
    ResultError,
    archive_previous_run,
    data_dir,
    derive_state,
    env_float,
    finish_on_behalf,
    inputs_digest,
    list_history,
    load_signed_result,
    newest_history_result,
    read_log_tail,
    read_status,
    scenario_dir,
    scenario_lock,
    update_status,
    utc_now,
    write_control,
    write_json_atomic,
    write_status,
)

__all__ = [
    "InputError",
    "JobError",
    "JobState",
    "NoResultError",
    "ResultError",
    "cancel_optimization",
    "get_optimization_status",
    "is_optimization_complete",
    "is_optimization_running",
    "list_history",
    "list_jobs",
    "load_optimization_result",
    "process_optimization_async",
    "read_log_tail",
    "render_optimization_status",
    "start_optimization_async",
]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent
WORKER_SCRIPT = ROOT / "run_optimization_async.py"
DEFAULT_ENTRY = "ncopt.pipeline:run_generate_nc_code"

# Popen objects of supervisors this process launched. Polled on every API call so a
# long-running Streamlit server never accumulates zombies; the job itself does not depend on
# this list (it outlives the server).
_CHILDREN: list[subprocess.Popen] = []
_CHILDREN_LOCK = threading.Lock()


def _reap_children() -> None:
    with _CHILDREN_LOCK:
        _CHILDREN[:] = [p for p in _CHILDREN if p.poll() is None]


def _new_job_id() -> str:
    now = dt.datetime.now(dt.UTC)
    # Sortable by creation time, unique across hosts.
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def _default_limits(time_limit_s: float | None, hard_limit_s: float | None) -> dict[str, float]:
    soft = time_limit_s if time_limit_s is not None else env_float("NCOPT_TIME_LIMIT_S", 1800.0)
    if soft <= 0:
        raise InputError(f"time limit must be positive, got {soft}")
    hard = hard_limit_s if hard_limit_s is not None else soft * 1.5 + 60.0
    if hard < soft:
        raise InputError(f"hard limit {hard} s is shorter than the time limit {soft} s")
    return {"soft_s": float(soft), "hard_s": float(hard)}


def start_optimization_async(
    department: str,
    scenario: str,
    *,
    time_limit_s: float | None = None,
    hard_limit_s: float | None = None,
    entry: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start a background optimization, or return the one already queued/running.

    Returns ``{job_id, state, already_running}`` within milliseconds: the supervisor is spawned
    detached and does its imports on its own time. A per-scenario ``flock`` makes concurrent
    starts (two tabs, a double click, many processes) produce exactly one job.
    """
    _reap_children()
    folder = scenario_dir(department, scenario)
    limits = _default_limits(time_limit_s, hard_limit_s)
    backend = os.environ.get("NCOPT_BACKEND", "local").strip().lower() or "local"
    if backend not in {"local", "celery"}:
        raise InputError(f"unknown NCOPT_BACKEND {backend!r} (use 'local' or 'celery')")
    with scenario_lock(folder):
        current = read_status(folder)
        if current is not None:
            state = derive_state(current)
            if state in ACTIVE_STATES:
                return {"job_id": current["job_id"], "state": state, "already_running": True}
        archive_previous_run(folder)
        job_id = _new_job_id()
        config = {
            "schema": SCHEMA,
            "job_id": job_id,
            "department": department,
            "scenario": scenario,
            "scenario_dir": str(folder),
            "data_dir": str(data_dir()),
            "entry": entry or os.environ.get("NCOPT_ENTRY") or DEFAULT_ENTRY,
            "time_limit_s": time_limit_s,
            "limits": limits,
            "backend": backend,
            "params": params or {},
            "config_hash": inputs_digest(folder),
            "created_at": utc_now(),
        }
        write_json_atomic(folder / CONFIG_FILE, config)
        write_status(folder, _initial_status(config))
        if backend == "celery":
            _submit_celery(folder, config)
        else:
            _spawn_supervisor(folder, job_id)
    log.info("started job %s for %s/%s", job_id, department, scenario)
    return {"job_id": job_id, "state": JobState.QUEUED.value, "already_running": False}


def _initial_status(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "job_id": config["job_id"],
        "department": config["department"],
        "scenario": config["scenario"],
        "backend": config["backend"],
        "state": JobState.QUEUED.value,
        "host": HOST if config["backend"] == "local" else None,
        "pid": None,
        "pid_create_time": None,
        "worker_pid": None,
        "created_at": config["created_at"],
        "started_at": None,
        "finished_at": None,
        "heartbeat_at": config["created_at"],
        "progress": {"fraction": 0.0, "stage": "queued", "message": "", "best_cycle_time_s": None},
        "limits": config["limits"],
        "config_hash": config["config_hash"],
        "error": None,
        "note": None,
    }


def _spawn_supervisor(folder: Path, job_id: str) -> None:
    kwargs: dict[str, Any] = {
        "stdin": subprocess.DEVNULL,
        "stderr": subprocess.STDOUT,
        "cwd": ROOT,
        "close_fds": True,
    }
    if os.name == "nt":  # untested here; the flags a detached Windows process needs
        kwargs["creationflags"] = (
            subprocess.DETACHED_PROCESS
            | subprocess.CREATE_NEW_PROCESS_GROUP
            | subprocess.CREATE_NO_WINDOW
        )
    else:
        # A new session: no controlling terminal, and Ctrl-C or a restart of the server's
        # process group does not reach the job.
        kwargs["start_new_session"] = True
    with open(folder / LOG_FILE, "ab") as log_fh:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), str(folder), job_id], stdout=log_fh, **kwargs
        )
    with _CHILDREN_LOCK:
        _CHILDREN.append(proc)
    try:
        create_time = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:  # already gone: the supervisor wrote its own outcome
        return
    update_status(folder, job_id, pid=proc.pid, pid_create_time=create_time)


def _submit_celery(folder: Path, config: dict[str, Any]) -> None:
    job_id = config["job_id"]
    try:
        import celery_app  # lazily: Celery costs ~0.3 s to import and only this path needs it

        task_id = celery_app.enqueue(
            config["department"], config["scenario"], job_id, config["limits"]["hard_s"]
        )
    except Exception as exc:
        # Never leave a queued job that no worker will ever see: record why, then refuse.
        finish_on_behalf(
            folder,
            job_id,
            JobState.FAILED.value,
            error={"type": type(exc).__name__, "message": f"enqueue failed: {exc}"},
        )
        raise JobError(f"could not send the job to the Celery broker: {exc}") from exc
    update_status(folder, job_id, celery_task_id=task_id)


def process_optimization_async(department: str, scenario: str, job_id: str) -> int:
    """Run the supervisor of an already started job in this process (blocks until it ends).

    This is what the detached worker and a Celery task execute; returns the exit code.
    """
    from run_optimization_async import supervise

    return supervise(scenario_dir(department, scenario), job_id)


def get_optimization_status(department: str, scenario: str) -> dict[str, Any]:
    """The job's status file with the state as derived now (``lost`` if its process is gone).

    Adds ``written_state`` (what the file says), ``outdated`` (the scenario changed since this
    job's config was frozen) and ``elapsed_s``. A scenario that never ran has state ``idle``.
    """
    _reap_children()
    folder = scenario_dir(department, scenario)
    return _status_view(folder, department, scenario)


def _status_view(folder: Path, department: str, scenario: str) -> dict[str, Any]:
    info = read_status(folder)
    if info is None:
        return {"department": department, "scenario": scenario, "state": "idle", "job_id": None}
    info["written_state"] = info.get("state")
    info["state"] = derive_state(info)
    info["outdated"] = info["state"] == JobState.SUCCEEDED and info.get(
        "config_hash"
    ) != inputs_digest(folder)
    info["elapsed_s"] = _elapsed_s(info)
    return info


def _elapsed_s(info: dict[str, Any]) -> float | None:
    start = info.get("started_at") or info.get("created_at")
    if not start:
        return None
    end = info.get("finished_at")
    t0 = dt.datetime.fromisoformat(start)
    t1 = dt.datetime.fromisoformat(end) if end else dt.datetime.now(dt.UTC)
    return max(0.0, (t1 - t0).total_seconds())


def is_optimization_running(department: str, scenario: str) -> bool:
    """True while the scenario's job is queued or running and its process is alive."""
    return get_optimization_status(department, scenario)["state"] in ACTIVE_STATES


def is_optimization_complete(department: str, scenario: str) -> bool:
    """True once the scenario's latest job has ended, whatever the outcome (see the state)."""
    return get_optimization_status(department, scenario)["state"] in TERMINAL_STATES


def cancel_optimization(
    department: str,
    scenario: str,
    *,
    finish: bool = False,
    wait: bool = False,
    grace_s: float | None = None,
) -> dict[str, Any]:
    """Ask the running job to stop: cancel (discard) or ``finish`` (stop early, keep the best).

    The request goes to the control file the supervisor polls every 0.1 s; for a cancel it
    sends the work horse SIGTERM and, after the grace period (``$NCOPT_GRACE_S``, default 5 s),
    SIGKILL: a Python handler cannot run during a blocking native call, the kernel's SIGKILL
    always can. Should the supervisor itself not answer within ``grace_s`` + 2 s, this sends
    SIGTERM and then SIGKILL to the job's whole process group and records the cancel.

    The UI never signals blindly: a supervisor still starting has no SIGTERM handler yet, and
    a signal then would kill it before it could record anything. With ``wait=False`` the
    backstop runs in a daemon thread and this returns at once.
    """
    folder = scenario_dir(department, scenario)
    info = read_status(folder)
    if info is None or derive_state(info) not in ACTIVE_STATES:
        state = derive_state(info) if info else "idle"
        return {"job_id": info and info.get("job_id"), "state": state, "requested": False}
    action = "finish" if finish else "cancel"
    job_id = info["job_id"]
    write_control(folder, job_id, action)
    grace = grace_s if grace_s is not None else env_float("NCOPT_GRACE_S", 5.0)
    if not finish:
        if info.get("backend") == "celery":
            backstop = _celery_cancel_backstop(folder, job_id, grace + 2.0)
        else:
            backstop = _cancel_backstop(folder, job_id, grace + 2.0)
        if wait:
            backstop()
        else:
            threading.Thread(target=backstop, name=f"cancel-{job_id}", daemon=True).start()
    return {
        "job_id": job_id,
        "state": _status_view(folder, department, scenario)["state"],
        "requested": True,
        "action": action,
    }


def _signal_group(info: dict[str, Any], sig: signal.Signals) -> bool:
    """Signal the job's process group; False if its supervisor is gone or the PID was reused."""
    pid = info.get("pid")
    if not pid or info.get("host") != HOST:
        return False
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - float(info.get("pid_create_time") or 0)) > 0.05:
            return False  # never signal a PID that now belongs to an unrelated process
        os.killpg(os.getpgid(pid), sig)
        return True
    except (psutil.NoSuchProcess, ProcessLookupError, PermissionError):
        return False


def _cancel_backstop(folder: Path, job_id: str, patience_s: float):
    def backstop() -> None:
        if _wait_terminal(folder, job_id, patience_s):
            return
        info = read_status(folder) or {}
        log.warning("job %s did not answer a cancel within %.1f s: killing it", job_id, patience_s)
        if _signal_group(info, signal.SIGTERM) and not _wait_terminal(folder, job_id, 1.0):
            _signal_group(info, signal.SIGKILL)
            time.sleep(0.1)
        # The supervisor died with its group, so write the outcome on its behalf.
        finish_on_behalf(
            folder,
            job_id,
            JobState.CANCELLED.value,
            note="cancelled; the job did not answer and was killed",
        )

    return backstop


def _celery_cancel_backstop(folder: Path, job_id: str, patience_s: float):
    """A Celery job's supervisor may be on another host: no signals from here, but the
    worker kills the pool process running the task (``revoke``), and its work horse with it."""

    def backstop() -> None:
        if _wait_terminal(folder, job_id, patience_s):
            return
        from celery_app import kill_task

        log.warning("job %s did not answer a cancel within %.1f s: revoking it", job_id, patience_s)
        try:
            kill_task((read_status(folder) or {}).get("celery_task_id"))
        except Exception:  # broker down: still record the cancel, or the job stays queued
            log.exception("could not revoke job %s", job_id)
        finish_on_behalf(
            folder,
            job_id,
            JobState.CANCELLED.value,
            note="cancelled; the job did not answer and its Celery task was killed",
        )

    return backstop


def _wait_terminal(folder: Path, job_id: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        info = read_status(folder)
        if info is None or info.get("job_id") != job_id or derive_state(info) in TERMINAL_STATES:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def load_optimization_result(department: str, scenario: str) -> dict[str, Any]:
    """The verified result of the scenario's last successful run, plus ``outdated`` and
    ``from_history`` (True when the current run has no result — it failed, was cancelled or
    is still running — and the result is the newest earlier run's, from ``history/``).

    Raises ``ResultError`` for a missing result, a missing signature, or a file whose HMAC does
    not match (tampered, or signed with another key); such a file is never unpickled, and an
    older result is not silently offered in its place.
    """
    folder = scenario_dir(department, scenario)
    source = folder if (folder / RESULT_FILE).exists() else None
    source = source or newest_history_result(folder) or folder
    result = load_signed_result(source)
    result["outdated"] = result.get("config_hash") != inputs_digest(folder)
    result["from_history"] = source != folder
    return result


def list_jobs() -> list[dict[str, Any]]:
    """One summary per scenario in the data dir (every department), with its latest job."""
    _reap_children()
    root = data_dir()
    rows: list[dict[str, Any]] = []
    if not root.is_dir():
        return rows
    for dept_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        container = dept_dir / "scenario"
        if not container.is_dir():
            continue
        for folder in sorted(p for p in container.iterdir() if p.is_dir()):
            if folder.name.startswith("."):
                continue
            rows.append(_summary(folder, dept_dir.name, folder.name))
    return rows


def _summary(folder: Path, department: str, scenario: str) -> dict[str, Any]:
    try:
        info = _status_view(folder, department, scenario)
    except JobError as exc:
        return {"department": department, "scenario": scenario, "state": "error", "error": str(exc)}
    keys = ("job_id", "state", "backend", "host", "created_at", "started_at", "finished_at")
    summary = {"department": department, "scenario": scenario}
    summary.update({k: info.get(k) for k in keys})
    summary["progress"] = (info.get("progress") or {}).get("fraction")
    summary["stage"] = (info.get("progress") or {}).get("stage")
    summary["elapsed_s"] = info.get("elapsed_s")
    summary["outdated"] = info.get("outdated", False)
    return summary


def render_optimization_status(department: str, scenario: str) -> None:
    """Streamlit fragment showing the job and polling every ``$NCOPT_POLL_S`` s until terminal."""
    from ui.job_status import render_job_status  # streamlit is imported only here

    render_job_status(department, scenario)


# ----------------------------------------------------------------------------------------- CLI


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _emit(payload: Any) -> None:
    print(json.dumps(payload, default=_json_default, ensure_ascii=False))


def _cli_result(department: str, scenario: str) -> int:
    status = get_optimization_status(department, scenario)
    base = {"job_id": status.get("job_id"), "outdated": bool(status.get("outdated"))}
    if status["state"] != JobState.SUCCEEDED:
        error = status.get("error") or {"message": f"no result: job state is {status['state']}"}
        _emit({"success": False, "error": error, **base, "programs": []})
        return 1
    try:
        result = load_optimization_result(department, scenario)
    except ResultError as exc:
        _emit(
            {
                "success": False,
                "error": {"type": "ResultError", "message": str(exc)},
                **base,
                "programs": [],
            }
        )
        return 1
    out_df = result.get("out_df")
    rows = out_df.to_dict("records") if out_df is not None else []
    _emit(
        {
            "success": bool(result.get("success")),
            "error": result.get("error"),
            "job_id": result.get("job_id"),
            "outdated": result["outdated"],
            "programs": rows,
        }
    )
    return 0 if result.get("success") else 1


def _cli_start(args: argparse.Namespace) -> int:
    started = start_optimization_async(args.department, args.scenario, time_limit_s=args.time_limit)
    if not args.wait:
        _emit(started)
        return 0
    folder = scenario_dir(args.department, args.scenario)
    while not _wait_terminal(folder, started["job_id"], 3600.0):
        pass
    state = get_optimization_status(args.department, args.scenario)["state"]
    _emit({**started, "state": state})
    return 0 if state == JobState.SUCCEEDED else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="processing.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start an optimization in the background")
    start.add_argument("--time-limit", type=float, default=None, help="soft time limit, seconds")
    start.add_argument("--wait", action="store_true", help="wait until the job ends")
    cancel = sub.add_parser("cancel", help="cancel a running job")
    cancel.add_argument("--finish", action="store_true", help="stop early, keep the best found")
    for name, cmd in (("start", start), ("cancel", cancel)):
        del name
        cmd.add_argument("department")
        cmd.add_argument("scenario")
    for name in ("status", "result"):
        cmd = sub.add_parser(name, help=f"print the job's {name}")
        cmd.add_argument("department")
        cmd.add_argument("scenario")
    sub.add_parser("list", help="list every scenario with its latest job")
    _token_parser(sub.add_parser("token", help="HTTP API tokens (see docs/api.md)"))
    return parser


def _token_parser(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="token_command", required=True)
    create = sub.add_parser("create", help="a new token for these departments (printed once)")
    create.add_argument("departments", nargs="+", metavar="DEPT")
    create.add_argument("--label", default="", help="who or what uses the token")
    sub.add_parser("list", help="the tokens (never the tokens themselves)")
    revoke = sub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id")


def _cli_token(args: argparse.Namespace) -> int:
    import api_tokens  # lazily: only this command needs it

    if args.token_command == "create":
        token, record = api_tokens.create_token(args.departments, args.label)
        _emit({"token": token, **record.to_dict()})
    elif args.token_command == "list":
        _emit([record.to_dict() for record in api_tokens.list_tokens()])
    elif not api_tokens.revoke_token(args.token_id):
        raise InputError(f"no token with id {args.token_id!r}")
    else:
        _emit({"token_id": args.token_id, "revoked": True})
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        if args.command == "start":
            return _cli_start(args)
        if args.command == "status":
            _emit(get_optimization_status(args.department, args.scenario))
            return 0
        if args.command == "cancel":
            _emit(
                cancel_optimization(args.department, args.scenario, finish=args.finish, wait=True)
            )
            return 0
        if args.command == "result":
            return _cli_result(args.department, args.scenario)
        if args.command == "token":
            return _cli_token(args)
        _emit(list_jobs())
        return 0
    except InputError as exc:
        _emit({"error": str(exc)})
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except JobError as exc:
        _emit({"error": str(exc)})
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
