"""Re-sequence one parsed program: a reorder plan per tool group, within a time budget.

Inside each movable group (operations of one tool between barriers, see ``ncopt.program``):

1. the operations are put in the order that minimises travel between them — cut blocks are
   asymmetric (``ncopt.blocks``), hole sets enter at their first and leave at their last hole;
2. the holes of each hole set become an open path from where the machine is at that moment,
   costed in machine time (``ncopt.sequencing`` with the ``Machine``).

With ``allow_block_reversal`` a cut block of the simple shape ``ncopt.reverse`` handles may
also be entered where it used to leave (cut backwards), when that saves travel.

Tool order and barriers are never touched here; the plan goes through ``ncopt.program.reorder``,
which refuses any plan that drops or repeats a hole or block.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ncopt.blocks import order_blocks
from ncopt.footprint import (
    EVERYWHERE,
    FOOTPRINT_MARGIN_MM,
    Box,
    block_box,
    margin_mm,
    overlapping_boxes,
)
from ncopt.machine import Machine
from ncopt.program import CutBlock, Group, HoleSet, Program, Step, is_identity, reorder
from ncopt.reverse import reversed_or_none
from ncopt.sequencing import solve_open_path

__all__ = ["PlanStats", "optimize_program"]

log = logging.getLogger(__name__)

Progress = Callable[..., None]


@dataclass(frozen=True)
class PlanStats:
    """What the sequencer changed: groups, holes and blocks re-sequenced."""

    groups_changed: int
    holes_resequenced: int
    blocks_resequenced: int
    stopped: bool
    blocks_reversed: int = 0


def optimize_program(
    program: Program,
    machine: Machine,
    *,
    time_limit_s: float,
    should_stop: Callable[[], bool] | None = None,
    progress: Progress | None = None,
    allow_block_reversal: bool = False,
) -> tuple[Program, PlanStats]:
    """The program with every movable group re-sequenced, and what changed."""
    deadline = time.monotonic() + max(0.0, time_limit_s)
    weights = [_group_weight(program, g) for g in program.groups]
    total_weight = sum(weights) or 1
    plan: dict[int, tuple[Step, ...]] = {}
    holes = blocks = flips = 0
    stopped = False
    done_weight = 0
    for group, weight in zip(program.groups, weights, strict=True):
        if not group.movable or (weight <= 2 and len(group.ops) <= 1):  # nothing to order
            done_weight += weight
            continue
        if should_stop is not None and should_stop():
            stopped = True
            break
        remaining = max(0.0, deadline - time.monotonic())
        share = remaining * weight / max(1, total_weight - done_weight)
        steps = _plan_group(program, group, machine, share, should_stop, allow_block_reversal)
        done_weight += weight
        if progress is not None:
            progress(fraction=done_weight / total_weight, message=f"tool T{group.tool}")
        if is_identity(program, group, steps):
            continue
        plan[group.index] = steps
        holes += sum(len(program.ops[s.op].xy) for s in steps if s.holes is not None)
        blocks += sum(isinstance(program.ops[i], CutBlock) for i in group.ops)
        flips += sum(s.reversed for s in steps)
    stats = PlanStats(len(plan), holes, blocks, stopped, flips)
    return (reorder(program, plan) if plan else program), stats


def _group_weight(program: Program, group: Group) -> int:
    """Rough share of the search a group deserves: its holes plus its operations."""
    ops = [program.ops[i] for i in group.ops]
    return sum(len(op.xy) for op in ops if isinstance(op, HoleSet)) + len(ops)


def _plan_group(program, group, machine, budget_s, should_stop, reversal) -> tuple[Step, ...]:
    ops = [program.ops[i] for i in group.ops]
    margin = margin_mm(program)
    flipped = _flipped(program, ops, should_stop) if reversal else [None] * len(ops)
    # Operations on the same material (roughing passes at growing depth, a finish pass, a
    # pilot and its deep hole) must keep their order: only their holes are re-sequenced, and
    # blocks may still be cut backwards in place.
    in_order = _any_overlap([_footprint(program, op, margin) for op in ops])
    order, orientation = _order_operations(
        ops, flipped, group, machine, budget_s * 0.1, should_stop, in_order
    )
    steps: list[Step] = []
    here = np.array(group.start_xyz[:2], dtype=float)
    hole_total = sum(len(op.xy) for op in ops if isinstance(op, HoleSet)) or 1
    for index, backwards in zip(order, orientation, strict=True):
        op = ops[index]
        if backwards:
            steps.append(Step(op.index, reversed=True))
            here = np.array(flipped[index].exit_xyz[:2], dtype=float)
        elif isinstance(op, HoleSet):
            # fast_tsp searches until its budget ends; small sets converge in milliseconds.
            share = min(budget_s * 0.9 * len(op.xy) / hole_total, 0.25 + 0.005 * len(op.xy))
            start = here if np.all(np.isfinite(here)) else None
            result = solve_open_path(
                op.xy, machine, start=start, time_limit_s=share, should_stop=should_stop
            )
            path = _never_worse(op.xy, result.order, start, machine)
            steps.append(Step(op.index, tuple(int(h) for h in path)))
            here = op.xy[path[-1]] if len(path) else here
        else:
            steps.append(Step(op.index))
            here = np.array(op.exit_xyz[:2], dtype=float)
    return tuple(steps)


def _flipped(program, ops, should_stop) -> list:
    """The reversed view of each operation that can be cut backwards (None for the others);
    checking a block reads its lines, so a stop request is honoured every 100 operations."""
    out = []
    for k, op in enumerate(ops):
        if k % 100 == 99 and should_stop is not None and should_stop():
            return out + [None] * (len(ops) - k)
        out.append(reversed_or_none(program, op))
    return out


def _never_worse(xy: np.ndarray, order: np.ndarray, start, machine: Machine) -> np.ndarray:
    """The solver's order, unless the program's own order is at least as fast."""
    as_written = np.arange(len(xy))
    if _path_time(xy, order, start, machine) < _path_time(xy, as_written, start, machine):
        return order
    return as_written


def _path_time(xy: np.ndarray, order: np.ndarray, start, machine: Machine) -> float:
    pts = xy[order]
    if start is not None:
        pts = np.vstack([np.asarray(start, dtype=float)[None, :2], pts])
    if len(pts) < 2:
        return 0.0
    d = np.diff(pts, axis=0)
    return float(machine.rapid_time_xy(d[:, 0], d[:, 1]).sum())


def _footprint(program: Program, op, margin: float) -> Box:
    """XY box an operation works in (``ncopt.footprint``'s rules; hole sets get the plain tool
    allowance around their holes, so any hole or block the verifier relates overlaps it)."""
    if isinstance(op, CutBlock):
        return block_box(program, op, margin)
    xy = op.xy
    if not len(xy) or not np.all(np.isfinite(xy)):
        return EVERYWHERE
    lo, hi = xy.min(axis=0) - FOOTPRINT_MARGIN_MM, xy.max(axis=0) + FOOTPRINT_MARGIN_MM
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def _any_overlap(boxes: list[Box]) -> bool:
    return len(overlapping_boxes(np.array(boxes, dtype=float).reshape(-1, 4))[0]) > 0


# A reversed block must save more than this to be chosen (ties keep the programmed direction).
REVERSAL_MIN_GAIN_S = 1e-3


def _order_operations(ops, flipped, group: Group, machine, budget_s, should_stop, in_order):
    """Order of the group's operations by travel time between them (asymmetric), and for each
    whether it is cut backwards (``flipped[i]``: its reversed view, None if it cannot be);
    ``in_order``: keep the order, choose only the directions."""
    n = len(ops)
    keep = list(range(n)), [0] * n
    if n <= 1 or (in_order and all(f is None for f in flipped)):
        return keep
    entries = np.array([op.entry_xyz for op in ops], dtype=float)
    exits = np.array([op.exit_xyz for op in ops], dtype=float)
    if not (np.all(np.isfinite(entries)) and np.all(np.isfinite(exits))):
        return keep  # unknown positions: keep the program's order
    start = np.array(group.start_xyz, dtype=float)
    clear = group.clearance_z_mm
    ways = [(entries, exits)]
    if any(f is not None for f in flipped):
        nan = (np.nan, np.nan, np.nan)
        ways.append(
            (
                np.array([f.entry_xyz if f else nan for f in flipped], dtype=float),
                np.array([f.exit_xyz if f else nan for f in flipped], dtype=float),
            )
        )
    k = len(ways)
    start_cost = np.full((k, n), np.inf)
    trans = np.full((k, n, k, n), np.inf)
    known_start = np.all(np.isfinite(start))
    for o, (ent, _) in enumerate(ways):
        penalty = REVERSAL_MIN_GAIN_S * o
        for j in range(n):
            if not np.all(np.isfinite(ent[j])):
                continue
            start_cost[o, j] = _travel_s(start, ent[j], clear, machine) if known_start else 0.0
            start_cost[o, j] += penalty
            for p, (_, ext_p) in enumerate(ways):
                for i in range(n):
                    if i != j and np.all(np.isfinite(ext_p[i])):
                        trans[p, i, o, j] = _travel_s(ext_p[i], ent[j], clear, machine) + penalty
    if in_order:
        return list(range(n)), _directions_in_order(start_cost, trans)
    result = order_blocks(start_cost, trans, time_limit_s=budget_s, should_stop=should_stop)
    return list(result.order), list(result.orientation)


def _directions_in_order(start_cost: np.ndarray, trans: np.ndarray) -> list[int]:
    """The cheapest direction of each operation, visited in their order (dynamic programming
    over the direction of the previous one)."""
    k, n = start_cost.shape
    cost = start_cost[:, 0].copy()
    back = np.zeros((n, k), dtype=int)
    for j in range(1, n):
        step = cost[:, None] + trans[:, j - 1, :, j]  # (from direction, to direction)
        back[j] = np.argmin(step, axis=0)
        cost = step[back[j], np.arange(k)]
    way = [int(np.argmin(cost))]
    for j in range(n - 1, 0, -1):
        way.append(int(back[j, way[-1]]))
    return way[::-1]


def _travel_s(a: np.ndarray, b: np.ndarray, clearance_z: float, machine: Machine) -> float:
    """Retract to the clearance plane, rapid in XY, descend: the travel between operations."""
    if not np.all(np.isfinite(a)):
        return 0.0
    up = max(0.0, clearance_z - a[2])
    down = max(0.0, clearance_z - b[2])
    return (
        machine.rapid_time_s(0.0, 0.0, up)
        + machine.rapid_time_s(b[0] - a[0], b[1] - a[1])
        + machine.rapid_time_s(0.0, 0.0, down)
    )
