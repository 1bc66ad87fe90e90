"""A trace cut into *items* (the work) and the *traverses* between them (the travel).

Travel is every rapid that is not part of a drilled hole: free rapids, and a canned cycle's XY
positioning and its rapid to R. Everything else is work. An item is a maximal run of work
segments with no travel and no event between them, and a drilled hole (from the feed down
from R until back at its return level) is an item of its own. An item's identity is the exact
segment list (kind, end point to 1e-4 mm, feed, arc centre and turn, dwell, tool, spindle,
coolant) and the start point of its first segment; for a hole that is its R point, so the
identity does not depend on where the tool came from, but does hold the return level.

``layout(trace)`` gives the items and the traverses (one before each item and one after the
last); ``level(traverse)`` the height the tool travelled at.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from tests.oracle.trace import EventKind, Segment, SegmentKind, Trace, mm_text, rounded

__all__ = ["Item", "Layout", "Leg", "layout", "level", "reversed_key", "segment_key"]

WALLS = (EventKind.BARRIER, EventKind.STOP)


@dataclass(frozen=True)
class Leg:
    """A travel segment and the section (number of barriers and stops before it) it is in."""

    section: int
    segment: Segment


@dataclass(frozen=True)
class Item:
    """A run of work: its ``index`` in program order, its ``section``, its segments."""

    index: int
    section: int
    segments: tuple[Segment, ...]

    @cached_property
    def key(self) -> tuple:
        return _key(self.segments)

    @property
    def hole(self) -> int | None:
        return self.segments[0].hole

    @property
    def cycle_set(self) -> int | None:
        return self.segments[0].cycle_set if self.hole is not None else None

    @property
    def set_id(self) -> tuple:
        """The holes of one cycle line (and its modal lines) form a set; other items are a
        set each."""
        return ("holes", self.cycle_set) if self.hole is not None else ("item", self.index)

    @property
    def return_z(self) -> float | None:
        return rounded(self.segments[-1].end[2])

    @property
    def line(self) -> int:
        return self.segments[0].line

    def describe(self, which: str = "") -> str:
        """``which`` ("old", "new") goes before the line numbers."""
        first = self.segments[0]
        line = f"{which} line" if which else "line"
        if self.hole is not None:
            bottom = min(s.end[2] for s in self.segments)
            x, y = (mm_text(v) for v in first.start[:2])
            return (
                f"hole X{x} Y{y} (R{mm_text(first.start[2])} Z{mm_text(bottom)} "
                f"back to {mm_text(self.segments[-1].end[2])}, {line} {first.line})"
            )
        last = self.segments[-1].line
        lines = f"{line} {first.line}" if last == first.line else f"{line}s {first.line}-{last}"
        return f"{first.kind} move{'s' if len(self.segments) > 1 else ''} at {lines}"


@dataclass(frozen=True)
class Layout:
    """``traverses[k]`` is the travel before ``items[k]``; the last one follows the last item."""

    items: tuple[Item, ...]
    traverses: tuple[tuple[Leg, ...], ...]


def layout(trace: Trace, air_cut_above_z_mm: float | None = None) -> Layout:
    """Items and traverses of ``trace``. With ``air_cut_above_z_mm``, a straight feed move
    outside a hole entirely at or above that level counts as a rapid (the air-cutting
    setting makes it one), in both programs alike."""
    cut = _Cutter([e.at for e in trace.events if e.kind in WALLS])
    breaks = {e.at for e in trace.events}
    for at, s in enumerate(trace.segments):
        s = _air_cut(s, air_cut_above_z_mm)
        if at in breaks or (s.kind == SegmentKind.RAPID and s.hole is None):
            cut.close()
        if s.kind == SegmentKind.RAPID and s.hole is None:
            cut.traverses[-1].append(Leg(cut.section(at), s))
        else:
            if cut.run and cut.run[-1].hole != s.hole:
                cut.close()
            cut.add(at, s)
    cut.close()
    return Layout(tuple(cut.items), tuple(map(tuple, cut.traverses)))


class _Cutter:
    """Collects runs of work into items, and the travel between them."""

    def __init__(self, walls: list[int]):
        self.walls = walls
        self.items: list[Item] = []
        self.traverses: list[list[Leg]] = [[]]
        self.run: list[Segment] = []
        self.run_at = 0

    def section(self, at: int) -> int:
        return bisect_right(self.walls, at)

    def add(self, at: int, s: Segment) -> None:
        if not self.run:
            self.run_at = at
        self.run.append(s)

    def close(self) -> None:
        if self.run:
            item = Item(len(self.items), self.section(self.run_at), tuple(self.run))
            self.items.append(item)
            self.traverses.append([])
            self.run = []


def level(traverse: Sequence[Leg]) -> float | None:
    """The lowest Z of the traverse's XY moves with a known Z (a move in XY and Z at once at
    the lower of its ends); with none, the highest known Z it reaches; else None."""
    lows = []
    for leg in traverse:
        s = leg.segment
        if s.moves_xy and not (math.isnan(s.start[2]) or math.isnan(s.end[2])):
            lows.append(min(s.start[2], s.end[2]))
    if lows:
        return min(lows)
    highs = [z for leg in traverse for z in (leg.segment.start[2], leg.segment.end[2])]
    highs = [z for z in highs if not math.isnan(z)]
    return max(highs) if highs else None


def segment_key(s: Segment) -> tuple:
    """What makes two segments the same motion (the start is the previous segment's end)."""
    arc = None
    if s.arc is not None:
        arc = (s.arc.plane, *map(rounded, s.arc.centre), s.arc.clockwise)
    feed = None if s.kind == SegmentKind.RAPID else rounded(s.feed_mm_min)
    where = tuple(map(rounded, s.end))
    state = (s.tool, rounded(s.spindle_rpm), s.spindle, s.coolant)
    return (s.kind, where, feed, arc, rounded(s.dwell_s), state)


def reversed_key(item: Item) -> tuple | None:
    """The identity of ``item`` cut backwards, for the one shape block reversal handles: a
    feed plunge at one XY point, a contour at one depth (straight moves and G17 arcs), an
    optional feed ascent. Backwards the plunge happens at the contour's end, each contour
    move runs the other way with its own feed (an arc keeps its centre and turns the other
    way), and the ascent happens at the contour's start. None for any other shape."""
    segs = item.segments
    if item.hole is not None or any(s.kind == SegmentKind.DWELL for s in segs):
        return None
    i = 0
    while i < len(segs) and _z_only_feed(segs[i]):
        i += 1
    j = len(segs)
    while j > i and _z_only_feed(segs[j - 1]):
        j -= 1
    plunge, contour, ascent = segs[:i], segs[i:j], segs[j:]
    if not plunge or not contour or not _flat(contour):
        return None
    first, last = contour[0].start[:2], contour[-1].end[:2]
    backwards = [_at_xy(s, last) for s in plunge]
    for s in reversed(contour):
        arc = s.arc and replace(s.arc, clockwise=not s.arc.clockwise)
        backwards.append(replace(s, start=s.end, end=s.start, arc=arc))
    backwards += [_at_xy(s, first) for s in ascent]
    return _key(tuple(backwards))


def _key(segments: tuple[Segment, ...]) -> tuple:
    return (tuple(map(rounded, segments[0].start)), tuple(map(segment_key, segments)))


def _air_cut(s: Segment, above: float | None) -> Segment:
    if above is None or s.kind != SegmentKind.FEED or s.hole is not None:
        return s
    if min(s.start[2], s.end[2]) >= above - 1e-9:  # False when either is unknown (nan)
        return replace(s, kind=SegmentKind.RAPID, feed_mm_min=None)
    return s


def _z_only_feed(s: Segment) -> bool:
    return s.kind == SegmentKind.FEED and not s.moves_xy and s.start[2] != s.end[2]


def _flat(contour: Sequence[Segment]) -> bool:
    depth = rounded(contour[0].start[2])
    return depth is not None and all(
        rounded(s.start[2]) == depth == rounded(s.end[2])
        and s.kind in (SegmentKind.FEED, SegmentKind.ARC)
        and (s.arc is None or s.arc.plane == 17)
        for s in contour
    )


def _at_xy(s: Segment, xy) -> Segment:
    return replace(s, start=(*xy, s.start[2]), end=(*xy, s.end[2]))
