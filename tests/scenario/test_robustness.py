"""Whatever a cell holds, validation answers with issues, never with a traceback."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ncopt.scenario import check_sheets, editor_sheets
from tests.scenario.helpers import PROGRAM_TEXT, sample_sheets

ODD_VALUES = [
    None,
    "",
    "   ",
    "abc",
    -1,
    0,
    1.5,
    True,
    dt.datetime(2026, 1, 2, 3, 4),
    dt.time(12, 0),
    float("nan"),
    float("inf"),
    10**30,
    "1e400",
    "１２",
    pd.NA,
    np.int64(3),
    np.float64(-2.5),
    "../../etc/passwd",
    "T1 M6",
    "x" * 5000,
]


@pytest.fixture(scope="module")
def programs_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("programs")
    for name, text in PROGRAM_TEXT.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("sheet", ["machine", "tools", "programs", "settings"])
def test_odd_values_in_every_cell_give_issues_not_tracebacks(programs_dir, sheet):
    base = sample_sheets()
    for column in base[sheet].columns:
        for row in range(min(len(base[sheet]), 2)):
            for value in ODD_VALUES:
                sheets = dict(base)
                frame = base[sheet].astype(object)
                frame.iat[row, frame.columns.get_loc(column)] = value
                sheets[sheet] = frame
                checked = check_sheets(sheets, programs_dir)
                for issue in checked.issues:
                    if (issue.sheet, issue.column) == ("programs", "file") != (sheet, column):
                        assert "not in the tools sheet" in issue.message  # tool number gone
                        continue
                    assert (issue.sheet, issue.row) == (sheet, row + 2), (value, issue)
                    assert issue.column in {column, "key"}, (value, issue)
                editor_sheets({sheet: frame})  # typing for the editor never raises either


def test_odd_frames_give_issues_not_tracebacks(programs_dir):
    sheets = {
        "machine": pd.DataFrame(),
        "tools": pd.DataFrame({0: [1], 1: ["x"]}),
        "programs": pd.DataFrame({"file": [None, None], "enabled": [1, 2]}),
        "settings": pd.DataFrame(columns=["key", "value"]),
    }
    issues = check_sheets(sheets, programs_dir).issues
    assert {(i.sheet, i.column) for i in issues} >= {
        ("machine", "key"),
        ("tools", "tool"),
        ("programs", "quantity_per_year"),
    }
