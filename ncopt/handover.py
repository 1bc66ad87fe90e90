"""The verifier's safety rules: how the new program travels, and where it must hand over.

**Traverses** (``ncopt.traverse``): every XY move of the new program outside the work (a rapid
outside cut blocks, or the XY move of a hole row before its cycle) between items ``a`` and
``b`` runs at a Z no lower than ``max(leave(a), arrive(b))``: the levels at which the original
program left ``a``'s operation and arrived at ``b``'s. Two exceptions, both moves the original
itself proves clear: a hop between two holes of one hole set at that set's return level (the
set's own holes, at the level it hops at between them), and a move the original made exactly
(same start and end, in the same section).

**Hand-over states**: before every barrier and program stop the new program is in the same
state as the original (position, motion mode, canned cycle and its initial level, G90/G91,
plane, units, feed, G98/G99, spindle, coolant): a subprogram or the operator takes over there.
Before every tool change (unless tools are regrouped) and at the end of the program the same
except X and Y, where the tool is taken away from the work.

docs/engine.md ("Safety") states the invariant and what it assumes.
"""

from __future__ import annotations

import math

import numpy as np

from ncopt.program import CutBlock, MoveKind, Program, SyncState
from ncopt.traverse import ItemKind, Traverses, item_levels, traverses

__all__ = ["handover_problem", "sections", "traverse_problem"]

_TOL_MM = 1e-6
_DECIMALS = 4


def sections(program: Program, lines: np.ndarray) -> np.ndarray:
    """How many barriers and program stops precede each line: nothing may cross them."""
    walls = np.array(
        sorted([b.line for b in program.barriers] + [s.line for s in program.stops]),
        dtype=np.int64,
    )
    return np.searchsorted(walls, lines, side="right")


def traverse_problem(
    old: Program, new: Program, hole_new: np.ndarray, block_new: np.ndarray, regroup: bool
) -> str:
    """The traverse rule (module docstring); ``hole_new`` and ``block_new`` give each old
    hole and cut block's first motion row in the new program."""
    to, tn = traverses(old), traverses(new)
    partner = _old_items_of_new(old, new, to, tn, hole_new, block_new, regroup)
    if (partner < 0).any():
        row = int(tn.item_row[np.flatnonzero(partner < 0)[0]])
        return f"the work at new line {int(new.motion.line[row]) + 1} has no partner in the old"
    arrive, leave = item_levels(old, to)
    k = len(tn.item_row)
    required = np.full(k + 1, np.nan)
    with np.errstate(invalid="ignore"):
        required[1:] = leave[partner]
        required[:k] = np.fmax(required[:k], arrive[partner])
    hop = np.zeros(k + 1, dtype=bool)
    if k > 1:
        a, b = partner[:-1], partner[1:]
        holes = (to.item_kind[a] == ItemKind.HOLE) & (to.item_kind[b] == ItemKind.HOLE)
        hop[1:k] = holes & (to.item_set[a] == to.item_set[b]) & (tn.rows_in[1:k] == 1)
        # ... at the level both return to (the set's own hop level)
        back = _return_levels(old, to.item_row)
        hop[1:k] &= np.abs(back[a] - back[b]) <= _TOL_MM
    rows = np.flatnonzero((tn.row_traverse >= 0) & tn.xy_moving & np.isfinite(tn.seg_z))
    t = tn.row_traverse[rows]
    need = required[t]
    # No work around it (a program that only travels): no lower than the tool ever travelled.
    lost = np.isnan(need)
    need[lost] = _lowest_travel(old, to, new.tools_at(new.motion.line[rows[lost]]))
    with np.errstate(invalid="ignore"):
        low = (tn.seg_z[rows] < need - _TOL_MM) & ~hop[t]
    bad = rows[low]
    if not bad.size:
        return ""
    bad = bad[~_made_by_old(old, to, new, bad)]
    if not bad.size:
        return ""
    r = int(bad[0])
    floor = float(need[np.searchsorted(rows, r)])
    return (
        f"rapid travel at new line {int(new.motion.line[r]) + 1} runs at "
        f"Z{_n(float(tn.seg_z[r]))}, below Z{_n(floor)}, where the original travelled around "
        "the work before and after it"
    )


def _lowest_travel(old: Program, to: Traverses, tools: np.ndarray) -> np.ndarray:
    """The lowest Z at which the old program moved each of ``tools`` in XY (NaN: never)."""
    rows = np.flatnonzero((to.row_traverse >= 0) & to.xy_moving & np.isfinite(to.seg_z))
    old_tools = old.tools_at(old.motion.line[rows])
    out = np.full(len(tools), np.nan)
    for tool in np.unique(tools).tolist():
        mine = to.seg_z[rows[old_tools == tool]]
        if len(mine):
            out[tools == tool] = mine.min()
    return out


def _return_levels(program: Program, rows: np.ndarray) -> np.ndarray:
    """The Z each item ends at (a hole: its return level)."""
    return program.motion.end[rows, 2] if len(rows) else np.zeros(0)


def _old_items_of_new(old, new, to: Traverses, tn: Traverses, hole_new, block_new, regroup):
    """For each item of the new program, its partner item in the old one (-1: none)."""
    partner = np.full(len(tn.item_row), -1, dtype=np.int64)

    def pair(old_rows: np.ndarray, new_rows: np.ndarray) -> None:
        if len(old_rows):
            partner[np.searchsorted(tn.item_row, new_rows)] = np.searchsorted(to.item_row, old_rows)

    pair(np.flatnonzero(old.motion.kind == MoveKind.HOLE), hole_new)
    old_blocks = [op.rows[0] for op in old.ops if isinstance(op, CutBlock)]
    pair(np.array(old_blocks, dtype=np.int64), block_new)
    pair(*(_loose_feeds(p, t, regroup) for p, t in ((old, to), (new, tn))))
    return partner


def _loose_feeds(program: Program, t: Traverses, regroup: bool) -> np.ndarray:
    rows = t.item_row[t.item_kind == ItemKind.FEED]
    if regroup:  # regrouped tools: each tool's feed moves in their order
        rows = rows[np.argsort(program.tools_at(program.motion.line[rows]), kind="stable")]
    return rows


def _segments(program: Program, rows: np.ndarray) -> np.ndarray:
    """(section, start xyz, end xyz) of each row's XY travel, rounded: a hole row's travel
    ends above the hole at the Z it started from."""
    m = program.motion
    start = np.where((rows > 0)[:, None], m.end[np.maximum(rows - 1, 0)], np.nan)
    end = m.end[rows].copy()
    hole = m.kind[rows] == MoveKind.HOLE
    end[hole, 2] = start[hole, 2]
    table = np.column_stack([sections(program, m.line[rows].astype(np.int64)), start, end])
    return np.nan_to_num(table.round(_DECIMALS), nan=np.inf)


def _made_by_old(old: Program, to: Traverses, new: Program, rows: np.ndarray) -> np.ndarray:
    """Which of the new program's travel ``rows`` the old program made exactly."""
    old_rows = np.flatnonzero((to.row_traverse >= 0) & to.xy_moving)
    known = {row.tobytes() for row in _segments(old, old_rows)}
    return np.array([row.tobytes() in known for row in _segments(new, rows)], dtype=bool)


def handover_problem(old: Program, new: Program, regroup: bool) -> str:
    """The hand-over rule (module docstring)."""
    kinds = {"barrier", "stop", "end"} | (set() if regroup else {"tool_change"})
    a = [s for s in old.sync if s.kind in kinds]
    b = [s for s in new.sync if s.kind in kinds]
    if len(a) != len(b):
        return f"the old program has {len(a)} hand-over points, the new one {len(b)}"
    for x, y in zip(a, b, strict=True):
        differ = _differences(x, y, with_xy=x.kind in ("barrier", "stop"))
        if differ:
            where = "at the end" if x.kind == "end" else f"before old line {x.line + 1}"
            what = x.kind.replace("_", " ")
            return f"{where} ({what}) the new program differs: {', '.join(differ)}"
    return ""


def _differences(a: SyncState, b: SyncState, with_xy: bool) -> list[str]:
    out = []
    axes = "XYZ" if with_xy else "Z"
    for axis in axes:
        i = "XYZ".index(axis)
        if not _same(a.xyz[i], b.xyz[i]):
            out.append(f"{axis}{_n(a.xyz[i])} became {axis}{_n(b.xyz[i])}")
    for name in ("motion", "cycle", "plane", "absolute", "inch", "return_mode", "spindle_dir"):
        if getattr(a, name) != getattr(b, name):
            out.append(f"{name} {getattr(a, name)} became {getattr(b, name)}")
    if a.coolant != b.coolant:
        out.append(f"coolant {a.coolant} became {b.coolant}")
    if not _same(a.feed_mm_min, b.feed_mm_min):
        out.append(f"feed {a.feed_mm_min:g} became {b.feed_mm_min:g}")
    if a.cycle and not _same(a.initial_z, b.initial_z):
        out.append(f"the cycle's initial level Z{_n(a.initial_z)} became Z{_n(b.initial_z)}")
    return out


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-4


def _n(value: float) -> str:
    if value != value:
        return " unknown"
    text = f"{value:.4f}".rstrip("0")
    return "0." if text in ("-0.", "0.") else text
