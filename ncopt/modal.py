"""The machine's modal state while a program is read: where the tool is and which modes hold.

One object owns it, and each block acts on it through a few methods (after pygcode's
``Machine``/``State``): the interpreter's fast path and ``ncopt.execute`` call these, never
assign its fields. Positions are absolute work coordinates in mm, NaN where unknown (before
the first move, after G28/G53 or a subprogram call).

>>> s = ModalState(increment=False)
>>> s.apply_g({91, 99, 81}), s.absolute, s.return_mode, s.cycle
(81, False, 99, 81)
>>> s.coordinate("10"), ModalState(increment=True).coordinate("10")
(10.0, 0.01)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ncopt.frames import FrameState
from ncopt.gcode import CANNED_CYCLES
from ncopt.program import XYZ, Modal, SyncState

__all__ = ["INCH_MM", "ModalState"]

INCH_MM = 25.4
NAN = math.nan


class ModalState:
    """Position and modes (motion, feed, plane, units, distance mode, canned cycle, spindle,
    tool, coolant) of the machine at the current block."""

    def __init__(self, increment: bool) -> None:
        self.increment = increment  # the machine's decimal-point mode (``X10`` = 0.010 mm)
        self.x = self.y = self.z = NAN
        self.motion, self.feed, self.plane = 0, 0.0, 17
        self.absolute, self.inch, self.ended = True, False, False
        self.cycle = 0  # active canned cycle, 0 for none
        self.cycle_words: dict[str, float] = {}  # Z, R, Q, P kept modal by the cycle
        self.return_mode, self.initial_z = 98, NAN
        self.spindle_rpm, self.spindle_dir, self.coolant = 0.0, 0, False
        self.tool, self.next_tool, self.wcs = 0, 0, 54
        self.comp = 40  # cutter compensation: 40 off, 41 left, 42 right
        self.frames = FrameState()

    # ----------------------------------------------------------------- reading
    @property
    def xyz(self) -> XYZ:
        return (self.x, self.y, self.z)

    @property
    def fast_ok(self) -> bool:
        """Lines may take the interpreter's fast path (absolute mm, program not ended)."""
        return self.absolute and not self.inch and not self.ended

    def known(self) -> bool:
        return not (math.isnan(self.x) or math.isnan(self.y) or math.isnan(self.z))

    def sync_state(self, line: int, kind: str) -> SyncState:
        return SyncState(
            line, kind, self.xyz, self.motion, self.cycle, self.initial_z, self.feed,
            self.plane, self.absolute, self.inch, self.return_mode, self.spindle_dir,
            self.coolant,
        )  # fmt: skip

    def modal(self) -> Modal:
        return Modal(self.cycle or self.motion, self.feed, self.plane, self.absolute, self.inch)

    def coordinate(self, text: str) -> float:
        """A length word in mm, honouring the decimal-point mode and G20."""
        value = float(text)
        if self.increment and "." not in text:
            value = value / (10000.0 if self.inch else 1000.0)
        return value * INCH_MM if self.inch else value

    def fast_value(self, text: str) -> float:
        """A coordinate of the fast path (metric, absolute): ``coordinate`` without G20."""
        if self.increment and "." not in text:
            return int(text) / 1000.0
        return float(text)

    def target(self, words: dict[str, tuple[str, int]]) -> XYZ:
        """Where X/Y/Z words send the tool (absolute or incremental)."""
        out = []
        for axis, current in (("X", self.x), ("Y", self.y), ("Z", self.z)):
            if axis not in words:
                out.append(current)
            else:
                value = self.coordinate(words[axis][0])
                out.append(value if self.absolute else current + value)
        return out[0], out[1], out[2]

    # ----------------------------------------------------------------- writing
    def move_to(self, x: float, y: float, z: float) -> None:
        self.x, self.y, self.z = x, y, z

    def forget_axes(self, axes: Iterable[str]) -> None:
        """The named axes go somewhere the program's coordinates do not tell (G28, G53)."""
        for axis in axes:
            setattr(self, axis.lower(), NAN)

    def forget_position(self) -> None:
        self.x = self.y = self.z = NAN

    def change_frame(self, g: int, words: dict[str, tuple[str, int]]) -> None:
        """A frame line (``ncopt.frames``): the position in the coordinates after it."""
        values = {}
        for letter, (text, _) in words.items():
            if letter in "XYZIJK":
                values[letter] = self.coordinate(text)
            elif letter in "RP":
                values[letter] = float(text)
        self.x, self.y, self.z = self.frames.apply(g, values, self.xyz)

    def set_feed(self, feed_mm_min: float) -> None:
        self.feed = feed_mm_min

    def set_feed_word(self, text: str) -> None:
        self.feed = float(text) * (INCH_MM if self.inch else 1.0)

    def set_motion(self, g: int) -> None:
        self.motion = g

    def set_spindle_rpm(self, rpm: float) -> None:
        self.spindle_rpm = rpm

    def select_tool(self, tool: int) -> None:
        self.next_tool = tool

    def set_cycle_word(self, letter: str, value: float) -> None:
        self.cycle_words[letter] = value

    def apply_g(self, gs: set[int]) -> int | None:
        """Apply the modal G-codes of one block; return its motion or cycle code, if any."""
        motion_g = None
        for g in sorted(gs):
            if g in (17, 18, 19):
                self.plane = g
            elif g in (20, 21):
                self.inch = g == 20
            elif g in (90, 91):
                self.absolute = g == 90
            elif g in (98, 99):
                self.return_mode = g
            elif g in (40, 41, 42):
                self.comp = g
            elif g == 80:
                self.cycle, self.cycle_words = 0, {}
            elif g <= 3:
                self.motion, self.cycle, self.cycle_words, motion_g = g, 0, {}, g
            elif g in CANNED_CYCLES:
                if not self.cycle:
                    self.initial_z = self.z  # G98 returns here
                self.cycle, motion_g = g, g
        return motion_g

    def change_tool(self) -> int:
        """M6: the selected tool is in the spindle, which the change macro stopped."""
        self.tool, self.spindle_dir = self.next_tool, 0
        return self.tool

    def start_spindle(self, direction: int) -> bool:
        """M3/M4; True when the spindle starts or reverses (it costs a spindle start)."""
        started = self.spindle_dir != direction
        self.spindle_dir = direction
        return started

    def stop_spindle(self) -> None:
        self.spindle_dir = 0

    def set_coolant(self, on: bool) -> None:
        self.coolant = on

    def end_program(self) -> None:
        self.ended = True
