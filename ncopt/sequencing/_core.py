"""Costs, the time budget, the exact solver and one dense ``fast_tsp`` sub-problem.

Every solve, whole or part of a decomposition, is a *segment*: a set of points visited once,
with a head and a tail that are each free, a fixed point outside the set (``External``) or a
fixed member of the set (``Internal``). A closed tour is a segment with ``closed=True``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import fast_tsp
import numpy as np

from ncopt.budget import Budget
from ncopt.sequencing._costs import (
    BIG,
    Cost,
    cost_matrix,
    fill_scaled,
    pair_cost,
)
from ncopt.sequencing._reconnect import merge, reconnect
from ncopt.sequencing._search import MIN_SEARCH_S, find_tours, tour_length

log = logging.getLogger(__name__)

EXACT_MAX = 12  # Held-Karp on float costs: 2^12 * 12 states, ~0.1 s in numpy
# Share of a dense search's time kept for merging and re-joining its chains (``_reconnect``),
# and the size from which it is worth it (below, fast_tsp's own search is as good as optimal).
# The reduced problems converge in a tenth of a second at 3,000 holes, and the search is worth
# more: on the tuning set, 2 s, 0.05 against 0.15 gave 0.086 against 0.151 % on one thread
# (18 runs each; a five-run bench against the library did not confirm it, 1.20x), 0.026
# against 0.069 % on two (10 runs; the report set, 30 runs: 0.71x -> 0.40x the library's gap),
# and also less with three busy loops beside it. On decomposed 15,000-hole sets 5 % and 15 %
# measured level (20 rounds, within 0.04 points; docs/sequencing.md, 2026-12-02).
RECONNECT_SHARE = 0.05
RECONNECT_MIN = 200


@dataclass(frozen=True)
class External:
    """A fixed end outside the point set (the machine position, a neighbouring hole)."""

    xy: tuple[float, float]


@dataclass(frozen=True)
class Internal:
    """A fixed end that is one of the points (local index)."""

    index: int


End = External | Internal | None


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


@dataclass(frozen=True)
class Dense:
    """A segment's uint16 matrix: node 0 is the dummy (open paths), then the external ends,
    then the points from ``offset``; the dummy's pinned neighbours; each node's third-nearest
    neighbour cost (0 for the dummy and the externals)."""

    matrix: np.ndarray = field(repr=False)
    offset: int
    head_pin: int | None
    tail_pin: int | None
    near: np.ndarray = field(repr=False)


def dense_matrix(seg: Segment, budget: Budget) -> Dense | None:
    """The matrix of ``seg``, or None if the caller asked to stop while it was being built."""
    if seg.closed:
        matrix = np.zeros((len(seg.pts),) * 2, dtype=np.uint16)
        near = fill_scaled(matrix, seg.cost, seg.pts, 0, budget)
        return None if near is None else Dense(matrix, 0, None, None, near)
    ext = [e for e in (seg.head, seg.tail) if isinstance(e, External)]
    offset = 1 + len(ext)
    xy = np.vstack([np.array([e.xy for e in ext], dtype=float).reshape(-1, 2), seg.pts])
    matrix = np.zeros((offset + len(seg.pts),) * 2, dtype=np.uint16)
    near = fill_scaled(matrix, seg.cost, xy, 1, budget)
    if near is None:
        return None
    near = np.concatenate([[0.0], near])
    near[:offset] = 0.0
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
    return Dense(matrix, offset, pins[0], pins[1], near)


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


def solve_segment(
    seg: Segment,
    budget: Budget,
    duration_s: float,
    threads: int = 1,
    init: np.ndarray | None = None,
    on_better: Callable[[np.ndarray, float], None] | None = None,
) -> tuple[np.ndarray, float, str]:
    """Best order found for ``seg`` within ``duration_s``: (order, float cost, method).

    Candidates are compared on full-precision costs, so scaling to uint16 can only cost
    quality, never validity: ``init`` (if given) is returned unless something beats it.
    ``on_better(order, cost)`` sees the first order and each one that beats it.
    """
    m = len(seg.pts)
    if m <= EXACT_MAX:
        order = solve_exact(seg) if m > 1 else np.arange(m, dtype=np.int64)
        return order, seg.cost_of(order), "exact" if m > 1 else "trivial"
    dense = dense_matrix(seg, budget)
    if dense is None:
        order = seg.fix_ends(init if init is not None else strip_order(seg.pts))
        return order, seg.cost_of(order), "initial"
    if init is not None:
        first, how = seg.fix_ends(init), "initial"
    else:
        first, how = (
            _decode_or_fix(seg, fast_tsp.greedy_nearest_neighbor(dense.matrix), dense),
            "nearest",
        )
    best = _Best(seg, dense, first, how, on_better)
    duration = min(duration_s, budget.remaining())
    if duration < 0.01 or budget.check("searching"):
        return best.order, best.cost, best.how
    # The reconnection's share: measured on generated clustered sets (docs/sequencing.md).
    reserve = RECONNECT_SHARE * duration if m >= RECONNECT_MIN else 0.0
    tours = find_tours(dense.matrix, duration - reserve, threads, budget, best.offer_search)
    end = budget.elapsed() + max(reserve, MIN_SEARCH_S)
    if len(tours) > 1 and not budget.check("merging"):
        # Independent searches (one per thread): search again only where they disagree.
        left = min(budget.remaining(), (end - budget.elapsed()) / 2)
        merged = merge(dense.matrix, tours, budget, left, threads)
        # The shorter of the two on the matrix is what the chains are re-joined from.
        shorter = merged is not None and (
            tour_length(dense.matrix, merged) < tour_length(dense.matrix, tours[0])
        )
        if shorter:
            best.offer(merged, "merged")
            tours = [merged]
    if tours and not budget.check("reconnecting"):
        left = min(budget.remaining(), max(end - budget.elapsed(), MIN_SEARCH_S))
        joined = reconnect(dense.matrix, tours[0], dense.near, budget, left, threads)
        if joined is not None:
            best.offer(joined, "reconnected")
    return best.order, best.cost, best.how


class _Best:
    """The cheapest order of one segment so far, on full-precision costs."""

    def __init__(self, seg, dense: Dense, order, how: str, on_better) -> None:
        self.seg, self.dense, self.on_better = seg, dense, on_better
        self.order, self.cost, self.how = order, seg.cost_of(order), how
        if on_better is not None:
            on_better(self.order, self.cost)

    def offer_search(self, tour: list[int]) -> None:
        self.offer(tour, "fast_tsp")

    def offer(self, tour: list[int], how: str) -> None:
        order = _decode_or_fix(self.seg, tour, self.dense)
        cost = self.seg.cost_of(order)
        if cost < self.cost:
            self.order, self.cost, self.how = order, cost, how
            if self.on_better is not None:
                self.on_better(order, cost)


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


def _decode_or_fix(seg: Segment, tour, dense: Dense) -> np.ndarray:
    if seg.closed:
        return np.asarray(tour, dtype=np.int64)
    order = decode_tour(tour, dense.offset, dense.head_pin, dense.tail_pin)
    if order is None:
        t = np.asarray(tour, dtype=np.int64)
        order = seg.fix_ends(t[t >= dense.offset] - dense.offset)
    return order
