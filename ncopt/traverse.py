"""Traverses: where the tool travels between pieces of work, and how high.

The *items* of a program are its pieces of work, in program order: each hole (one hole row:
the cycle at one place), each cut block, and each feed move outside blocks. Between two
consecutive items the machine *traverses*: the rapids outside blocks, and the XY move a hole
row makes at the current Z before its cycle.

The *level* of a traverse is the lowest Z at which it moves in XY (a rapid that also moves in
Z counts at the lower of its two ends; moves whose Z is unknown are skipped). A traverse that
does not move in XY has as level the highest Z it reaches; NaN when nothing is known.

An operation (a hole set or a cut block, ``ncopt.program``) is *arrived at* by the traverse
before its first item and *left* by the one after its last item. These two levels are what the
programmer showed to be clear around that operation; the safety rule of the verifier and the
travel the emitter writes are both stated in them (docs/engine.md, "Safety").

>>> from ncopt.interpreter import parse_program
>>> p = parse_program("G0 X0 Y0 Z50.\\nG99 G81 X10. Y0. Z-5. R2. F100.\\nX20.\\nG80\\n"
...                   "G0 Z30.\\nX50.\\n")
>>> t = traverses(p)
>>> t.level.tolist()  # before hole 1, between the holes (at R), after hole 2
[50.0, 2.0, 30.0]
>>> op_levels(p, t)
(array([50.]), array([30.]))
>>> t.item_set.tolist()  # one cycle line and its modal line: one set
[0, 0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ncopt.gcode import LineFlag
from ncopt.program import CutBlock, HoleSet, MoveKind, Program

__all__ = ["ItemKind", "Traverses", "op_levels", "traverses"]

_XY_TOL_MM = 1e-7


class ItemKind:
    HOLE = 0
    BLOCK = 1
    FEED = 2


@dataclass(frozen=True, eq=False)
class Traverses:
    """Items and the traverses between them (numpy columns).

    ``item_row`` (k,): first motion row of each item, ``item_kind`` (k,) ``ItemKind``,
    ``item_op`` (k,) the operation holding it or -1, ``item_set`` (k,) its *set*: the holes
    of one cycle line and the modal lines after it (a set may hold several operations when
    a repeat count splits it), every other item a set of its own. ``level`` (k + 1,):
    traverse ``t`` runs before item ``t`` (``level[k]`` after the last item).
    ``row_traverse`` (n,): the traverse each motion row moves in, -1 for rows of an item's
    work; ``xy_moving`` (n,): the row's traverse part moves in XY; ``seg_z`` (n,): the Z at
    which it does. ``rows_in`` (k + 1,): how many rows each traverse has.
    """

    item_row: np.ndarray
    item_kind: np.ndarray
    item_op: np.ndarray
    item_set: np.ndarray
    level: np.ndarray
    row_traverse: np.ndarray
    xy_moving: np.ndarray
    seg_z: np.ndarray
    rows_in: np.ndarray


def traverses(program: Program) -> Traverses:
    """The items of ``program`` and the level of each traverse (see the module docstring)."""
    m = program.motion
    n = len(m)
    kind = m.kind
    block_of = np.full(n, -1, dtype=np.int64)
    op_of = np.full(n, -1, dtype=np.int64)
    for op in program.ops:
        op_of[op.rows[0] : op.rows[1]] = op.index
        if isinstance(op, CutBlock):
            block_of[op.rows[0] : op.rows[1]] = op.index
    hole = kind == MoveKind.HOLE
    feed = ((kind == MoveKind.LINE) | (kind == MoveKind.ARC)) & (block_of < 0)
    block_first = (block_of >= 0) & (block_of != np.concatenate([[-1], block_of[:-1]]))
    starts = hole | feed | block_first
    count = np.cumsum(starts)
    # Loose rapids travel towards the next item; a hole row's XY move is its own item's.
    in_traverse = ((kind == MoveKind.RAPID) & (block_of < 0)) | hole
    row_traverse = np.where(in_traverse, count - hole, -1)
    _block_ends_travel(program, kind, count, in_traverse, row_traverse)
    start = np.vstack([np.full((1, 3), np.nan), m.end[:-1]]) if n else m.end
    with np.errstate(invalid="ignore"):
        same_xy = np.all(np.abs(m.end[:, :2] - start[:, :2]) <= _XY_TOL_MM, axis=1)
    xy_moving = in_traverse & ~same_xy
    seg_z = np.where(hole, start[:, 2], np.fmin(start[:, 2], m.end[:, 2]))
    items = np.flatnonzero(starts)
    k = len(items)
    level = _levels(k + 1, row_traverse, xy_moving, seg_z, start[:, 2], m.end[:, 2], hole)
    kinds = np.where(hole[items], ItemKind.HOLE, np.where(feed[items], ItemKind.FEED, 1))
    rows_in = np.bincount(row_traverse[row_traverse >= 0], minlength=k + 1)[: k + 1]
    # A hole continues the set of the hole before it when it is reached by its own XY move
    # alone, on a line that states no cycle code (a modal hole line).
    lines = m.line[items]
    states_cycle = (program.line_flags[lines] & LineFlag.MOTION_GROUP) > 0
    same_line = np.concatenate([[False], lines[1:] == lines[:-1]])  # a repeat in G91
    is_hole = hole[items]
    joins = is_hole & np.concatenate([[False], is_hole[:-1]]) & (~states_cycle | same_line)
    joins &= rows_in[:k] == 1
    item_set = np.cumsum(~joins) - 1
    return Traverses(
        item_row=items,
        item_kind=kinds.astype(np.int8),
        item_op=op_of[items],
        item_set=item_set,
        level=level,
        row_traverse=row_traverse,
        xy_moving=xy_moving,
        seg_z=seg_z,
        rows_in=rows_in,
    )


def _block_ends_travel(program, kind, count, in_traverse, row_traverse) -> None:
    """A cut block's leading rapids (its approach) and trailing rapids (its retract) are
    travel before and after it: a block that ends by coming down to the clearance plane has
    left its work higher, and the level it left at says so."""
    for op in program.ops:
        if not isinstance(op, CutBlock):
            continue
        r0, r1 = op.rows
        cutting = np.flatnonzero(kind[r0:r1] != MoveKind.RAPID)
        if not len(cutting):
            continue
        item = count[r0] - 1
        lead, trail = slice(r0, r0 + cutting[0]), slice(r0 + cutting[-1] + 1, r1)
        in_traverse[lead] = in_traverse[trail] = True
        row_traverse[lead], row_traverse[trail] = item, item + 1


def _levels(size, row_traverse, xy_moving, seg_z, start_z, end_z, hole) -> np.ndarray:
    """Lowest Z of each traverse's XY moves, else the highest Z it reaches (NaN: unknown)."""
    level = np.full(size, np.inf)
    known = xy_moving & np.isfinite(seg_z)
    np.minimum.at(level, row_traverse[known], seg_z[known])
    highest = np.full(size, -np.inf)
    rows = np.flatnonzero(row_traverse >= 0)
    for z in (start_z[rows], np.where(hole[rows], np.nan, end_z[rows])):
        ok = np.isfinite(z)
        np.maximum.at(highest, row_traverse[rows][ok], z[ok])
    level = np.where(np.isfinite(level), level, highest)
    return np.where(np.isfinite(level), level, np.nan)


def op_levels(program: Program, t: Traverses | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(arrive, leave)`` per operation: the levels of the traverses before the first item
    and after the last item of its set (NaN where unknown)."""
    t = t or traverses(program)
    arrive_item, leave_item = item_levels(program, t)
    arrive = np.full(len(program.ops), np.nan)
    leave = np.full(len(program.ops), np.nan)
    in_op = np.flatnonzero(t.item_op >= 0)
    arrive[t.item_op[in_op]] = arrive_item[in_op]
    leave[t.item_op[in_op]] = leave_item[in_op]
    return arrive, leave


def item_levels(program: Program, t: Traverses) -> tuple[np.ndarray, np.ndarray]:
    """``(arrive, leave)`` per item: the levels of the traverses before the first and after
    the last item of its set."""
    k = len(t.item_row)
    n_sets = int(t.item_set[-1]) + 1 if k else 0
    first = np.full(n_sets, k, dtype=np.int64)
    last = np.full(n_sets, -1, dtype=np.int64)
    np.minimum.at(first, t.item_set, np.arange(k))
    np.maximum.at(last, t.item_set, np.arange(k))
    return t.level[first[t.item_set]], t.level[last[t.item_set] + 1]


def hole_sets_of(program: Program) -> list[HoleSet]:
    return [op for op in program.ops if isinstance(op, HoleSet)]
