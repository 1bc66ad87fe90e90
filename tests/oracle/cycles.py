"""Canned cycles expanded into explicit moves (Fanuc operator's manual, canned cycles for
drilling), written from the manual for the oracle alone.

One hole: XY rapid at the current level, rapid down (or up) to R, the cycle's own body, the
retract to R (a feed out for G84/G74/G85/G89, a rapid for the others) and the rapid to the
return level (the initial level for G98, R for G99). Pecks (G83) retract to R at rapid and
come back to ``PECK_CLEARANCE_MM`` above the last depth; high-speed pecks (G73) only back off
by that clearance. The positioning and the move to R are travel; the rest is the hole.

>>> steps = expand(81, (0.0, 0.0, 50.0), (10.0, 0.0), r=2.0, z=-5.0, ret=2.0, feed=100.0)
>>> [(s.kind, s.end, s.travel) for s in steps]  # doctest: +NORMALIZE_WHITESPACE
[('rapid', (10.0, 0.0, 50.0), True), ('rapid', (10.0, 0.0, 2.0), True),
 ('feed', (10.0, 0.0, -5.0), False), ('rapid', (10.0, 0.0, 2.0), False)]
"""

from __future__ import annotations

from typing import NamedTuple

from tests.oracle.trace import same_point

__all__ = ["CYCLES", "DWELL_CYCLES", "FEED_OUT_CYCLES", "PECK_CLEARANCE_MM", "Step", "expand"]

CYCLES = frozenset({73, 74, 76, 81, 82, 83, 84, 85, 86, 87, 88, 89})
# The cycles whose P is a dwell at the bottom of the hole.
DWELL_CYCLES = frozenset({74, 76, 82, 84, 87, 88, 89})
# Tapping (G84, G74) and reaming (G85, G89) feed back out to R; the others rapid out.
FEED_OUT_CYCLES = frozenset({74, 84, 85, 89})
PECK_CYCLES = frozenset({73, 83})
# Fanuc parameter 5114/5115 (d of G73/G83); the project's machines use 1 mm.
PECK_CLEARANCE_MM = 1.0
MAX_PECKS = 10_000

XYZ = tuple[float, float, float]


class Step(NamedTuple):
    """One move of an expansion: ``kind`` rapid/feed/dwell, where it ends, its feed, its
    dwell and whether it is travel (positioning) rather than part of the hole."""

    kind: str
    end: XYZ
    feed: float | None = None
    dwell_s: float = 0.0
    travel: bool = False


def expand(
    code: int,
    start: XYZ,
    target: tuple[float, float],
    *,
    r: float,
    z: float,
    ret: float,
    feed: float,
    q: float | None = None,
    p_ms: float | None = None,
) -> list[Step]:
    """The moves of one hole of cycle ``G<code>`` drilled at ``target`` from ``start``."""
    x, y = target
    out: list[Step] = []
    at = [start]

    def go(kind: str, end: XYZ, travel: bool = False) -> None:
        if not same_point(end, at[0]):
            out.append(Step(kind, end, feed if kind == "feed" else None, 0.0, travel))
            at[0] = end

    go("rapid", (x, y, start[2]), travel=True)
    go("rapid", (x, y, r), travel=True)
    if code in PECK_CYCLES and q is not None and z < r:
        _pecks(code, go, x, y, r, z, q)
    else:
        go("feed", (x, y, z))
    if code in DWELL_CYCLES and p_ms:
        out.append(Step("dwell", (x, y, z), None, p_ms / 1000.0))
    go("feed" if code in FEED_OUT_CYCLES else "rapid", (x, y, r))
    go("rapid", (x, y, ret))
    return out


def _pecks(code: int, go, x: float, y: float, r: float, z: float, q: float) -> None:
    if (r - z) / q > MAX_PECKS:
        raise ValueError(f"{(r - z) / q:.0f} pecks of Q{q:g}: more than {MAX_PECKS}")
    depth = r
    while True:
        deeper = max(z, depth - q)
        go("feed", (x, y, deeper))
        if deeper <= z:
            return
        if code == 83:
            go("rapid", (x, y, r))
        go("rapid", (x, y, deeper + PECK_CLEARANCE_MM))
        depth = deeper
