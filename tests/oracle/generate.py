"""Hypothesis strategies for the property tests of issue 13: Fanuc-style programs built from
common shop patterns, and the optimization settings to run them with.

``programs()`` draws programs of at most ``MAX_LINES`` lines that mix several tools (``T M6``,
``S M3``, ``G43 H Z``), G98 and G99 hole sets with different R planes and initial levels,
G81/G82 (P)/G83 (Q)/G84 cycles, G91 sets with K or L repeats, cycles cancelled by G80, by
``G00 X Y`` and by ``G01``, M00/M01 between tools, ``G91 G28 Z0.`` between tools, small
milling blocks (rapid to XY, plunge, G1/G2/G3 at one depth, retract), comments, N numbers,
and coordinates with and without a decimal point. Every drawn program is valid for a Fanuc
control and simulates without error (``tests/oracle/test_generate.py``).

``settings()`` draws a ``Settings`` (tool regrouping, block reversal, air cutting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

from hypothesis import strategies as st

__all__ = ["MAX_LINES", "Settings", "programs", "settings"]

MAX_LINES = 60
# Lines a tool's closing takes at most (cancel, retract, M9, G28 and G90, a stop), so an
# operation is only started when the tool can still be closed within MAX_LINES.
TOOL_CLOSE_LINES = 7
PROGRAM_END_LINES = 6


@dataclass(frozen=True)
class Settings:
    """The optimization settings of a property-test run (the scenario's settings sheet)."""

    allow_tool_regroup: bool = False
    allow_block_reversal: bool = False
    air_cut_above_z_mm: float | None = None

    def compare_options(self) -> dict:
        """Keyword arguments of ``tests.oracle.compare.compare``."""
        return {
            "allow_tool_regroup": self.allow_tool_regroup,
            "allow_block_reversal": self.allow_block_reversal,
            "air_cut_above_z_mm": self.air_cut_above_z_mm,
        }

    def scenario_settings(self) -> dict:
        """The keys of the scenario's settings sheet (``docs/scenarios.md``)."""
        air = self.air_cut_above_z_mm
        return {
            "allow_tool_regroup": self.allow_tool_regroup,
            "allow_block_reversal": self.allow_block_reversal,
            "air_cut_to_rapid": air is not None,
            "air_cut_above_z_mm": 5.0 if air is None else air,
        }


def settings() -> st.SearchStrategy[Settings]:
    air = st.none() | st.sampled_from([3.0, 5.0, 10.0])
    return st.builds(Settings, st.booleans(), st.booleans(), air)


@dataclass
class _Style:
    """How one program is written."""

    numbered: bool
    bare_integers: bool  # X10 rather than X10. (the decimal point mode makes both 10 mm)
    comments: bool


@dataclass
class _Writer:
    style: _Style
    lines: list[str] = field(default_factory=list)
    cycle_active: bool = False
    z: float = math.nan
    xy: tuple[float, float] = (0.0, 0.0)

    def num(self, value: float) -> str:
        text = f"{round(value, 3):.3f}".rstrip("0")
        text = "0." if text in ("-0.", "0.") else text
        return text[:-1] if self.style.bare_integers and text.endswith(".") else text

    def add(self, line: str, comment: str = "") -> None:
        if comment and self.style.comments:
            line = f"{line} ({comment})"
        if self.style.numbered:
            line = f"N{10 * (len(self.lines) + 1)} {line}"
        self.lines.append(line)

    def room(self) -> int:
        return MAX_LINES - PROGRAM_END_LINES - TOOL_CLOSE_LINES - len(self.lines) - 2


COORD = st.integers(-40, 160).map(lambda v: v * 0.5)


@st.composite
def programs(draw) -> str:
    """A Fanuc-style program of at most ``MAX_LINES`` lines (module doc)."""
    style = _Style(draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
    w = _Writer(style)
    w.lines.append("%")
    w.lines.append(f"O{draw(st.integers(1, 9999)):04d}" + (" (OP10)" if style.comments else ""))
    w.add("G90 G54 G17 G21")
    w.add("G40 G49 G80")
    tools = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    for i, tool in enumerate(tools):
        if w.room() < 12:
            break
        if i:
            _between_tools(draw, w)
        _tool(draw, w, tool)
    w.add("M5")
    w.add("M9")
    w.add("G91 G28 Z0.")
    w.add("G90")
    w.add("M30")
    w.lines.append("%")
    assert len(w.lines) <= MAX_LINES, w.lines
    return "\n".join(w.lines) + "\n"


def _between_tools(draw, w: _Writer) -> None:
    stop = draw(st.sampled_from(["", "", "M01", "M00"]))
    if stop == "M00":
        w.add("M00", "CHECK PART")
    elif stop:
        w.add(stop)


def _tool(draw, w: _Writer, tool: int) -> None:
    if w.style.comments:
        w.lines.append(f"(T{tool} {['', 'SPOT', 'DRILL', 'MILL'][tool]})")
    w.add(f"T{tool} M6")
    rpm = draw(st.sampled_from([800, 1200, 2500, 4000]))
    w.add(f"S{rpm} M3")
    w.xy = (draw(COORD), draw(COORD))
    w.add(f"G0 G90 X{w.num(w.xy[0])} Y{w.num(w.xy[1])}")
    w.z = draw(st.sampled_from([25.0, 50.0, 100.0]))
    w.add(f"G43 H{tool} Z{w.num(w.z)}" + draw(st.sampled_from(["", " M8"])))
    w.cycle_active = False
    kinds = st.sampled_from(["holes", "holes", "g91_holes", "mill"])
    for kind in draw(st.lists(kinds, min_size=1, max_size=3)):
        if w.room() < 10:
            break
        {"holes": _holes, "g91_holes": _g91_holes, "mill": _mill}[kind](draw, w, rpm)
    _close_tool(draw, w)


def _close_tool(draw, w: _Writer) -> None:
    if w.cycle_active:
        w.add("G80")
        w.cycle_active = False
    w.add(f"G0 Z{w.num(draw(st.sampled_from([25.0, 50.0, 100.0])))}")
    if draw(st.booleans()):
        w.add("M9")
    if draw(st.booleans()):
        w.add("G91 G28 Z0.")
        w.add("G90")


def _level(draw, w: _Writer) -> None:
    """Optionally a new initial level before a hole set (G98 returns to it)."""
    if draw(st.booleans()):
        if w.cycle_active:
            w.add("G80")
            w.cycle_active = False
        w.z = draw(st.sampled_from([10.0, 25.0, 50.0]))
        w.add(f"G0 Z{w.num(w.z)}")


def _cycle_words(draw, w: _Writer, rpm: int) -> tuple[str, str]:
    """The cycle's code and its extra words (P, Q) and feed."""
    cycle = draw(st.sampled_from(["G81", "G82", "G83", "G84"]))
    extra = ""
    if cycle == "G82":
        extra = f" P{draw(st.sampled_from([100, 250, 500]))}"
    if cycle == "G83":
        extra = f" Q{w.num(draw(st.sampled_from([1.0, 2.5, 4.0])))}"
    if cycle == "G84":  # tapping: F is the pitch times the speed (G94)
        feed = rpm * draw(st.sampled_from([0.5, 1.0, 1.25]))
    else:
        feed = draw(st.sampled_from([60.0, 100.0, 150.0, 250.0]))
    return cycle, f"{extra} F{w.num(feed)}"


def _holes(draw, w: _Writer, rpm: int) -> None:
    _level(draw, w)
    cycle, extra = _cycle_words(draw, w, rpm)
    mode = draw(st.sampled_from(["G98", "G99"]))
    r = draw(st.sampled_from([1.0, 2.0, 3.0, 5.0]))
    z = -draw(st.sampled_from([2.0, 5.0, 8.5, 12.0]))
    points = draw(st.lists(st.tuples(COORD, COORD), min_size=1, max_size=4, unique=True))
    x, y = points[0]
    repeat = draw(st.sampled_from(["", "", "", " K2"]))
    w.add(f"{mode} {cycle} X{w.num(x)} Y{w.num(y)} Z{w.num(z)} R{w.num(r)}{extra}{repeat}")
    for (px, py), (x, y) in pairwise(points):
        words = ([f"X{w.num(x)}"] if x != px else []) + ([f"Y{w.num(y)}"] if y != py else [])
        w.add(" ".join(words))
    w.cycle_active = True
    w.xy = points[-1]
    _cancel(draw, w, r if mode == "G99" else w.z)


def _g91_holes(draw, w: _Writer, rpm: int) -> None:
    """A G91 set: R from the initial level, Z from R, K or L repeats stepping on."""
    _level(draw, w)
    if w.cycle_active:
        w.add("G80")
        w.cycle_active = False
    cycle, extra = _cycle_words(draw, w, rpm)
    mode = draw(st.sampled_from(["G98", "G99"]))
    r = draw(st.sampled_from([1.0, 2.0, 5.0]))
    depth = draw(st.sampled_from([3.0, 6.0, 10.0]))
    step = st.integers(-6, 6).map(lambda v: v * 5.0)
    dx, dy = draw(step.filter(bool)), draw(step)
    n = draw(st.integers(2, 4))
    letter = draw(st.sampled_from("KL"))
    w.add(
        f"G91 {mode} {cycle} X{w.num(dx)} Y{w.num(dy)} Z{w.num(-depth - r)} "
        f"R{w.num(r - w.z)}{extra} {letter}{n}"
    )
    w.xy = (w.xy[0] + n * dx, w.xy[1] + n * dy)
    for _ in range(draw(st.integers(0, 2))):
        dx, dy = draw(step.filter(bool)), draw(step)
        w.add(f"X{w.num(dx)}" + (f" Y{w.num(dy)}" if dy else ""))
        w.xy = (w.xy[0] + dx, w.xy[1] + dy)
    w.add("G80 G90")
    w.cycle_active = False
    w.z = r if mode == "G99" else w.z
    w.add(f"G0 Z{w.num(draw(st.sampled_from([25.0, 50.0])))}")


def _cancel(draw, w: _Writer, level: float) -> None:
    """End a hole set: G80 (and up), a G00 move in XY at the return level, G01 up, or
    nothing (the next operation's own G0/G1 or the tool's closing cancels it)."""
    how = draw(st.sampled_from(["G80", "G00", "G01", "next"]))
    w.z = level
    if how == "G80":
        w.add("G80")
        w.z = draw(st.sampled_from([25.0, 50.0]))
        w.add(f"G0 Z{w.num(w.z)}")
    elif how == "G00":
        w.xy = (draw(COORD), draw(COORD))
        w.add(f"G00 X{w.num(w.xy[0])} Y{w.num(w.xy[1])}")
    elif how == "G01":
        w.z = level + draw(st.sampled_from([5.0, 20.0]))
        w.add(f"G01 Z{w.num(w.z)} F{w.num(draw(st.sampled_from([500.0, 1000.0])))}")
    else:
        return
    w.cycle_active = False


def _mill(draw, w: _Writer, rpm: int) -> None:
    """Rapid to XY, down, plunge, a few moves at one depth, retract."""
    w.cycle_active = False  # the G0 below cancels a cycle
    clear = max(w.z, 10.0) if not math.isnan(w.z) else 25.0
    if draw(st.booleans()):  # an air move at the clearance level (air cutting makes it G0)
        w.xy = (draw(COORD), draw(COORD))
        w.add(f"G1 X{w.num(w.xy[0])} Y{w.num(w.xy[1])} Z{w.num(clear)} F3000.")
    w.xy = (draw(COORD), draw(COORD))
    if w.z < clear:  # up first, then across (nan: unknown, never lower)
        w.add(f"G0 Z{w.num(clear)}")
    w.add(f"G0 X{w.num(w.xy[0])} Y{w.num(w.xy[1])} Z{w.num(clear)}")
    w.add("Z2.")
    depth = -draw(st.sampled_from([1.0, 2.5, 4.0]))
    w.add(f"G1 Z{w.num(depth)} F{w.num(draw(st.sampled_from([80.0, 150.0])))}")
    feed = draw(st.sampled_from([300.0, 600.0, 1200.0]))
    for k in range(draw(st.integers(1, 4))):
        words = _contour_move(draw, w)
        w.add(words + (f" F{w.num(feed)}" if k == 0 else ""))
    w.z = draw(st.sampled_from([25.0, 50.0]))
    w.add(f"G0 Z{w.num(w.z)}")


def _contour_move(draw, w: _Writer) -> str:
    """One move at the block's depth: a straight G1, or a G2/G3 arc by I/J or by R (sweeps
    up to 135 degrees, so R is the shorter arc and three decimals keep the radius exact
    within a control's tolerance)."""
    x0, y0 = w.xy
    if draw(st.booleans()):
        step = st.integers(-8, 8).map(lambda v: v * 2.5)
        dx, dy = draw(st.tuples(step, step).filter(any))
        w.xy = (round(x0 + dx, 3), round(y0 + dy, 3))
        return f"G1 X{w.num(w.xy[0])} Y{w.num(w.xy[1])}"
    r = draw(st.sampled_from([3.0, 5.0, 8.0]))
    towards = math.radians(45 * draw(st.integers(0, 7)))
    sweep = math.radians(draw(st.sampled_from([45, 90, 135])))
    clockwise = draw(st.booleans())
    cx, cy = x0 + r * math.cos(towards), y0 + r * math.sin(towards)
    end = towards + math.pi + (-sweep if clockwise else sweep)
    w.xy = (round(cx + r * math.cos(end), 3), round(cy + r * math.sin(end), 3))
    head = f"G{2 if clockwise else 3} X{w.num(w.xy[0])} Y{w.num(w.xy[1])}"
    if draw(st.booleans()):
        return f"{head} R{w.num(r)}"
    return f"{head} I{w.num(cx - x0)} J{w.num(cy - y0)}"
