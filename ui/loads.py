"""What the pages read from files, cached by the content's digest (``st.cache_data``).

A rerun of a page re-reads nothing that did not change: a file's sha256 is remembered by
(path, size, mtime), and every load below is keyed by digests, so an edited file is a new key
and a stale entry is never served. Parsing the 24,000-hole panel for its plot, validating
its programs and unpickling its result happen once per content, not once per click.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import jobstore
import processing
from jobstore import (
    RESULT_FILE,
    NoResultError,
    history_runs,
    inputs_digest,
    load_signed_result,
    newest_history_result,
    scenario_dir,
)
from ncopt import GCodeError, Machine
from ncopt.errors import GCodeIssue, ScenarioError, ScenarioIssue
from ncopt.scenario import (
    PROGRAMS_DIR,
    Scenario,
    check_sheets,
    editor_sheets,
    list_program_files,
    load_scenario,
    read_sheets,
    scenario_xlsx_path,
    validate_sheets,
)
from ui.data import code_diff
from ui.toolpath import PathView, path_view

__all__ = [
    "Loaded",
    "code_diff_of",
    "editor_sheets_of",
    "figure_of",
    "file_digest",
    "history_result",
    "machine_of",
    "path_view_of",
    "program_files",
    "programs_key",
    "result_of",
    "scenario_of",
    "validate",
]


@dataclass(frozen=True)
class Loaded:
    """A spreadsheet as the editor shows it, or why it cannot be read."""

    digest: str
    sheets: dict[str, pd.DataFrame]
    issues: tuple[ScenarioIssue, ...] = ()  # why it cannot be read, if it cannot


def file_digest(path: Path) -> str:
    """sha256 of the file (jobstore's, remembered by path, size and mtime); "" if it cannot
    be read."""
    try:
        return jobstore.file_digest(path)
    except OSError:
        return ""


def editor_sheets_of(xlsx: Path) -> Loaded:
    return _editor_sheets(file_digest(xlsx), str(xlsx))


@st.cache_data(max_entries=64, show_spinner=False)
def _editor_sheets(digest: str, xlsx: str) -> Loaded:
    try:
        return Loaded(digest, editor_sheets(read_sheets(xlsx)))
    except ScenarioError as exc:
        # Issues, not the exception: cached values are pickled, and an exception with its own
        # __init__ does not come back from a pickle whole.
        return Loaded(digest, {}, tuple(exc.issues))


def program_files(folder: Path) -> list[str]:
    return list_program_files(folder)


def programs_key(folder: Path) -> str:
    """One digest over the names and contents of the files in ``programs/``."""
    outer = hashlib.sha256()
    for name in list_program_files(folder):
        outer.update(f"{name}\0{file_digest(folder / PROGRAMS_DIR / name)}\n".encode())
    return outer.hexdigest()


def validate(sheets: dict[str, pd.DataFrame], folder: Path) -> list[ScenarioIssue]:
    """Every problem of ``sheets`` against the scenario's programs (cached by both)."""
    return _validate(sheets, programs_key(folder), str(folder / PROGRAMS_DIR))


@st.cache_data(max_entries=64, show_spinner=False)
def _validate(
    sheets: dict[str, pd.DataFrame], programs_key: str, programs_dir: str
) -> list[ScenarioIssue]:
    del programs_key  # part of the cache key only: the files' contents
    return validate_sheets(sheets, programs_dir)


def machine_of(folder: Path) -> Machine:
    """The scenario's machine; the defaults while its sheet has problems (shown elsewhere)."""
    return _machine(str(scenario_xlsx_path(folder)), file_digest(scenario_xlsx_path(folder)))


@st.cache_data(max_entries=64, show_spinner=False)
def _machine(xlsx: str, digest: str) -> Machine:
    del digest  # the cache key
    try:
        machine = check_sheets(read_sheets(xlsx)).machine
    except ScenarioError:
        machine = None
    return machine or Machine()


def scenario_of(folder: Path) -> Scenario | tuple[ScenarioIssue, ...]:
    """The loaded scenario, or every issue that keeps it from loading."""
    return _scenario(str(folder), inputs_digest(folder))


@st.cache_data(max_entries=64, show_spinner=False)
def _scenario(folder: str, digest: str) -> Scenario | tuple[ScenarioIssue, ...]:
    del digest  # the cache key: the spreadsheet's and the programs' contents
    try:
        return load_scenario(folder)
    except ScenarioError as exc:
        return tuple(exc.issues)


def path_view_of(
    text: str | bytes, machine: Machine
) -> tuple[PathView | None, list[GCodeIssue], str]:
    """The plot data of a program or its parse problems, and the digest that names them
    (cached by the program's content and the machine)."""
    raw = text.encode() if isinstance(text, str) else bytes(text)
    items = tuple(sorted(machine.to_mapping().items()))
    digest = hashlib.sha256(raw + repr(items).encode()).hexdigest()
    view, issues = _path_view(digest, items, raw)
    return view, issues, digest


@st.cache_data(max_entries=32, show_spinner=False)
def _path_view(
    digest: str, machine_items: tuple, _raw: bytes
) -> tuple[PathView | None, list[GCodeIssue]]:
    del digest  # the cache key; _raw (underscore) is not hashed again
    try:
        return path_view(_raw, Machine.from_mapping(dict(machine_items))), []
    except GCodeError as exc:
        return None, list(exc.issues)


def figure_of(view_digest: str, view: PathView, labels: dict[str, str]):
    """The plotly figure of a path view, built once per program and language.

    ``cache_resource``, not ``cache_data``: a Figure is slow to pickle and to rebuild, and
    ``st.plotly_chart`` only reads it (it serialises a copy).
    """
    return _figure(view_digest, tuple(sorted(labels.items())), view)


@st.cache_resource(max_entries=16, show_spinner=False)
def _figure(view_digest: str, labels: tuple, _view: PathView):
    from ui.plots import toolpath_figure

    return toolpath_figure(_view, dict(labels))


def result_of(department: str, scenario: str) -> dict[str, Any]:
    """``processing.load_optimization_result``, unpickled once per result file."""
    folder = scenario_dir(department, scenario)
    # The file processing.load_optimization_result will read: this run's, else the newest
    # earlier run's.
    run = None if (folder / RESULT_FILE).exists() else newest_history_result(folder)
    key = file_digest((run.path if run is not None else folder) / RESULT_FILE)
    result = dict(_result(department, scenario, key))
    # Not cached: the scenario may change while the result stays.
    result["outdated"] = result.get("config_hash") != inputs_digest(folder)
    return result


@st.cache_data(max_entries=8, show_spinner=False)
def _result(department: str, scenario: str, key: str) -> dict[str, Any]:
    del key  # the result file's digest: a new run is a new entry
    return processing.load_optimization_result(department, scenario)


def code_diff_of(old: str, new: str, name: str) -> str:
    """The unified diff, computed once per pair of texts (difflib is slow on big programs)."""
    digest = hashlib.sha256(old.encode() + b"\0" + new.encode()).hexdigest()
    return _code_diff(digest, name, old, new)


@st.cache_data(max_entries=16, show_spinner=False)
def _code_diff(digest: str, name: str, _old: str, _new: str) -> str:
    del digest  # the cache key; the texts (underscore) are not hashed again
    return code_diff(_old, _new, name)


def history_result(department: str, scenario: str, job_id: str) -> dict[str, Any]:
    """The signed result of an earlier run (``history/<job_id>/``), verified for this
    scenario and job; ``NoResultError`` if that run left none."""
    folder = scenario_dir(department, scenario)
    run = next((r for r in history_runs(folder) if r.job_id == job_id and r.has_result), None)
    if run is None:
        raise NoResultError(f"job {job_id} left no result")
    return _history(
        department, scenario, job_id, str(run.path), file_digest(run.path / RESULT_FILE)
    )


@st.cache_data(max_entries=8, show_spinner=False)
def _history(department: str, scenario: str, job_id: str, path: str, key: str) -> dict[str, Any]:
    del key  # the result file's digest
    return load_signed_result(Path(path), department, scenario, job_id)
