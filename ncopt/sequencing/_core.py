"""Costs, the time budget, the exact solver and one dense ``fast_tsp`` sub-problem.

Every solve, whole or part of a decomposition, is a *segment*: a set of points visited once,
with a head and a tail that are each free, a fixed point outside the set (``External``) or a
fixed member of the set (``Internal``). A closed tour is a segment with ``closed=True``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Literal

import fast_tsp
import numpy as np

from ncopt.budget import Budget
from ncopt.machine import Machine, rapid_time_abs

log = logging.getLogger(__name__)

Cost = Machine | Literal["euclidean"]

# fast_tsp reads uint16. Real costs are scaled into 0..REAL_MAX so that the dummy node's
# "large constant" (BIG) is at least the largest real cost: then a tour that uses the pinned
# dummy edges is never worse than one that does not (triangle inequality argument in
# docs/sequencing.md), and the search keeps them.
REAL_MAX = 32767
BIG = 65535
EXACT_MAX = 12  # Held-Karp on float costs: 2^12 * 12 states, ~0.1 s in numpy
_CHUNK_ROWS = 256  # rows of float64 temporaries at a time while filling a matrix
POLL_S = 0.2  # how often the caller's should_stop/progress are consulted during a native call


@dataclass(frozen=True)
class External:
    """A fixed end outside the point set (the machine position, a neighbouring hole)."""

    xy: tuple[float, float]


@dataclass(frozen=True)
class Internal:
    """A fixed end that is one of the points (local index)."""

    index: int


End = External | Internal | None


def cost_matrix(cost: Cost, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float cost from every row of ``a`` (n, 2) to every row of ``b`` (m, 2)."""
    dx = np.abs(a[:, None, 0] - b[None, :, 0])
    dy = np.abs(a[:, None, 1] - b[None, :, 1])
    if isinstance(cost, Machine):
        return rapid_time_abs(cost, dx, dy)
    return np.hypot(dx, dy, out=dx)


def pair_cost(cost: Cost, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float cost from ``a[i]`` to ``b[i]`` for each i."""
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if isinstance(cost, Machine):
        return cost.rapid_time_xy(d[:, 0], d[:, 1])
    return np.hypot(d[:, 0], d[:, 1])


def path_cost(cost: Cost, pts: np.ndarray, order: np.ndarray, head: End, tail: End, closed: bool):
    """Full-precision cost of visiting ``pts[order]`` with the given ends."""
    seq = pts[order]
    if isinstance(head, External):
        seq = np.vstack([np.asarray(head.xy, dtype=float)[None, :], seq])
    if isinstance(tail, External):
        seq = np.vstack([seq, np.asarray(tail.xy, dtype=float)[None, :]])
    if closed and len(seq) > 1:
        seq = np.vstack([seq, seq[:1]])
    if len(seq) < 2:
        return 0.0
    return float(pair_cost(cost, seq[:-1], seq[1:]).sum())


def held_karp(dist: np.ndarray, first: np.ndarray, last: np.ndarray) -> list[int]:
    """Exact cheapest path over all m nodes: ``first[j]`` enters j, ``last[j]`` leaves j.

    >>> d = np.array([[0, 1, 5], [1, 0, 1], [5, 1, 0]], dtype=float)
    >>> held_karp(d, np.array([0.0, 9, 9]), np.zeros(3))
    [0, 1, 2]
    """
    m = len(first)
    full = (1 << m) - 1
    dp = np.full((1 << m, m), np.inf)
    parent = np.full((1 << m, m), -1, dtype=np.int64)
    for j in range(m):
        dp[1 << j, j] = first[j]
    bits = 1 << np.arange(m)
    for mask in range(1, full):
        row = dp[mask]
        if not np.isfinite(row).any():
            continue
        cand = row[:, None] + dist  # from j (in mask) to k
        best_j = np.argmin(cand, axis=0)
        best = cand[best_j, np.arange(m)]
        for k in np.nonzero((mask & bits) == 0)[0]:
            nxt = mask | (1 << k)
            if best[k] < dp[nxt, k]:
                dp[nxt, k] = best[k]
                parent[nxt, k] = best_j[k]
    j = int(np.argmin(dp[full] + last))
    order, mask = [], full
    while j >= 0:
        order.append(j)
        j, mask = int(parent[mask, j]), mask & ~(1 << j)
    return order[::-1]


def _fill_scaled(matrix: np.ndarray, cost: Cost, xy: np.ndarray, offset: int, budget) -> bool:
    """Write scaled real costs of ``xy`` into ``matrix[offset:, offset:]``, chunk by chunk.

    Returns False if the caller asked to stop meanwhile (a 16k matrix takes seconds).
    """
    span = xy.max(axis=0) - xy.min(axis=0)
    top = float(cost_matrix(cost, np.zeros((1, 2)), span[None, :])[0, 0])
    scale = REAL_MAX / top if top > 0 else 1.0
    # float32 halves the memory traffic; 7 significant digits are plenty for 1/32767 steps.
    xy32 = (xy - xy.min(axis=0)).astype(np.float32)
    for i in range(0, len(xy), _CHUNK_ROWS):
        block = cost_matrix(cost, xy32[i : i + _CHUNK_ROWS], xy32)
        block *= np.float32(scale)
        np.rint(block, out=block)
        np.minimum(block, REAL_MAX, out=block)  # clip: the bbox corner bound is not exact
        matrix[offset + i : offset + i + len(block), offset:] = block
        if budget.check("building costs") and budget.stopped:
            return False
    return True


@dataclass(frozen=True)
class Segment:
    """One sub-problem: ``pts`` visited once between ``head`` and ``tail`` (or closed)."""

    pts: np.ndarray
    cost: Cost
    head: End = None
    tail: End = None
    closed: bool = False

    def cost_of(self, order: np.ndarray) -> float:
        return path_cost(self.cost, self.pts, order, self.head, self.tail, self.closed)

    def fix_ends(self, order: np.ndarray) -> np.ndarray:
        """Move internal fixed ends into place (repairs a heuristic order)."""
        order = np.asarray(order, dtype=np.int64)
        if isinstance(self.head, Internal):
            order = np.concatenate([[self.head.index], order[order != self.head.index]])
        if isinstance(self.tail, Internal) and len(order) > 1:
            order = np.concatenate([order[order != self.tail.index], [self.tail.index]])
        return order


def solve_exact(seg: Segment) -> np.ndarray:
    """Optimal order of a small segment on float costs (Held-Karp)."""
    m = len(seg.pts)
    dist = cost_matrix(seg.cost, seg.pts, seg.pts)
    if seg.closed:
        first = np.full(m, np.inf)
        first[0] = 0.0
        return np.array(held_karp(dist, first, dist[:, 0]), dtype=np.int64)
    first, last = _end_costs(seg, seg.head), _end_costs(seg, seg.tail)
    return np.array(held_karp(dist, first, last), dtype=np.int64)


def _end_costs(seg: Segment, end: End) -> np.ndarray:
    m = len(seg.pts)
    if isinstance(end, External):
        return cost_matrix(seg.cost, np.asarray(end.xy, dtype=float)[None, :], seg.pts)[0]
    if isinstance(end, Internal):
        out = np.full(m, np.inf)
        out[end.index] = 0.0
        return out
    return np.zeros(m)


def dense_matrix(seg: Segment, budget: Budget):
    """uint16 matrix for ``seg``: node 0 is the dummy (open paths), then externals, then points.

    Returns the matrix, the offset of the first point and the dummy's pinned neighbours;
    None if the caller asked to stop while it was being built.
    """
    if seg.closed:
        matrix = np.zeros((len(seg.pts),) * 2, dtype=np.uint16)
        if not _fill_scaled(matrix, seg.cost, seg.pts, 0, budget):
            return None
        return matrix, 0, None, None
    ext = [e for e in (seg.head, seg.tail) if isinstance(e, External)]
    offset = 1 + len(ext)
    xy = np.vstack([np.array([e.xy for e in ext], dtype=float).reshape(-1, 2), seg.pts])
    matrix = np.zeros((offset + len(seg.pts),) * 2, dtype=np.uint16)
    if not _fill_scaled(matrix, seg.cost, xy, 1, budget):
        return None
    pins = [_pin_index(seg.head, 1, offset), _pin_index(seg.tail, 1 + len(ext) - 1, offset)]
    if any(p is not None for p in pins):
        # Exactly one dummy edge per pinned end costs 0; every other dummy edge costs BIG.
        matrix[0, 1:] = BIG
        matrix[1:, 0] = BIG
        for p in pins:
            if p is not None:
                matrix[0, p] = matrix[p, 0] = 0
    if isinstance(seg.head, External) and isinstance(seg.tail, External):
        matrix[1, 2] = matrix[2, 1] = BIG  # the two externals must not be joined directly
    return matrix, offset, pins[0], pins[1]


def _pin_index(end: End, ext_index: int, offset: int) -> int | None:
    if isinstance(end, External):
        return ext_index
    if isinstance(end, Internal):
        return offset + end.index
    return None


def decode_tour(
    tour: list[int], offset: int, head_pin: int | None, tail_pin: int | None
) -> np.ndarray | None:
    """Points' local order from a dummy-node tour, or None if a pinned edge was not kept."""
    t = np.asarray(tour, dtype=np.int64)
    t = np.roll(t, -int(np.nonzero(t == 0)[0][0]))
    body = t[1:]
    if (head_pin is not None and body[0] != head_pin) or (
        head_pin is None and tail_pin is not None and body[-1] != tail_pin
    ):
        body = body[::-1]
    if head_pin is not None and body[0] != head_pin:
        return None
    if tail_pin is not None and body[-1] != tail_pin:
        return None
    return body[body >= offset] - offset


def find_tour(matrix: np.ndarray, duration_s: float, threads: int, budget: Budget):
    """Run ``fast_tsp.find_tour`` in a thread, polling the caller; None if asked to stop.

    The native search cannot be interrupted from Python except by Ctrl-C, so on a stop
    request the thread is abandoned (it ends at its own deadline, at most ``duration_s``).
    """
    box: dict[str, object] = {}
    candidates = "alpha" if len(matrix) <= 4000 else "auto"

    def work() -> None:
        try:
            # Converged searches return early: the budget is a ceiling, not a quota.
            box["tour"] = fast_tsp.find_tour(matrix, duration_s, threads, candidates, True)
        except Exception as exc:  # reported in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="fast_tsp", daemon=True)
    worker.start()
    while True:
        worker.join(POLL_S)
        if not worker.is_alive():
            break
        if budget.check("searching") and budget.stopped:
            log.info("stop requested: abandoning a %d-node search", len(matrix))
            return None
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["tour"]


def solve_segment(
    seg: Segment,
    budget: Budget,
    duration_s: float,
    threads: int = 1,
    init: np.ndarray | None = None,
) -> tuple[np.ndarray, float, str]:
    """Best order found for ``seg`` within ``duration_s``: (order, float cost, method).

    Candidates are compared on full-precision costs, so scaling to uint16 can only cost
    quality, never validity: ``init`` (if given) is returned unless something beats it.
    """
    m = len(seg.pts)
    if m <= 1:
        order = np.arange(m, dtype=np.int64)
        return order, seg.cost_of(order), "trivial"
    if m <= EXACT_MAX:
        order = solve_exact(seg)
        return order, seg.cost_of(order), "exact"
    built = dense_matrix(seg, budget)
    if built is None:
        order = seg.fix_ends(init if init is not None else strip_order(seg.pts))
        return order, seg.cost_of(order), "initial"
    matrix, offset, head_pin, tail_pin = built
    if init is not None:
        best, how = seg.fix_ends(init), "initial"
    else:
        greedy = fast_tsp.greedy_nearest_neighbor(matrix)
        best, how = _decode_or_fix(seg, greedy, offset, head_pin, tail_pin), "nearest"
    best_cost = seg.cost_of(best)
    duration = min(duration_s, budget.remaining())
    if duration >= 0.01 and not budget.check("searching"):
        tour = find_tour(matrix, duration, threads, budget)
        if tour is not None:
            order = _decode_or_fix(seg, tour, offset, head_pin, tail_pin)
            order_cost = seg.cost_of(order)
            if order_cost < best_cost:
                best, best_cost, how = order, order_cost, "fast_tsp"
    return best, best_cost, how


def strip_order(pts: np.ndarray) -> np.ndarray:
    """A cheap boustrophedon order (bands across the longer side): the anytime fallback."""
    n = len(pts)
    if n < 3:
        return np.arange(n, dtype=np.int64)
    axis = int(np.argmax(np.ptp(pts, axis=0)))
    across = 1 - axis
    bands = max(1, int(np.sqrt(n / 2)))
    lo, span = pts[:, across].min(), max(np.ptp(pts[:, across]), 1e-12)
    band = np.minimum(((pts[:, across] - lo) / span * bands).astype(np.int64), bands - 1)
    along = np.where(band % 2 == 0, pts[:, axis], -pts[:, axis])
    return np.lexsort((along, band)).astype(np.int64)


def _decode_or_fix(seg: Segment, tour, offset: int, head_pin, tail_pin) -> np.ndarray:
    if seg.closed:
        return np.asarray(tour, dtype=np.int64)
    order = decode_tour(tour, offset, head_pin, tail_pin)
    if order is None:
        t = np.asarray(tour, dtype=np.int64)
        order = seg.fix_ends(t[t >= offset] - offset)
    return order
