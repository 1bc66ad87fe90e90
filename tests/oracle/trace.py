"""What the oracle's simulator produces: the tool's motion as segments, and the events.

Positions are absolute work coordinates in mm; ``nan`` marks an axis whose position is not
known (before the first move, after G28/G53, after an opaque barrier). ``home`` flags say that
an unknown Z is the reference point (after ``G28 Z`` or ``G53 Z0``): the top of the travel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "NAN",
    "Arc",
    "Coolant",
    "Cycle",
    "Event",
    "EventKind",
    "Modal",
    "Segment",
    "SegmentKind",
    "SimulationError",
    "Spindle",
    "Trace",
    "mm_text",
    "rounded",
    "same_point",
]

NAN = math.nan
XYZ = tuple[float, float, float]


class SimulationError(ValueError):
    """A program the oracle refuses to simulate (a Fanuc control would raise an alarm, or the
    oracle cannot know the motion): ``line`` is 1-based."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class SegmentKind(StrEnum):
    RAPID = "rapid"
    FEED = "feed"
    ARC = "arc"
    DWELL = "dwell"


class EventKind(StrEnum):
    BARRIER = "barrier"
    STOP = "stop"
    TOOL_CHANGE = "tool_change"
    END = "end"


class Spindle(StrEnum):
    OFF = "off"
    CW = "cw"
    CCW = "ccw"


class Coolant(StrEnum):
    OFF = "off"
    MIST = "mist"
    FLOOD = "flood"
    BOTH = "mist+flood"


def rounded(value: float | None, digits: int = 4) -> float | None:
    """``value`` rounded to 1e-4 (mm) for comparisons; None for unknown (nan or None)."""
    if value is None or math.isnan(value):
        return None
    return round(value, digits) + 0.0  # + 0.0: -0.0 prints like 0.0


def mm_text(value: float | None) -> str:
    """A coordinate as NC code writes it (``10.``, ``-2.5``); ``?`` for unknown."""
    r = rounded(value)
    return "?" if r is None else f"{r:g}" + ("" if "." in f"{r:g}" else ".")


def same_point(a: XYZ, b: XYZ) -> bool:
    """Equal to 1 nm on every axis, unknown (nan) equal to unknown."""
    for u, v in zip(a, b, strict=True):
        if not abs(u - v) < 1e-9 and not (u != u and v != v):  # x != x: x is nan
            return False
    return True


@dataclass(frozen=True)
class Cycle:
    """The active canned cycle: its G code and modal data as programmed (Z and R each with
    whether they were given in G91), and the initial level (Z when the cycle mode began)."""

    code: int
    initial_z: float
    z: float | None = None
    z_incremental: bool = False
    r: float | None = None
    r_incremental: bool = False
    q: float | None = None
    p_ms: float | None = None

    @property
    def r_abs(self) -> float:
        """R resolved: in G91 it is the distance from the initial level (Fanuc)."""
        assert self.r is not None
        return self.initial_z + self.r if self.r_incremental else self.r

    @property
    def z_abs(self) -> float:
        """Z resolved: in G91 it is the distance from R (Fanuc)."""
        assert self.z is not None
        return self.r_abs + self.z if self.z_incremental else self.z

    def key(self) -> tuple:
        r = rounded(self.r_abs) if self.r is not None else None
        z = rounded(self.z_abs) if self.z is not None and self.r is not None else None
        return (self.code, rounded(self.initial_z), z, r, rounded(self.q), rounded(self.p_ms))


@dataclass(frozen=True)
class Modal:
    """The machine's state between blocks (the simulator's single source of truth)."""

    x: float = NAN
    y: float = NAN
    z: float = NAN
    z_home: bool = False
    motion: int = 0  # group 01: G0 G1 G2 G3
    cycle: Cycle | None = None  # group 09: None is G80
    absolute: bool = True  # G90 / G91
    plane: int = 17
    inch: bool = False
    feed_mm_min: float | None = None
    return_mode: int = 98  # G98 / G99 (Fanuc's power-on default is G98)
    spindle_rpm: float | None = None
    spindle: Spindle = Spindle.OFF
    coolant: Coolant = Coolant.OFF
    tool: int | None = None
    next_tool: int | None = None

    @property
    def xyz(self) -> XYZ:
        return (self.x, self.y, self.z)

    def handover(self, with_xy: bool = True, with_motion: bool = True) -> dict[str, object]:
        """What the next lines (or the operator, or a subprogram) rely on, rounded."""
        out: dict[str, object] = {}
        if with_xy:
            out.update(x=rounded(self.x), y=rounded(self.y))
        out.update(z=rounded(self.z), z_home=self.z_home)
        if with_motion:
            out["motion"] = f"G{self.motion}"
        out.update(
            cycle=self.cycle.key() if self.cycle else "G80",
            distance="G90" if self.absolute else "G91",
            plane=f"G{self.plane}",
            units="G20" if self.inch else "G21",
            feed=rounded(self.feed_mm_min),
            return_mode=f"G{self.return_mode}",
            spindle=(rounded(self.spindle_rpm), str(self.spindle)),
            coolant=str(self.coolant),
            tool=self.tool,
        )
        return out


@dataclass(frozen=True)
class Arc:
    """An arc's centre (in-plane coordinates: G17 X Y, G18 Z X, G19 Y Z), turn and plane."""

    centre: tuple[float, float]
    clockwise: bool
    plane: int
    radius: float


@dataclass(frozen=True)
class Segment:
    """One straight move, arc or dwell.

    ``in_cycle``: part of a canned-cycle expansion. ``hole``: the id of the drilled hole it
    belongs to (from the feed down from R until back at the return level), None for all
    else: a cycle's XY positioning and its rapid down to R are travel, so a hole's identity
    does not depend on where the tool came from. ``cycle_set``: lexical id of the cycle line
    the hole belongs to. ``start_home`` / ``end_home``: the unknown Z is the reference point.
    """

    kind: SegmentKind
    start: XYZ
    end: XYZ
    line: int
    feed_mm_min: float | None = None
    arc: Arc | None = None
    dwell_s: float = 0.0
    tool: int | None = None
    spindle_rpm: float | None = None
    spindle: Spindle = Spindle.OFF
    coolant: Coolant = Coolant.OFF
    in_cycle: bool = False
    cycle_set: int | None = None
    hole: int | None = None
    start_home: bool = False
    end_home: bool = False

    @property
    def moves_xy(self) -> bool:
        """Whether X or Y changes (an unknown end or start against a known one counts)."""
        a = (rounded(self.start[0]), rounded(self.start[1]))
        b = (rounded(self.end[0]), rounded(self.end[1]))
        return self.kind in (SegmentKind.RAPID, SegmentKind.FEED, SegmentKind.ARC) and a != b

    @property
    def ends(self) -> tuple[tuple, tuple]:
        """Start and end rounded to 1e-4 (None: unknown)."""
        return tuple(map(rounded, self.start)), tuple(map(rounded, self.end))


@dataclass(frozen=True)
class Event:
    """A barrier (``text``), a stop (``code`` 0/1/60 and ``text``), a tool change (``code``
    the tool) or the end; ``state`` just before it; ``at`` the number of segments before it."""

    kind: EventKind
    line: int
    text: str
    state: Modal
    at: int
    code: int | None = None


@dataclass(frozen=True)
class Trace:
    """A program's motion: ``segments`` and ``events`` in program order."""

    segments: tuple[Segment, ...]
    events: tuple[Event, ...]
    holes: int = field(default=0)

    def hole_bottoms(self) -> list[XYZ]:
        """Each drilled hole's deepest point, in drilling order (for tests and reports)."""
        deepest: dict[int, XYZ] = {}
        for s in self.segments:
            if s.hole is not None and (s.hole not in deepest or s.end[2] < deepest[s.hole][2]):
                deepest[s.hole] = s.end
        return [deepest[h] for h in sorted(deepest)]

    @property
    def max_arc_radius(self) -> float:
        return max((s.arc.radius for s in self.segments if s.arc), default=0.0)
