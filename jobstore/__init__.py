"""The job files of a scenario folder: the one package that reads and writes them (DESIGN.md §2-3).

``processing`` (the public API) and the supervisor in ``run_optimization_async`` both go through
here, so the formats live in one place: ``records`` (typed config, status, failure), ``status``
(the status file and its liveness rules, the control file), ``results`` (signed results),
``history`` (earlier runs, the inputs digest, the log), ``slots`` (the host slot queue) and
``files`` (names, atomic writes, locks). Standard library and psutil only: the supervisor
imports this at start and its start-up time is the job's start latency.
"""

from __future__ import annotations

from pathlib import Path

from jobstore.errors import DamagedRecordError, InputError, JobError, NoResultError, ResultError
from jobstore.files import (
    CONFIG_FILE,
    CONTROL_FILE,
    HISTORY_DIR,
    HOST,
    LOCK_FILE,
    LOG_FILE,
    RESERVE_FILE,
    RESULT_FILE,
    RUN_FILES,
    SIG_FILE,
    STATUS_FILE,
    STATUS_LOCK_FILE,
    SpaceReserve,
    env_float,
    flocked,
    os_error_text,
    read_json,
    scenario_lock,
    write_bytes_atomic,
    write_json_atomic,
)
from jobstore.history import (
    HistoryRun,
    archive_previous_run,
    cap_log,
    file_digest,
    history_runs,
    inputs_digest,
    log_tail,
    newest_history_result,
)
from jobstore.records import (
    ACTIVE_STATES,
    MAX_TIME_LIMIT_S,
    SCHEMA,
    TERMINAL_STATES,
    JobConfig,
    JobFailure,
    JobState,
    JobStatus,
    Limits,
    Progress,
    parse_utc,
    utc_now,
)
from jobstore.results import (
    JobResult,
    ResultSignature,
    ensure_key_readable,
    key_path,
    load_signed_result,
    publish_result,
    resign_results,
)
from jobstore.slots import SlotQueue
from jobstore.status import (
    derive_state,
    finish_on_behalf,
    read_config,
    read_control,
    read_status,
    update_status,
    write_config,
    write_control,
    write_status,
)
from ncopt.errors import ScenarioFolderError
from ncopt.paths import data_dir, name_problem, scenario_folder

__all__ = [
    "ACTIVE_STATES",
    "CONFIG_FILE",
    "CONTROL_FILE",
    "HISTORY_DIR",
    "HOST",
    "LOCK_FILE",
    "LOG_FILE",
    "MAX_TIME_LIMIT_S",
    "RESERVE_FILE",
    "RESULT_FILE",
    "RUN_FILES",
    "SCHEMA",
    "SIG_FILE",
    "STATUS_FILE",
    "STATUS_LOCK_FILE",
    "TERMINAL_STATES",
    "DamagedRecordError",
    "HistoryRun",
    "InputError",
    "JobConfig",
    "JobError",
    "JobFailure",
    "JobResult",
    "JobState",
    "JobStatus",
    "Limits",
    "NoResultError",
    "Progress",
    "ResultError",
    "ResultSignature",
    "SlotQueue",
    "SpaceReserve",
    "archive_previous_run",
    "cap_log",
    "data_dir",
    "derive_state",
    "ensure_key_readable",
    "env_float",
    "file_digest",
    "finish_on_behalf",
    "flocked",
    "history_runs",
    "inputs_digest",
    "key_path",
    "load_signed_result",
    "log_tail",
    "name_problem",
    "newest_history_result",
    "os_error_text",
    "parse_utc",
    "publish_result",
    "read_config",
    "read_control",
    "read_json",
    "read_status",
    "resign_results",
    "scenario_dir",
    "scenario_lock",
    "update_status",
    "utc_now",
    "validate_name",
    "write_bytes_atomic",
    "write_config",
    "write_control",
    "write_json_atomic",
    "write_status",
]


def validate_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a safe department/scenario name, else raise ``InputError``."""
    problem = name_problem(kind, name)
    if problem:
        raise InputError(problem)
    return name


def scenario_dir(department: str, scenario: str, *, must_exist: bool = True) -> Path:
    """The resolved scenario folder, checked to stay inside the data dir (``InputError``)."""
    try:
        return scenario_folder(department, scenario, must_exist=must_exist)
    except ScenarioFolderError as exc:
        raise InputError(str(exc)) from None
