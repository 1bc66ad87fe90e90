"""Arc centres for G2/G3 (Fanuc: I/J/K are always relative to the start point, whatever
G90/G91 says; R is the radius, negative for an arc longer than a half circle).

In-plane coordinates keep the right-hand rule of each plane, so "clockwise" means the same
thing in all three (seen from the plus side of the normal axis): G17 is (X, Y), G18 is
(Z, X), G19 is (Y, Z).

>>> def centre(r, cw):  # a quarter circle from (0, 1) to (1, 0)
...     (a, b), _ = arc_centre(17, (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (None,) * 3, r, clockwise=cw)
...     return round(a, 9) + 0.0, round(b, 9) + 0.0
>>> centre(1.0, True), centre(-1.0, True), centre(1.0, False)
((0.0, 0.0), (1.0, 1.0), (1.0, 1.0))
"""

from __future__ import annotations

import math

__all__ = ["PLANE_AXES", "RADIUS_TOLERANCE_MM", "arc_centre"]

# (first, second, normal) axis indices of each plane.
PLANE_AXES = {17: (0, 1, 2), 18: (2, 0, 1), 19: (1, 2, 0)}
# Start and end radius may differ by this much (the control's own limit is a parameter; CAM
# output with three decimals stays well within it).
RADIUS_TOLERANCE_MM = 0.01

XYZ = tuple[float, float, float]


def arc_centre(
    plane: int,
    start: XYZ,
    end: XYZ,
    offsets: tuple[float | None, float | None, float | None],
    radius: float | None,
    *,
    clockwise: bool,
) -> tuple[tuple[float, float], float]:
    """The in-plane centre and the radius; ``offsets`` are I, J, K in mm (None: not given).
    Raises ValueError for an arc a control would refuse."""
    a, b, _ = PLANE_AXES[plane]
    sa, sb, ea, eb = start[a], start[b], end[a], end[b]
    if any(map(math.isnan, (sa, sb, ea, eb))):
        raise ValueError("arc from or to an unknown position")
    if radius is not None:
        return _from_radius(sa, sb, ea, eb, radius, clockwise), abs(radius)
    ca, cb = sa + (offsets[a] or 0.0), sb + (offsets[b] or 0.0)
    r_start, r_end = math.hypot(sa - ca, sb - cb), math.hypot(ea - ca, eb - cb)
    if r_start < 1e-9:
        raise ValueError("arc centre at its start point")
    if abs(r_start - r_end) > RADIUS_TOLERANCE_MM:
        raise ValueError(f"arc radius differs at start and end ({r_start:.4f}, {r_end:.4f})")
    return (ca, cb), r_start


def _from_radius(
    sa: float, sb: float, ea: float, eb: float, radius: float, clockwise: bool
) -> tuple[float, float]:
    chord = math.hypot(ea - sa, eb - sb)
    if chord < 1e-9:
        raise ValueError("R arc to its own start point (no full circle with R)")
    half = chord / 2.0
    if half > abs(radius) + RADIUS_TOLERANCE_MM:
        raise ValueError(f"R{radius:g} is shorter than half the chord ({half:.4f})")
    d = math.sqrt(max(radius * radius - half * half, 0.0))
    ua, ub = (ea - sa) / chord, (eb - sb) / chord
    left = (-ub, ua)
    # A minor arc turning clockwise has its centre right of the chord; R < 0 flips it.
    side = (-1.0 if clockwise else 1.0) * (1.0 if radius > 0 else -1.0)
    ma, mb = (sa + ea) / 2.0, (sb + eb) / 2.0
    return (ma + side * d * left[0], mb + side * d * left[1])
