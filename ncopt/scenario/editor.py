"""Sheets shaped for a table editor (``st.data_editor``): one dtype per column.

``read_sheets`` gives object columns with the cells as Excel stored them. An editor needs one
type per column — a column mixing numbers and text becomes read-only in ``st.data_editor``,
and an empty column must carry its type — so ``editor_sheets`` types every known column.
A column with a cell that does not fit its type (text in a number column) is shown as text,
so the user sees what is there and can fix it; validation points at the cell. The ``value``
columns of the key/value sheets are text in the editor; ``write_sheets`` stores numbers and
TRUE/FALSE typed in them as Excel numbers and booleans again.

>>> from ncopt.scenario.schema import template_sheets
>>> frames = editor_sheets(template_sheets())
>>> str(frames["tools"]["diameter_mm"].dtype), str(frames["machine"]["value"].dtype)
('Float64', 'string')
>>> frames["settings"].set_index("key")["value"]["allow_tool_regroup"]
'FALSE'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ncopt.scenario.schema import ColumnKind, SheetSpec, sheet_spec
from ncopt.scenario.validate import parse_cell

__all__ = ["editor_sheets"]

_DTYPES = {
    ColumnKind.INT: "Int64",
    ColumnKind.FLOAT: "Float64",
    ColumnKind.BOOL: "boolean",
    ColumnKind.TEXT: "string",
    ColumnKind.ANY: "string",
}


def editor_sheets(sheets: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Copies of ``sheets`` with every known column present and typed for editing."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in sheets.items():
        try:
            spec = sheet_spec(name)
        except KeyError:
            out[name] = frame.copy()
            continue
        out[name] = _typed_frame(spec, frame)
    return out


def _typed_frame(spec: SheetSpec, frame: pd.DataFrame) -> pd.DataFrame:
    extra = [c for c in frame.columns if c not in spec.headers]
    columns: dict[str, pd.Series] = {}
    for column in spec.columns:
        values = frame[column.name].tolist() if column.name in frame else [None] * len(frame)
        columns[column.name] = _typed_column(column.kind, values)
    for name in extra:
        columns[name] = frame[name].reset_index(drop=True)
    return pd.DataFrame(columns)


def _typed_column(kind: ColumnKind, values: list[Any]) -> pd.Series:
    if kind in (ColumnKind.TEXT, ColumnKind.ANY):
        return pd.Series([_text(v) for v in values], dtype="string")
    try:
        parsed = [None if _blank(v) else parse_cell(kind, v) for v in values]
        return pd.Series(pd.array(parsed, dtype=_DTYPES[kind]))
    except (ValueError, TypeError, OverflowError):
        return pd.Series([_text(v) for v in values], dtype="string")


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _blank(value: Any) -> bool:
    try:
        missing = pd.isna(value)
    except (TypeError, ValueError):
        return False
    if isinstance(missing, bool) and missing:
        return True
    return isinstance(value, str) and not value.strip()
