"""Machining-equivalence verifier: does the new program do the same machining as the old one?

Both programs are parsed (``ncopt.interpreter``); the check compares what the machine does,
not the text:

1. the same barriers (subprogram calls, macros, …), with the same text, in the same order;
2. the same tools in the same order of tool changes (as a multiset if regrouping is allowed)
   and as many spindle starts;
3. the same multiset of holes: position, cycle, bottom Z, R, Q, dwell, feed, repeats, spindle
   speed, tool, coolant, and the barrier section they are in (nothing crosses a barrier);
4. the same multiset of cut blocks, each with the same moves in the same order (kind, end
   point, feed; for arcs length, radius, centre and direction), per tool and section; feed
   moves outside blocks in the same order;
5. order where it matters: holes at the same XY, and holes and blocks that touch the same
   material (``ncopt.footprint``), come in the same order — a tap after its drill, finishing
   after roughing, whatever tool does them;
6. safety: no rapid outside a cut block or hole cycle runs lower than the lowest such rapid of
   the same tool in the old program (the clearance the programmer used), and no hole-to-hole
   travel runs lower than the old program's lowest return level for that tool.

With ``allow_tool_regroup`` the new program may change tools fewer times (the same tools, the
order of work on the same material still kept by rule 5), start the spindle fewer times by at
most the tool changes saved, and loose feed moves keep their order per tool.

With ``allow_block_reversal`` a new block may also be an old one cut backwards
(``ncopt.reverse``): reversing it again must give the old block exactly.

``verify_air_cut`` proves the other transformation, air cutting: the same program line for
line, except feed moves entirely at or above a given Z that became rapids.

The report names the first difference found, with line numbers.

>>> from ncopt.interpreter import parse_program
>>> old = parse_program("G0 X0 Y0 Z10.\\nG81 X1. Y1. Z-2. R1. F100.\\nX2.\\nG80\\n")
>>> new = parse_program("G0 X0 Y0 Z10.\\nG81 X2. Y1. Z-2. R1. F100.\\nX1.\\nG80\\n")
>>> verify_equivalent(old, new).ok
True
>>> bad = parse_program("G0 X0 Y0 Z10.\\nG81 X2. Y1. Z-2. R1. F100.\\nX1.1\\nG80\\n")
>>> print(verify_equivalent(old, bad).first_difference)  # doctest: +NORMALIZE_WHITESPACE
hole X1. Y1. (G81 Z-2. R1. F100, returning to Z10., tool 0) at old line 2
is not drilled by the new program
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ncopt.footprint import block_boxes, margin_mm, overlapping_boxes, points_in_boxes
from ncopt.handover import handover_problem, sections, traverse_problem
from ncopt.program import CutBlock, MoveKind, Program
from ncopt.reverse import block_rows, reverse_rows

__all__ = ["VerifyReport", "verify_air_cut", "verify_equivalent"]

_DECIMALS = 4  # 0.1 µm: far below any machine's resolution, far above float noise
_TOL_MM = 1e-6


@dataclass(frozen=True)
class VerifyReport:
    """``ok`` and, when not, the first difference in words (``first_difference``, else None)."""

    ok: bool
    first_difference: str | None = None
    holes: int = 0
    blocks: int = 0
    checks: tuple[tuple[str, bool, str], ...] = ()  # (rule, passed, what it proved or found)

    def __bool__(self) -> bool:
        return self.ok


def verify_equivalent(
    old: Program,
    new: Program,
    *,
    allow_tool_regroup: bool = False,
    allow_block_reversal: bool = False,
) -> VerifyReport:
    """Prove ``new`` machines what ``old`` does (see the module docstring for the rules)."""
    matched: list[np.ndarray] = []
    regroup = allow_tool_regroup
    n_blocks = sum(isinstance(o, CutBlock) for o in old.ops)
    rules = (
        ("barriers", lambda: _barriers(old, new) or _stops(old, new), _said_walls(old)),
        ("tools", lambda: _tools(old, new, regroup), _said_tools(old, new)),
        ("holes", lambda: _holes(old, new), f"{old.hole_count} {_HOLES_SAME}"),
        (
            "blocks",
            lambda: _blocks(old, new, allow_block_reversal, matched),
            f"{n_blocks} cut blocks: entered at the same point, the same moves",
        ),
        ("loose_feeds", lambda: _loose_feeds(old, new, regroup), "feed moves outside blocks"),
        ("order", lambda: _precedence(old, new, matched[0]), _ORDER_SAME),
        (
            "safety",
            lambda: traverse_problem(old, new, _hole_partners(old, new), matched[0], regroup),
            _TRAVEL_SAFE,
        ),
        ("handover", lambda: handover_problem(old, new, regroup), _HANDOVER_SAME),
    )
    checks: list[tuple[str, bool, str]] = []
    for rule, check, said in rules:  # in turn: later checks rely on what earlier ones proved
        problem = check()
        if problem:
            checks.append((rule, False, problem))
            checks += [(later, False, "not checked") for later, _, _ in rules[len(checks) :]]
            return VerifyReport(False, problem, checks=tuple(checks))
        checks.append((rule, True, said))
    return VerifyReport(True, None, old.hole_count, n_blocks, tuple(checks))


_HOLES_SAME = (
    "holes: the same place, cycle, depth, R, Q, dwell, feed, repeats, spindle speed, tool, "
    "coolant and return level"
)
_ORDER_SAME = (
    "work on the same material in the same order (a tap after its drill, finishing after roughing)"
)
_TRAVEL_SAFE = "every traverse at or above the heights the original travelled at around the work"
_HANDOVER_SAME = "the same position and modes at every subprogram, stop, tool change and the end"


def _said_walls(old: Program) -> str:
    barriers = f"{len(old.barriers)} barrier{'' if len(old.barriers) == 1 else 's'}"
    stops = f"{len(old.stops)} program stop{'' if len(old.stops) == 1 else 's'}"
    return f"{barriers} and {stops} kept: same text, same order, nothing moved across them"


def _said_tools(old: Program, new: Program) -> str:
    a = [t for _, t in old.tool_changes]
    b = [t for _, t in new.tool_changes]
    order = " → ".join(f"T{t}" for t in b) or "no tool change"
    return f"tool order {order}" + (
        f" ({len(a) - len(b)} changes fewer)" if len(b) < len(a) else ""
    )


def verify_air_cut(old: Program, new: Program, above_z_mm: float) -> VerifyReport:
    """Prove ``new`` is ``old`` with only feed moves that run entirely at or above
    ``above_z_mm`` (work Z) turned into rapids: every other move, hole, dwell, barrier, tool
    change and spindle start is the same, in the same order.

    >>> from ncopt.interpreter import parse_program
    >>> old = parse_program("G0 X0 Y0 Z10.\\nG1 X5. F500.\\nG1 Z-1.\\nX6.\\n")
    >>> good = parse_program("G0 X0 Y0 Z10.\\nG0 X5. F500.\\nG1 Z-1.\\nX6.\\n")
    >>> verify_air_cut(old, good, above_z_mm=5.0).ok
    True
    >>> bad = parse_program("G0 X0 Y0 Z10.\\nG0 X5. F500.\\nZ-1.\\nG1 X6.\\n")
    >>> print(verify_air_cut(old, bad, above_z_mm=5.0).first_difference)
    move 3 at old line 3 differs: old G1 to X5. Y0. Z-1., new G0 to X5. Y0. Z-1.
    """
    problem = _barriers(old, new) or _tools(old, new, False) or _air_rows(old, new, above_z_mm)
    if problem:
        return VerifyReport(False, problem)
    return VerifyReport(True, None, old.hole_count, sum(isinstance(o, CutBlock) for o in old.ops))


def _air_rows(old: Program, new: Program, above_z_mm: float) -> str:
    mo, mn = old.motion, new.motion
    if len(mo) != len(mn):
        return f"the old program has {len(mo)} moves, the new one {len(mn)}"
    a, b = _move_table(old), _move_table(new)
    start_z = np.concatenate([[np.nan], mo.end[:-1, 2]]) if len(mo) else mo.end[:, 2]
    with np.errstate(invalid="ignore"):
        air = (
            (mo.kind == MoveKind.LINE)
            & (mn.kind == MoveKind.RAPID)
            & (start_z >= above_z_mm)
            & (mo.end[:, 2] >= above_z_mm)
        )
    same = np.all(a == b, axis=1) | (air & np.all(a[:, 1:4] == b[:, 1:4], axis=1))
    bad = np.flatnonzero(~same)
    dwell_a, dwell_b = mo.dwell_after.round(_DECIMALS), mn.dwell_after.round(_DECIMALS)
    if not np.array_equal(dwell_a, dwell_b):
        return "the dwells differ"
    if bad.size:
        r = int(bad[0])
        return (
            f"move {r + 1} at old line {int(mo.line[r]) + 1} differs: "
            f"old {_move_words(mo, r)}, new {_move_words(mn, r)}"
        )
    ha, _ = _hole_table(old)
    hb, _ = _hole_table(new)
    if not np.array_equal(ha, hb):
        return "the holes differ"
    return ""


def _move_words(m, r: int) -> str:
    kind = {0: "G0", 1: "G1", 2: "arc", 3: "hole", 4: "frame change"}[int(m.kind[r])]
    x, y, z = (float(v) for v in m.end[r])
    return f"{kind} to X{_n(x)} Y{_n(y)} Z{_n(z)}"


def _barriers(old: Program, new: Program) -> str:
    a = [b.text.strip() for b in old.barriers]
    b = [b.text.strip() for b in new.barriers]
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"barrier {i + 1} differs: old line {old.barriers[i].line + 1} {x!r}, new {y!r}"
    if len(a) != len(b):
        return f"the old program has {len(a)} barriers, the new one {len(b)}"
    return ""


def _stops(old: Program, new: Program) -> str:
    a = [(stop.code, stop.text.strip()) for stop in old.stops]
    b = [(stop.code, stop.text.strip()) for stop in new.stops]
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            line = old.stops[i].line + 1
            return f"program stop {i + 1} differs: old line {line} {x[1]!r}, new {y[1]!r}"
    if len(a) != len(b):
        return f"the old program has {len(a)} program stops, the new one {len(b)}"
    return ""


def _tools(old: Program, new: Program, allow_regroup: bool) -> str:
    a = [t for _, t in old.tool_changes]
    b = [t for _, t in new.tool_changes]
    saved = len(a) - len(b)
    if allow_regroup and set(a) == set(b) and saved >= 0:
        starts_old, starts_new = len(old.spindle_starts), len(new.spindle_starts)
        if not starts_old - saved <= starts_new <= starts_old:
            return (
                f"the old program starts the spindle {starts_old} times, the new one "
                f"{starts_new} with {saved} tool changes fewer"
            )
        return ""
    if a != b:
        return f"tool changes differ: old T{a}, new T{b}"
    if len(old.spindle_starts) != len(new.spindle_starts):
        return (
            f"the old program starts the spindle {len(old.spindle_starts)} times, "
            f"the new one {len(new.spindle_starts)}"
        )
    return ""


def _sections(program: Program, lines: np.ndarray) -> np.ndarray:
    """How many barriers and program stops precede each line: nothing may cross them."""
    return sections(program, lines)


def _hole_table(program: Program) -> tuple[np.ndarray, np.ndarray]:
    m = program.motion
    rows = np.flatnonzero(m.kind == MoveKind.HOLE)
    params = np.array([_param_row(p) for p in program.hole_params], dtype=float).reshape(-1, 11)
    lines = m.line[rows].astype(np.int64)
    table = np.column_stack(
        [_sections(program, lines), m.end[rows, :2], params[m.aux[rows]]]
    ).round(_DECIMALS)
    return table, lines


def _param_row(p) -> list[float]:
    """A hole's identity besides its place, with the level it returns to: G98's initial
    level or G99's R, absolute (the safety rule: each hole keeps its own)."""
    head = [p.cycle, p.z_mm, p.r_mm, p.q_mm, p.dwell_s, p.feed_mm_min, p.repeats]
    return [*head, p.spindle_rpm, p.tool, float(p.coolant), p.return_z_mm]


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
    feed, tool, back = row[8], row[11], row[13]
    return (
        f"X{_n(x)} Y{_n(y)} (G{int(cycle)} Z{_n(z)} R{_n(r)} F{feed:g}, returning to "
        f"Z{_n(back)}, tool {int(tool)})"
    )


def _n(value: float) -> str:
    text = f"{value:.4f}".rstrip("0")
    return "0." if text in ("-0.", "0.") else text


# Arc columns compared: length, radius, centre (3), clockwise, plane (see ArcGeometry.row).
_ARC_KEY = [0, 1, 8, 9, 10, 11, 12]


def _move_table(program: Program) -> np.ndarray:
    """Every motion row as (kind, end xyz, feed, arc length, radius, centre, clockwise,
    plane), rounded once. The centre and direction tell an arc from its mirror image, which
    has the same ends, radius and length."""
    m = program.motion
    arcs = np.zeros((len(m), m.arcs.shape[1]))
    is_arc = m.kind == MoveKind.ARC
    if is_arc.any():
        arcs[is_arc] = m.arcs[m.aux[is_arc]]
    return _rows_table(m.kind, m.end, m.feed_mm_min, arcs)


def _rows_table(kind, end, feed, arcs) -> np.ndarray:
    feed = np.where(kind == MoveKind.RAPID, 0.0, feed)  # F does not act on G0
    table = np.column_stack([kind.astype(float), end, feed, arcs[:, _ARC_KEY]])
    return np.nan_to_num(table.round(_DECIMALS), nan=np.inf)


def _block_keys(program: Program) -> list[tuple[tuple, int]]:
    """One hashable key per cut block: where it is (section, tool) and its exact moves."""
    table = _move_table(program)
    blocks = [op for op in program.ops if isinstance(op, CutBlock)]
    lines = np.array([op.body_line for op in blocks], dtype=np.int64)
    sections = _sections(program, lines).tolist()
    tools = program.tools_at(lines).tolist()
    entries = np.nan_to_num(np.array([op.entry_xyz for op in blocks]).round(_DECIMALS), nan=np.inf)
    return [
        (
            (
                sections[k],
                tools[k],
                table[op.rows[0] : op.rows[1]].tobytes() + entries[k].tobytes(),
            ),
            op.body_line,
        )
        for k, op in enumerate(blocks)
    ]


def _blocks(old: Program, new: Program, allow_reversal: bool, matched: list) -> str:
    """Pair every old block with an equal new one (the k-th equal block of one program with
    the k-th of the other); with ``allow_reversal`` a new block may also be an old one cut
    backwards (``ncopt.reverse``), proved by reversing it again. Appends, for each old block,
    the first motion row of its partner in the new program to ``matched``."""
    a, b = _block_keys(old), _block_keys(new)
    new_blocks = [op for op in new.ops if isinstance(op, CutBlock)]
    slots: dict[tuple, list[int]] = {}
    for k, (key, _) in enumerate(b):
        slots.setdefault(key, []).append(k)
    for queue in slots.values():
        queue.reverse()
    partner = [slots[key].pop() if slots.get(key) else -1 for key, _ in a]
    if allow_reversal and -1 in partner:
        unused = sorted(k for queue in slots.values() for k in queue)
        back: dict[tuple, list[int]] = {}
        for k in unused:
            rows = reverse_rows(block_rows(new, new_blocks[k]))
            if rows is not None:
                table = _rows_table(rows.kind, rows.end, rows.feed, rows.arcs)
                entry = np.nan_to_num(rows.start.round(_DECIMALS), nan=np.inf)
                back.setdefault((*b[k][0][:2], table.tobytes() + entry.tobytes()), []).append(k)
        for queue in back.values():
            queue.reverse()
        for i, (key, _) in enumerate(a):
            if partner[i] < 0 and back.get(key):
                partner[i] = back[key].pop()
    for i, (_, line) in enumerate(a):
        if partner[i] < 0:
            return f"cut block at old line {line + 1} is not cut the same way by the new program"
    paired = set(partner)
    for k, (_, line) in enumerate(b):
        if k not in paired:
            return f"cut block at new line {line + 1} is not in the old program"
    matched.append(np.array([new_blocks[k].rows[0] for k in partner], dtype=np.int64))
    return ""


def _outside_ops(program: Program) -> np.ndarray:
    inside = np.zeros(len(program.motion), dtype=bool)
    for op in program.ops:
        inside[op.rows[0] : op.rows[1]] = True
    return ~inside


def _loose_feeds(old: Program, new: Program, per_tool: bool = False) -> str:
    def feeds(p: Program):
        m = p.motion
        loose = np.flatnonzero(
            _outside_ops(p) & ((m.kind == MoveKind.LINE) | (m.kind == MoveKind.ARC))
        )
        if per_tool:  # regrouped tools: each tool's feed moves in their order
            loose = loose[np.argsort(p.tools_at(m.line[loose]), kind="stable")]
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


def _items(program: Program) -> tuple[np.ndarray, np.ndarray, list, np.ndarray]:
    """Holes and cut blocks in program order, each with its position (first motion row).

    Returns hole positions and XY, the blocks, and block positions. Old and new items are
    matched by identity and occurrence (the k-th equal hole or block of one program is the
    k-th of the other), which ``_holes`` and ``_blocks`` have shown to be one-to-one.
    """
    m = program.motion
    hole_rows = np.flatnonzero(m.kind == MoveKind.HOLE)
    blocks = [op for op in program.ops if isinstance(op, CutBlock)]
    block_pos = np.array([op.rows[0] for op in blocks], dtype=np.int64)
    return hole_rows, m.end[hole_rows, :2], blocks, block_pos


def _occurrence_order(table: np.ndarray) -> np.ndarray:
    """Indices sorting equal rows together, equal rows in program order."""
    if not len(table):
        return np.arange(0)
    return np.lexsort(np.vstack([np.arange(len(table)), table.T[::-1]]))


def _hole_partners(old: Program, new: Program) -> np.ndarray:
    """For each old hole (in program order), the motion row of its partner in the new
    program: the k-th equal hole of one program is the k-th of the other."""
    ta, _ = _hole_table(old)
    tb, _ = _hole_table(new)
    new_rows = np.flatnonzero(new.motion.kind == MoveKind.HOLE)
    hole_new = np.empty(len(ta), dtype=np.int64)
    hole_new[_occurrence_order(ta)] = new_rows[_occurrence_order(tb)]
    return hole_new


def _precedence(old: Program, new: Program, block_new: np.ndarray) -> str:
    """Work on the same material (``ncopt.footprint``) comes in the same order."""
    old_rows, old_xy, old_blocks, old_bpos = _items(old)
    hole_new = _hole_partners(old, new)  # where each old hole is in the new program
    lines = old.motion.line
    # Holes at the same XY keep their order.
    xy = np.nan_to_num(old_xy.round(_DECIMALS), nan=np.inf)
    by_xy = np.lexsort((old_rows, xy[:, 1], xy[:, 0]))
    same = np.all(xy[by_xy][1:] == xy[by_xy][:-1], axis=1)
    swapped = np.flatnonzero(same & (np.diff(hole_new[by_xy]) < 0))
    if swapped.size:
        first, second = old_rows[by_xy[swapped[0]]], old_rows[by_xy[swapped[0] + 1]]
        return (
            f"holes at old lines {int(lines[first]) + 1} and {int(lines[second]) + 1} are at "
            "the same place and must keep their order"
        )
    # Blocks against the holes and the other blocks in their box.
    margin = margin_mm(old)
    boxes = block_boxes(old, old_blocks, margin)
    hole, block = points_in_boxes(old_xy, boxes)
    wrong = (old_rows[hole] < old_bpos[block]) != (hole_new[hole] < block_new[block])
    if wrong.any():
        first = np.lexsort((old_rows[hole[wrong]], old_bpos[block[wrong]]))[0]
        h, k = hole[wrong][first], block[wrong][first]
        return (
            f"the hole at old line {int(lines[old_rows[h]]) + 1} and the cut block at old line "
            f"{old_blocks[k].body_line + 1} work the same material and must keep their order"
        )
    a, b = overlapping_boxes(boxes)
    wrong = (old_bpos[a] < old_bpos[b]) != (block_new[a] < block_new[b])
    if wrong.any():
        first = np.lexsort((old_bpos[a[wrong]], old_bpos[b[wrong]]))[0]
        one, two = sorted((int(a[wrong][first]), int(b[wrong][first])), key=lambda i: old_bpos[i])
        return (
            f"the cut blocks at old lines {old_blocks[one].body_line + 1} and "
            f"{old_blocks[two].body_line + 1} work the same material and must keep their order"
        )
    return ""
