"""Cutting a block in the opposite direction (scenario setting ``allow_block_reversal``).

Reversing a block lets the sequencer enter it where it used to leave, which can save a long
travel. It changes climb milling into conventional milling and back, which is why it is a
setting. Only blocks of one simple, common shape are reversed:

- a descent at one XY point ``A`` (rapid approach, feed plunge; Z only, going down),
- a contour at one depth (straight moves and arcs in the XY plane, no helix),
- an ascent at the contour's last point ``B`` (Z only, going up),

with nothing on the block's lines but the move words (``N G X Y Z I J R F``) and no dwell.
Reversed, the same descent happens at ``B``, the contour runs backwards (every move keeps its
own feed; an arc keeps its centre and turns the other way), and the same ascent happens at
``A``. Ramped or helical entries, several depths (the reversed order would cut the deep pass
first), and programs that use cutter compensation (G41/G42: reversing would swap the side the
tool is on) are never reversed.

The same function turns a reversed block back, so the verifier can prove a reversed block by
reversing it again and comparing it with the original (``ncopt.verify``).

>>> from ncopt.interpreter import parse_program
>>> p = parse_program("G90 G0 X0 Y0 Z25.\\nZ2.\\nG1 Z-3. F150.\\nX10. F600.\\n"
...                   "G3 X20. Y10. I0. J10.\\nG0 Z25.\\n")
>>> view = reverse_block(p, p.ops[0])
>>> view.entry_xyz, view.exit_xyz
((20.0, 10.0, 25.0), (0.0, 0.0, 25.0))
>>> print("\\n".join(view.lines))
G0 Z2.
G1 Z-3. F150.
G2 X10. Y0. I-10. J0. F600.
G1 X0.
G0 Z25.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ncopt.gcode import LineFlag, format_number
from ncopt.program import CutBlock, Modal, MoveKind, Program

__all__ = ["BlockRows", "ReversedBlock", "block_rows", "reverse_block", "reverse_rows"]


@dataclass(frozen=True)
class BlockRows:
    """A block's moves as arrays: ``kind`` (n,), ``end`` (n, 3), ``feed`` (n,), ``arcs``
    (n, 13) (``Motion.arcs`` rows, zeros for straight moves), and where it starts."""

    start: np.ndarray
    kind: np.ndarray
    end: np.ndarray
    feed: np.ndarray
    arcs: np.ndarray


@dataclass(frozen=True)
class ReversedBlock:
    """A block cut backwards: its moves (``rows``) and what ``ncopt.writer`` writes for it."""

    entry_xyz: tuple[float, float, float]
    exit_xyz: tuple[float, float, float]
    modal_in: Modal
    modal_out: Modal
    lines: tuple[str, ...]
    rows: BlockRows


def block_rows(program: Program, op: CutBlock) -> BlockRows:
    m = program.motion
    r0, r1 = op.rows
    arcs = np.zeros((r1 - r0, m.arcs.shape[1] if m.arcs.ndim == 2 else 13))
    is_arc = m.kind[r0:r1] == MoveKind.ARC
    if is_arc.any():
        arcs[is_arc] = m.arcs[m.aux[r0:r1][is_arc]]
    return BlockRows(
        np.asarray(op.entry_xyz, dtype=float),
        m.kind[r0:r1].copy(),
        m.end[r0:r1].copy(),
        m.feed_mm_min[r0:r1].copy(),
        arcs,
    )


def reverse_rows(rows: BlockRows) -> BlockRows | None:
    """The block cut backwards, or None when it does not have the shape described above."""
    parts = _shape(rows)
    if parts is None:
        return None
    down, contour = parts
    a = rows.end[down - 1]  # bottom of the descent, first point of the contour
    b = rows.end[contour - 1]  # last point of the contour
    kind = np.empty_like(rows.kind)
    end = np.empty_like(rows.end)
    feed = np.empty_like(rows.feed)
    arcs = np.zeros_like(rows.arcs)
    # The descent, at B.
    kind[:down], feed[:down] = rows.kind[:down], rows.feed[:down]
    end[:down] = rows.end[:down]
    end[:down, :2] = b[:2]
    # The contour backwards: move k now runs from the end of move k to its start.
    src = np.arange(contour - 1, down - 1, -1)
    dst = np.arange(down, contour)
    kind[dst], feed[dst] = rows.kind[src], rows.feed[src]
    end[dst] = rows.end[src - 1]
    arcs[dst] = rows.arcs[src]
    arcs[dst, 2:5], arcs[dst, 5:8] = -rows.arcs[src, 5:8], -rows.arcs[src, 2:5]
    arcs[dst, 11] = np.where(kind[dst] == MoveKind.ARC, 1.0 - rows.arcs[src, 11], 0.0)
    # The ascent, at A.
    kind[contour:], feed[contour:] = rows.kind[contour:], rows.feed[contour:]
    end[contour:] = rows.end[contour:]
    end[contour:, :2] = a[:2]
    start = np.array([b[0], b[1], rows.start[2]])
    return BlockRows(start, kind, end, feed, arcs)


def _shape(rows: BlockRows) -> tuple[int, int] | None:
    """(rows of the descent, index after the contour) when the block can be reversed."""
    kind, end = rows.kind, rows.end
    n = len(kind)
    if n < 3 or not (np.all(np.isfinite(end)) and np.all(np.isfinite(rows.start))):
        return None
    z_prev = rows.start[2]
    down = 0
    while (
        down < n
        and kind[down] in (MoveKind.RAPID, MoveKind.LINE)
        and end[down, 0] == rows.start[0]
        and end[down, 1] == rows.start[1]
        and end[down, 2] < z_prev
    ):
        z_prev = end[down, 2]
        down += 1
    up = n
    while (
        up > down
        and kind[up - 1] in (MoveKind.RAPID, MoveKind.LINE)
        and end[up - 1, 2] > end[up - 2, 2]
        and end[up - 1, 0] == end[up - 2, 0]
        and end[up - 1, 1] == end[up - 2, 1]
    ):
        up -= 1
    if down == 0 or up == n or up <= down:
        return None
    contour = slice(down, up)
    flat = np.all(end[contour, 2] == z_prev)
    cutting = np.all((kind[contour] == MoveKind.LINE) | (kind[contour] == MoveKind.ARC))
    arcs = rows.arcs[contour][kind[contour] == MoveKind.ARC]
    planar = np.all(arcs[:, 12] == 17.0) if len(arcs) else True
    if not (flat and cutting and planar):
        return None
    return down, up


def reverse_block(program: Program, op) -> ReversedBlock | None:
    """``op`` cut backwards, or None when it is not a block of the shape described above."""
    if not isinstance(op, CutBlock) or not op.modal_in.absolute or op.modal_in.plane != 17:
        return None
    if _uses_cutter_compensation(program) or _has_dwell(program, op):
        return None
    if not _plain_move_lines(program, op):
        return None
    rows = reverse_rows(block_rows(program, op))
    if rows is None:
        return None
    inch = op.modal_in.inch
    lines = tuple(_lines(rows, inch))
    kinds = rows.kind.tolist()
    feeds = [f for f, k in zip(rows.feed.tolist(), kinds, strict=True) if k != MoveKind.RAPID]
    last_motion = {0: 0, 1: 1}.get(kinds[-1], 1)
    return ReversedBlock(
        entry_xyz=tuple(float(v) for v in rows.start),  # type: ignore[arg-type]
        exit_xyz=tuple(float(v) for v in rows.end[-1]),  # type: ignore[arg-type]
        modal_in=Modal(int(kinds[0]) if kinds[0] < 2 else 1, -1.0, 17, True, inch),
        modal_out=Modal(last_motion, feeds[-1] if feeds else -1.0, 17, True, inch),
        lines=lines,
        rows=rows,
    )


def _lines(rows: BlockRows, inch: bool):
    here = rows.start
    feed = None
    for k in range(len(rows.kind)):
        kind, end = int(rows.kind[k]), rows.end[k]
        words = []
        if kind == MoveKind.ARC:
            words.append("G2" if rows.arcs[k, 11] else "G3")
        else:
            words.append(f"G{kind}")
        for axis, letter in enumerate("XYZ"):
            if end[axis] != here[axis] or (kind == MoveKind.ARC and axis < 2):
                words.append(letter + format_number(end[axis], inch))
        if kind == MoveKind.ARC:
            words.append("I" + format_number(rows.arcs[k, 8] - here[0], inch))
            words.append("J" + format_number(rows.arcs[k, 9] - here[1], inch))
        if kind != MoveKind.RAPID and rows.feed[k] != feed:
            feed = rows.feed[k]
            words.append("F" + format_number(feed, inch))
        here = end
        yield " ".join(words)


def _plain_move_lines(program: Program, op: CutBlock) -> bool:
    """Every body line holds exactly one move and nothing but move words."""
    lines = program.motion.line[op.rows[0] : op.rows[1]]
    if len(lines) != op.end_line - op.body_line or np.any(np.diff(lines) != 1):
        return False
    flags = program.line_flags[op.body_line : op.end_line]
    return bool(np.all(flags & LineFlag.PLAIN_MOVE))


def _has_dwell(program: Program, op: CutBlock) -> bool:
    return bool(np.any(program.motion.dwell_after[op.rows[0] + 1 : op.rows[1] + 1]))


def _uses_cutter_compensation(program: Program) -> bool:
    """G41/G42 anywhere: reversing would swap the side the tool cuts on."""
    return bool(np.any(program.line_flags & LineFlag.CUTTER_COMP))
