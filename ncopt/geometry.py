"""Arc geometry for G2/G3: centre from I/J/K or R, sweep, length and end tangents.

Planes follow Fanuc: G17 XY (I, J), G18 ZX (K, I), G19 YZ (J, K); the third axis of the plane
moves linearly (helix). All values in mm.

>>> arc = arc_geometry((0.0, 0.0, 0.0), (10.0, 0.0, 0.0), 17, False, (5.0, 0.0, 0.0), None)
>>> round(arc.length_mm, 4), round(arc.radius_mm, 4), arc.centre, arc.clockwise
(15.708, 5.0, (5.0, 0.0, 0.0), False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ARC_COLUMNS", "ArcError", "ArcGeometry", "arc_geometry"]

# One row of ``Motion.arcs``: length, radius, tangent in (3), tangent out (3), centre (3, the
# plane's normal axis 0), clockwise (1.0/0.0), plane (17/18/19).
ARC_COLUMNS = 13

# (first, second, normal) axis indices of each plane, x=0, y=1, z=2.
PLANE_AXES = {17: (0, 1, 2), 18: (2, 0, 1), 19: (1, 2, 0)}
# An arc whose end is off the circle by more than this is a programming error (Fanuc alarms
# on a radius difference too; its limit is a parameter, this is a lenient common value).
RADIUS_TOLERANCE_MM = 0.05


class ArcError(ValueError):
    """The arc's words do not describe a circle (the interpreter turns this into a GCodeError)."""


@dataclass(frozen=True)
class ArcGeometry:
    length_mm: float
    radius_mm: float
    tangent_in: tuple[float, float, float]
    tangent_out: tuple[float, float, float]
    centre: tuple[float, float, float] = (0.0, 0.0, 0.0)  # in the plane; normal axis 0
    clockwise: bool = False
    plane: int = 17

    def row(self) -> tuple[float, ...]:
        """This arc as one row of ``Motion.arcs`` (``ARC_COLUMNS`` values)."""
        return (
            self.length_mm,
            self.radius_mm,
            *self.tangent_in,
            *self.tangent_out,
            *self.centre,
            1.0 if self.clockwise else 0.0,
            float(self.plane),
        )


def arc_geometry(
    start: tuple[float, float, float],
    end: tuple[float, float, float],
    plane: int,
    clockwise: bool,
    offsets: tuple[float, float, float] | None,
    radius: float | None,
) -> ArcGeometry:
    """Geometry of one arc from ``start`` to ``end``; ``offsets`` are I, J, K (centre minus
    start), or ``radius`` is R (negative: the arc longer than a half circle)."""
    a, b, n = PLANE_AXES[plane]
    sa, sb, ea, eb = start[a], start[b], end[a], end[b]
    if radius is not None:
        ca, cb = _centre_from_radius(sa, sb, ea, eb, radius, clockwise)
    else:
        assert offsets is not None
        ca, cb = sa + offsets[a], sb + offsets[b]
    r = math.hypot(sa - ca, sb - cb)
    if r <= 0.0:
        raise ArcError("arc radius is zero")
    if abs(math.hypot(ea - ca, eb - cb) - r) > RADIUS_TOLERANCE_MM:
        raise ArcError("arc end point is not on the circle")
    t0 = math.atan2(sb - cb, sa - ca)
    t1 = math.atan2(eb - cb, ea - ca)
    sweep = (t0 - t1) if clockwise else (t1 - t0)
    sweep %= 2.0 * math.pi
    if sweep < 1e-12 and radius is None:
        sweep = 2.0 * math.pi  # same start and end with I/J/K: a full circle
    helix = end[n] - start[n]
    planar = r * sweep
    length = math.hypot(planar, helix)
    centre = [0.0, 0.0, 0.0]
    centre[a], centre[b] = ca, cb
    return ArcGeometry(
        length,
        r,
        _tangent(t0, clockwise, planar, helix, length, (a, b, n)),
        _tangent(t1, clockwise, planar, helix, length, (a, b, n)),
        (centre[0], centre[1], centre[2]),
        clockwise,
        plane,
    )


def _centre_from_radius(
    sa: float, sb: float, ea: float, eb: float, radius: float, clockwise: bool
) -> tuple[float, float]:
    da, db = ea - sa, eb - sb
    chord = math.hypot(da, db)
    if chord == 0.0:
        raise ArcError("an R arc needs an end point different from its start")
    half = chord / 2.0
    if half > abs(radius) + RADIUS_TOLERANCE_MM:
        raise ArcError("arc radius R is smaller than half the distance to the end point")
    h = math.sqrt(max(radius * radius - half * half, 0.0))
    # The centre lies left of the chord for a short CCW arc, right of it for a short CW one;
    # a negative R (longer arc) swaps the side.
    side = (1.0 if not clockwise else -1.0) * (1.0 if radius > 0 else -1.0)
    ma, mb = sa + da / 2.0, sb + db / 2.0
    return ma - side * h * db / chord, mb + side * h * da / chord


def _tangent(
    theta: float,
    clockwise: bool,
    planar: float,
    helix: float,
    length: float,
    axes: tuple[int, int, int],
) -> tuple[float, float, float]:
    sign = -1.0 if clockwise else 1.0
    scale = planar / length
    out = [0.0, 0.0, 0.0]
    out[axes[0]] = -math.sin(theta) * sign * scale
    out[axes[1]] = math.cos(theta) * sign * scale
    out[axes[2]] = helix / length
    return out[0], out[1], out[2]
