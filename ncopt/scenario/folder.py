"""A scenario folder on disk: ``<data dir>/<department>/scenario/<name>/`` (DESIGN.md §2).

Holds ``<name>.xlsx`` and ``programs/*.nc``; the job files beside them belong to ``jobstore``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ncopt.errors import ScenarioError, ScenarioFolderError
from ncopt.machine import Machine
from ncopt.paths import program_name_problem, validate_name, write_bytes_atomic
from ncopt.scenario.schema import ProgramEntry, Settings, Tool
from ncopt.scenario.validate import check_sheets
from ncopt.scenario.workbook import read_sheets

__all__ = [
    "MAX_PROGRAM_BYTES",
    "PROGRAMS_DIR",
    "REPLACED_DIR",
    "TEMPLATE_XLSX",
    "ProgramExistsError",
    "SavedProgram",
    "Scenario",
    "create_scenario",
    "delete_scenario_folder",
    "list_program_files",
    "load_scenario",
    "rename_scenario_folder",
    "save_program",
    "scenario_xlsx_path",
]

log = logging.getLogger(__name__)

PROGRAMS_DIR = "programs"
# Programs an upload replaced, kept beside programs/ (not in it: they are not inputs).
REPLACED_DIR = "replaced"
MAX_PROGRAM_BYTES = 20 * 2**20
TEMPLATE_XLSX = Path(__file__).resolve().parent.parent / "templates" / "scenario_template.xlsx"


class ProgramExistsError(ScenarioFolderError):
    """An upload would overwrite a program of the same name and was not told to."""


@dataclass(frozen=True)
class Scenario:
    """A loaded, valid scenario: everything the optimizer needs, nothing it may change."""

    name: str
    department: str
    folder: Path
    machine: Machine
    tools: tuple[Tool, ...]
    programs: tuple[ProgramEntry, ...]
    settings: Settings

    def tool(self, number: int) -> Tool | None:
        return next((t for t in self.tools if t.number == number), None)

    @property
    def enabled_programs(self) -> tuple[ProgramEntry, ...]:
        return tuple(p for p in self.programs if p.enabled)

    def program_path(self, entry: ProgramEntry | str) -> Path:
        name = entry.file if isinstance(entry, ProgramEntry) else entry
        return self.folder / PROGRAMS_DIR / name


def scenario_xlsx_path(folder: Path | str) -> Path:
    """``<folder>/<folder name>.xlsx``.

    >>> scenario_xlsx_path("/data/demo/scenario/pcb-drill").name
    'pcb-drill.xlsx'
    """
    folder = Path(folder)
    return folder / f"{folder.name}.xlsx"


def list_program_files(folder: Path | str) -> list[str]:
    """Names of the regular, non-hidden files in ``<folder>/programs``, sorted."""
    programs = Path(folder) / PROGRAMS_DIR
    if not programs.is_dir():
        return []
    return sorted(p.name for p in programs.iterdir() if p.is_file() and not p.name.startswith("."))


def load_scenario(folder: Path | str) -> Scenario:
    """Read, validate and type the scenario in ``folder``; ``ScenarioError`` lists every issue."""
    folder = Path(folder)
    checked = check_sheets(read_sheets(scenario_xlsx_path(folder)), folder / PROGRAMS_DIR)
    if checked.issues:
        raise ScenarioError(list(checked.issues))
    # No issues means every sheet parsed, so none of these is None.
    assert checked.machine is not None and checked.settings is not None
    department = folder.parent.parent.name if folder.parent.name == "scenario" else ""
    return Scenario(
        name=folder.name,
        department=department,
        folder=folder,
        machine=checked.machine,
        tools=checked.tools,
        programs=checked.programs,
        settings=checked.settings,
    )


def create_scenario(
    data_dir: Path | str, department: str, name: str, template: Path | str | None = None
) -> Path:
    """Create ``<data_dir>/<department>/scenario/<name>/`` and return it.

    ``template`` is None (the blank template: default machine and settings), another scenario
    folder (its spreadsheet and programs are copied: "duplicate") or an ``.xlsx`` file. The
    folder appears whole or not at all: it is built beside its final place and renamed.
    """
    root = Path(data_dir).resolve()
    validate_name("department", department)
    validate_name("scenario", name)
    parent = root / department / "scenario"
    target = parent / name
    if target.exists():
        raise ScenarioFolderError(f"scenario {department}/{name} already exists")
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".new", dir=parent))
    try:
        _fill_from_template(staging, name, template)
        os.rename(staging, target)  # fails if a concurrent create won the race
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if target.exists():
            raise ScenarioFolderError(f"scenario {department}/{name} already exists") from exc
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("created scenario %s/%s", department, name)
    return target


def _fill_from_template(staging: Path, name: str, template: Path | str | None) -> None:
    (staging / PROGRAMS_DIR).mkdir()
    source = TEMPLATE_XLSX if template is None else Path(template)
    if source.is_dir():
        xlsx = scenario_xlsx_path(source)
        for program in list_program_files(source):
            shutil.copy2(source / PROGRAMS_DIR / program, staging / PROGRAMS_DIR / program)
    else:
        xlsx = source
    if not xlsx.is_file():
        raise ScenarioFolderError(f"template {xlsx} does not exist")
    shutil.copyfile(xlsx, staging / f"{name}.xlsx")


def rename_scenario_folder(folder: Path, new_name: str) -> Path:
    """Rename the scenario folder and its spreadsheet; the caller holds the scenario lock."""
    validate_name("scenario", new_name)
    target = folder.parent / new_name
    if target.exists():
        raise ScenarioFolderError(f"scenario {folder.parent.parent.name}/{new_name} already exists")
    old_xlsx = scenario_xlsx_path(folder)
    # The spreadsheet is named after its folder: rename it first, so a failure of the folder's
    # rename can be undone and nothing is left half renamed.
    if old_xlsx.exists():
        os.rename(old_xlsx, folder / f"{new_name}.xlsx")
    try:
        os.rename(folder, target)
    except OSError:
        if (folder / f"{new_name}.xlsx").exists():
            os.rename(folder / f"{new_name}.xlsx", old_xlsx)
        raise
    return target


def delete_scenario_folder(folder: Path) -> None:
    """Delete the scenario folder: first moved aside (hidden, at once), then removed, so no
    reader ever sees half a scenario."""
    trash = folder.with_name(f".{folder.name}.deleted-{secrets.token_hex(4)}")
    os.rename(folder, trash)
    shutil.rmtree(trash)
    log.info("deleted scenario folder %s", folder)


@dataclass(frozen=True)
class SavedProgram:
    name: str
    replaced: Path | None  # where the program it replaced is kept, if it replaced one


def save_program(folder: Path, name: str, data: bytes, *, replace: bool = False) -> SavedProgram:
    """Write ``programs/<name>``. An existing program is replaced only with ``replace=True``,
    and then kept as ``replaced/<UTC time>-<name>`` first: an upload never loses a program."""
    problem = program_name_problem(name)
    if problem:
        raise ScenarioFolderError(problem)
    if len(data) > MAX_PROGRAM_BYTES:
        raise ScenarioFolderError(f"{name} is over the {MAX_PROGRAM_BYTES // 2**20} MB limit")
    programs = folder / PROGRAMS_DIR
    programs.mkdir(exist_ok=True)
    same = [p for p in list_program_files(folder) if p.casefold() == name.casefold()]
    if same and not replace:
        raise ProgramExistsError(f"programs/{same[0]} exists already; replace it to upload {name}")
    kept = None
    if same:
        (folder / REPLACED_DIR).mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        kept = folder / REPLACED_DIR / f"{stamp}-{same[0]}"
        shutil.copy2(programs / same[0], kept)
        if same[0] != name:  # MOLD-A.NC replaces mold-a.nc: one program, not two
            (programs / same[0]).unlink()
    write_bytes_atomic(programs / name, data)
    log.info("saved program %s in %s%s", name, folder, f" (old one kept in {kept})" if kept else "")
    return SavedProgram(name, kept)
