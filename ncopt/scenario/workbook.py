"""Reading and writing a scenario's ``.xlsx`` (openpyxl), atomically.

Row numbers are the contract with the user: a sheet's DataFrame row ``i`` is Excel row
``i + 2`` (row 1 holds the headers). To keep that true on read, blank rows in the middle of
a sheet stay as all-empty rows; only trailing blank rows are dropped. ``write_sheets`` writes
rows consecutively, so after a save the two agree by construction.
"""

from __future__ import annotations

import io
import logging
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ncopt.errors import ScenarioError, ScenarioIssue
from ncopt.paths import write_bytes_atomic
from ncopt.scenario.schema import SHEETS, SheetName

__all__ = [
    "MAX_CELLS",
    "MAX_UNPACKED_BYTES",
    "MAX_XLSX_BYTES",
    "WORKBOOK",
    "UncomputedFormula",
    "header_key",
    "read_sheets",
    "typed_text",
    "write_bytes_atomic",
    "write_sheets",
]

log = logging.getLogger(__name__)

# ScenarioIssue.sheet for problems with the file as a whole (not readable, not a workbook).
WORKBOOK = "(workbook)"
# A scenario workbook is a few kB; caps keep a wrong upload or a zip bomb (150 kB that unpack
# to 1 GB of XML) from eating the server's memory and time on every page render.
MAX_XLSX_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 40 * 2**20
MAX_CELLS = 200_000
MAX_GRID_CELLS = 2_000_000
_KNOWN_HEADERS = {c.name for s in SHEETS for c in s.columns}
_SHEET_NAMES = {s.name.value for s in SHEETS}
# The value column of a key/value sheet is text in a table editor; Excel users expect numbers.
_TYPED_TEXT_COLUMNS = {(SheetName.MACHINE.value, "value"), (SheetName.SETTINGS.value, "value")}
_MAX_COLUMN_WIDTH = 60


def header_key(text: Any) -> str:
    """A header as the validator looks it up: known names match loosely, others stay as typed.

    >>> header_key(" Quantity per Year ")
    'quantity_per_year'
    >>> header_key("Holder")
    'Holder'
    """
    raw = "" if text is None else str(text).strip()
    loose = "_".join(raw.lower().split())
    return loose if loose in _KNOWN_HEADERS else raw


def read_sheets(xlsx_path: Path | str) -> dict[str, pd.DataFrame]:
    """Every sheet of the workbook as a DataFrame (headers from row 1), in workbook order.

    A file that is missing or not an ``.xlsx`` workbook raises ``ScenarioError``; what the
    sheets contain is ``validate_sheets``' business.
    """
    path = Path(xlsx_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(_issue(f"the spreadsheet {path.name} does not exist")) from None
    except OSError as exc:
        raise ScenarioError(_issue(f"{path.name} cannot be read: {exc.strerror}")) from exc
    if not data:
        raise ScenarioError(_issue(f"{path.name} is empty (0 bytes), not an .xlsx workbook"))
    if len(data) > MAX_XLSX_BYTES:
        message = f"{path.name} is larger than {MAX_XLSX_BYTES // 2**20} MB; is it the right file?"
        raise ScenarioError(_issue(message))
    has_formulas = _inspect(data, path.name)
    values = _load(data, path.name, data_only=True)
    formulas = _load(data, path.name, data_only=False) if has_formulas else None
    try:
        sheets: dict[str, pd.DataFrame] = {}
        # .worksheets, not the workbook itself: that also yields chart sheets, which have no cells
        for ws in values.worksheets:
            _check_grid(ws, path.name)
            rows = list(ws.iter_rows(values_only=True))
            if formulas is not None:
                rows = _mark_uncomputed(rows, formulas[ws.title])
            sheets[_sheet_name(ws.title, sheets)] = _frame(rows)
        return sheets
    finally:
        values.close()
        if formulas is not None:
            formulas.close()


@dataclass(frozen=True)
class UncomputedFormula:
    """A cell holding a formula Excel never computed (a file written by another program):
    there is no value to read, and validation says so instead of "must not be empty"."""

    formula: str

    def __str__(self) -> str:
        return self.formula


def _inspect(data: bytes, name: str) -> bool:
    """Refuse a zip bomb before any XML is parsed; returns whether a sheet holds formulas.

    The sizes a zip declares bound what can be read from it (zipfile stops there), so the sum
    of them caps the work; the cells are counted in the sheets' XML as it streams by.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                mb = MAX_UNPACKED_BYTES // 2**20
                message = f"{name} unpacks to {unpacked / 2**20:.0f} MB, more than {mb} MB"
                raise ScenarioError(_issue(f"{message}; is it the right file?"))
            cells, formulas = 0, False
            for info in archive.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    more, has_formula = _count_tags(archive, info, MAX_CELLS - cells)
                    cells, formulas = cells + more, formulas or has_formula
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        log.info("%s is not a readable zip: %r", name, exc)
        raise ScenarioError(_issue(f"{name} is not a readable .xlsx workbook")) from exc
    if cells > MAX_CELLS:
        message = f"{name} has more than {MAX_CELLS:,} cells; a scenario has a few hundred"
        raise ScenarioError(_issue(message))
    return formulas


_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")
_OVERLAP = 32  # longer than any tag the patterns match, so none is missed at a chunk border


def _count_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> tuple[int, bool]:
    """Cells in one sheet's XML (stopping past ``limit``), and whether it has a formula."""
    cells, formulas, tail = 0, False, b""
    with archive.open(info) as fh:
        while cells <= limit and (chunk := fh.read(1 << 20)):
            block = tail + chunk
            # A match that ends inside the tail was counted with the previous block.
            cells += sum(1 for m in _CELL_TAG.finditer(block) if m.end() > len(tail))
            formulas = formulas or _FORMULA_TAG.search(block) is not None
            tail = block[-_OVERLAP:]
    return cells, formulas


def _load(data: bytes, name: str, *, data_only: bool) -> Any:
    try:
        with warnings.catch_warnings():
            # Files saved by Excel carry extensions openpyxl only warns about (data validation,
            # conditional formatting); they do not change cell values.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        log.info("%s is not a readable workbook: %r", name, exc)
        raise ScenarioError(_issue(f"{name} is not a readable .xlsx workbook")) from exc


def _check_grid(ws: Any, name: str) -> None:
    # One stray cell at XFD1048576 makes a grid of 17 billion cells to iterate: refuse it.
    if ws.max_row * ws.max_column > MAX_GRID_CELLS:
        message = (
            f"sheet {ws.title!r} of {name} spans {ws.max_row:,} rows × {ws.max_column:,} "
            "columns; delete the cells far outside the table"
        )
        raise ScenarioError(_issue(message))


def _mark_uncomputed(rows: list[tuple[Any, ...]], formula_ws: Any) -> list[tuple[Any, ...]]:
    marked = [list(row) for row in rows]
    for row in formula_ws.iter_rows():
        for cell in row:
            if cell.data_type != "f":
                continue
            r, c = cell.row - 1, cell.column - 1
            if r < len(marked) and c < len(marked[r]) and marked[r][c] is None:
                marked[r][c] = UncomputedFormula(str(cell.value))
    return [tuple(row) for row in marked]


def _sheet_name(title: str, taken: Mapping[str, Any]) -> str:
    """``Machine `` is the sheet ``machine``: Excel users retype names, the app must not care."""
    loose = title.strip().lower()
    if loose in _SHEET_NAMES and loose not in taken:
        return loose
    # Excel forbids names equal but for case; openpyxl does not, so never overwrite one.
    name, n = title, 1
    while name in taken:
        n += 1
        name = f"{title} ({n})"
    return name


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    while rows and all(_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    headers = list(rows[0]) + [None] * (width - len(rows[0]))
    keep = [
        i for i in range(width) if not _blank(headers[i]) or any(not _blank(r[i]) for r in body)
    ]
    names = _unique([_header_name(headers[i], i) for i in keep])
    columns = {name: [_cell(r[i]) for r in body] for name, i in zip(names, keep, strict=True)}
    return pd.DataFrame(columns, dtype=object)


def _header_name(text: Any, index: int) -> str:
    return header_key(text) if not _blank(text) else f"column_{get_column_letter(index + 1)}"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def write_sheets(xlsx_path: Path | str, sheets: Mapping[str, pd.DataFrame]) -> None:
    """Write ``sheets`` (name → DataFrame, in that order) as the workbook at ``xlsx_path``.

    The file is replaced atomically: readers see the old workbook or the new one, never half.
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, frame in sheets.items():
        _fill(workbook.create_sheet(str(name)), frame, str(name))
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_bytes_atomic(Path(xlsx_path), buffer.getvalue())
    log.debug("wrote %s (%s)", xlsx_path, ", ".join(map(str, sheets)))


def _fill(ws: Any, frame: pd.DataFrame, sheet: str) -> None:
    headers = [str(c) for c in frame.columns]
    typed = [(sheet, h) in _TYPED_TEXT_COLUMNS for h in headers]
    _append_row(ws, headers)
    for row in frame.itertuples(index=False, name=None):
        _append_row(
            ws, [_cell_value(typed_text(v) if t else v) for v, t in zip(row, typed, strict=True)]
        )
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    ws.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        values = [header, *(frame.iloc[:, index - 1].tolist())]
        width = max(len(str(v)) for v in values if not _is_missing(v)) + 2
        ws.column_dimensions[get_column_letter(index)].width = min(width, _MAX_COLUMN_WIDTH)


def _append_row(ws: Any, values: list[Any]) -> None:
    """Append a row; text is stored as text. openpyxl would store "=cmd|' /C calc'!A0" typed in
    the editor as a live formula (formula injection): a string cell stays a string."""
    ws.append(values)
    for cell, value in zip(ws[ws.max_row], values, strict=False):
        if isinstance(value, str):
            cell.data_type = "s"


def _cell_value(value: Any) -> Any:
    """A cell value openpyxl can store: numpy scalars unwrapped, missing values empty."""
    if _is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str | datetime | date | time):
        return value
    return str(value)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def typed_text(value: Any) -> Any:
    """Text that reads as a number or TRUE/FALSE becomes one; anything else is unchanged.

    >>> typed_text("36000"), typed_text(" 0.01 "), typed_text("true"), typed_text("mm")
    (36000, 0.01, True, 'mm')
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    try:
        number = float(text)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    if number.is_integer() and text.lstrip("+-").isdigit():
        return int(text)
    return number


def _issue(message: str) -> ScenarioIssue:
    return ScenarioIssue(WORKBOOK, None, None, message)
