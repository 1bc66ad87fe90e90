"""Reading and writing scenario workbooks: round trip, bad files, atomic replacement."""

from __future__ import annotations

import os

import openpyxl
import pandas as pd
import pytest

from ncopt.errors import ScenarioError
from ncopt.machine import MACHINE_KEYS, Machine
from ncopt.scenario import (
    TEMPLATE_XLSX,
    WORKBOOK,
    Settings,
    read_sheets,
    template_sheets,
    validate_sheets,
    write_sheets,
)
from tests.scenario.helpers import sample_sheets


def _values(frame: pd.DataFrame) -> list[list]:
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def test_round_trip_keeps_sheets_columns_and_values(tmp_path):
    sheets = sample_sheets()
    sheets["shop notes"] = pd.DataFrame({"what": ["fixture 12"], "Holder": ["BT40"]})
    path = tmp_path / "s.xlsx"
    write_sheets(path, sheets)
    back = read_sheets(path)
    assert list(back) == list(sheets)
    for name, frame in sheets.items():
        assert list(back[name].columns) == list(frame.columns), name
        assert _values(back[name]) == _values(frame), name
    assert validate_sheets(back) == []


def test_numpy_and_missing_values_are_written_as_plain_cells(tmp_path):
    frame = pd.DataFrame({"key": ["a", "b", "c"], "value": [1.5, None, float("nan")]})
    frame["count"] = pd.array([1, None, 3], dtype="Int64")
    write_sheets(tmp_path / "x.xlsx", {"settings": frame})
    back = read_sheets(tmp_path / "x.xlsx")["settings"]
    assert _values(back) == [["a", 1.5, 1], ["b", None, None], ["c", None, 3]]


def test_committed_template_is_the_default_machine_and_settings():
    sheets = read_sheets(TEMPLATE_XLSX)
    assert validate_sheets(sheets) == []
    machine = dict(zip(sheets["machine"]["key"], sheets["machine"]["value"], strict=True))
    assert list(machine) == list(MACHINE_KEYS)
    assert Machine.from_mapping(machine) == Machine()
    settings = dict(zip(sheets["settings"]["key"], sheets["settings"]["value"], strict=True))
    assert settings == {k: v for k, v in vars(Settings()).items()}
    assert sheets["tools"].empty and sheets["programs"].empty
    for name, frame in template_sheets().items():
        assert list(sheets[name].columns) == list(frame.columns)


@pytest.mark.parametrize(
    "content",
    [b"", b"key,value\nrapid_x_mm_min,36000\n", b"PK\x03\x04 truncated zip", b"\x00" * 100],
    ids=["empty", "csv", "broken-zip", "zeros"],
)
def test_a_file_that_is_not_a_workbook_is_a_scenario_error(tmp_path, content):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        read_sheets(path)
    assert info.value.sheet == WORKBOOK
    assert "bad.xlsx" in str(info.value)


def test_a_zip_that_is_not_a_workbook_is_a_scenario_error(tmp_path):
    import zipfile

    path = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    with pytest.raises(ScenarioError):
        read_sheets(path)


def test_a_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        read_sheets(tmp_path / "nope.xlsx")


def test_blank_rows_keep_excel_row_numbers_and_trailing_blanks_are_dropped(tmp_path):
    path = tmp_path / "gaps.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "tools"
    ws.append(["Tool", "Name", "Type", "Diameter mm", None])
    ws.append([1, "SPOT", "spot", 10])
    ws.append([])
    ws.append([2, "DRILL", "drill", "abc"])
    ws.append([None, None, None, "   "])
    wb.save(path)
    frame = read_sheets(path)["tools"]
    assert list(frame.columns) == ["tool", "name", "type", "diameter_mm"]
    assert len(frame) == 3  # row 3 is blank but kept, so row 4 stays position 2
    issues = [i for i in validate_sheets({"tools": frame}) if i.sheet == "tools"]
    assert [(i.row, i.column) for i in issues] == [(4, "diameter_mm")]


def test_a_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "s.xlsx"
    write_sheets(path, sample_sheets())
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    changed = template_sheets()
    with pytest.raises(OSError, match="No space"):
        write_sheets(path, changed)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.xlsx"]  # no temp file left


def test_chart_sheets_are_skipped(tmp_path):
    from openpyxl.chart import BarChart

    path = tmp_path / "chart.xlsx"
    write_sheets(path, sample_sheets())
    wb = openpyxl.load_workbook(path)
    wb.create_chartsheet("chart").add_chart(BarChart())
    wb.save(path)
    sheets = read_sheets(path)
    assert "chart" not in sheets and validate_sheets(sheets) == []


def test_an_oversized_file_is_refused_before_parsing(tmp_path, monkeypatch):
    from ncopt.scenario import workbook

    path = tmp_path / "big.xlsx"
    write_sheets(path, sample_sheets())
    monkeypatch.setattr(workbook, "MAX_XLSX_BYTES", 1000)
    with pytest.raises(ScenarioError, match="larger than"):
        read_sheets(path)


def test_sheet_names_and_headers_are_matched_loosely(tmp_path):
    path = tmp_path / "excel.xlsx"
    sheets = sample_sheets()
    renamed = {"Machine ": sheets["machine"], "TOOLS": sheets["tools"].rename(columns=str.upper)}
    write_sheets(path, {**renamed, "programs": sheets["programs"], "settings": sheets["settings"]})
    back = read_sheets(path)
    assert list(back) == ["machine", "tools", "programs", "settings"]
    assert "diameter_mm" in back["tools"].columns
    assert validate_sheets(back) == []
