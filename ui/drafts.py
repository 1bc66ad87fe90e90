"""Unsaved editor sheets, kept per scenario in the session so nothing typed is lost.

A table widget's edits live only as long as the widget is on screen: leave the Editor and
Streamlit drops them. So every run copies what the tables show into the scenario's
``Draft.current``, and a table drawn afresh (back on the page, another language) starts
from that copy. "Unsaved" compares content, never times: a save that changes nothing writes
nothing, so the result stays current (its digest is over the files' bytes).

No streamlit import: the pages keep ``Draft`` objects in ``st.session_state``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Draft", "normalised", "same_sheets"]


@dataclass
class Draft:
    """One scenario's sheets: as saved on disk, as handed to the tables, as shown now.

    ``generation`` is part of the table widgets' keys; a new one (unique in the session, so
    no table ever meets an old table's edits) draws fresh tables from ``base`` — for a new
    draft, or rows added or removed by the app.
    """

    file_digest: str
    saved: dict[str, pd.DataFrame]
    base: dict[str, pd.DataFrame] = field(default_factory=dict)
    current: dict[str, pd.DataFrame] = field(default_factory=dict)
    generation: int = 0

    def __post_init__(self) -> None:
        self.base = self.base or {k: v.copy() for k, v in self.saved.items()}
        self.current = self.current or {k: v.copy() for k, v in self.saved.items()}

    @property
    def dirty(self) -> bool:
        return not same_sheets(self.current, self.saved)

    def changed_sheets(self) -> list[str]:
        return [
            name
            for name in self.current
            if normalised(self.current[name]) != normalised(self.saved.get(name))
        ]

    def rebase(self, generation: int, sheets: Mapping[str, pd.DataFrame] | None = None) -> None:
        """Draw the tables afresh (``generation``: a number unused so far) from ``sheets``
        (default: what they show now)."""
        source = sheets if sheets is not None else self.current
        self.base = {k: v.copy() for k, v in source.items()}
        self.current = {k: v.copy() for k, v in source.items()}
        self.generation = generation


def same_sheets(a: Mapping[str, pd.DataFrame], b: Mapping[str, pd.DataFrame]) -> bool:
    """True when both hold the same cells (types, blank trailing rows and spacing aside).

    >>> x = {"s": pd.DataFrame({"v": ["1", None]})}
    >>> same_sheets(x, {"s": pd.DataFrame({"v": [1.0, None]})})
    True
    >>> same_sheets(x, {"s": pd.DataFrame({"v": ["2"]})})
    False
    """
    if set(a) != set(b):
        return False
    return all(normalised(a[name]) == normalised(b[name]) for name in a)


def normalised(frame: pd.DataFrame | None) -> tuple:
    """The frame as comparable plain values: headers, then rows without trailing blank ones."""
    if frame is None:
        return ()
    rows = [tuple(_cell(v) for v in row) for row in frame.astype(object).itertuples(index=False)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return (tuple(str(c) for c in frame.columns), tuple(rows))


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return None if math.isnan(number) else _number_text(number)
    text = str(value).strip()
    if not text:
        return None
    try:  # "36000" typed in a text column is the 36000 the file holds
        number = float(text)
    except ValueError:
        return text.upper() if text.upper() in ("TRUE", "FALSE") else text
    return _number_text(number) if math.isfinite(number) else text


def _number_text(number: float) -> str:
    return repr(float(number))
