"""How each scenario sheet looks in the table editor: translated headers, a read-only label
column that names each machine/setting key in the user's language, the tool type as a
dropdown, the program file as a dropdown of the files present, empty cells empty.

The label column is for the eye only: ``strip_display`` removes it before anything is
compared, validated or saved.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ncopt.scenario import SheetName, ToolType
from ui.i18n import t, term

LABEL = "__label"  # the display-only column
ROW_HEADER = "_index"  # column_config's name for the index: the Excel row number
KEY_VALUE_SHEETS = {SheetName.MACHINE.value: "mkey", SheetName.SETTINGS.value: "skey"}
HIDDEN = {SheetName.SETTINGS.value: ("description",)}  # English notes the label replaces


def with_display(sheet: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Excel row numbers as its index and, for key/value sheets, the label."""
    shown = frame.copy()
    shown.index = pd.RangeIndex(2, 2 + len(shown))
    prefix = KEY_VALUE_SHEETS.get(sheet)
    if prefix and "key" in shown:
        labels = [term(prefix, k) if isinstance(k, str) else "" for k in shown["key"].tolist()]
        shown.insert(1, LABEL, pd.Series(labels, index=shown.index, dtype="string"))
    return shown


def strip_display(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[LABEL], errors="ignore").reset_index(drop=True)


def column_config(sheet: str, frame: pd.DataFrame, program_files: list[str]) -> dict:
    config: dict = {ROW_HEADER: st.column_config.NumberColumn(t("row"), format="%d")}
    for name in frame.columns:
        if name == LABEL:
            config[name] = st.column_config.TextColumn(t("col.label"), disabled=True)
            continue
        config[name] = _column(sheet, str(name), frame[name], program_files)
    return config


def column_order(sheet: str, frame: pd.DataFrame) -> list[str]:
    hidden = HIDDEN.get(sheet, ())
    return [str(c) for c in frame.columns if c not in hidden]


def _column(sheet: str, name: str, values: pd.Series, program_files: list[str]):
    label = term("col", name)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if name == "type" and sheet == SheetName.TOOLS.value:
        options = [k.value for k in ToolType]
        options += sorted({v for v in values.dropna().tolist() if v not in options})
        return st.column_config.SelectboxColumn(
            label, options=options, format_func=lambda v: f"{v} · {term('tooltype', v)}"
        )
    if name == "file" and sheet == SheetName.PROGRAMS.value:
        options = sorted(set(program_files) | set(values.dropna().tolist()))
        return st.column_config.SelectboxColumn(label, options=options)
    if name == "enabled" and pd.api.types.is_bool_dtype(values):
        return st.column_config.CheckboxColumn(label)
    if numeric:
        whole = pd.api.types.is_integer_dtype(values)
        return st.column_config.NumberColumn(label, step=1 if whole else None)
    return st.column_config.TextColumn(label)
