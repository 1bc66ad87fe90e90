"""Public job API and CLI: start, watch, cancel and read background optimizations.

A job lives in its scenario folder (DESIGN.md §2); ``jobstore`` owns every job file there and
the detached supervisor (``run_optimization_async.py``) writes through it. Renaming, deleting
and uploading into a scenario go through here too, under the scenario lock that starts take,
so no job can start between "is it running?" and the change.

Import cost matters: the Streamlit server imports this on every rerun and the supervisor imports
it at start, so only the standard library and psutil are imported at module level.

CLI (JSON on stdout, usage errors included; exit 0 ok, 1 job failed or error, 2 bad input)::

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
import contextlib
import datetime as dt
import json
import logging
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jobstore
from jobstore import (
    ACTIVE_STATES,
    MAX_TIME_LIMIT_S,
    RESULT_FILE,
    TERMINAL_STATES,
    DamagedRecordError,
    InputError,
    JobError,
    JobFailure,
    JobState,
    JobStatus,
    NoResultError,
    ResultError,
    derive_state,
    inputs_digest,
    read_status,
    scenario_dir,
    scenario_lock,
)
from jobstore.launch import cancel_job, start_job, wait_terminal

__all__ = [
    "InputError",
    "JobActiveError",
    "JobError",
    "JobState",
    "NoResultError",
    "ResultError",
    "cancel_optimization",
    "delete_program",
    "delete_scenario",
    "get_optimization_status",
    "is_optimization_complete",
    "is_optimization_running",
    "list_history",
    "list_jobs",
    "load_optimization_result",
    "process_optimization_async",
    "read_log_tail",
    "rename_scenario",
    "render_optimization_status",
    "start_optimization_async",
    "upload_program",
]

log = logging.getLogger(__name__)

INVALID = "invalid"  # list_jobs: a folder whose name the rules refuse (it cannot be opened)


class JobActiveError(JobError):
    """The scenario has a queued or running job: it cannot be renamed, deleted or changed."""


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
    starts (two tabs, a double click, many processes) produce exactly one job. Limits must be
    finite, positive and at most a week (``InputError`` otherwise).
    """
    folder = scenario_dir(department, scenario)
    return start_job(folder, department, scenario, time_limit_s, hard_limit_s, entry, params or {})


def process_optimization_async(department: str, scenario: str, job_id: str) -> int:
    """Run the supervisor of an already started job in this process (blocks until it ends).

    This is what the detached worker and a Celery task execute; returns the exit code.
    """
    from run_optimization_async import supervise

    return supervise(scenario_dir(department, scenario), job_id)


def get_optimization_status(department: str, scenario: str) -> dict[str, Any]:
    """The job's status with the state as derived now (``lost`` if its process is gone).

    Adds ``written_state`` (what the file says), ``outdated`` (the scenario changed since this
    job's config was frozen) and ``elapsed_s``. A scenario that never ran has state ``idle``;
    one whose status file cannot be read has state ``damaged`` and the reason in ``error``.
    """
    return _status_view(scenario_dir(department, scenario), department, scenario)


def _status_view(folder: Path, department: str, scenario: str) -> dict[str, Any]:
    names = {"department": department, "scenario": scenario}
    try:
        status = read_status(folder)
    except DamagedRecordError as exc:
        error = JobFailure.damaged(f"{exc}; a new start moves it aside").to_dict()
        return {**names, "state": JobState.DAMAGED.value, "job_id": None, "error": error}
    if status is None:
        return {**names, "state": JobState.IDLE.value, "job_id": None}
    state = derive_state(status)
    view = {**status.to_dict(), **names}  # the folder's names: it may have been renamed since
    view["written_state"] = status.state.value
    view["state"] = state.value
    view["outdated"] = state == JobState.SUCCEEDED and _outdated(folder, status.config_hash)
    view["elapsed_s"] = _elapsed_s(status)
    return view


def _outdated(folder: Path, config_hash: str | None) -> bool:
    try:
        return config_hash != inputs_digest(folder)
    except OSError:  # an unreadable program: the inputs cannot be the ones the result used
        return True


def _elapsed_s(status: JobStatus) -> float | None:
    start = jobstore.parse_utc(status.started_at or status.created_at)
    if start is None:
        return None
    end = jobstore.parse_utc(status.finished_at) or dt.datetime.now(dt.UTC)
    return max(0.0, (end - start).total_seconds())


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

    The request goes to the control file the supervisor polls every 0.1 s; for a cancel the
    supervisor sends the work horse SIGTERM and, after the grace period (``$NCOPT_GRACE_S``,
    default 5 s), SIGKILL. Should the supervisor itself not answer within ``grace_s`` + 2 s,
    the job's process group is killed (a Celery task is revoked) and the cancel recorded. With
    ``wait=False`` that backstop runs in a daemon thread and this returns at once.
    """
    folder = scenario_dir(department, scenario)
    reply = cancel_job(folder, finish=finish, wait=wait, grace_s=grace_s)
    if reply["requested"]:
        reply["state"] = _status_view(folder, department, scenario)["state"]
    return reply


def load_optimization_result(department: str, scenario: str) -> dict[str, Any]:
    """The verified result of the scenario's last successful run, plus ``outdated`` and
    ``from_history`` (True when the current run has no result — it failed, was cancelled or
    is still running — and the result is the newest earlier run's, from ``history/``).

    Raises ``ResultError`` for a missing result, a missing signature, a file whose HMAC does
    not match (tampered, or signed with another key) or that names another scenario or job
    than its status; such a file is never unpickled, and an older result is not silently
    offered in its place.
    """
    folder = scenario_dir(department, scenario)
    if (folder / RESULT_FILE).exists():
        try:
            status = read_status(folder)
        except DamagedRecordError as exc:
            raise ResultError(f"the result cannot be checked against its status: {exc}") from None
        if status is None:
            raise ResultError("no status file names the job of this result; refusing it")
        result = jobstore.load_signed_result(folder, department, scenario, status.job_id)
        from_history = False
    else:
        run = jobstore.newest_history_result(folder)
        if run is None:
            raise NoResultError("no optimization result yet for this scenario")
        result = jobstore.load_signed_result(run.path, department, scenario, run.job_id)
        from_history = True
    result["outdated"] = _outdated(folder, result.get("config_hash"))
    result["from_history"] = from_history
    return result


def list_history(department: str, scenario: str) -> list[dict[str, Any]]:
    """Earlier runs of a scenario, newest first (by the time in their records)."""
    return [run.to_dict() for run in jobstore.history_runs(scenario_dir(department, scenario))]


def read_log_tail(department: str, scenario: str, max_bytes: int = 20_000) -> str:
    """The last ``max_bytes`` of the job's log, decoded leniently, starting at a line."""
    return jobstore.log_tail(scenario_dir(department, scenario), max_bytes)


def list_jobs() -> list[dict[str, Any]]:
    """One row per scenario folder in the data dir (every department), with its latest job.

    A folder that cannot be opened is still listed, with ``state`` ``invalid`` (a name the
    rules refuse, an unreadable folder) or ``damaged`` (an unreadable status file) and the
    reason in ``error``; callers show those rows but offer only the others.
    """
    root = jobstore.data_dir()
    rows: list[dict[str, Any]] = []
    for dept_dir in _subfolders(root, rows):
        for folder in _subfolders(dept_dir / "scenario", rows, dept_dir.name):
            rows.append(_summary(folder, dept_dir.name, folder.name))
    return rows


def _subfolders(path: Path, rows: list[dict[str, Any]], department: str | None = None):
    try:
        entries = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    except FileNotFoundError:
        return []
    except OSError as exc:
        name = department if department is not None else path.name
        message = f"cannot list {path}: {jobstore.os_error_text(exc)}"
        rows.append(
            {"department": _shown(name), "scenario": None, "state": INVALID, "error": message}
        )
        return []
    return entries


def _shown(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 are shown replaced, not crashing JSON."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _summary(folder: Path, department: str, scenario: str) -> dict[str, Any]:
    names = {"department": _shown(department), "scenario": _shown(scenario)}
    problem = jobstore.name_problem("department", department) or jobstore.name_problem(
        "scenario", scenario
    )
    if problem:
        return {**names, "state": INVALID, "error": f"{problem}; rename the folder to open it"}
    info = _status_view(folder, department, scenario)
    keys = ("job_id", "state", "backend", "host", "created_at", "started_at", "finished_at")
    summary = {**names, **{k: info.get(k) for k in keys}}
    progress = info.get("progress") or {}
    summary["progress"] = progress.get("fraction")
    summary["stage"] = progress.get("stage")
    summary["elapsed_s"] = info.get("elapsed_s")
    summary["outdated"] = info.get("outdated", False)
    if info["state"] == JobState.DAMAGED:
        summary["error"] = info["error"]["message"]
    return summary


# ---------------------------------------------------------------- scenario changes, under lock


@contextlib.contextmanager
def _idle_scenario(department: str, scenario: str) -> Iterator[Path]:
    """Hold the scenario lock with no job queued or running: a start waits for the change."""
    folder = scenario_dir(department, scenario)
    with scenario_lock(folder):
        try:
            status = read_status(folder)
        except DamagedRecordError:
            status = None  # no job can be running on it: a start would move it aside
        if status is not None and derive_state(status) in ACTIVE_STATES:
            raise JobActiveError(
                f"job {status.job_id} is {derive_state(status)} on {department}/{scenario}: "
                "wait for it to end or cancel it first"
            )
        yield folder


def rename_scenario(department: str, scenario: str, new_name: str) -> Path:
    """Rename within the department; refused while a job is active or if the name is taken.

    The results keep verifying: their signatures are re-issued for the new name.
    """
    from ncopt.errors import ScenarioFolderError
    from ncopt.scenario import rename_scenario_folder

    jobstore.validate_name("scenario", new_name)
    with _idle_scenario(department, scenario) as folder:
        try:
            target = rename_scenario_folder(folder, new_name)
        except ScenarioFolderError as exc:
            raise InputError(str(exc)) from None
        jobstore.resign_results(target, (department, scenario), (department, new_name))
    log.info("renamed scenario %s/%s to %s", department, scenario, new_name)
    return target


def delete_scenario(department: str, scenario: str) -> None:
    """Delete the scenario folder with its history; refused while a job is active."""
    from ncopt.scenario import delete_scenario_folder

    with _idle_scenario(department, scenario) as folder:
        delete_scenario_folder(folder)
    log.info("deleted scenario %s/%s", department, scenario)


def upload_program(
    department: str, scenario: str, name: str, data: bytes, *, replace: bool = False
) -> dict[str, Any]:
    """Save an NC program into the scenario's ``programs/``; refused while a job is active.

    An existing program of that name is replaced only with ``replace=True``, and then kept in
    ``replaced/``. Returns ``{name, replaced}`` (the kept copy's path, or None).
    """
    from ncopt.errors import ScenarioFolderError
    from ncopt.scenario import save_program

    with _idle_scenario(department, scenario) as folder:
        try:
            saved = save_program(folder, name, data, replace=replace)
        except ScenarioFolderError as exc:
            raise InputError(str(exc)) from exc
    return {"name": saved.name, "replaced": str(saved.replaced) if saved.replaced else None}


def delete_program(department: str, scenario: str, name: str) -> None:
    """Delete ``programs/<name>``; refused while a job is active (it may be reading it)."""
    from ncopt.paths import program_name_problem
    from ncopt.scenario import PROGRAMS_DIR

    problem = program_name_problem(name)
    if problem:
        raise InputError(problem)
    with _idle_scenario(department, scenario) as folder:
        try:
            (folder / PROGRAMS_DIR / name).unlink()
        except FileNotFoundError:
            raise InputError(f"no program {name!r} in {department}/{scenario}") from None
    log.info("deleted program %s of %s/%s", name, department, scenario)


def render_optimization_status(department: str, scenario: str) -> None:
    """Streamlit fragment showing the job and polling every ``$NCOPT_POLL_S`` s until terminal."""
    from ui.job_status import render_job_status  # streamlit is imported only here

    render_job_status(department, scenario)


# ----------------------------------------------------------------------------------------- CLI


def _plain_json(value: Any) -> Any:
    """JSON has no NaN or Infinity: non-finite numbers become null, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _plain_json(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _emit(payload: Any) -> None:
    print(json.dumps(_plain_json(payload), ensure_ascii=False, allow_nan=False))


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
        error = {"type": type(exc).__name__, "message": str(exc)}
        _emit({"success": False, "error": error, **base, "programs": []})
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
    while not wait_terminal(folder, started["job_id"], 3600.0):
        pass
    state = get_optimization_status(args.department, args.scenario)["state"]
    _emit({**started, "state": state})
    return 0 if state == JobState.SUCCEEDED else 1


class _UsageError(InputError):
    """A command line argparse refused."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print usage text and exit 2
        raise _UsageError(f"{self.prog}: {message}")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIME_LIMIT_S:
        raise argparse.ArgumentTypeError(
            f"must be a positive, finite number of seconds up to {MAX_TIME_LIMIT_S:g}, got {text!r}"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="processing.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    start = sub.add_parser("start", help="start an optimization in the background")
    start.add_argument("--time-limit", type=_seconds, default=None, help="soft time limit, s")
    start.add_argument("--wait", action="store_true", help="wait until the job ends")
    cancel = sub.add_parser("cancel", help="cancel a running job")
    cancel.add_argument("--finish", action="store_true", help="stop early, keep the best found")
    for cmd in (start, cancel):
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


def _run(args: argparse.Namespace) -> int:
    if args.command == "start":
        return _cli_start(args)
    if args.command == "status":
        _emit(get_optimization_status(args.department, args.scenario))
        return 0
    if args.command == "cancel":
        _emit(cancel_optimization(args.department, args.scenario, finish=args.finish, wait=True))
        return 0
    if args.command == "result":
        return _cli_result(args.department, args.scenario)
    if args.command == "token":
        return _cli_token(args)
    _emit(list_jobs())
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        return _run(_parser().parse_args(argv))
    except InputError as exc:
        return _fail(str(exc), 2)
    except JobError as exc:
        return _fail(str(exc), 1)
    except OSError as exc:  # a read-only folder, a full disk: the message, not a traceback
        return _fail(jobstore.os_error_text(exc), 1)
    except Exception as exc:
        log.exception("internal error")  # the traceback goes to stderr, the message to stdout
        return _fail(f"internal error: {type(exc).__name__}: {exc}", 1)


def _fail(message: str, code: int) -> int:
    _emit({"error": message})
    print(f"error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
