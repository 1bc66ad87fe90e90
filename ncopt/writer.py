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
G99 G81 X1. Y0. Z-3. R2. F100.
X3. Y0.
X5. Y0.
G80
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ncopt.controllers import profile
from ncopt.gcode import (
    NUMBER_DECIMALS,
    LineFlag,
    format_number,
    with_words_in_front,
)
from ncopt.program import XYZ, CutBlock, Group, HoleSet, Modal, Program, Step, SyncState
from ncopt.reverse import ReversedBlock, reverse_block
from ncopt.traverse import op_levels

__all__ = [
    "emit",
    "emit_with_spans",
    "format_instruction",
    "group_script",
    "prefix_comments",
    "reversed_view",
]


@dataclass
class _Cursor:
    """What the emitted code has established so far."""

    xyz: XYZ
    motion: int  # 0-3 under any cycle
    cycle: int  # active canned cycle, 0 for none
    initial_z: float  # the active cycle's initial level
    feed_mm_min: float
    plane: int
    absolute: bool
    return_mode: int

    @classmethod
    def at(cls, state: SyncState) -> _Cursor:
        return cls(
            state.xyz, state.motion, state.cycle, state.initial_z, state.feed_mm_min,
            state.plane, state.absolute, state.return_mode,
        )  # fmt: skip


def emit(program: Program) -> str:
    """NC text for ``program``, by the built-in Fanuc-style writer (``ncopt.post`` hands it
    to a shop's own post instead)."""
    return emit_with_spans(program)[0]


def emit_with_spans(program: Program) -> tuple[str, dict[int, tuple[int, int]]]:
    """``emit``'s text and, for each rewritten group, its lines ``[first, end)`` in it."""
    if not program.plan:
        return program.text, {}
    levels = op_levels(program)
    out: list[str] = []
    spans: dict[int, tuple[int, int]] = {}
    line = new_line = 0
    for group in sorted(program.plan, key=lambda g: program.groups[g].first_line):
        g = program.groups[group]
        out.append(program.lines_text(line, g.first_line))
        new_line += g.first_line - line
        steps = program.plan[group]
        text = _group_text(program, g, steps, group_script(program, g, steps, levels))
        out.append(text)
        spans[group] = (new_line, new_line + text.count(program.newline))
        new_line = spans[group][1]
        line = g.end_line
    out.append(program.lines_text(line, program.n_lines))
    return "".join(out), spans


def _group_text(program: Program, group: Group, steps, script: list[dict]) -> str:
    nl = program.newline
    inch = group.modal_out.inch
    lines = [format_instruction(program, steps, item, inch) for item in script]
    return nl.join(lines) + nl if lines else ""


def group_script(
    program: Program, group: Group, steps: tuple[Step, ...], levels: tuple[np.ndarray, ...]
) -> list[dict]:
    """What the built-in writer writes for a reordered group, as instructions (one line each;
    ``holes`` and ``block`` stand for a step's lines): the data a shop's own post formats."""
    return _Script(program, group, levels).build(steps)


class _Script:
    """Builds one group's instructions, keeping the machine where the safety rule wants it
    (docs/engine.md, "Safety"): between operations no lower than the original's traverse
    levels around both, each hole set from its own initial level, and at the end the
    original's position and modes for the untouched lines after the group."""

    def __init__(self, program: Program, group: Group, levels) -> None:
        self.program, self.group = program, group
        self.arrive, self.leave = levels
        assert group.state_in is not None and group.state_out is not None
        self.cur = _Cursor.at(group.state_in)
        self.out: list[dict] = []

    def build(self, steps: tuple[Step, ...]) -> list[dict]:
        program, ops = self.program, self.program.ops
        prev_leave = self.arrive[self.group.ops[0]]  # how the original came into the group
        for k, step in enumerate(steps):
            op = ops[step.op]
            level = _nanmax(prev_leave, self.arrive[op.index])
            for text in prefix_comments(program, op.first_line, op.body_line):
                self.out.append({"type": "comment", "text": text})
            if isinstance(op, HoleSet):
                self._holes(op, step, k, level)
            elif step.reversed:
                self._reversed(reversed_view(program, op), k, level)
            else:
                self._block(op, k, level)
            prev_leave = self.leave[op.index]
        last = self.group.ops[-1]
        self._leave(_nanmax(prev_leave, self.leave[last]), prev_leave)
        return self.out

    # ----------------------------------------------------------------- moves
    def _cancel_cycle(self) -> None:
        if self.cur.cycle:
            self.out.append({"type": "cancel_cycle"})
            self.cur.cycle = 0

    def _travel(self, xy, level: float, final_z: float) -> None:
        """Rapid to ``xy`` (None: stay) at ``level`` or higher, then to ``final_z``."""
        cur = self.cur
        x, y, z = cur.xyz
        moves: list[dict] = []
        if xy is not None and (xy[0] != x or xy[1] != y):
            travel_z = z if level != level else (level if z != z else max(z, level))
            if z != z or z < travel_z:
                moves.append({"z": travel_z})
            moves.append({"x": float(xy[0]), "y": float(xy[1])})
            x, y, z = float(xy[0]), float(xy[1]), travel_z
        if final_z == final_z and final_z != z:
            moves.append({"z": final_z})
            z = final_z
        if not moves:
            return
        self._cancel_cycle()
        for move in moves:
            self.out.append({"type": "rapid", "g90": not cur.absolute, **move})
            cur.absolute = True
        cur.motion, cur.xyz = 0, (x, y, z)

    def _modal(self, **words) -> None:
        """Modal words on their own line (None: not needed)."""
        if any(v is not None for v in words.values()):
            self.out.append({"type": "modal", **words})

    # ----------------------------------------------------------------- operations
    def _holes(self, op: HoleSet, step: Step, k: int, level: float) -> None:
        p, cur = op.params, self.cur
        order = range(len(op.xy)) if step.holes is None else step.holes
        x0, y0 = (float(v) for v in op.xy[order[0]])
        z = cur.xyz[2]
        at_level = z == z and (level != level or z >= level)
        if p.return_mode == 98 and not (at_level and z == p.return_z_mm):
            # G98 returns to the level the cycle starts from: start it there, fresh.
            self._travel((x0, y0), level, p.return_z_mm)
        elif p.return_mode != 98 and not at_level:
            self._travel(None, level, level)  # G99: the cycle moves to the hole at this Z
        self._cancel_cycle()  # a fresh cycle: no dwell or peck of the set before carries on
        self._modal(g90=True if not cur.absolute else None)
        self.out.append({"type": "holes", "step": k})
        last = op.xy[order[-1]]
        cur.initial_z, cur.cycle = cur.xyz[2], p.cycle
        cur.xyz = (float(last[0]), float(last[1]), p.return_z_mm)
        cur.absolute, cur.return_mode, cur.feed_mm_min = True, p.return_mode, p.feed_mm_min

    def _block(self, op: CutBlock, k: int, level: float) -> None:
        self._travel(op.entry_xyz[:2], level, op.entry_xyz[2])
        self._cancel_cycle()
        want, cur = op.modal_in, self.cur
        self._modal(
            g90=want.absolute if cur.absolute != want.absolute else None,
            plane=want.plane if cur.plane != want.plane else None,
            feed_mm_min=want.feed_mm_min
            if want.feed_mm_min > 0 and cur.feed_mm_min != want.feed_mm_min
            else None,
        )
        has_motion = self.program.line_flags[op.body_line] & LineFlag.MOTION_WORD
        prefix = want.motion if cur.motion != want.motion and not has_motion else None
        self.out.append({"type": "block", "step": k, "motion_prefix": prefix})
        self._after_block(op.exit_xyz, op.modal_out)

    def _reversed(self, view: ReversedBlock, k: int, level: float) -> None:
        self._travel(view.entry_xyz[:2], level, view.entry_xyz[2])
        self._cancel_cycle()
        cur = self.cur
        self._modal(g90=True if not cur.absolute else None, plane=17 if cur.plane != 17 else None)
        self.out.append({"type": "block", "step": k, "motion_prefix": None})
        self._after_block(view.exit_xyz, view.modal_out)

    def _after_block(self, exit_xyz: XYZ, modal: Modal) -> None:
        cur = self.cur
        cur.xyz, cur.motion, cur.plane = exit_xyz, modal.motion, modal.plane
        cur.absolute = modal.absolute
        if modal.feed_mm_min > 0:
            cur.feed_mm_min = modal.feed_mm_min

    # ----------------------------------------------------------------- hand-over
    def _leave(self, level: float, leave_last: float) -> None:
        """Hand over to the untouched lines: the original's position (XY only where it
        matters to them) and its modes. ``leave_last``: the original's level on leaving the
        operation now written last."""
        old, cur = self.group.state_out, self.cur
        assert old is not None
        target = old.xyz
        moved_xy = (cur.xyz[0], cur.xyz[1]) != (target[0], target[1])
        if moved_xy and self._detour_needed(leave_last):
            self._travel(target[:2], level, target[2])
        else:
            self._travel(None, level, target[2])
        after = self._next_flags()
        if cur.cycle and not old.cycle and not after & LineFlag.CANCELS_CYCLE:
            self._cancel_cycle()
        cur.cycle = old.cycle if after & LineFlag.CANCELS_CYCLE else cur.cycle
        states_motion = after & LineFlag.MOTION_WORD
        self._modal(
            g90=old.absolute if cur.absolute != old.absolute else None,
            plane=old.plane if cur.plane != old.plane else None,
            motion=old.motion if cur.motion != old.motion and not states_motion else None,
            return_mode=old.return_mode if cur.return_mode != old.return_mode else None,
            feed_mm_min=old.feed_mm_min
            if old.feed_mm_min > 0 and cur.feed_mm_min != old.feed_mm_min
            else None,
        )

    def _next_flags(self) -> LineFlag:
        """What the line after the group holds (nothing after the program's last line)."""
        end = self.group.end_line
        return LineFlag(int(self.program.line_flags[end])) if end < self.program.n_lines else 0

    def _detour_needed(self, leave_last: float) -> bool:
        """Whether the tool must go back to where the original left the group, because the
        lines after it depend on XY before a move re-establishes it; or because that move (a
        rapid to absolute X and Y) runs lower than the original left the operation now
        written last. Not before a tool change, the end, or Z going home."""
        program, old = self.program, self.group.state_out
        stops = {s.line: s.code for s in program.stops}
        changes = {line for line, _ in program.tool_changes}
        absolute, motion = old.absolute, old.motion
        for i in range(self.group.end_line, program.n_lines):
            f = LineFlag(int(program.line_flags[i]))
            if i in stops:
                return stops[i] not in ("M2", "M30")
            if f & LineFlag.UNREAD:
                return True
            if i in changes:
                return False
            absolute = True if f & LineFlag.G90_WORD else (absolute and not f & LineFlag.G91_WORD)
            if f & LineFlag.MOTION_WORD:
                motion = 0 if f & LineFlag.G0_WORD else 1
            elif f & LineFlag.MOTION_GROUP and not f & LineFlag.CANCELS_CYCLE:
                return True  # a cycle code: the next hole's position may be modal
            if not f & LineFlag.AXIS:
                continue
            if f & LineFlag.Z_ONLY and (absolute or f & LineFlag.MACHINE_COORDS):
                if f & LineFlag.MACHINE_COORDS:
                    return False  # Z goes home: whatever moves next, moves from there
                continue  # up or down where the tool is: no XY travel
            if absolute and f & LineFlag.XY_WORDS and (motion == 0 or f & LineFlag.MACHINE_COORDS):
                return not self._old_travel_z(i) >= leave_last - 1e-9
            return True
        return False

    def _old_travel_z(self, line: int) -> float:
        """The Z at which the original program started the move on ``line`` (NaN unknown)."""
        m = self.program.motion
        rows = np.flatnonzero(m.line == line)
        if not len(rows) or rows[0] == 0:
            return np.nan
        return float(m.end[rows[0] - 1, 2])


def prefix_comments(program: Program, first: int, end: int) -> Iterator[str]:
    """The comment-only (and blank) lines of an operation's prefix: they go with it."""
    for i in range(first, end):
        if not program.line_flags[i]:
            yield program.line_text(i)


def reversed_view(program: Program, op: CutBlock) -> ReversedBlock:
    view = reverse_block(program, op)
    if view is None:  # ncopt.plan.reorder lets only reversible blocks through
        raise ValueError(f"the cut block at line {op.body_line + 1} cannot be reversed")
    return view


def _nanmax(a: float, b: float) -> float:
    """The larger of two levels; a missing (NaN) one does not count."""
    if a != a:
        return b
    return a if b != b else max(a, b)


# ----------------------------------------------------------------- formatting
def format_instruction(program: Program, steps: tuple[Step, ...], item: dict, inch: bool) -> str:
    """One instruction of ``group_script`` as Fanuc-style text."""
    kind = item["type"]
    if kind == "comment":
        return item["text"]
    if kind == "cancel_cycle":
        return "G80"
    if kind == "rapid":
        words = ["G90"] if item["g90"] else []
        words.append("G0")
        words += [f"{a.upper()}{format_number(item[a], inch)}" for a in "xyz" if a in item]
        return " ".join(words)
    if kind == "modal":
        return _modal_words(item, inch)
    step = steps[item["step"]]
    op = program.ops[step.op]
    if kind == "holes":
        return _hole_lines(program, op, step, inch)
    if step.reversed:
        return program.newline.join(reversed_view(program, op).lines)
    return _block_text(program, op, item["motion_prefix"])


def _modal_words(item: dict, inch: bool) -> str:
    words = []
    if item.get("g90") is not None:
        words.append("G90" if item["g90"] else "G91")
    for key in ("plane", "motion", "return_mode"):
        if item.get(key) is not None:
            words.append(f"G{item[key]}")
    if item.get("feed_mm_min") is not None:
        words.append("F" + format_number(item["feed_mm_min"], inch))
    return " ".join(words)


def _block_text(program: Program, op: CutBlock, motion_prefix: int | None) -> str:
    lines = [program.line_text(i) for i in range(op.body_line, op.end_line)]
    if motion_prefix is not None:
        lines[0] = with_words_in_front(lines[0], f"G{motion_prefix} ")
    return program.newline.join(lines)


def _hole_lines(program: Program, op: HoleSet, step: Step, inch: bool) -> str:
    """The first hole with the full cycle, the others ``X Y`` (each with ``K`` when the set
    repeats: a repeat count belongs to its own line only)."""
    p = op.params
    order = range(len(op.xy)) if step.holes is None else step.holes
    xy = op.xy[list(order)]
    words = [f"G{p.return_mode}", f"G{p.cycle}"]
    words += [f"X{format_number(xy[0, 0], inch)}", f"Y{format_number(xy[0, 1], inch)}"]
    words += [f"Z{format_number(p.z_mm, inch)}", f"R{format_number(p.r_mm, inch)}"]
    if p.cycle in (73, 83, 76, 87) and p.q_mm:
        words.append(f"Q{format_number(p.q_mm, inch)}")
    if p.dwell_s:
        words.append(profile(program.controller).dwell_word(p.dwell_s))
    words.append("F" + format_number(p.feed_mm_min, inch))
    repeat = f" K{p.repeats}" if p.repeats != 1 else ""
    lines = [" ".join(words) + repeat]
    if len(xy) > 1:
        rest = _xy_lines(xy[1:], inch, program.newline)
        if repeat:
            rest = rest.replace(program.newline, repeat + program.newline) + repeat
        lines.append(rest)
    return program.newline.join(lines)


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
