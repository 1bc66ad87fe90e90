"""Checking a scenario's sheets: every problem, with its sheet, Excel row and column header.

``check_sheets`` parses and validates in one pass and returns both the typed values and the
issues, so ``load_scenario`` and the UI's live validation cannot disagree. Rows are Excel
rows: the DataFrame's row ``i`` is row ``i + 2`` (row 1 is the header), see ``workbook``.

>>> program_tools("T1 M6 (T9 IN A COMMENT)\\nT02 ; T7 after a semicolon\\n(T8 UNCLOSED\\nT3")
[1, 2, 3]
>>> parse_cell(ColumnKind.BOOL, "yes")
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from ncopt.dotnet_post import PostProcessorError, PostSpec
from ncopt.errors import MachineConfigError, ScenarioIssue
from ncopt.machine import MACHINE_KEYS, MACHINE_UNITS, Machine
from ncopt.scenario.schema import (
    EXTRA_SETTING_KEYS,
    MACHINE_RANGES,
    SETTING_KEYS,
    SETTING_RANGES,
    SHEETS,
    ColumnKind,
    ColumnSpec,
    ProgramEntry,
    Settings,
    SheetName,
    SheetSpec,
    Tool,
    ToolType,
    webhook_urls,
)
from ncopt.scenario.workbook import UncomputedFormula

__all__ = ["Checked", "check_sheets", "parse_cell", "program_tools", "validate_sheets"]

_TRUE = {"true", "yes", "y", "1", "on", "x", "是"}
_FALSE = {"false", "no", "n", "0", "off", "否"}
# Fanuc comments end at the line's end even if the ")" is missing.
_COMMENT_RE = re.compile(r"\([^)\n]*\)?|;.*")
_TOOL_RE = re.compile(r"T\s*(\d+)")
_SETTING_KINDS = {"float": ColumnKind.FLOAT, "bool": ColumnKind.BOOL, "int": ColumnKind.INT}
_OPTIONAL_TOOL_FIELDS = (
    "corner_radius_mm",
    "flutes",
    "length_offset",
    "diameter_offset",
    "pitch_mm",
)
_MAX_INT = 2**31 - 1  # fits the editor's Int64 and any controller's T, H and D numbers
_MAX_FILE_NAME_BYTES = 255  # NAME_MAX of Linux file systems

Row = tuple[int, dict[str, Any]]  # (Excel row, parsed cells of the row)


@dataclass(frozen=True)
class Checked:
    """The typed content of the sheets and every issue; values are None/() where unusable."""

    issues: tuple[ScenarioIssue, ...]
    machine: Machine | None
    tools: tuple[Tool, ...]
    programs: tuple[ProgramEntry, ...]
    settings: Settings | None


def validate_sheets(
    sheets: Mapping[str, pd.DataFrame], programs_dir: Path | str | None = None
) -> list[ScenarioIssue]:
    """Every problem of ``sheets``; ``programs_dir`` also checks that the files exist."""
    return list(check_sheets(sheets, programs_dir).issues)


def check_sheets(
    sheets: Mapping[str, pd.DataFrame], programs_dir: Path | str | None = None
) -> Checked:
    issues: list[ScenarioIssue] = []
    rows: dict[str, list[Row] | None] = {}
    for spec in SHEETS:
        rows[spec.name] = _sheet_rows(spec, sheets.get(spec.name), issues)
    machine = _machine(rows[SheetName.MACHINE], issues)
    tools = _tools(rows[SheetName.TOOLS], issues)
    # A tool row with a bad cell still names its T number: no second issue for its programs.
    tool_rows = rows[SheetName.TOOLS]
    known_tools = None if tool_rows is None else {c["tool"] for _, c in tool_rows} - {None}
    folder = Path(programs_dir) if programs_dir is not None else None
    programs = _programs(rows[SheetName.PROGRAMS], folder, known_tools, issues)
    settings = _settings(rows[SheetName.SETTINGS], issues)
    return Checked(tuple(issues), machine, tools, programs, settings)


# ------------------------------------------------------------------------------ cells and rows


def parse_cell(kind: ColumnKind, value: Any) -> Any:
    """The cell as ``kind``; raises ``ValueError`` with a message for the user."""
    if kind in (ColumnKind.ANY, ColumnKind.TEXT):
        if kind is ColumnKind.TEXT and isinstance(value, float) and value.is_integer():
            return str(int(value))  # a file or tool name Excel stored as a number
        return value if kind is ColumnKind.ANY else str(value).strip()
    if kind is ColumnKind.BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"must be TRUE or FALSE, got {value!r}")
    number = _number(value)
    if kind is ColumnKind.INT:
        if not number.is_integer():
            raise ValueError(f"must be a whole number, got {value!r}")
        if abs(number) > _MAX_INT:
            raise ValueError(f"must be at most {_MAX_INT}, got {value!r}")
        return int(number)
    return number


def _number(value: Any) -> float:
    if not isinstance(value, bool):
        try:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isfinite(number):
            return number
    raise ValueError(f"must be a number, got {value!r}")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _sheet_rows(
    spec: SheetSpec, frame: pd.DataFrame | None, issues: list[ScenarioIssue]
) -> list[Row] | None:
    """Parsed non-blank rows of one sheet, or None when the sheet or a required column is gone."""
    sheet = spec.name.value
    if frame is None:
        issues.append(ScenarioIssue(sheet, None, None, f"missing sheet {sheet!r}"))
        return None
    missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
    for name in missing:
        issues.append(ScenarioIssue(sheet, 1, name, f"missing column {name!r}"))
    if missing:
        return None
    present = [c for c in spec.columns if c.name in frame.columns]
    out: list[Row] = []
    headers = [str(c) for c in frame.columns]
    records = (dict(zip(headers, r, strict=True)) for r in frame.to_numpy(object).tolist())
    for position, record in enumerate(records):
        if all(_missing(v) for v in record.values()):
            continue  # blank rows are allowed, e.g. to group tools
        excel_row = position + 2
        out.append((excel_row, _row_cells(sheet, excel_row, present, record, issues)))
    return out


def _row_cells(
    sheet: str, row: int, columns: list[ColumnSpec], record: dict, issues: list[ScenarioIssue]
) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for column in columns:
        raw = record.get(column.name)
        if isinstance(raw, UncomputedFormula):
            message = (
                f"formula without a value ({raw}): it was never computed; open and save the "
                "file in Excel, or type the value"
            )
            issues.append(ScenarioIssue(sheet, row, column.name, message))
            cells[column.name] = None
            continue
        if _missing(raw):
            if column.required:
                issues.append(ScenarioIssue(sheet, row, column.name, "must not be empty"))
            cells[column.name] = None
            continue
        try:
            value = parse_cell(column.kind, raw)
            _check_bounds(column, value)
        except ValueError as exc:
            issues.append(ScenarioIssue(sheet, row, column.name, str(exc)))
            value = None
        cells[column.name] = value
    return cells


def _check_bounds(column: ColumnSpec, value: Any) -> None:
    if column.positive and value <= 0:
        raise ValueError(f"must be greater than 0, got {value}")
    if column.minimum is not None and value < column.minimum:
        raise ValueError(f"must be at least {column.minimum:g}, got {value}")
    if column.maximum is not None and value > column.maximum:
        raise ValueError(f"must be at most {column.maximum:g}, got {value:g}")


def _key_rows(
    sheet: str, rows: list[Row], known: tuple[str, ...], issues: list[ScenarioIssue]
) -> dict[str, Row]:
    """Rows of a key/value sheet by key: unknown and repeated keys are issues."""
    by_key: dict[str, Row] = {}
    for row, cells in rows:
        if cells.get("key") is None:
            continue
        key = cells["key"].lower()
        if key not in known:
            message = f"unknown {sheet} key {key!r}; known keys: {', '.join(known)}"
            issues.append(ScenarioIssue(sheet, row, "key", message))
        elif key in by_key:
            message = f"{key!r} is already set in row {by_key[key][0]}"
            issues.append(ScenarioIssue(sheet, row, "key", message))
        else:
            by_key[key] = (row, cells)
    return by_key


# ------------------------------------------------------------------------------------ sheets


def _machine(rows: list[Row] | None, issues: list[ScenarioIssue]) -> Machine | None:
    if rows is None:
        return None
    sheet = SheetName.MACHINE.value
    before = len(issues)
    by_key = _key_rows(sheet, rows, MACHINE_KEYS, issues)
    values: dict[str, Any] = {}
    for key, (row, cells) in by_key.items():
        unit = cells.get("unit")
        expected = MACHINE_UNITS.get(key, "")
        # Only physical units are checked: 36 in an "m/min" row would be read as 36 mm/min.
        named = key in ("decimal_point_mode", "controller")
        if unit and not named and expected and _unit(unit) != _unit(expected):
            message = f"{key} is in {MACHINE_UNITS[key]}, not {unit!r}"
            issues.append(ScenarioIssue(sheet, row, "unit", message))
        value = cells.get("value")
        problem = _machine_value_problem(key, value)
        if problem:
            issues.append(ScenarioIssue(sheet, row, "value", problem))
        elif value is not None:
            values[key] = value
    try:
        machine = Machine.from_mapping(values)
    except MachineConfigError as exc:
        for key, message in exc.problems.items():
            issues.append(ScenarioIssue(sheet, by_key.get(key, (None,))[0], "value", message))
        return None
    return machine if len(issues) == before else None


def _machine_value_problem(key: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return f"must be a number, got {value}"
    limits = MACHINE_RANGES.get(key)
    if limits is None or value is None:
        return None
    try:
        number = _number(value)
    except ValueError as exc:
        return str(exc)
    return limits.problem(number)


def _unit(text: str) -> str:
    return "".join(text.lower().split()).replace("^2", "2").replace("²", "2")


def _tools(rows: list[Row] | None, issues: list[ScenarioIssue]) -> tuple[Tool, ...]:
    sheet = SheetName.TOOLS.value
    tools: dict[int, Tool] = {}
    first_row: dict[int, int] = {}
    for row, cells in rows or ():
        number = cells["tool"]
        if number is None:
            continue
        if number in first_row:
            message = f"T{number} is already defined in row {first_row[number]}"
            issues.append(ScenarioIssue(sheet, row, "tool", message))
            continue
        first_row[number] = row
        tool = _tool(row, cells, issues)
        if tool is not None:
            tools[number] = tool
    return tuple(tools.values())


def _tool(row: int, cells: dict[str, Any], issues: list[ScenarioIssue]) -> Tool | None:
    sheet = SheetName.TOOLS.value
    bad = len(issues)
    kind = None
    if cells["type"] is not None:
        try:
            kind = ToolType(cells["type"].lower())
        except ValueError:
            known = ", ".join(t.value for t in ToolType)
            message = f"unknown tool type {cells['type']!r}; known: {known}"
            issues.append(ScenarioIssue(sheet, row, "type", message))
    radius, diameter = cells.get("corner_radius_mm"), cells["diameter_mm"]
    if radius is not None and diameter is not None and radius > diameter / 2:
        message = f"corner radius {radius:g} is more than half the diameter {diameter:g}"
        issues.append(ScenarioIssue(sheet, row, "corner_radius_mm", message))
    if len(issues) != bad or kind is None or cells["name"] is None or diameter is None:
        return None
    optional = {name: cells.get(name) for name in _OPTIONAL_TOOL_FIELDS}
    return Tool(cells["tool"], cells["name"], kind, diameter, **optional, notes=_text(cells))


def _text(cells: dict[str, Any]) -> str:
    notes = cells.get("notes")
    return "" if notes is None else str(notes)


def _programs(
    rows: list[Row] | None,
    folder: Path | None,
    known_tools: set[int] | None,
    issues: list[ScenarioIssue],
) -> tuple[ProgramEntry, ...]:
    sheet = SheetName.PROGRAMS.value
    entries: list[ProgramEntry] = []
    first_row: dict[str, int] = {}
    for row, cells in rows or ():
        name = cells["file"]
        if name is None:
            continue
        problem = _file_problem(name, folder, known_tools)
        if name.casefold() in first_row:
            problem = f"{name!r} is already listed in row {first_row[name.casefold()]}"
        first_row.setdefault(name.casefold(), row)
        if problem:
            issues.append(ScenarioIssue(sheet, row, "file", problem))
        elif cells["enabled"] is not None and cells["quantity_per_year"] is not None:
            entries.append(
                ProgramEntry(name, cells["enabled"], cells["quantity_per_year"], _text(cells))
            )
    return tuple(entries)


def _file_problem(name: str, folder: Path | None, known_tools: set[int] | None) -> str | None:
    if Path(name).name != name or "\\" in name or name.startswith(".") or "\0" in name:
        return f"{name!r} must be a plain file name inside programs/ (no folders, no leading '.')"
    if len(name.encode()) > _MAX_FILE_NAME_BYTES:
        return f"file name is longer than {_MAX_FILE_NAME_BYTES} bytes"
    if folder is None:
        return None
    path = folder / name
    try:
        if not path.is_file():
            return f"no file {name!r} in programs/"
        text = path.read_text(errors="replace") if known_tools is not None else ""
    except OSError as exc:
        return f"{name!r} cannot be read: {exc.strerror}"
    if known_tools is None:
        return None
    unknown = [t for t in program_tools(text) if t not in known_tools]
    if unknown:
        listed = ", ".join(f"T{t}" for t in unknown)
        return f"{name} uses {listed}, not in the tools sheet"
    return None


def program_tools(nc_text: str) -> list[int]:
    """Tool numbers a program selects (``T`` words outside comments), ascending; T0 ignored."""
    code = _COMMENT_RE.sub("", nc_text.upper())
    return sorted({int(m.group(1)) for m in _TOOL_RE.finditer(code)} - {0})


def _settings(rows: list[Row] | None, issues: list[ScenarioIssue]) -> Settings | None:
    if rows is None:
        return None
    sheet = SheetName.SETTINGS.value
    before = len(issues)
    types = {f.name: str(f.type) for f in fields(Settings)}
    values: dict[str, Any] = {}
    known = SETTING_KEYS + EXTRA_SETTING_KEYS
    for key, (row, cells) in _key_rows(sheet, rows, known, issues).items():
        if cells.get("value") is None:
            continue
        try:
            if key in EXTRA_SETTING_KEYS:
                webhook_urls(cells["value"])  # checked here, read by whoever uses it
                continue
            values[key] = _setting(key, types[key], cells["value"])
        except ValueError as exc:
            issues.append(ScenarioIssue(sheet, row, "value", str(exc)))
    return Settings(**values) if len(issues) == before else None


def _setting(key: str, type_name: str, raw: Any) -> Any:
    if type_name == "str":
        return _post(str(raw).strip()) if key == "post" else str(raw).strip()
    value = parse_cell(_SETTING_KINDS[type_name], raw)
    limits = SETTING_RANGES.get(key)
    problem = limits.problem(value) if limits is not None else None
    if problem:
        raise ValueError(problem)
    return value


def _post(text: str) -> str:
    if text.lower() == "fanuc":
        return "fanuc"
    try:
        spec = PostSpec.parse(text)
    except PostProcessorError as exc:
        raise ValueError(str(exc)) from None
    if spec is None:
        raise ValueError(f"unknown post {text!r}: use fanuc or dotnet:<dll>:<Namespace.Class>")
    return text
