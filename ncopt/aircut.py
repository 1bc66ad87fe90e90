"""Air cutting: feed moves that run entirely above the stock become rapids.

CAM systems often move at feed between features at a safe height ("G1" at the retract level),
which costs time at cutting feed where the machine could rapid. With the scenario setting
``air_cut_to_rapid``, a straight feed move whose start and end are both at or above
``air_cut_above_z_mm`` (work Z, set above the stock, clamps and fixtures) is written as ``G0``.
A rapid between two points at or above that level stays at or above it whatever path the
machine's axes take (each axis moves monotonically between start and end).

The text changes only on those lines and where modal G1 must be restored:

- ``G1`` on the line becomes ``G0``; without a motion word ``G0`` is put in front (after an
  ``N`` number); every other word stays (``F`` still sets the modal feed);
- the next line that moves relying on modal G1 gets ``G1`` in front; if a barrier
  (subprogram call, macro) comes first, whatever it runs could rely on G1, so that run of
  lines is left as it was.

``ncopt.verify.verify_air_cut`` proves the result: the same moves, holes and dwells line for
line, except feed moves entirely at or above the level that became rapids.

>>> from ncopt.interpreter import parse_program
>>> text = "G0 Z50.\\nG1 Z10. F1000.\\nX100.\\nY50.\\nZ-2. F200.\\nX0.\\n"
>>> new, count = air_cut_to_rapid(parse_program(text), above_z_mm=5.0)
>>> print(new, end=""); count
G0 Z50.
G0 Z10. F1000.
G0 X100.
G0 Y50.
G1 Z-2. F200.
X0.
3
"""

from __future__ import annotations

import numpy as np

from ncopt.gcode import LineFlag, as_rapid, with_words_in_front
from ncopt.program import MoveKind, Program

__all__ = ["air_cut_to_rapid"]


def air_cut_to_rapid(program: Program, above_z_mm: float) -> tuple[str, int]:
    """The program's text with air feed moves as rapids, and how many moves were converted."""
    lines = _air_lines(program, above_z_mm)
    if not lines:
        return program.text, 0
    # A subprogram or the operator at a stop may rely on the motion mode: a run of converted
    # lines must hand back G1 before either, or it is left as it was.
    barriers = {b.line for b in program.barriers} | {s.line for s in program.stops}
    edits: dict[int, str] = {}
    run: dict[int, str] = {}
    for i in range(min(lines), program.n_lines):
        if i in lines:
            run[i] = as_rapid(program.line_text(i), i + 1)
            continue
        if not run:
            if i > max(lines):
                break
            continue
        verdict = "drop" if i in barriers else _after_run(int(program.line_flags[i]))
        if verdict == "wait":
            continue
        if verdict != "drop":
            edits.update(run)
        if verdict == "restore":
            edits[i] = with_words_in_front(program.line_text(i), "G1 ")
        run = {}
    edits.update(run)  # the program ends: nothing relies on G1 any more
    if not edits:
        return program.text, 0
    return _splice(program, edits), sum(1 for i in edits if i in lines)


def _air_lines(program: Program, above_z_mm: float) -> set[int]:
    """Lines holding exactly one move, a straight feed move at or above the level."""
    m = program.motion
    if not len(m):
        return set()
    start_z = np.concatenate([[np.nan], m.end[:-1, 2]])
    with np.errstate(invalid="ignore"):
        air = (m.kind == MoveKind.LINE) & (start_z >= above_z_mm) & (m.end[:, 2] >= above_z_mm)
    rows_per_line = np.bincount(m.line, minlength=program.n_lines)
    return {int(line) for line in m.line[air] if rows_per_line[line] == 1}


def _after_run(flags: int) -> str:
    """What a line after converted lines means for modal G1: ``wait`` (it does not move),
    ``set`` (it sets its own motion), ``restore`` (it moves relying on G1) or ``drop``."""
    if flags & LineFlag.UNREAD:
        return "drop"
    if flags & LineFlag.MOTION_GROUP:
        return "set"
    if flags & LineFlag.MACHINE_COORDS:  # machine-coordinate moves of their own
        return "wait"
    return "restore" if flags & LineFlag.AXIS else "wait"


def _splice(program: Program, edits: dict[int, str]) -> str:
    out: list[str] = []
    at = 0
    for i in sorted(edits):
        start, end = int(program.line_starts[i]), int(program.line_starts[i + 1])
        out.append(program.text[at:start])
        ending = program.text[start:end][len(program.line_text(i)) :]
        out.append(edits[i] + ending)
        at = end
    out.append(program.text[at:])
    return "".join(out)
