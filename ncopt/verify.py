"""Machining-equivalence verifier: does the new program do the same machining as the old one?

Both programs are parsed (``ncopt.interpreter``); the check compares what the machine does,
not the text:

1. the same barriers (subprogram calls, macros, …), with the same text, in the same order;
2. the same tools in the same order of tool changes (as a multiset if regrouping is allowed)
   and as many spindle starts;
3. the same multiset of holes: position, cycle, bottom Z, R, Q, dwell, feed, repeats, spindle
   speed, tool, coolant, and the barrier section they are in (nothing crosses a barrier);
4. the same multiset of cut blocks, each with the same moves in the same order (kind, end
   point, feed, arc length and radius), per tool and section; feed moves outside blocks in
   the same order;
5. safety: no rapid outside a cut block or hole cycle runs lower than the lowest such rapid of
   the same tool in the old program (the clearance the programmer used), and no hole-to-hole
   travel runs lower than the old program's lowest return level for that tool.

The report names the first difference found, with line numbers.

>>> from ncopt.interpreter import parse_program
>>> old = parse_program("G0 X0 Y0 Z10.\\nG81 X1. Y1. Z-2. R1. F100.\\nX2.\\nG80\\n")
>>> new = parse_program("G0 X0 Y0 Z10.\\nG81 X2. Y1. Z-2. R1. F100.\\nX1.\\nG80\\n")
>>> verify_equivalent(old, new).ok
True
>>> bad = parse_program("G0 X0 Y0 Z10.\\nG81 X2. Y1. Z-2. R1. F100.\\nX1.1\\nG80\\n")
>>> print(verify_equivalent(old, bad).first_difference)
hole X1. Y1. (G81 Z-2. R1. F100, tool 0) at old line 2 is not drilled by the new program
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ncopt.machine import Machine
from ncopt.program import CutBlock, MoveKind, Program

__all__ = ["VerifyReport", "verify_equivalent"]

_DECIMALS = 4  # 0.1 µm: far below any machine's resolution, far above float noise
_TOL_MM = 1e-6


@dataclass(frozen=True)
class VerifyReport:
    """``ok`` and, when not, the first difference in words (``first_difference``, else None)."""

    ok: bool
    first_difference: str | None = None
    holes: int = 0
    blocks: int = 0

    def __bool__(self) -> bool:
        return self.ok


def verify_equivalent(
    old: Program,
    new: Program,
    machine: Machine | None = None,
    *,
    allow_tool_regroup: bool = False,
) -> VerifyReport:
    """Prove ``new`` machines what ``old`` does (see the module docstring for the rules)."""
    del machine  # the rules are geometric; kept for a uniform engine signature
    checks = (
        _barriers(old, new),
        _tools(old, new, allow_tool_regroup),
        _holes(old, new),
        _blocks(old, new),
        _loose_feeds(old, new),
        _safety(old, new),
    )
    for problem in checks:
        if problem:
            return VerifyReport(False, problem)
    return VerifyReport(True, None, old.hole_count, sum(isinstance(o, CutBlock) for o in old.ops))


def _barriers(old: Program, new: Program) -> str:
    a = [b.text.strip() for b in old.barriers]
    b = [b.text.strip() for b in new.barriers]
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"barrier {i + 1} differs: old line {old.barriers[i].line + 1} {x!r}, new {y!r}"
    if len(a) != len(b):
        return f"the old program has {len(a)} barriers, the new one {len(b)}"
    return ""


def _tools(old: Program, new: Program, allow_regroup: bool) -> str:
    a = [t for _, t in old.tool_changes]
    b = [t for _, t in new.tool_changes]
    if allow_regroup:
        a, b = sorted(a), sorted(b)
    if a != b:
        return f"tool changes differ: old T{a}, new T{b}"
    if len(old.spindle_starts) != len(new.spindle_starts):
        return (
            f"the old program starts the spindle {len(old.spindle_starts)} times, "
            f"the new one {len(new.spindle_starts)}"
        )
    return ""


def _sections(program: Program, lines: np.ndarray) -> np.ndarray:
    """How many barriers precede each line: operations may not cross a barrier."""
    barrier_lines = np.array([b.line for b in program.barriers], dtype=np.int64)
    return np.searchsorted(barrier_lines, lines, side="right")


def _tools_at(program: Program, lines: np.ndarray) -> np.ndarray:
    changes = program.tool_changes
    if not changes:
        return np.zeros(lines.shape[0], dtype=np.int64)
    at = np.array([line for line, _ in changes])
    tools = np.array([0] + [tool for _, tool in changes])
    return tools[np.searchsorted(at, lines, side="right")]


def _hole_table(program: Program) -> tuple[np.ndarray, np.ndarray]:
    m = program.motion
    rows = np.flatnonzero(m.kind == MoveKind.HOLE)
    params = np.array([_param_row(p) for p in program.hole_params], dtype=float).reshape(-1, 10)
    lines = m.line[rows].astype(np.int64)
    table = np.column_stack(
        [_sections(program, lines), m.end[rows, :2], params[m.aux[rows]]]
    ).round(_DECIMALS)
    return table, lines


def _param_row(p) -> list[float]:
    head = [p.cycle, p.z_mm, p.r_mm, p.q_mm, p.dwell_s, p.feed_mm_min, p.repeats]
    return [*head, p.spindle_rpm, p.tool, float(p.coolant)]


def _holes(old: Program, new: Program) -> str:
    a, a_lines = _hole_table(old)
    b, b_lines = _hole_table(new)
    if a.shape == b.shape and np.array_equal(_sorted_rows(a), _sorted_rows(b)):
        return ""
    count_a = Counter(map(tuple, a.tolist()))
    count_b = Counter(map(tuple, b.tolist()))
    for row, line in zip(a.tolist(), a_lines.tolist(), strict=True):
        if count_b[tuple(row)] < count_a[tuple(row)]:
            return f"hole {_describe(row)} at old line {line + 1} is not drilled by the new program"
    for row, line in zip(b.tolist(), b_lines.tolist(), strict=True):
        if count_a[tuple(row)] < count_b[tuple(row)]:
            return f"hole {_describe(row)} at new line {line + 1} is not in the old program"
    return "the hole lists differ"


def _sorted_rows(table: np.ndarray) -> np.ndarray:
    if not len(table):
        return table
    return table[np.lexsort(table.T[::-1])]


def _describe(row) -> str:
    _, x, y, cycle, z, r, *_rest = row
    feed, tool = row[8], row[11]
    return f"X{_n(x)} Y{_n(y)} (G{int(cycle)} Z{_n(z)} R{_n(r)} F{feed:g}, tool {int(tool)})"


def _n(value: float) -> str:
    text = f"{value:.4f}".rstrip("0")
    return "0." if text in ("-0.", "0.") else text


def _move_table(program: Program) -> np.ndarray:
    """Every motion row as (kind, end xyz, feed, arc length, arc radius), rounded once."""
    m = program.motion
    arc = np.zeros((len(m), 2))
    is_arc = m.kind == MoveKind.ARC
    if is_arc.any():
        arc[is_arc] = m.arcs[m.aux[is_arc], :2]
    feed = np.where(m.kind == MoveKind.RAPID, 0.0, m.feed_mm_min)  # F does not act on G0
    table = np.column_stack([m.kind.astype(float), m.end, feed, arc])
    return np.nan_to_num(table.round(_DECIMALS), nan=np.inf)


def _block_keys(program: Program) -> list[tuple[tuple, int]]:
    """One hashable key per cut block: where it is (section, tool) and its exact moves."""
    table = _move_table(program)
    blocks = [op for op in program.ops if isinstance(op, CutBlock)]
    lines = np.array([op.body_line for op in blocks], dtype=np.int64)
    sections = _sections(program, lines).tolist()
    tools = _tools_at(program, lines).tolist()
    return [
        ((sections[k], tools[k], table[op.rows[0] : op.rows[1]].tobytes()), op.body_line)
        for k, op in enumerate(blocks)
    ]


def _blocks(old: Program, new: Program) -> str:
    a, b = _block_keys(old), _block_keys(new)
    count_a = Counter(k for k, _ in a)
    count_b = Counter(k for k, _ in b)
    for key, line in a:
        if count_b[key] < count_a[key]:
            return f"cut block at old line {line + 1} is not cut the same way by the new program"
    for key, line in b:
        if count_a[key] < count_b[key]:
            return f"cut block at new line {line + 1} is not in the old program"
    return ""


def _outside_ops(program: Program) -> np.ndarray:
    inside = np.zeros(len(program.motion), dtype=bool)
    for op in program.ops:
        inside[op.rows[0] : op.rows[1]] = True
    return ~inside


def _loose_feeds(old: Program, new: Program) -> str:
    def feeds(p: Program):
        m = p.motion
        loose = _outside_ops(p) & ((m.kind == MoveKind.LINE) | (m.kind == MoveKind.ARC))
        return _move_table(p)[loose], m.line[loose]

    a, a_lines = feeds(old)
    b, _ = feeds(new)
    n = min(len(a), len(b))
    differ = np.flatnonzero(np.any(a[:n] != b[:n], axis=1))
    if differ.size:
        return f"feed move at old line {int(a_lines[differ[0]]) + 1} differs in the new program"
    if len(a) != len(b):
        return f"the old program has {len(a)} feed moves outside blocks, the new one {len(b)}"
    return ""


def _travel_levels(program: Program) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Z of every travel (rapid outside blocks, hole-to-hole), its tool and line."""
    m = program.motion
    start_z = np.concatenate([[np.nan], m.end[:-1, 2]]) if len(m) else m.end[:, 2]
    outside = _outside_ops(program)
    rapid = (m.kind == MoveKind.RAPID) & outside
    hole = m.kind == MoveKind.HOLE
    rows = np.flatnonzero(rapid | hole)
    z = np.where(hole[rows], start_z[rows], np.fmin(start_z[rows], m.end[rows, 2]))
    lines = m.line[rows].astype(np.int64)
    keep = ~np.isnan(z)
    return z[keep], _tools_at(program, lines[keep]), lines[keep]


def _safety(old: Program, new: Program) -> str:
    z_old, t_old, _ = _travel_levels(old)
    z_new, t_new, lines = _travel_levels(new)
    for tool in np.unique(t_new).tolist():
        floor = z_old[t_old == tool]
        if not floor.size:
            continue
        low = float(floor.min())
        mine = np.flatnonzero((t_new == tool) & (z_new < low - _TOL_MM))
        if mine.size:
            i = int(mine[0])
            return (
                f"rapid travel at new line {int(lines[i]) + 1} runs at Z{_n(float(z_new[i]))}, "
                f"below the old program's lowest travel Z{_n(low)} for tool {tool}"
            )
    return ""
