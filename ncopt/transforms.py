"""The transformations a scenario's settings allow beyond re-sequencing, each proved on its own.

Air cutting (``ncopt.aircut``) and tool regrouping (``ncopt.regroup``) are applied one after
the other on the parsed program; each result is re-parsed and proved against its input
(``ncopt.verify``), and one whose proof fails is skipped with the reason (the others still
apply). The sequencer then works on the transformed program, so the chain from the original
to the output is proved link by link. Block reversal is a choice the sequencer makes
(``ncopt.reverse``), allowed by the same settings object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ncopt.aircut import air_cut_to_rapid
from ncopt.errors import NcError
from ncopt.interpreter import parse_program
from ncopt.machine import Machine
from ncopt.program import Program
from ncopt.regroup import regroup_tools
from ncopt.verify import VerifyReport, verify_air_cut, verify_equivalent

__all__ = ["Transformed", "Transforms", "apply_transforms"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transforms:
    """The optional transformations a scenario's settings allow (off by default)."""

    allow_tool_regroup: bool = False
    air_cut_above_z_mm: float | None = None  # None: air cutting off
    allow_block_reversal: bool = False
    # A program is rewritten only when the new one saves at least this much (both must hold):
    # a new file the shop has to prove out is not worth a few milliseconds.
    min_saving_s: float = 0.0
    min_saving_pct: float = 0.0

    @classmethod
    def from_settings(cls, settings) -> Transforms:
        air = settings.air_cut_above_z_mm if settings.air_cut_to_rapid else None
        return cls(
            bool(settings.allow_tool_regroup),
            air,
            bool(settings.allow_block_reversal),
            float(settings.min_saving_s),
            float(settings.min_saving_pct),
        )


@dataclass(frozen=True)
class Transformed:
    """The program to re-sequence, notes on transformations refused, and the ``out_df``
    counts of what was applied (``air_moves_to_rapid``, ``tool_changes_saved``)."""

    program: Program
    notes: tuple[str, ...] = ()
    changes: dict[str, Any] = field(default_factory=dict)


def apply_transforms(
    old: Program, machine: Machine, name: str, transforms: Transforms
) -> Transformed:
    """Apply the allowed transformations one after the other, each proved on its own."""
    base, notes, changes = old, [], {}
    if transforms.air_cut_above_z_mm is not None:
        above = transforms.air_cut_above_z_mm
        text, count = air_cut_to_rapid(base, above)
        if count:
            prev = base
            step, problem = _proved(
                text, machine, name, lambda new: verify_air_cut(prev, new, above)
            )
            if step is None:
                notes.append(f"air cutting not applied: {problem}")
            else:
                base, changes["air_moves_to_rapid"] = step, count
    if transforms.allow_tool_regroup:
        text, saved = regroup_tools(base)
        if saved:
            prev = base
            step, problem = _proved(
                text,
                machine,
                name,
                lambda new: verify_equivalent(prev, new, allow_tool_regroup=True),
            )
            if step is None:
                notes.append(f"tool regrouping not applied: {problem}")
            else:
                base = step
                changes["tool_changes_saved"] = len(prev.tool_changes) - len(step.tool_changes)
    return Transformed(base, tuple(notes), changes)


def _proved(
    text: str, machine: Machine, name: str, verify: Callable[[Program], VerifyReport]
) -> tuple[Program | None, str]:
    """The parsed transformed program if ``verify`` accepts it, else None and why not."""
    try:
        new = parse_program(text, machine, name=name)
    except NcError as exc:
        log.warning("%s: transformed program does not parse: %s", name, exc)
        return None, str(exc)
    verdict = verify(new)
    if not verdict.ok:
        log.warning("%s: transformation refused: %s", name, verdict.first_difference)
        return None, verdict.first_difference or "refused"
    return new, ""
