"""``simulate(text) -> Trace``: the oracle's motion simulator for Fanuc-style ISO code.

Written from the Fanuc operator's manual for the tests alone; it shares no code with
``ncopt`` (that is the point of an oracle). One ``_Machine`` owns the modal state and acts on
it block by block (``run``); each block's words act in a fixed order: units, G90/G91, plane,
G98/G99, F, S, T; M6, M3/M4, M7/M8; the motion (G4, G28, G53, a move, a canned cycle);
M5, M9; the stops and the end. Canned cycles become explicit segments (``cycles.expand``).

What the oracle does not understand is an *opaque barrier*: the line is kept as an event,
nothing on it runs, and the position is unknown afterwards (macros, M98/M99, G65, unknown
G/M codes and addresses, K0/L0, a work offset other than G54, a program number inside the
program, ``/`` optional block skip). Lines after M2/M30 are not executed.

>>> t = simulate("G90 G0 X0 Y0 Z50.\\nG99 G81 X10. Z-5. R2. F100.\\nX20.\\nG80\\nM30")
>>> [p[:2] for p in t.hole_bottoms()], [str(e.kind) for e in t.events]
([(10.0, 0.0), (20.0, 0.0)], ['end'])
"""

from __future__ import annotations

import math
from dataclasses import replace

from tests.oracle import cycles
from tests.oracle.arcs import arc_centre
from tests.oracle.blocks import BlockWords
from tests.oracle.trace import (
    NAN,
    Arc,
    Coolant,
    Cycle,
    Event,
    EventKind,
    Modal,
    Segment,
    SegmentKind,
    SimulationError,
    Spindle,
    Trace,
    same_point,
)
from tests.oracle.words import Block, tokenize

__all__ = ["simulate"]

INCH_MM = 25.4
COOLANT_ON = {
    (Coolant.OFF, 7): Coolant.MIST,
    (Coolant.OFF, 8): Coolant.FLOOD,
    (Coolant.MIST, 8): Coolant.BOTH,
    (Coolant.FLOOD, 7): Coolant.BOTH,
}


def simulate(text: str) -> Trace:
    """The motion and events of ``text``; raises ``SimulationError`` (with the line) for a
    program a control would refuse or whose motion cannot be known."""
    machine = _Machine()
    for block in tokenize(text):
        if machine.ended:
            break
        machine.run(block)
    machine.finish()
    return Trace(tuple(machine.segments), tuple(machine.events), machine.holes)


class _Machine:
    """The modal state and what has happened so far; ``run`` is its only entry."""

    def __init__(self) -> None:
        # The position changes with every segment: kept apart from the frozen modal state
        # (copying that per segment is most of the time on a 20,000-hole program).
        self.state = Modal()
        self.xyz: tuple[float, float, float] = (NAN, NAN, NAN)
        self.z_home = False
        self.segments: list[Segment] = []
        self.events: list[Event] = []
        self.cycle_sets = 0
        self.holes = 0
        self.ended = False
        self.started = False
        self.last_line = 0

    # -- the block ---------------------------------------------------------------------

    def run(self, raw: Block) -> None:
        self.last_line = raw.line
        b = BlockWords(raw)
        if b.barrier is None and "O" in b.words:
            if self.started or len(b.words) > 1 or b.g or b.m:
                b.barrier = "program number inside the program"
            else:
                return  # the program's own number, before anything runs
        self.started = True
        if b.barrier is None and "offset" in b.g and b.g["offset"] != 54:
            b.barrier = f"work offset G{b.g['offset']}"
        if b.barrier is None and self._cycle_block(b) and (b.count("K") == 0 or b.count("L") == 0):
            b.barrier = "K0/L0: cycle data stored, nothing drilled"
        if b.barrier is not None:
            self._barrier(raw.text)
            return
        self._modes(b)
        self._tools_before(b, raw.text)
        self._motion(b)
        self._after(b, raw.text)

    def finish(self) -> None:
        if not self.ended:
            self._event(EventKind.END, self.last_line, "end of text")

    def _cycle_block(self, b: BlockWords) -> bool:
        """Whether the block's motion is a canned cycle (so K is a repeat count, not an arc
        centre offset)."""
        if "motion" in b.g or b.g.get("cycle") == 80:
            return False
        return "cycle" in b.g or self.state.cycle is not None

    def _modes(self, b: BlockWords) -> None:
        s = self.state
        changes: dict = {}
        if "units" in b.g:
            changes["inch"] = b.g["units"] == 20
        if "distance" in b.g:
            changes["absolute"] = b.g["distance"] == 90
        if "plane" in b.g:
            changes["plane"] = b.g["plane"]
        if "return" in b.g:
            changes["return_mode"] = b.g["return"]
        scale = INCH_MM if changes.get("inch", s.inch) else 1.0
        if "F" in b.words:
            changes["feed_mm_min"] = b.value("F") * scale
        if "S" in b.words:
            changes["spindle_rpm"] = b.value("S")
        if "T" in b.words:
            changes["next_tool"] = b.count("T")
        self.state = replace(s, **changes)

    def _tools_before(self, b: BlockWords, text: str) -> None:
        if 6 in b.m:
            tool = self.state.next_tool
            self._event(EventKind.TOOL_CHANGE, b.line, text, code=tool)
            # The tool changer stops the spindle; programs restate S and M3 after M6.
            self.state = replace(self.state, tool=tool, spindle=Spindle.OFF)
        for code in b.m:
            if code in (3, 4):
                spin = Spindle.CW if code == 3 else Spindle.CCW
                self.state = replace(self.state, spindle=spin)
            if code in (7, 8):
                on = COOLANT_ON.get((self.state.coolant, code), self.state.coolant)
                self.state = replace(self.state, coolant=on)

    def _after(self, b: BlockWords, text: str) -> None:
        if 5 in b.m:
            self.state = replace(self.state, spindle=Spindle.OFF)
        if 9 in b.m:
            self.state = replace(self.state, coolant=Coolant.OFF)
        for code in b.m:
            if code in (0, 1, 60):
                self._event(EventKind.STOP, b.line, text, code=code)
            if code in (2, 30):
                self._event(EventKind.END, b.line, text, code=code)
                self.ended = True

    def _barrier(self, text: str) -> None:
        self._event(EventKind.BARRIER, self.last_line, text)
        self.xyz, self.z_home = (NAN, NAN, NAN), False

    def _event(self, kind: EventKind, line: int, text: str, code: int | None = None) -> None:
        x, y, z = self.xyz
        state = replace(self.state, x=x, y=y, z=z, z_home=self.z_home)
        self.events.append(Event(kind, line, text, state, len(self.segments), code))

    # -- motion ------------------------------------------------------------------------

    def _motion(self, b: BlockWords) -> None:
        once = b.g.get("once")
        if once == 4:
            self._dwell(b)
        elif once in (28, 53):
            self._machine_coordinates(b, once)
        elif "motion" in b.g or b.g.get("cycle") == 80:
            code = b.g.get("motion", self.state.motion)
            self.state = replace(self.state, motion=code, cycle=None)
            self._move(b)
        elif "cycle" in b.g or self.state.cycle is not None:
            self._cycle(b)
        else:
            self._move(b)

    def _scale(self) -> float:
        return INCH_MM if self.state.inch else 1.0

    def _target(self, b: BlockWords) -> tuple[float, float, float]:
        """Where X, Y, Z words send the tool (G90 absolute, G91 from here)."""
        s, k = self.state, self._scale()
        out = []
        for axis, here in zip("XYZ", self.xyz, strict=True):
            value = b.value(axis)
            if value is None:
                out.append(here)
            else:
                out.append(value * k if s.absolute else here + value * k)
        return (out[0], out[1], out[2])

    def _move(self, b: BlockWords) -> None:
        s = self.state
        if s.motion in (2, 3):
            if b.has_any("XYZIJKR"):
                self._arc(b)
            return
        if not b.has_any("XYZ"):
            return
        end = self._target(b)
        if s.motion == 0:
            self._add(SegmentKind.RAPID, end)
        else:
            self._add(SegmentKind.FEED, end, feed=self._feed(b))

    def _feed(self, b: BlockWords) -> float:
        feed = self.state.feed_mm_min
        if not feed or feed <= 0:
            raise SimulationError(b.line, "feed move without a feed rate F")
        return feed

    def _arc(self, b: BlockWords) -> None:
        s, k = self.state, self._scale()
        end = self._target(b)
        offsets = tuple(None if b.value(a) is None else b.value(a) * k for a in "IJK")
        radius = None if b.value("R") is None else b.value("R") * k
        if radius is None and all(o is None for o in offsets):
            raise SimulationError(b.line, "arc without I/J/K or R")
        try:
            centre, r = arc_centre(s.plane, self.xyz, end, offsets, radius, clockwise=s.motion == 2)
        except ValueError as exc:
            raise SimulationError(b.line, str(exc)) from exc
        arc = Arc(centre, s.motion == 2, s.plane, r)
        self._add(SegmentKind.ARC, end, feed=self._feed(b), arc=arc, always=True)

    def _dwell(self, b: BlockWords) -> None:
        ms = b.count("P")
        seconds = ms / 1000.0 if ms is not None else b.value("X")
        if seconds is None:
            raise SimulationError(b.line, "G4 without P or X")
        self._add(SegmentKind.DWELL, self.xyz, dwell_s=seconds, always=True)

    def _machine_coordinates(self, b: BlockWords, code: int) -> None:
        """G28: through the intermediate point (program coordinates) to the reference point;
        G53: straight to machine coordinates. Named axes are unknown afterwards; Z at the
        reference point (G28 Z, or G53 Z0 where machine zero is the top) is flagged home."""
        if code == 28:
            self._add(SegmentKind.RAPID, self._target(b))
        named = [axis for axis in "XYZ" if axis in b.words]
        end = tuple(NAN if a in named else v for a, v in zip("XYZ", self.xyz, strict=True))
        home = "Z" in named and (code == 28 or b.value("Z") == 0)
        self._add(SegmentKind.RAPID, end, end_home=home if "Z" in named else None)

    def _add(
        self,
        kind: SegmentKind,
        end,
        *,
        feed: float | None = None,
        arc: Arc | None = None,
        dwell_s: float = 0.0,
        always: bool = False,
        end_home: bool | None = None,
        **cycle_fields,
    ) -> None:
        """Append a segment from the current position to ``end`` (skipped when it goes
        nowhere, unless ``always``) and move there."""
        s = self.state
        if not always and same_point(end, self.xyz) and end_home in (None, self.z_home):
            return
        if end_home is None:
            end_home = self.z_home and math.isnan(end[2])
        segment = Segment(
            kind, self.xyz, tuple(end), self.last_line, feed, arc, dwell_s,
            s.tool, s.spindle_rpm, s.spindle, s.coolant,
            start_home=self.z_home, end_home=end_home, **cycle_fields,
        )  # fmt: skip
        self.segments.append(segment)
        self.xyz, self.z_home = tuple(end), end_home

    # -- canned cycles -----------------------------------------------------------------

    def _cycle(self, b: BlockWords) -> None:
        code = b.g.get("cycle")
        s = self.state
        if code is not None:
            self.cycle_sets += 1
            cycle = s.cycle or Cycle(code, self.xyz[2])
            self.state = replace(s, cycle=replace(cycle, code=code))
        self._cycle_data(b)
        if b.has_any("XYZR"):
            self._holes(b)

    def _cycle_data(self, b: BlockWords) -> None:
        cycle, k = self.state.cycle, self._scale()
        assert cycle is not None
        changes: dict = {}
        if not b.has_any("ZRQP"):
            return
        incremental = not self.state.absolute
        if "Z" in b.words:
            changes.update(z=b.value("Z") * k, z_incremental=incremental)
        if "R" in b.words:
            changes.update(r=b.value("R") * k, r_incremental=incremental)
        if "Q" in b.words:
            changes["q"] = abs(b.value("Q")) * k
        if "P" in b.words:
            changes["p_ms"] = float(b.count("P"))
        self.state = replace(self.state, cycle=replace(cycle, **changes))

    def _holes(self, b: BlockWords) -> None:
        s, cycle, k = self.state, self.state.cycle, self._scale()
        assert cycle is not None
        if cycle.z is None or cycle.r is None:
            raise SimulationError(b.line, f"G{cycle.code} without Z and R")
        if cycle.code in cycles.PECK_CYCLES and not cycle.q:
            raise SimulationError(b.line, f"G{cycle.code} without a peck depth Q > 0")
        if "K" in b.words and "L" in b.words:
            raise SimulationError(b.line, "both K and L repeats")
        repeats = b.count("K") if "K" in b.words else b.count("L")
        feed = self._feed(b)
        r, z = cycle.r_abs, cycle.z_abs
        ret = cycle.initial_z if s.return_mode == 98 else r
        for _ in range(1 if repeats is None else repeats):
            xy = self._hole_xy(b, k)
            steps = cycles.expand(
                cycle.code, self.xyz, xy, r=r, z=z, ret=ret, feed=feed, q=cycle.q,
                p_ms=cycle.p_ms,
            )  # fmt: skip
            for step in steps:
                hole = None if step.travel else self.holes
                self._add(
                    SegmentKind(step.kind), step.end, feed=step.feed, dwell_s=step.dwell_s,
                    always=step.kind == "dwell", in_cycle=True, cycle_set=self.cycle_sets,
                    hole=hole,
                )  # fmt: skip
            self.holes += 1

    def _hole_xy(self, b: BlockWords, k: float) -> tuple[float, float]:
        """The hole's XY: in G90 the words (the same place each repeat), in G91 one more
        increment from where the tool is, each repeat."""
        out = []
        for axis, at in (("X", self.xyz[0]), ("Y", self.xyz[1])):
            value = b.value(axis)
            if value is None:
                out.append(at)
            else:
                out.append(value * k if self.state.absolute else at + value * k)
        return (out[0], out[1])
