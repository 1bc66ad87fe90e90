"""Scenario data under bad input: absurd numbers, formulas, names by bytes, zip bombs
(issue 15, items 5, 8 and 11, and the zip-bomb workbook)."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pandas as pd
import pytest

from ncopt.errors import ScenarioError, ScenarioFolderError
from ncopt.scenario import check_sheets, create_scenario, read_sheets, write_sheets
from tests.scenario.helpers import PROGRAM_TEXT, sample_sheets


def _with_key(sheets, sheet: str, key: str, value):
    frame = sheets[sheet].astype(object).copy()
    frame.loc[frame["key"] == key, "value"] = value
    return {**sheets, sheet: frame}


def _issues_at(sheets, programs_dir=None):
    return {
        (i.sheet, i.row, i.column): i.message for i in check_sheets(sheets, programs_dir).issues
    }


@pytest.mark.parametrize(
    "sheet,key,value",
    [
        ("machine", "tool_change_s", 1e308),
        ("machine", "tool_change_s", "1e308"),
        ("machine", "rapid_x_mm_min", 1e300),
        ("machine", "accel_z_mm_s2", 5e9),
        ("machine", "junction_deviation_mm", 1e6),
        ("settings", "time_limit_s", 1e300),
        ("settings", "air_cut_above_z_mm", -1e300),
    ],
)
def test_absurd_numbers_are_refused_with_their_place(sheet, key, value):
    sheets = _with_key(sample_sheets(), sheet, key, value)
    row = int(sheets[sheet].index[sheets[sheet]["key"] == key][0]) + 2
    issues = _issues_at(sheets)
    assert (
        "must be at most" in issues[(sheet, row, "value")]
        or "at least" in issues[(sheet, row, "value")]
    )


@pytest.mark.parametrize(
    "column,value", [("diameter_mm", 1e300), ("pitch_mm", 1e9), ("corner_radius_mm", 1e12)]
)
def test_absurd_tool_numbers_are_refused_with_their_place(column, value):
    sheets = sample_sheets()
    tools = sheets["tools"].astype(object).copy()
    tools[column] = [value, None]
    issues = _issues_at({**sheets, "tools": tools})
    assert "must be at most" in issues[("tools", 2, column)]


def test_the_largest_sensible_values_are_accepted():
    sheets = _with_key(sample_sheets(), "machine", "tool_change_s", 3600)
    sheets = _with_key(sheets, "machine", "rapid_x_mm_min", 120_000)
    assert not check_sheets(sheets).issues


def test_a_job_on_an_absurd_machine_never_reports_a_cycle_time(tmp_path):
    from ncopt.pipeline import run_generate_nc_code

    folder = create_scenario(tmp_path, "dept", "absurd")
    for name, text in PROGRAM_TEXT.items():
        (folder / "programs" / name).write_text(text)
    sheets = _with_key(sample_sheets(), "machine", "tool_change_s", 1e308)
    write_sheets(folder / "absurd.xlsx", sheets)
    with pytest.raises(ScenarioError, match=r"tool_change_s|at most 3600"):
        run_generate_nc_code({"scenario_dir": str(folder), "time_limit_s": 2})


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "=1+1"])
def test_text_typed_in_the_editor_is_stored_as_text_not_a_formula(tmp_path, text):
    sheets = sample_sheets()
    tools = sheets["tools"].astype(object).copy()
    tools.loc[0, "name"] = text
    xlsx = tmp_path / "s.xlsx"
    write_sheets(xlsx, {**sheets, "tools": tools})
    cell = openpyxl.load_workbook(xlsx)["tools"]["B2"]
    assert (cell.data_type, cell.value) == ("s", text)
    assert read_sheets(xlsx)["tools"].loc[0, "name"] == text
    numbers = openpyxl.load_workbook(xlsx)["tools"]["D2"]
    assert numbers.data_type == "n" and numbers.value == 10.0


def test_a_formula_without_a_cached_value_is_named_as_such(tmp_path):
    xlsx = tmp_path / "s.xlsx"
    write_sheets(xlsx, sample_sheets())
    book = openpyxl.load_workbook(xlsx)
    book["tools"]["D2"] = "=4*2.5"  # written by a program that does not compute formulas
    book.save(xlsx)
    issues = _issues_at(read_sheets(xlsx))
    assert issues[("tools", 2, "diameter_mm")].startswith("formula without a value (=4*2.5)")


@pytest.mark.parametrize("name", ["模" * 100, "é" * 101, "x" * 201, "模" * 67])
def test_names_are_limited_in_bytes_as_the_file_system_limits_them(tmp_path, name):
    with pytest.raises(ScenarioFolderError, match=r"bytes|characters"):
        create_scenario(tmp_path, "dept", name)
    with pytest.raises(ScenarioFolderError, match=r"bytes|characters"):
        create_scenario(tmp_path, name, "ok")


def test_the_longest_allowed_cjk_name_makes_a_scenario_that_saves(tmp_path):
    name = "模" * 66  # 198 bytes
    folder = create_scenario(tmp_path, "部" * 66, name)
    write_sheets(folder / f"{name}.xlsx", sample_sheets())
    assert read_sheets(folder / f"{name}.xlsx")["tools"].loc[0, "name"] == "SPOT DRILL 10"


# ------------------------------------------------------------------------------------ zip bombs


def _workbook_with_sheet(tmp_path, sheet_xml: bytes):
    """A valid workbook whose first sheet's XML is replaced by ``sheet_xml``."""
    source = tmp_path / "base.xlsx"
    write_sheets(source, sample_sheets())
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info)
            zout.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return bomb


_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HEAD = b'<?xml version="1.0"?><worksheet xmlns="' + _MAIN + b'"><sheetData>'
_TAIL = b"</sheetData></worksheet>"


def _rows(n: int, cells_per_row: int = 1) -> bytes:
    out = io.BytesIO()
    for r in range(1, n + 1):
        cells = b"".join(b"<c><v>1</v></c>" for _ in range(cells_per_row))
        out.write(b'<row r="%d">%s</row>' % (r, cells))
    return out.getvalue()


BOMBS = {
    "unpacked size": lambda: b" " * (60 * 2**20),  # 60 MB of XML in 60 kB
    "cell count": lambda: _rows(30_000, 10),  # 300,000 cells
    "grid": lambda: b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',  # one stray cell
}


@pytest.mark.alone
@pytest.mark.parametrize("what", sorted(BOMBS))
def test_a_zip_bomb_workbook_is_refused_in_well_under_a_second(tmp_path, what):
    bomb = _workbook_with_sheet(tmp_path, _HEAD + BOMBS[what]() + _TAIL)
    assert bomb.stat().st_size < 2 * 2**20
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        read_sheets(bomb)
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.5, (what, elapsed)
    assert caught.value.issues[0].sheet == "(workbook)"


def test_a_large_but_real_tool_table_still_reads(tmp_path):
    sheets = sample_sheets()
    n = 2000
    sheets["tools"] = pd.DataFrame(
        {
            "tool": range(1, n + 1),
            "name": [f"DRILL {i}" for i in range(n)],
            "type": "drill",
            "diameter_mm": 6.8,
        },
        dtype=object,
    )
    write_sheets(tmp_path / "big.xlsx", sheets)
    assert len(read_sheets(tmp_path / "big.xlsx")["tools"]) == n
