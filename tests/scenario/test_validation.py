"""Every kind of bad input is reported with its sheet, Excel row and column header."""

from __future__ import annotations

import pandas as pd
import pytest

from ncopt.errors import ScenarioError
from ncopt.scenario import (
    ToolType,
    check_sheets,
    load_scenario,
    read_sheets,
    validate_sheets,
    write_sheets,
)
from tests.scenario.helpers import PROGRAM_TEXT, make_sample, places, sample_sheets

# Excel row of DataFrame position i is i + 2 (row 1 holds the headers).
MACHINE_ROW = {"rapid_x_mm_min": 2, "accel_z_mm_s2": 7, "decimal_point_mode": 13}


@pytest.fixture
def programs_dir(tmp_path):
    folder = tmp_path / "programs"
    folder.mkdir()
    for name, text in PROGRAM_TEXT.items():
        (folder / name).write_text(text)
    return folder


def _set(sheets, sheet, row, column, value):
    frame = sheets[sheet]
    frame.loc[row - 2, column] = value
    return sheets


def _setting(sheets, key, value):
    frame = sheets["settings"]
    frame.loc[frame["key"] == key, "value"] = value
    return int(frame.index[frame["key"] == key][0]) + 2


def test_sample_is_valid(programs_dir):
    checked = check_sheets(sample_sheets(), programs_dir)
    assert checked.issues == ()
    assert [t.type for t in checked.tools] == [ToolType.SPOT, ToolType.DRILL]
    assert [(p.file, p.enabled) for p in checked.programs] == [("P1.nc", True), ("P2.nc", False)]


def test_missing_sheet_and_missing_column(programs_dir):
    sheets = sample_sheets()
    del sheets["tools"]
    sheets["programs"] = sheets["programs"].drop(columns=["enabled"])
    issues = validate_sheets(sheets, programs_dir)
    assert places(issues) == {("tools", None, None), ("programs", 1, "enabled")}
    assert all("missing" in i.message for i in issues)


@pytest.mark.parametrize(
    ("sheet", "row", "column", "value", "message"),
    [
        ("tools", 3, "diameter_mm", "six point eight", "must be a number"),
        ("tools", 2, "diameter_mm", -10.0, "greater than 0"),
        ("tools", 3, "diameter_mm", 0, "greater than 0"),
        ("tools", 2, "type", "laser", "unknown tool type"),
        ("tools", 3, "flutes", True, "must be a number"),
        ("tools", 2, "name", None, "must not be empty"),
        ("programs", 2, "quantity_per_year", -5, "at least 0"),
        ("programs", 2, "quantity_per_year", "many", "must be a number"),
        ("programs", 3, "enabled", "maybe", "TRUE or FALSE"),
        ("programs", 3, "file", "P1.nc", "already listed in row 2"),
        ("programs", 2, "file", "../P1.nc", "plain file name"),
        ("programs", 2, "file", "sub/P1.nc", "plain file name"),
        ("programs", 2, "file", "C:\\nc\\P1.nc", "plain file name"),
        ("programs", 2, "file", ".hidden.nc", "plain file name"),
        ("programs", 2, "file", "missing.nc", "no file 'missing.nc'"),
        ("machine", 2, "value", -36000, "greater than 0"),
        ("machine", 2, "value", "fast", "must be a number"),
        ("machine", 2, "value", True, "must be a number"),
        ("machine", 13, "value", "inch", "'mm' or 'increment'"),
        ("machine", 2, "key", "rapid_w_mm_min", "unknown machine key"),
        ("machine", 3, "key", "rapid_x_mm_min", "already set in row 2"),
        ("machine", 2, "unit", "m/min", "mm/min"),
    ],
)
def test_bad_cell_is_reported_at_its_place(programs_dir, sheet, row, column, value, message):
    sheets = _set(sample_sheets(), sheet, row, column, value)
    issues = validate_sheets(sheets, programs_dir)
    assert places(issues) == {(sheet, row, column)}, issues
    assert message in issues[0].message


@pytest.mark.parametrize(
    ("row", "value", "message"), [(3, 1.5, "whole number"), (3, 1, "already defined in row 2")]
)
def test_bad_tool_number_also_orphans_the_programs_using_it(programs_dir, row, value, message):
    sheets = _set(sample_sheets(), "tools", row, "tool", value)
    issues = validate_sheets(sheets, programs_dir)
    assert places(issues) == {("tools", row, "tool"), ("programs", 3, "file")}
    assert message in issues[0].message and "uses T2" in issues[1].message


def test_negative_acceleration_and_zero_rate_both_reported(programs_dir):
    sheets = _set(sample_sheets(), "machine", 2, "value", 0)
    sheets = _set(sheets, "machine", 7, "value", -1)
    assert places(validate_sheets(sheets, programs_dir)) == {
        ("machine", 2, "value"),
        ("machine", 7, "value"),
    }


def test_program_using_a_tool_missing_from_the_tools_sheet(programs_dir):
    sheets = sample_sheets()
    sheets["tools"] = sheets["tools"].iloc[:1]  # drop T2, which P2.nc uses
    issues = validate_sheets(sheets, programs_dir)
    assert places(issues) == {("programs", 3, "file")}
    assert "T2" in issues[0].message and "T7" not in issues[0].message  # T7 is in a comment


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("time_limit_s", -1, "greater than 0"),
        ("time_limit_s", "soon", "must be a number"),
        ("allow_tool_regroup", "maybe", "TRUE or FALSE"),
        ("random_seed", 1.5, "whole number"),
        ("post", "heidenhain", "unknown post"),
        ("post", "dotnet:/opt/Shop.dll", "dotnet:<path to .dll>:<Namespace.Class>"),
    ],
)
def test_bad_setting_is_reported_at_its_value(programs_dir, key, value, message):
    sheets = sample_sheets()
    row = _setting(sheets, key, value)
    issues = validate_sheets(sheets, programs_dir)
    assert places(issues) == {("settings", row, "value")}
    assert message in issues[0].message


def test_unknown_and_repeated_setting_keys(programs_dir):
    sheets = sample_sheets()
    extra = pd.DataFrame({"key": ["turbo", "post"], "value": [True, "fanuc"]}, dtype=object)
    sheets["settings"] = pd.concat([sheets["settings"], extra], ignore_index=True)
    n = len(sheets["settings"])
    assert places(validate_sheets(sheets, programs_dir)) == {
        ("settings", n, "key"),
        ("settings", n + 1, "key"),
    }


def test_settings_accept_excel_style_values(programs_dir):
    sheets = sample_sheets()
    _setting(sheets, "allow_block_reversal", "Yes")
    _setting(sheets, "time_limit_s", "12.5")
    _setting(sheets, "post", "dotnet:/opt/posts/Shop.dll:Shop.Posts.Fanuc")
    settings = check_sheets(sheets, programs_dir).settings
    assert settings.allow_block_reversal is True and settings.time_limit_s == 12.5
    assert settings.post == "dotnet:/opt/posts/Shop.dll:Shop.Posts.Fanuc"


def test_missing_keys_take_their_defaults(programs_dir):
    sheets = sample_sheets()
    sheets["machine"] = sheets["machine"].iloc[:1]
    sheets["settings"] = sheets["settings"].iloc[:0]
    checked = check_sheets(sheets, programs_dir)
    assert checked.issues == ()
    assert checked.machine.tool_change_s == 4.0 and checked.settings.time_limit_s == 60.0


def test_every_problem_is_reported_at_once(programs_dir):
    sheets = sample_sheets()
    _set(sheets, "tools", 2, "diameter_mm", "x")
    _set(sheets, "programs", 3, "file", "gone.nc")
    _set(sheets, "machine", 4, "value", -1)
    _setting(sheets, "time_limit_s", 0)
    assert len(validate_sheets(sheets, programs_dir)) == 4


def test_text_in_a_number_column_from_a_real_file(tmp_path):
    folder = make_sample(tmp_path)
    xlsx = folder / "sample.xlsx"
    sheets = read_sheets(xlsx)
    sheets["tools"].loc[1, "diameter_mm"] = "6,8"
    write_sheets(xlsx, sheets)
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    assert places(info.value.issues) == {("tools", 3, "diameter_mm")}
    assert "sheet 'tools', row 3, column 'diameter_mm'" in str(info.value)


def test_load_scenario_of_a_folder_without_spreadsheet(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "dept" / "scenario" / "ghost")
