"""Coordinate frames: G92 (position set), G52 (local shift), G68/G69 (rotation), G51/G50
(scaling), and where the tool is in the coordinates that follow one.

A frame line is a wall (nothing moves across it, like a barrier), but the position is
followed through it: the program's coordinates after it are the same physical point seen in
the new frame. So the work after a frame change is timed, and re-sequenced inside its frame
(written back in that frame, and proved in it: both programs change frame at the same line).

Fanuc 0i-MF operator's manual: G92 sets the current position to the values given; G52 shifts
the workpiece coordinates by its offset (G52 X0 Y0 cancels); G68 X Y R rotates the XY plane
by R degrees about (X, Y) (the current position when they are left out); G69 cancels; G51 X
Y Z P scales about (X, Y, Z) by P (I, J, K per axis); G50 cancels.

>>> f = FrameState()
>>> f.apply(52, {"X": 10.0}, (15.0, 5.0, 1.0))
(5.0, 5.0, 1.0)
>>> f.apply(52, {"X": 0.0}, (5.0, 5.0, 1.0))
(15.0, 5.0, 1.0)
>>> [round(v, 6) for v in FrameState().apply(68, {"X": 0.0, "Y": 0.0, "R": 90.0}, (1.0, 0.0, 2.0))]
[0.0, -1.0, 2.0]
"""

from __future__ import annotations

import math

__all__ = ["FRAME_CODES", "FrameState"]

XYZ = tuple[float, float, float]

FRAME_CODES = {
    92: "position set (G92)",
    52: "local coordinate shift (G52)",
    68: "coordinate rotation (G68)",
    69: "rotation cancelled (G69)",
    51: "scaling (G51)",
    50: "scaling cancelled (G50)",
}


class FrameState:
    """The active local shift, rotation and scaling, to re-express a position when a frame
    line changes them. Values are in mm and degrees."""

    def __init__(self) -> None:
        self.shift = [0.0, 0.0, 0.0]  # G52
        self.rotation: tuple[float, float, float] | None = None  # G68: cx, cy, degrees
        self.scaling: tuple[XYZ, XYZ] | None = None  # G51: centre, factor per axis

    def apply(self, g: int, words: dict[str, float], here: XYZ) -> XYZ:
        """Make the frame change of ``g`` with its ``words`` (X, Y, Z, R, P, I, J, K in mm or
        degrees); where ``here`` is in the coordinates that follow."""
        x, y, z = here
        if g == 92:
            return (words.get("X", x), words.get("Y", y), words.get("Z", z))
        if g == 52:
            out = []
            for axis, k, value in (("X", 0, x), ("Y", 1, y), ("Z", 2, z)):
                offset = words.get(axis, self.shift[k])
                out.append(value - (offset - self.shift[k]))
                self.shift[k] = offset
            return out[0], out[1], out[2]
        if g == 68:
            cx, cy, angle = words.get("X", x), words.get("Y", y), words.get("R", 0.0)
            self.rotation = (cx, cy, angle)
            return (*_rotate(x, y, cx, cy, -angle), z)
        if g == 69 and self.rotation is not None:
            cx, cy, angle = self.rotation
            self.rotation = None
            return (*_rotate(x, y, cx, cy, angle), z)
        if g == 51:
            centre = (words.get("X", 0.0), words.get("Y", 0.0), words.get("Z", 0.0))
            p = words.get("P", 1.0)
            factor = (words.get("I", p), words.get("J", p), words.get("K", p))
            self.scaling = (centre, factor)
            return _scaled(here, centre, factor, inverse=True)
        if g == 50 and self.scaling is not None:
            centre, factor = self.scaling
            self.scaling = None
            return _scaled(here, centre, factor, inverse=False)
        return here


def _rotate(x: float, y: float, cx: float, cy: float, degrees: float) -> tuple[float, float]:
    a = math.radians(degrees)
    dx, dy = x - cx, y - cy
    return cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a)


def _scaled(p: XYZ, centre: XYZ, factor: XYZ, inverse: bool) -> XYZ:
    out = []
    for v, c, f in zip(p, centre, factor, strict=True):
        if f == 0:
            return (math.nan, math.nan, math.nan)
        out.append(c + (v - c) / f if inverse else c + (v - c) * f)
    return out[0], out[1], out[2]
