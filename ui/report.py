"""The evidence of one program's result, reshaped for tables: the verifier's checklist, the
per-tool breakdown, the groups left alone, and what changed per tool. No streamlit.

The engine puts ``groups`` and ``verification`` in each ``out_df`` row (DESIGN.md §5);
results written before it did lack them, and every function here then returns nothing.

>>> groups = [
...     {"tool": 2, "holes": 1581, "blocks": 0, "changed": True, "rapid_distance_old_mm": 26100.0,
...      "rapid_distance_new_mm": 14000.0, "rapid_s_old": 30.0, "rapid_s_new": 20.0},
...     {"tool": 2, "holes": 4, "blocks": 0, "changed": False, "reason_code": "frame"},
... ]
>>> [(c.tool, c.holes, c.rapid_distance_new_mm) for c in changes_per_tool(groups)]
[(2, 1581, 14000.0)]
>>> [g["reason_code"] for g in left_alone(groups)]
['frame']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ToolChange",
    "changes_per_tool",
    "checks",
    "groups_of",
    "left_alone",
    "tool_rows",
    "verification_of",
]


@dataclass(frozen=True)
class ToolChange:
    """What the optimizer changed for one tool, summed over its changed groups."""

    tool: int
    holes: int
    blocks: int
    rapid_distance_old_mm: float
    rapid_distance_new_mm: float
    rapid_s_old: float
    rapid_s_new: float


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return True


def groups_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The row's groups, or [] for a result without them."""
    groups = row.get("groups")
    return [g for g in groups if isinstance(g, Mapping)] if isinstance(groups, list) else []


def verification_of(row: Mapping[str, Any]) -> dict[str, Any] | None:
    report = row.get("verification")
    return dict(report) if isinstance(report, Mapping) else None


def checks(report: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [dict(c) for c in (report or {}).get("checks") or [] if isinstance(c, Mapping)]


def tool_rows(report: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [dict(r) for r in (report or {}).get("tools") or [] if isinstance(r, Mapping)]


def left_alone(groups: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Groups the optimizer did not change, each with its reason code."""
    return [dict(g) for g in groups if not g.get("changed")]


def changes_per_tool(groups: Iterable[Mapping[str, Any]]) -> list[ToolChange]:
    """Changed groups summed per tool, in the order tools first appear."""
    sums: dict[int, dict[str, float]] = {}
    for group in groups:
        if not group.get("changed"):
            continue
        tool = int(group.get("tool") or 0)
        total = sums.setdefault(tool, dict.fromkeys(_SUMMED, 0.0))
        for name in _SUMMED:
            value = group.get(name)
            total[name] += float(value) if _present(value) else 0.0
    return [
        ToolChange(
            tool=tool,
            holes=int(s["holes"]),
            blocks=int(s["blocks"]),
            rapid_distance_old_mm=s["rapid_distance_old_mm"],
            rapid_distance_new_mm=s["rapid_distance_new_mm"],
            rapid_s_old=s["rapid_s_old"],
            rapid_s_new=s["rapid_s_new"],
        )
        for tool, s in sums.items()
    ]


_SUMMED = (
    "holes",
    "blocks",
    "rapid_distance_old_mm",
    "rapid_distance_new_mm",
    "rapid_s_old",
    "rapid_s_new",
)
