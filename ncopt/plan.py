"""A reorder plan: the new order of a group's operations and holes, checked to be complete.

``reorder(program, {group_index: [Step(op, holes), ...]})`` checks that every operation of the
group appears once, each hole set's holes exactly once (``holes`` a permutation of
``range(len(op.xy))``, or None for the original order), cut blocks whole (and backwards only
when ``ncopt.reverse`` can cut them so), and returns a copy of the program whose ``plan``
``ncopt.writer`` honours. Untouched groups keep their original lines.

>>> from ncopt.interpreter import parse_program
>>> p = parse_program("G0 X0 Y0 Z10.\\nG81 X1. Y1. Z-2. R1. F100.\\nX2.\\nG80\\n")
>>> is_identity(p, p.groups[0], (Step(0, (0, 1)),))
True
>>> reorder(p, {0: [Step(0, (1, 1))]})
Traceback (most recent call last):
ncopt.plan.ReorderError: hole set 0: every hole must appear exactly once
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from ncopt.errors import NcError
from ncopt.program import Group, HoleSet, Program, Step
from ncopt.reverse import reverse_block

__all__ = ["ReorderError", "is_identity", "reorder"]


class ReorderError(NcError):
    """A reorder plan does not visit every operation and hole of a group exactly once."""


def reorder(program: Program, plan: Mapping[int, Sequence[Step]]) -> Program:
    """A copy of ``program`` whose groups ``plan`` keys are emitted in the given step order.

    Every operation of a group must appear, every hole of its hole sets exactly once, and cut
    blocks whole. Raises ``ReorderError`` otherwise.
    """
    checked = dict(program.plan)
    for group_index, steps in plan.items():
        group = program.groups[group_index]
        if not group.movable:
            raise ReorderError(f"group {group_index} cannot be reordered")
        steps = tuple(_normalise(s) for s in steps)
        _check_steps(program, group, steps)
        checked[group_index] = steps
    return dataclasses.replace(program, plan=checked)


def _normalise(step: Step) -> Step:
    if step.holes is None:
        return step
    holes = tuple(int(h) for h in np.asarray(step.holes).ravel())
    return Step(step.op, holes, step.reversed)


def _check_steps(program: Program, group: Group, steps: tuple[Step, ...]) -> None:
    seen_blocks: set[int] = set()
    seen_holes: dict[int, list[int]] = {}
    members = set(group.ops)  # a tuple lookup per step would be n² for big groups
    for step in steps:
        if step.op not in members:
            raise ReorderError(f"operation {step.op} is not in group {group.index}")
        op = program.ops[step.op]
        if step.reversed and reverse_block(program, op) is None:
            raise ReorderError(f"operation {step.op} cannot be cut backwards")
        if isinstance(op, HoleSet):
            holes = range(len(op.xy)) if step.holes is None else step.holes
            seen_holes.setdefault(step.op, []).extend(holes)
        elif step.holes is not None or step.op in seen_blocks:
            raise ReorderError(f"cut block {step.op} must appear once, whole")
        else:
            seen_blocks.add(step.op)
    for index in group.ops:
        op = program.ops[index]
        if isinstance(op, HoleSet):
            got = sorted(seen_holes.get(index, []))
            if got != list(range(len(op.xy))):
                raise ReorderError(f"hole set {index}: every hole must appear exactly once")
        elif index not in seen_blocks:
            raise ReorderError(f"cut block {index} is missing")


def is_identity(program: Program, group: Group, steps: tuple[Step, ...]) -> bool:
    """True when ``steps`` visit the group exactly as the original program does."""
    if tuple(s.op for s in steps) != group.ops or any(s.reversed for s in steps):
        return False
    for step in steps:
        op = program.ops[step.op]
        holes = step.holes
        if holes is not None and isinstance(op, HoleSet) and holes != tuple(range(len(op.xy))):
            return False
    return True
