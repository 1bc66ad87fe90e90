"""A scenario folder on disk: ``<data dir>/<department>/scenario/<name>/`` (DESIGN.md §2).

Holds ``<name>.xlsx`` and ``programs/*.nc``; the job files beside them belong to ``jobstore``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ncopt.errors import ScenarioError, ScenarioFolderError
from ncopt.machine import Machine
from ncopt.scenario.schema import ProgramEntry, Settings, Tool
from ncopt.scenario.validate import check_sheets
from ncopt.scenario.workbook import read_sheets

__all__ = [
    "PROGRAMS_DIR",
    "TEMPLATE_XLSX",
    "Scenario",
    "create_scenario",
    "list_program_files",
    "load_scenario",
    "scenario_xlsx_path",
]

log = logging.getLogger(__name__)

PROGRAMS_DIR = "programs"
TEMPLATE_XLSX = Path(__file__).resolve().parent.parent / "templates" / "scenario_template.xlsx"
# The same rule as jobstore.validate_name (ncopt must not import the job layer): \w is
# Unicode-aware, so CJK names pass; no separators, no leading dot, no "..".
_NAME_RE = re.compile(r"^[\w\-.]{1,100}$")


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
    for kind, text in (("department", department), ("scenario", name)):
        if not isinstance(text, str) or not _NAME_RE.match(text) or text.startswith("."):
            raise ScenarioFolderError(f"{kind} name {text!r} is not allowed")
        if ".." in text:
            raise ScenarioFolderError(f"{kind} name {text!r} must not contain '..'")
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
