"""Subprograms in the same file, expanded for the cycle time and the stats.

Fanuc: ``M98 P<n> [L<k>]`` calls program ``O<n>`` k times (``M98 P<kkkknnnn>`` with eight
digits: the first four are the count); ``M99`` returns. Shops often keep the subprograms after
the main program's ``M30`` in the same file. The call stays a barrier for re-sequencing
(nothing moves across it, the subprogram is copied as it is), but its work is real machine
time: ``cycle_time`` times the program with every call it can resolve replaced by the
subprogram's lines, so its holes and moves count.

>>> text = "O1\\nG0 X0 Y0 Z5.\\nM98 P2 L2\\nM30\\nO2\\nG91 G0 X10.\\nG90\\nM99\\n"
>>> print(expanded_text(text), end="")
O1
G0 X0 Y0 Z5.
G91 G0 X10.
G90
G91 G0 X10.
G90
M30
O2
G91 G0 X10.
G90
M99
"""

from __future__ import annotations

import re

from ncopt.cycle_time import CycleTime, estimate_cycle_time
from ncopt.interpreter import parse_program
from ncopt.machine import Machine
from ncopt.program import Program

__all__ = ["cycle_time", "expanded_text"]

MAX_DEPTH = 4  # Fanuc nests subprograms four deep
_STRIP = re.compile(r"\([^)]*\)|;.*$")
_O_LINE = re.compile(r"^\s*(?:N\d+\s*)?[O:](\d+)\b", re.IGNORECASE)
_CALL = re.compile(r"^\s*(?:N\d+\s*)?M0?98\s*P(\d+)\s*(?:[LK](\d+))?\s*$", re.IGNORECASE)
_RETURN = re.compile(r"\bM0?99\b", re.IGNORECASE)


def cycle_time(program: Program, machine: Machine) -> CycleTime:
    """``estimate_cycle_time`` with the subprograms of the same file expanded."""
    text = expanded_text(program.text) if _has_calls(program) else None
    if text is None:
        return estimate_cycle_time(program, machine)
    return estimate_cycle_time(parse_program(text, machine), machine)


def _has_calls(program: Program) -> bool:
    return any(b.reason == "subprogram call" for b in program.barriers)


def expanded_text(text: str) -> str | None:
    """The text with each ``M98`` call of a subprogram in the file replaced by its lines;
    None when no call can be resolved."""
    lines = text.split("\n")
    bodies = _bodies(lines)
    out: list[str] = []
    resolved = _expand(lines, range(len(lines)), bodies, out, 0)
    return "\n".join(out) if resolved else None


def _bodies(lines: list[str]) -> dict[int, tuple[int, int]]:
    """Subprogram number → its lines ``[first, end)`` between ``O<n>`` and ``M99``."""
    bodies: dict[int, tuple[int, int]] = {}
    open_at: tuple[int, int] | None = None
    for i, line in enumerate(lines):
        code = _STRIP.sub("", line)
        o_line = _O_LINE.match(code)
        if o_line:
            open_at = (int(o_line.group(1)), i + 1)
        elif open_at is not None and _RETURN.search(code):
            bodies.setdefault(open_at[0], (open_at[1], i))
            open_at = None
    return bodies


def _expand(lines, rows, bodies, out: list[str], depth: int) -> bool:
    resolved = False
    for i in rows:
        call = _CALL.match(_STRIP.sub("", lines[i]))
        target = _target(call, bodies) if call and depth < MAX_DEPTH else None
        if target is None:
            out.append(lines[i])
            continue
        (first, end), count = target
        for _ in range(count):
            _expand(lines, range(first, end), bodies, out, depth + 1)
        resolved = True
    return resolved


def _target(call: re.Match, bodies) -> tuple[tuple[int, int], int] | None:
    digits, times = call.group(1), call.group(2)
    number, count = int(digits), int(times) if times else 1
    if number not in bodies and len(digits) > 4 and times is None:
        count, number = int(digits[:-4]), int(digits[-4:])  # M98 P30010: O0010 three times
    if number not in bodies:
        return None
    return bodies[number], count
