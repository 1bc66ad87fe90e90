"""Sheets for the table editor: typed columns, validation on edited frames, typed save."""

from __future__ import annotations

import pandas as pd

from ncopt.scenario import (
    editor_sheets,
    load_scenario,
    read_sheets,
    scenario_xlsx_path,
    validate_sheets,
    write_sheets,
)
from tests.scenario.helpers import demo_folders, make_sample, places


def test_demo_sheets_survive_editor_and_save_unchanged(tmp_path):
    for folder in demo_folders():
        original = read_sheets(scenario_xlsx_path(folder))
        frames = editor_sheets(original)
        assert validate_sheets(frames, folder / "programs") == [], folder
        path = tmp_path / f"{folder.name}.xlsx"
        write_sheets(path, frames)
        back = read_sheets(path)
        for name, frame in original.items():
            assert list(back[name].columns) == list(frame.columns), (folder.name, name)
            assert _same(back[name], frame), (folder.name, name)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    def cells(f):
        return f.astype(object).where(f.notna(), None).values.tolist()

    return cells(a) == cells(b)


def test_edits_made_as_text_are_saved_as_numbers_and_booleans(tmp_path):
    folder = make_sample(tmp_path)
    frames = editor_sheets(read_sheets(scenario_xlsx_path(folder)))
    machine, settings = frames["machine"], frames["settings"]
    machine.loc[machine["key"] == "tool_change_s", "value"] = "6.5"
    settings.loc[settings["key"] == "allow_tool_regroup", "value"] = "TRUE"
    write_sheets(scenario_xlsx_path(folder), frames)
    raw = read_sheets(scenario_xlsx_path(folder))
    assert 6.5 in raw["machine"]["value"].tolist() and True in raw["settings"]["value"].tolist()
    scenario = load_scenario(folder)
    assert scenario.machine.tool_change_s == 6.5 and scenario.settings.allow_tool_regroup


def test_text_in_a_number_column_stays_visible_and_is_reported(tmp_path):
    folder = make_sample(tmp_path)
    sheets = read_sheets(scenario_xlsx_path(folder))
    sheets["tools"].loc[0, "diameter_mm"] = "ten"
    frames = editor_sheets(sheets)
    assert frames["tools"]["diameter_mm"].tolist()[0] == "ten"
    assert places(validate_sheets(frames, folder / "programs")) == {("tools", 2, "diameter_mm")}


def test_rows_added_in_the_editor_are_validated_at_their_excel_row(tmp_path):
    folder = make_sample(tmp_path)
    frames = editor_sheets(read_sheets(scenario_xlsx_path(folder)))
    row = pd.DataFrame({"tool": pd.array([3], dtype="Int64"), "name": ["TAP M8"], "type": ["tap"]})
    frames["tools"] = pd.concat([frames["tools"], row], ignore_index=True)
    issues = validate_sheets(frames, folder / "programs")
    assert places(issues) == {("tools", 4, "diameter_mm")}
    assert issues[0].message == "must not be empty"


def test_missing_optional_columns_are_added_for_editing():
    sheets = {"tools": pd.DataFrame({"tool": [1], "name": ["X"], "type": ["drill"], "extra": [5]})}
    frame = editor_sheets(sheets)["tools"]
    assert list(frame.columns)[:4] == ["tool", "name", "type", "diameter_mm"]
    assert list(frame.columns)[-1] == "extra" and str(frame["pitch_mm"].dtype) == "Float64"
