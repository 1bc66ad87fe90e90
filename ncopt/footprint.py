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
    "block_boxes",
    "boxes_overlap",
    "margin_mm",
    "overlapping_boxes",
    "points_in_box",
    "points_in_boxes",
    "same_material_pairs",
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


def block_boxes(program: Program, blocks, margin: float) -> np.ndarray:
    """``block_box`` of every block at once, (n, 4): one pass over the motion rows, so the
    thousands of pockets of a big program take milliseconds."""
    if not len(blocks):
        return np.zeros((0, 4))
    # One row of NaN after the last, so that a block ending the program can end its segment.
    xy = np.vstack([program.motion.end[:, :2], np.full((1, 2), np.nan)])
    first = np.array([op.rows[0] for op in blocks], dtype=np.int64)
    end = np.array([op.rows[1] for op in blocks], dtype=np.int64)
    lo = np.array([op.entry_xyz[:2] for op in blocks], dtype=float)
    hi = lo.copy()
    some = np.flatnonzero(end > first)
    if len(some):
        # reduceat over [first, end) pairs; the results between pairs are not used.
        cuts = np.column_stack([first[some], end[some]]).ravel()
        lo[some] = np.minimum(lo[some], np.minimum.reduceat(xy, cuts, axis=0)[::2])
        hi[some] = np.maximum(hi[some], np.maximum.reduceat(xy, cuts, axis=0)[::2])
    boxes = np.hstack([lo - margin, hi + margin])
    boxes[~np.all(np.isfinite(boxes), axis=1)] = EVERYWHERE
    return boxes


def boxes_overlap(a: Box, b: Box) -> bool:
    """True when two boxes share a point (edges included)."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def points_in_box(xy: np.ndarray, box: Box) -> np.ndarray:
    """Mask of the points in ``box``; unknown (NaN) points count as inside."""
    x, y = xy[:, 0], xy[:, 1]
    inside = (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])
    return inside | ~np.all(np.isfinite(xy), axis=1)


def same_material_pairs(program: Program, ops) -> np.ndarray:
    """Pairs (a, b), a < b, of indices into ``ops`` (operations in program order) that may
    work the same material by the rules above, so must keep their order: overlapping blocks,
    a hole set with a hole in a block's box, two hole sets with a hole at the same place.

    >>> from ncopt import parse_program
    >>> p = parse_program("T1 M6\\nG0 Z5.\\nG81 X0. Y0. Z-2. R1. F100.\\nX90.\\nG80\\n"
    ...                   "G0 X90. Y0.\\nG1 Z-1. F50.\\nG1 X95.\\nG0 Z5.\\nM30\\n")
    >>> same_material_pairs(p, p.ops).tolist()  # the block at X90-95 covers the hole at X90
    [[0, 1]]
    """
    is_block = np.array([isinstance(op, CutBlock) for op in ops], dtype=bool)
    blocks, sets = np.flatnonzero(is_block), np.flatnonzero(~is_block)
    margin = margin_mm(program)
    boxes = block_boxes(program, [ops[i] for i in blocks], margin)
    a, b = overlapping_boxes(boxes)
    out = [np.column_stack([blocks[a], blocks[b]])]
    sizes = [len(ops[i].xy) for i in sets]
    xy = np.vstack([ops[i].xy for i in sets] + [np.zeros((0, 2))])
    owner = np.repeat(sets, sizes).astype(np.int64)
    hole, box = points_in_boxes(xy, boxes)
    out.append(np.column_stack([owner[hole], blocks[box]]))
    known = np.all(np.isfinite(xy), axis=1)
    for i in np.unique(owner[~known]):  # a hole at an unknown place touches every hole set
        out.append(np.column_stack([np.full(len(sets), i), sets]))
    # Holes at the same place: neighbours in (place, program order) chain the sets in order.
    key = np.round(xy[known], XY_DECIMALS)
    who = owner[known]
    by = np.lexsort((who, key[:, 1], key[:, 0]))
    same = np.all(key[by][1:] == key[by][:-1], axis=1)
    out.append(np.column_stack([who[by][:-1][same], who[by][1:][same]]))
    pairs = np.concatenate(out).astype(np.int64).reshape(-1, 2)
    pairs = np.column_stack([pairs.min(axis=1), pairs.max(axis=1)])
    return np.unique(pairs[pairs[:, 0] != pairs[:, 1]], axis=0).reshape(-1, 2)


_PAIRS_PER_CHUNK = 1 << 21
_MAX_CELLS_PER_BOX = 4096


def overlapping_boxes(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i < j, of the boxes (n, 4) that overlap; a box with an unknown
    (infinite) extent overlaps every box. Found through a grid of cells about one box wide,
    so thousands of blocks take milliseconds, not the n² comparisons of every pair."""
    return _box_pairs(boxes, np.all(np.isfinite(boxes), axis=1))


def points_in_boxes(points: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (point, box) of every point (n, 2) inside every box (m, 4); unknown points
    (NaN) are in every box, unknown boxes hold every point. Points are bucketed in a grid of
    about half a box, so a million holes and thousands of blocks take seconds."""
    box_ok = np.all(np.isfinite(boxes), axis=1)
    known = np.all(np.isfinite(points), axis=1)
    out_i, out_k = [], []
    for k in np.flatnonzero(~box_ok):  # an unknown box holds every known point
        out_i.append(np.flatnonzero(known))
        out_k.append(np.full(int(known.sum()), k))
    unknown = np.flatnonzero(~known)  # an unknown point is in every box
    out_i.append(np.repeat(unknown, len(boxes)))
    out_k.append(np.tile(np.arange(len(boxes)), unknown.size))
    i, k = _grid_pairs(boxes, np.flatnonzero(box_ok), points, np.flatnonzero(known))
    out_i.append(i)
    out_k.append(k)
    return np.concatenate(out_i).astype(np.int64), np.concatenate(out_k).astype(np.int64)


def _grid_pairs(boxes, ks, points, known) -> tuple[np.ndarray, np.ndarray]:
    if not len(ks) or not len(known):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    b = boxes[ks]
    size = np.concatenate([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]])
    cell = max(float(np.median(size)) / 2.0, 1e-3)  # a box covers ~9 cells, ~2x its area
    xy = points[known]
    origin = xy.min(axis=0)
    cells = np.floor((xy - origin) / cell).astype(np.int64)
    top = cells.max(axis=0)
    keys = cells[:, 0] * (top[1] + 1) + cells[:, 1]
    by_key = np.argsort(keys, kind="stable")
    keys = keys[by_key]
    lo = np.clip(np.floor((b[:, :2] - origin) / cell).astype(np.int64), 0, top)
    hi = np.clip(np.floor((b[:, 2:] - origin) / cell).astype(np.int64), -1, top)
    span = np.maximum(hi - lo + 1, 0)
    n_cells = span[:, 0] * span[:, 1]
    out_i, out_k = [], []
    wide = n_cells > _MAX_CELLS_PER_BOX
    for j in np.flatnonzero(wide):  # a box over much of the part: test every point
        inside = points_in_box(xy, tuple(b[j]))
        out_i.append(known[inside])
        out_k.append(np.full(int(inside.sum()), ks[j]))
    narrow = np.flatnonzero(~wide & (n_cells > 0))
    if len(narrow):
        # One row per (box, cell) it covers, then the range of points in that cell.
        box, cx, cy = _covered_cells(lo[narrow], span[narrow])
        box = narrow[box]
        cell_key = cx * (top[1] + 1) + cy
        first = np.searchsorted(keys, cell_key, "left")
        count = np.searchsorted(keys, cell_key, "right") - first
        box, first, count = box[count > 0], first[count > 0], count[count > 0]
        total = np.cumsum(count)
        start = 0
        while start < len(box):  # in chunks of about _PAIRS_PER_CHUNK candidate pairs
            done = int(total[start - 1]) if start else 0
            end = max(int(np.searchsorted(total, done + _PAIRS_PER_CHUNK, "right")), start + 1)
            n = count[start:end]
            j = np.repeat(box[start:end], n)
            pt = by_key[np.repeat(first[start:end], n) + _run_offsets(n)]
            p, bb = xy[pt], b[j]
            inside = (p[:, 0] >= bb[:, 0]) & (p[:, 0] <= bb[:, 2])
            inside &= (p[:, 1] >= bb[:, 1]) & (p[:, 1] <= bb[:, 3])
            out_i.append(known[pt[inside]])
            out_k.append(ks[j[inside]])
            start = end
    if not out_i:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_i), np.concatenate(out_k)


def _box_pairs(boxes: np.ndarray, box_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, k), i < k, of overlapping boxes."""
    extent = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    typical = float(np.median(extent[box_ok])) if box_ok.any() else 0.0
    wide = box_ok & (extent > 4.0 * typical)  # few; compared with every box one by one
    out_i, out_k = [], []
    for k in np.flatnonzero(~box_ok):  # an unknown box overlaps every box
        out_i.append(np.arange(len(boxes)))
        out_k.append(np.full(len(boxes), k))
    for k in np.flatnonzero(wide):
        a, bk = boxes, boxes[k]
        touch = (a[:, 0] <= bk[2]) & (bk[0] <= a[:, 2]) & (a[:, 1] <= bk[3]) & (bk[1] <= a[:, 3])
        out_i.append(np.flatnonzero(touch))
        out_k.append(np.full(int(touch.sum()), k))
    narrow = np.flatnonzero(box_ok & ~wide)
    if len(narrow):
        b = boxes[narrow]
        span = float(np.max(b[:, 2:].max(axis=0) - b[:, :2].min(axis=0)))
        i, k = _shared_cells(b, max(typical, span * 1e-6, 1e-6))  # at most 10⁶ cells across
        out_i.append(narrow[i])
        out_k.append(narrow[k])
    if not out_i:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    i, k = np.concatenate(out_i).astype(np.int64), np.concatenate(out_k).astype(np.int64)
    pairs = np.unique(np.column_stack([np.minimum(i, k), np.maximum(i, k)]), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs[:, 0], pairs[:, 1]


def _shared_cells(b: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, k), i < k (repeats possible), of boxes (n, 4) of about ``cell`` size or less
    that overlap: each box is put in the grid cells it covers (at most 25), and only boxes
    that share a cell are compared, so the work grows with n, not n·√n as a sweep's would."""
    origin = b[:, :2].min(axis=0)
    lo = np.floor((b[:, :2] - origin) / cell).astype(np.int64)
    hi = np.floor((b[:, 2:] - origin) / cell).astype(np.int64)
    row, cx, cy = _covered_cells(lo, hi - lo + 1)
    key = cx * (int(hi[:, 1].max()) + 1) + cy
    by = np.argsort(key, kind="stable")
    key, row = key[by], row[by]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    size = np.diff(np.r_[first, len(key)])
    # Every member of a cell against every member of the same cell.
    g = np.repeat(size, size)
    left = np.repeat(np.arange(len(key)), g)
    right = np.repeat(np.repeat(first, size), g) + _run_offsets(g)
    i, k = row[left], row[right]
    keep = i < k
    i, k = i[keep], k[keep]
    a, c = b[i], b[k]
    touch = (
        (a[:, 0] <= c[:, 2]) & (c[:, 0] <= a[:, 2]) & (a[:, 1] <= c[:, 3]) & (c[:, 1] <= a[:, 3])
    )
    return i[touch], k[touch]


def _covered_cells(lo: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row (index, cell x, cell y) per grid cell each box covers: box ``i`` covers the
    ``span[i]`` cells from ``lo[i]``."""
    count = span[:, 0] * span[:, 1]
    row = np.repeat(np.arange(len(lo)), count)
    t = _run_offsets(count)
    ny = span[row, 1]
    return row, lo[row, 0] + t // ny, lo[row, 1] + t % ny


def _run_offsets(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c - 1 for each count c, concatenated.

    >>> _run_offsets(np.array([3, 0, 2])).tolist()
    [0, 1, 2, 0, 1]
    """
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
