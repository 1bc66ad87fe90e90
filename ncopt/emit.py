"""Fanuc-style emitter: a (possibly reordered) program back to NC text, and its JSON form.

Lines of groups without a plan are copied byte for byte, so ``emit(parse(text)) == text``.
A reordered group (``Program.plan``, see ``ncopt.program.reorder``) is written as:

- for each step: the comment lines of the operation's prefix (travel moves in the prefix are
  dropped and replaced by an explicit ``G0`` to where the operation starts: up in Z first,
  then XY, then down, so a traverse never runs lower than it did);
- a cut block's body verbatim, after restating the modal words it relies on (G80 if a cycle
  is active, G90/G91, G17/G18/G19, F; its motion G-code prefixed to the first line when that
  line has none);
- a hole set as explicit lines: the first hole with the full cycle
  (``G98/G99 G8x X Y Z R [Q] [P] F [K]``), the others ``X Y``;
- after the group: back up to the level the original left the group at, and the modal state
  the following untouched lines rely on.

``ncopt.post`` gives the same content as data for a shop's own .NET post-processor.

>>> from ncopt.interpreter import parse_program
>>> text = "G90 G0 X0 Y0 Z10.\\nG99 G81 X5. Y0 Z-3. R2. F100.\\nX1.\\nX3.\\nG80\\n"
>>> p = parse_program(text)
>>> emit(p) == text
True
>>> from ncopt.plan import reorder
>>> from ncopt.program import Step
>>> print(emit(reorder(p, {0: [Step(0, (1, 2, 0))]})), end="")
G90 G0 X0 Y0 Z10.
G90
G99 G81 X1. Y0. Z-3. R2. F100.
X3. Y0.
X5. Y0.
G80
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ncopt.gcode import (
    CANNED_CYCLES,
    NUMBER_DECIMALS,
    LineFlag,
    format_number,
    with_words_in_front,
)
from ncopt.program import CutBlock, Group, HoleSet, Modal, Program, Step
from ncopt.reverse import ReversedBlock, reverse_block

__all__ = ["emit", "prefix_comments", "reversed_view"]


@dataclass
class _Cursor:
    """What the emitted code has established so far (None: unknown, restate it)."""

    xyz: tuple[float, float, float]
    modal: Modal | None


def emit(program: Program) -> str:
    """NC text for ``program``, by the built-in Fanuc-style writer (``ncopt.post`` hands it
    to a shop's own post instead)."""
    if not program.plan:
        return program.text
    out: list[str] = []
    line = 0
    for group in sorted(program.plan, key=lambda g: program.groups[g].first_line):
        g = program.groups[group]
        out.append(program.lines_text(line, g.first_line))
        out.append(_group_text(program, g, program.plan[group]))
        line = g.end_line
    out.append(program.lines_text(line, program.n_lines))
    return "".join(out)


def _group_text(program: Program, group: Group, steps: tuple[Step, ...]) -> str:
    nl = program.newline
    lines = list(_group_lines(program, group, steps))
    return nl.join(lines) + nl if lines else ""


def _group_lines(program: Program, group: Group, steps: tuple[Step, ...]) -> Iterator[str]:
    cur = _Cursor(group.start_xyz, None)
    inch = group.modal_out.inch
    for step in steps:
        op = program.ops[step.op]
        yield from prefix_comments(program, op.first_line, op.body_line)
        if isinstance(op, HoleSet):
            yield from _holes(program, op, step, cur, inch)
        elif step.reversed:
            yield from _block_lines(reversed_view(program, op), cur, inch)
        else:
            yield from _block(program, op, cur, inch)
    last = program.ops[group.ops[-1]]
    yield from _leave(cur, last.exit_xyz, group.modal_out, inch, _next_flags(program, group))


def _next_flags(program: Program, group: Group) -> LineFlag:
    """What the line after the group holds (nothing after the program's last line)."""
    if group.end_line >= program.n_lines:
        return LineFlag(0)
    return LineFlag(int(program.line_flags[group.end_line]))


def prefix_comments(program: Program, first: int, end: int) -> Iterator[str]:
    """The comment-only (and blank) lines of an operation's prefix: they go with it."""
    for i in range(first, end):
        if not program.line_flags[i]:
            yield program.line_text(i)


def _position(cur: _Cursor, target, inch: bool, holes: bool = False) -> Iterator[str]:
    """Rapid to ``target``: up first, XY, then down (never lower than the target level).

    Before a hole set (``holes``) only Z is set when it can be: the cycle line moves to the
    first hole in XY at that level itself.
    """
    x, y, z = target
    up = cur.xyz[2] != cur.xyz[2] or cur.xyz[2] < z
    down = cur.xyz[2] > z
    xy = (x, y) != cur.xyz[:2] and (down or not holes)
    if not (up or down or xy):
        return
    words = []
    if cur.modal is None or cur.modal.motion in CANNED_CYCLES:
        yield "G80"
    if cur.modal is None or not cur.modal.absolute:
        words.append("G90")
    if up:
        yield " ".join([*words, "G0", f"Z{format_number(z, inch)}"])
        words = []
    if xy:
        yield " ".join([*words, "G0", f"X{format_number(x, inch)}", f"Y{format_number(y, inch)}"])
        words = []
    if down:
        yield " ".join([*words, "G0", f"Z{format_number(z, inch)}"])
    old = cur.modal
    cur.modal = Modal(0, old.feed_mm_min if old else -1.0, old.plane if old else 0, True, inch)
    cur.xyz = (x, y, z) if xy else (cur.xyz[0], cur.xyz[1], z)


def reversed_view(program: Program, op: CutBlock) -> ReversedBlock:
    view = reverse_block(program, op)
    if view is None:  # ncopt.plan.reorder lets only reversible blocks through
        raise ValueError(f"the cut block at line {op.body_line + 1} cannot be reversed")
    return view


def _block_lines(view, cur: _Cursor, inch: bool) -> Iterator[str]:
    """A block cut backwards (``ncopt.reverse.ReversedBlock``): its lines are generated, each
    with its motion word, so only the travel and the modal words before them are added."""
    yield from _position(cur, view.entry_xyz, inch)
    words = []
    if cur.modal is None or not cur.modal.absolute:
        words.append("G90")
    if cur.modal is None or cur.modal.plane != 17:
        words.append("G17")
    if words:
        yield " ".join(words)
    yield from view.lines
    cur.xyz = view.exit_xyz
    cur.modal = view.modal_out


def _block(program: Program, op: CutBlock, cur: _Cursor, inch: bool) -> Iterator[str]:
    yield from _position(cur, op.entry_xyz, inch)
    want = op.modal_in
    have = cur.modal
    words = []
    if have is None or have.absolute != want.absolute:
        words.append("G90" if want.absolute else "G91")
    if have is None or have.plane != want.plane:
        words.append(f"G{want.plane}")
    if want.feed_mm_min > 0 and (have is None or have.feed_mm_min != want.feed_mm_min):
        words.append("F" + format_number(want.feed_mm_min, inch))
    if words:
        yield " ".join(words)
    first = program.line_text(op.body_line)
    same_motion = have is not None and have.motion == want.motion
    if not same_motion and not program.line_flags[op.body_line] & LineFlag.MOTION_WORD:
        first = with_words_in_front(first, f"G{want.motion} ")
    yield first
    for i in range(op.body_line + 1, op.end_line):
        yield program.line_text(i)
    cur.xyz = op.exit_xyz
    cur.modal = op.modal_out


def _holes(program: Program, op: HoleSet, step: Step, cur: _Cursor, inch: bool) -> Iterator[str]:
    p = op.params
    order = range(len(op.xy)) if step.holes is None else step.holes
    xy = op.xy[list(order)]
    if not len(xy):
        return
    # The initial level (G98 returns there) is the Z the cycle starts from: restore it.
    first = (float(xy[0, 0]), float(xy[0, 1]), op.before_xyz[2])
    yield from _position(cur, first, inch, holes=True)
    if cur.modal is None or not cur.modal.absolute:
        yield "G90"  # its own line: the hole line keeps only cycle words (a plain hole set)
    words = [f"G{p.return_mode}", f"G{p.cycle}"]
    words += [f"X{format_number(xy[0, 0], inch)}", f"Y{format_number(xy[0, 1], inch)}"]
    words += [f"Z{format_number(p.z_mm, inch)}", f"R{format_number(p.r_mm, inch)}"]
    if p.cycle in (73, 83, 76, 87) and p.q_mm:
        words.append(f"Q{format_number(p.q_mm, inch)}")
    if p.dwell_s:
        words.append(f"P{round(p.dwell_s * 1000)}")
    words.append("F" + format_number(p.feed_mm_min, inch))
    if p.repeats != 1:
        words.append(f"K{p.repeats}")
    yield " ".join(words)
    if len(xy) > 1:
        yield _xy_lines(xy[1:], inch, program.newline)
    cur.xyz = (float(xy[-1, 0]), float(xy[-1, 1]), p.return_z_mm)
    cur.modal = Modal(p.cycle, p.feed_mm_min, 17, True, inch)


def _xy_lines(xy, inch: bool, newline: str) -> str:
    """``X… Y…`` lines for many holes at once, by ``format_number``'s rules (its ``repr`` of
    the rounded value; only the ``.0`` of whole numbers is fixed, by replaces over the text)."""
    values = np.round(xy / 25.4 if inch else xy, NUMBER_DECIMALS) + 0.0
    text = newline.join(map("X{!r} Y{!r}".format, values[:, 0].tolist(), values[:, 1].tolist()))
    if "e" in text:  # tiny or huge values: rare, take the careful path
        rows = values.tolist()
        return newline.join(f"X{format_number(x)} Y{format_number(y)}" for x, y in rows)
    text = text.replace(".0 Y", ". Y").replace(".0" + newline, "." + newline)
    return text[:-1] if text.endswith(".0") else text


def _leave(cur: _Cursor, exit_xyz, modal: Modal, inch: bool, after: LineFlag) -> Iterator[str]:
    """Hand over to the untouched lines: their level and the modal state they rely on
    (``after``: what the next line holds, which may restate it itself)."""
    if (
        cur.modal is not None
        and cur.modal.motion in CANNED_CYCLES
        and modal.motion not in CANNED_CYCLES
    ):
        if not after & LineFlag.CANCELS_CYCLE:
            yield "G80"
        cur.modal = Modal(80, cur.modal.feed_mm_min, cur.modal.plane, cur.modal.absolute, inch)
        if after & (LineFlag.RAPID_OR_FEED | LineFlag.CANCELS_CYCLE):
            return
    if exit_xyz[2] == exit_xyz[2] and cur.xyz[2] < exit_xyz[2]:
        yield f"G0 Z{format_number(exit_xyz[2], inch)}"
        cur.modal = Modal(0, cur.modal.feed_mm_min, cur.modal.plane, cur.modal.absolute, inch)
    words = []
    if cur.modal.absolute != modal.absolute:
        words.append("G90" if modal.absolute else "G91")
    if modal.motion in (0, 1) and cur.modal.motion != modal.motion:
        words.append(f"G{modal.motion}")
    if modal.feed_mm_min > 0 and cur.modal.feed_mm_min != modal.feed_mm_min:
        words.append("F" + format_number(modal.feed_mm_min, inch))
    if words:
        yield " ".join(words)
