"""Where operations work, to tell which of them touch the same material.

Two pieces of work must keep their order when they may act on the same material: a tap after
its drill, a finishing pass after roughing, a hole drilled in a pocket after the pocket. The
rules, shared by the optimizer (which must not reorder such work) and the verifier (which
proves it was not reordered):

- two holes touch the same material when they are at the same XY (to 0.1 µm);
- a cut block works inside the XY box of its moves and entry point, grown by a margin for the
  tool's radius and arc bulges (``margin_mm``); a hole or another block touches it when it
  lies in or overlaps that box;
- a block or hole whose position is unknown (after G28 or a subprogram call) touches
  everything.

>>> boxes_overlap((0, 0, 10, 10), (10, 5, 20, 6)), boxes_overlap((0, 0, 1, 1), (2, 2, 3, 3))
(True, False)
"""

from __future__ import annotations

import numpy as np

from ncopt.program import CutBlock, Program

__all__ = [
    "FOOTPRINT_MARGIN_MM",
    "XY_DECIMALS",
    "block_box",
    "boxes_overlap",
    "margin_mm",
    "points_in_box",
]

# No tool radius is known from the program: 10 mm covers the end mills and drills of the
# programs this tool is meant for, and more only makes the rules more cautious.
FOOTPRINT_MARGIN_MM = 10.0
XY_DECIMALS = 4  # the verifier's resolution: 0.1 µm
EVERYWHERE = (-np.inf, -np.inf, np.inf, np.inf)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def margin_mm(program: Program) -> float:
    """The margin around a block's moves: the fixed tool allowance plus the largest arc radius
    in the program (an arc may bulge that far beyond its end points)."""
    arcs = program.motion.arcs
    radius = float(arcs[:, 1].max(initial=0.0)) if len(arcs) else 0.0
    return FOOTPRINT_MARGIN_MM + radius


def block_box(program: Program, op: CutBlock, margin: float) -> Box:
    """The XY box a cut block works in (``EVERYWHERE`` when a position is unknown)."""
    xy = program.motion.end[op.rows[0] : op.rows[1], :2]
    xy = np.vstack([xy, np.asarray(op.entry_xyz[:2], dtype=float)[None, :]])
    if not np.all(np.isfinite(xy)):
        return EVERYWHERE
    lo, hi = xy.min(axis=0) - margin, xy.max(axis=0) + margin
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def boxes_overlap(a: Box, b: Box) -> bool:
    """True when two boxes share a point (edges included)."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def points_in_box(xy: np.ndarray, box: Box) -> np.ndarray:
    """Mask of the points in ``box``; unknown (NaN) points count as inside."""
    x, y = xy[:, 0], xy[:, 1]
    inside = (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])
    return inside | ~np.all(np.isfinite(xy), axis=1)
