"""Re-sequence one parsed program: a reorder plan per tool group, within a time budget.

Inside each movable group (operations of one tool between barriers, see ``ncopt.program``):

1. the operations are put in the order that minimises travel between them (``ncopt.travel``,
   ``ncopt.op_order``) — cut blocks are asymmetric, hole sets enter at their first and leave at
   their last hole; operations that may work the same material (``ncopt.footprint``: a
   finishing pass and its roughing, a hole in a pocket) keep their order, the others may
   move past them;
2. the holes of each hole set become an open path from where the machine is at that moment,
   costed in machine time (``ncopt.sequencing`` with the ``Machine``).

With ``allow_block_reversal`` a cut block of the simple shape ``ncopt.reverse`` handles may
also be entered where it used to leave (cut backwards), when that saves travel.

Tool order and barriers are never touched here; the plan goes through ``ncopt.program.reorder``,
which refuses any plan that drops or repeats a hole or block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ncopt.budget import Budget
from ncopt.footprint import same_material_pairs
from ncopt.machine import Machine
from ncopt.plan import is_identity, reorder
from ncopt.program import CutBlock, Group, HoleSet, Program, Step
from ncopt.reverse import reverse_block
from ncopt.sequencing import solve_open_path
from ncopt.travel import order_operations

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
    time_limit_s: float = 0.0,
    should_stop: Callable[[], bool] | None = None,
    progress: Progress | None = None,
    allow_block_reversal: bool = False,
    budget: Budget | None = None,
) -> tuple[Program, PlanStats]:
    """The program with every movable group re-sequenced, and what changed.

    The search runs within ``budget`` (else ``time_limit_s`` with ``should_stop`` and
    ``progress``); each group gets a share by its weight.
    """
    budget = budget or Budget(time_limit_s, should_stop, progress)
    groups = [(g, _group_weight(program, g)) for g in program.groups]
    groups = [(g, w) for g, w in groups if g.movable and (w > 2 or len(g.ops) > 1)]
    # A quick order for every group first (milliseconds): what a stop request ("finish now")
    # keeps for the groups the search has not reached, and an early best cycle time.
    credit: dict[int, float] = {}  # hole set -> saving already counted by the quick pass
    quick = {g.index: _quick_steps(program, g, machine, budget, credit) for g, _ in groups}
    todo = sum(w for _, w in groups)
    plan: dict[int, tuple[Step, ...]] = {}
    holes = blocks = flips = 0
    stopped = False
    for group, weight in groups:
        if stopped or (budget.check("ordering") and budget.stopped):
            stopped, steps = True, quick[group.index]
        else:
            part = budget.child(weight, todo, label=f"tool T{group.tool}", tool=group.tool)
            steps, cut_short = _plan_group(
                program, group, machine, part, allow_block_reversal, credit
            )
            stopped |= cut_short
        todo -= weight
        if is_identity(program, group, steps):
            continue
        plan[group.index] = steps
        holes += sum(len(program.ops[s.op].xy) for s in steps if s.holes is not None)
        blocks += sum(isinstance(program.ops[i], CutBlock) for i in group.ops)
        flips += sum(s.reversed for s in steps)
    stats = PlanStats(len(plan), holes, blocks, stopped, flips)
    return (reorder(program, plan) if plan else program), stats


def _quick_steps(program: Program, group: Group, machine: Machine, budget: Budget, credit):
    """The group in the program's operation order, each hole set in a quick order (nearest
    neighbour, or a sweep for big sets) when that is faster than the program's own; its
    saving counts towards the best cycle time at once."""
    here = np.array(group.start_xyz[:2], dtype=float)
    steps = []
    for index in group.ops:
        op = program.ops[index]
        if isinstance(op, HoleSet) and len(op.xy) > 2:
            start = here if np.all(np.isfinite(here)) else None
            order = solve_open_path(op.xy, machine, start=start, time_limit_s=0.0).order
            if start is None:  # entered from an unknown place: the first hole stays first
                order = np.arange(len(op.xy))
            written_s = _path_time(op.xy, np.arange(len(op.xy)), start, machine)
            quick_s = _path_time(op.xy, order, start, machine)
            if quick_s < written_s:
                credit[index] = written_s - quick_s
                budget.commit_saving(credit[index])
                steps.append(Step(index, tuple(int(h) for h in order)))
                here = op.xy[order[-1]]
                continue
        steps.append(Step(index))
        here = np.array(op.exit_xyz[:2], dtype=float)
    return tuple(steps)


def _group_weight(program: Program, group: Group) -> int:
    """Rough share of the search a group deserves: its holes plus its operations."""
    ops = [program.ops[i] for i in group.ops]
    return sum(len(op.xy) for op in ops if isinstance(op, HoleSet)) + len(ops)


def _plan_group(
    program: Program,
    group: Group,
    machine: Machine,
    budget: Budget,
    reversal: bool,
    credit: dict[int, float],
) -> tuple[tuple[Step, ...], bool]:
    """The group's steps in their new order, and whether a stop request cut a search short."""
    ops = [program.ops[i] for i in group.ops]
    flipped = _flipped(program, ops, budget) if reversal else [None] * len(ops)
    hole_total = sum(len(op.xy) for op in ops if isinstance(op, HoleSet))
    # Entered from an unknown XY: the first operation (and its first hole) stays first, so
    # the tool reaches it exactly as before; the rest is re-sequenced from there.
    pinned = not np.all(np.isfinite(np.asarray(group.start_xyz, dtype=float)))
    before = same_material_pairs(program, ops)
    if pinned and len(ops) > 1:
        first = np.column_stack([np.zeros(len(ops) - 1, dtype=np.int64), np.arange(1, len(ops))])
        before = np.vstack([np.asarray(before, dtype=np.int64).reshape(-1, 2), first])
    order, orientation, stopped = order_operations(
        *_ends(ops, flipped),
        group.start_xyz,
        group.clearance_z_mm,
        machine,
        before=before,
        # the operations' share of what is left, as they weigh against the holes
        budget=budget.child(len(ops), len(ops) + hole_total, min_share=0.1, activity="blocks"),
    )
    steps: list[Step] = []
    here = np.array(group.start_xyz[:2], dtype=float)
    holes_left = hole_total
    for index, backwards in zip(order, orientation, strict=True):
        op = ops[index]
        if backwards:
            steps.append(Step(op.index, reversed=True))
            here = np.array(flipped[index].exit_xyz[:2], dtype=float)
        elif isinstance(op, HoleSet):
            # A share by size, capped: the solver returns early once it has converged, so
            # a small set rarely spends its cap and the rest goes to the sets after it.
            n = len(op.xy)
            part = budget.child(n, holes_left, max_s=0.25 + 0.005 * n, activity="holes")
            holes_left -= n
            pin = pinned and not steps and len(op.xy) > 1
            credited = credit.get(op.index, 0.0)
            path, cut_short = _order_holes(op.xy, here, machine, part, pin, credited)
            stopped |= cut_short
            steps.append(Step(op.index, tuple(int(h) for h in path)))
            here = op.xy[path[-1]] if len(path) else here
        else:
            steps.append(Step(op.index))
            here = np.array(op.exit_xyz[:2], dtype=float)
    return tuple(steps), stopped


def _order_holes(
    xy: np.ndarray,
    here: np.ndarray,
    machine: Machine,
    budget: Budget,
    pin_first: bool = False,
    credited_s: float = 0.0,
) -> tuple[np.ndarray, bool]:
    """One hole set's visiting order from ``here``: the solver's, unless the program's own
    order is at least as fast. Reports what the search saves as it goes, beyond the
    ``credited_s`` the quick pass counted already. ``pin_first``: the first hole stays first
    (the tool comes from an unknown place)."""
    if pin_first:
        rest, stopped = _order_holes(xy[1:], xy[0], machine, budget, credited_s=credited_s)
        return np.concatenate([[0], rest + 1]), stopped
    start = here if np.all(np.isfinite(here)) else None
    as_written = np.arange(len(xy))
    written_s = _path_time(xy, as_written, start, machine)
    result = solve_open_path(
        xy,
        machine,
        start=start,
        time_limit_s=budget.remaining(),
        should_stop=budget.should_stop,
        progress=budget.progress_callable(
            lambda best_s: budget.note_partial(written_s - best_s - credited_s)
        ),
    )
    path_s = _path_time(xy, result.order, start, machine)
    if path_s < written_s:
        budget.commit_saving(written_s - path_s - credited_s)
        return result.order, result.stopped
    budget.commit_saving(-credited_s)
    return as_written, result.stopped


def _ends(ops, flipped) -> tuple[np.ndarray, np.ndarray]:
    """Entries and exits (k, n, 3) of the operations as programmed and, when any block may be
    cut backwards, reversed (NaN for those that cannot)."""
    entries = [[op.entry_xyz for op in ops]]
    exits = [[op.exit_xyz for op in ops]]
    if any(f is not None for f in flipped):
        nan = (np.nan, np.nan, np.nan)
        entries.append([f.entry_xyz if f else nan for f in flipped])
        exits.append([f.exit_xyz if f else nan for f in flipped])
    return np.array(entries, dtype=float), np.array(exits, dtype=float)


def _flipped(program: Program, ops, budget: Budget) -> list:
    """The reversed view of each operation that can be cut backwards (None for the others);
    checking a block reads its lines, so a stop request is honoured every 100 operations."""
    out = []
    for k, op in enumerate(ops):
        if k % 100 == 99 and budget.check("finding reversible blocks") and budget.stopped:
            return out + [None] * (len(ops) - k)
        out.append(reverse_block(program, op))
    return out


def _path_time(xy: np.ndarray, order: np.ndarray, start, machine: Machine) -> float:
    pts = xy[order]
    if start is not None:
        pts = np.vstack([np.asarray(start, dtype=float)[None, :2], pts])
    if len(pts) < 2:
        return 0.0
    d = np.diff(pts, axis=0)
    return float(machine.rapid_time_xy(d[:, 0], d[:, 1]).sum())
