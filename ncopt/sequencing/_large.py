"""Decomposition for point sets whose full cost matrix does not fit the memory budget.

Recursive median bisection cuts the points into parts of at most ``part_max``; the parts are
ordered by a small tour over their centroids; neighbouring parts are joined at a close pair of
points (exit of one, entry of the next); each part is solved as a dense segment between its
fixed entry and exit; then windows of consecutive holes around each seam are re-solved, the
whole order is polished by a local search that starts from it (``_oropt``), regions and
windows across the order are re-solved, and a last polish ends it. Every step is kept only
when it is cheaper on full-precision costs.
"""

from __future__ import annotations

import logging

import numpy as np

from ncopt.sequencing._anytime import Incumbent
from ncopt.sequencing._core import (
    Budget,
    End,
    External,
    Internal,
    Segment,
    path_cost,
    solve_segment,
    strip_order,
)
from ncopt.sequencing._regions import resolve_region

log = logging.getLogger(__name__)

QUICK_SHARE = 0.2  # of the part time for a first pass over every part (anytime)
# Holes per region re-solve, and the ceiling of its search (converged searches return sooner).
# Re-solving every stretch between two long jumps of a polished clustered-15000-s1 order
# gained 0.001 %; regions, which re-pair stretches from anywhere in the order, do more.
# Regions of 2,500 holes for 2.5 s: 0.458 % there on average over 13 runs (0.29–0.67 %)
# against 0.518 % with 1,000 for 1 s (13 runs, 0.41–0.66 %); level or better on panel15k,
# panel34k and uniform-40000-s2 (docs/sequencing.md, "Polishing and larger regions").
REGION = 2500
REGION_S = 2.5
# The polish (``_oropt``): clustered-15000-s1 at 30 s with two threads went from 0.697 % on
# average (7 runs, 0.50–0.82 %) to 0.518 % (13 runs, 0.41–0.66 %) above its reference.
POLISH_SHARE = 0.3  # of the time after the seams, at most, for the first polish
POLISH_LAST = 0.05  # of the budget kept for a last polish
STALL_PER_HOLE = 5  # a polish ends after this many kicks per hole without a gain
PART_SHARE = 0.7  # of the budget for solving parts; the rest improves seams and windows
# ... but at most this many seconds per hole. The library's search of a 7,500-hole part levels
# off after about 8 s (1.1 ms per hole; the parts' second pass gets 80 % of their time), so a
# longer budget's rest is worth more to the regions: clustered-15000-s1, two threads, at 60 s
# 0.394 % against 0.591 % (five alternating pairs), at 120 s a mean of 0.168 % over four
# runs against 0.229 / 0.326 %; at 30 s on 15,000 holes the cap is 21 s, the 70 % it had
# (docs/sequencing.md, 2026-12-02).
PART_S_PER_HOLE = 1.4e-3


def bisect(pts: np.ndarray, idx: np.ndarray, part_max: int, ring: bool = False) -> list[np.ndarray]:
    """Index arrays of spatial parts, each at most ``part_max`` long, in bisection order.

    Each cut halves the longer side. With ``ring`` (a closed tour that needs four parts or
    more) the first cut halves the shorter side instead, so the parts lie in two rows and the
    tour over them runs out along one row and back along the other. Cut the usual way, a long
    board becomes a row of parts, and the tour must jump back from the last part to the first
    (grid34k at 120 s: 0.62 % above the optimum, 0.06 % with two rows).

    >>> p = np.array([[0, 0], [1, 0], [10, 0], [11, 0]], dtype=float)
    >>> [a.tolist() for a in bisect(p, np.arange(4), 2)]
    [[0, 1], [2, 3]]
    >>> row = np.c_[np.arange(8) * 10.0, np.arange(8) % 2]
    >>> [a.tolist() for a in bisect(row, np.arange(8), 2, ring=True)]
    [[0, 2], [4, 6], [1, 3], [5, 7]]
    """
    if len(idx) <= part_max:
        return [idx]
    sub = pts[idx]
    spans = np.ptp(sub, axis=0)
    axis = int(np.argmin(spans) if ring and len(idx) > 2 * part_max else np.argmax(spans))
    ranked = idx[np.argsort(sub[:, axis], kind="stable")]
    half = len(ranked) // 2
    return bisect(pts, ranked[:half], part_max) + bisect(pts, ranked[half:], part_max)


def solve_large(
    whole: Segment,
    budget: Budget,
    threads: int,
    part_max: int,
    best: Incumbent,
    seed: int = 0,
) -> tuple[np.ndarray, int]:
    """Order of all points for a large instance; returns (order, number of parts).

    The parts get ``PART_SHARE`` of the budget, at most ``PART_S_PER_HOLE`` per hole.
    Anytime: every part first gets a short search (``QUICK_SHARE`` of the part time), so a
    complete, searched order exists early; then each part is searched again with the rest of
    its share (kept only if cheaper); then seams and regions. ``best`` sees each cheaper
    complete order.
    """
    pts, cost, head, closed = whole.pts, whole.cost, whole.head, whole.closed
    parts = bisect(pts, np.arange(len(pts), dtype=np.int64), part_max, ring=closed)
    parts = _order_parts(pts, parts, head, closed, budget)
    entries, exits = _joins(pts, parts, closed)
    segs = [
        _part_segment(pts, cost, parts, i, entries, exits, head, closed) for i in range(len(parts))
    ]
    orders = [seg.fix_ends(strip_order(seg.pts)) for seg in segs]

    def whole_order() -> np.ndarray:
        return np.concatenate([p[o] for p, o in zip(parts, orders, strict=True)])

    best.improve(whole.cost_of(whole_order()))
    part_budget = min(budget.remaining() * PART_SHARE, PART_S_PER_HOLE * len(pts))
    for share in (QUICK_SHARE, 1.0 - QUICK_SHARE):
        for i, part in enumerate(parts):
            if budget.check(f"part {i + 1}/{len(parts)}"):
                break

            def keep(order: np.ndarray, _cost: float, i: int = i) -> None:
                orders[i] = order
                best.improve(whole.cost_of(whole_order()))

            time_s = part_budget * share * len(part) / len(pts)
            solve_segment(segs[i], budget, time_s, threads, init=orders[i], on_better=keep)
    order = whole_order()
    seams = np.cumsum([len(p) for p in parts])[:-1]
    window = min(part_max, 1500)
    rng = np.random.default_rng(seed)
    return improve_windows(whole, order, budget, threads, window, seams, best, rng), len(parts)


def _order_parts(pts, parts, head: End, closed: bool, budget: Budget) -> list[np.ndarray]:
    if len(parts) < 2:
        return parts
    centroids = np.array([pts[p].mean(axis=0) for p in parts])
    seg = Segment(centroids, "euclidean", head=head if not closed else None, closed=closed)
    order, _, _ = solve_segment(seg, budget, min(0.5, budget.remaining() * 0.02))
    return [parts[i] for i in order]


def _joins(pts, parts, closed: bool) -> tuple[list[int], list[int]]:
    """Local (entry, exit) of each part: the exit is the point nearest the next part's box."""
    k = len(parts)
    entries: list[int] = [-1] * k
    exits: list[int] = [-1] * k
    for i in range(k):
        if i + 1 == k and not closed:
            exits[i] = -1
            continue
        nxt = parts[(i + 1) % k]
        lo, hi = pts[nxt].min(axis=0), pts[nxt].max(axis=0)
        own = pts[parts[i]]
        gap = np.linalg.norm(np.maximum(np.maximum(lo - own, own - hi), 0.0), axis=1)
        gap += 1e-9 * np.linalg.norm(own - pts[nxt].mean(axis=0), axis=1)  # tie-break
        if entries[i] >= 0 and len(own) > 1:
            gap[entries[i]] = np.inf
        exits[i] = int(np.argmin(gap))
        near = np.linalg.norm(pts[nxt] - own[exits[i]], axis=1)
        if (i + 1) % k == 0 and len(nxt) > 1 and exits[0] >= 0:
            near[exits[0]] = np.inf  # the first part's exit is already taken
        entries[(i + 1) % k] = int(np.argmin(near))
    return entries, exits


def _part_segment(pts, cost, parts, i, entries, exits, head, closed) -> Segment:
    local = pts[parts[i]]
    first: End = Internal(entries[i]) if entries[i] >= 0 else (None if closed else head)
    last: End = Internal(exits[i]) if exits[i] >= 0 else None
    if isinstance(first, Internal) and isinstance(last, Internal) and first == last:
        last = None  # a one-point part: entry and exit coincide
    return Segment(local, cost, first, last)


def improve_windows(
    whole: Segment,
    order: np.ndarray,
    budget: Budget,
    threads: int,
    window: int,
    seams,
    best: Incumbent,
    rng: np.random.Generator,
) -> np.ndarray:
    """Re-solve around the seams; polish the order (up to ``POLISH_SHARE`` of the time left);
    alternate random regions and window sweeps; polish again in the last ``POLISH_LAST`` of
    the budget.

    The polishing search is loaded (or compiled, if numba's cache is cold) in a background
    thread while the seams are re-solved; until it is ready, the regions run without it.
    """
    pts, cost, head, closed = whole.pts, whole.cost, whole.head, whole.closed
    n = len(order)
    if n <= window or budget.check("windows"):
        return order
    _local_search_ready()  # loads (or compiles) it in the background during the seams
    last = POLISH_LAST * budget.total_s
    for s in seams:
        if budget.remaining() <= last or budget.check("seams"):
            break
        begin = min(max(0, int(s) - window // 2), n - window)
        order = _improve_one(pts, cost, order, begin, window, head, closed, budget, threads)
        best.improve(whole.cost_of(order))
    search = None
    stall = STALL_PER_HOLE * n
    total = whole.cost_of(order)
    centres = [order[int(s)] for s in seams]
    sweep = 0
    while budget.remaining() > last and not budget.check("regions"):
        if search is None and _local_search_ready():
            # First polish: as soon as the search is compiled (at once when it is cached).
            search = _local_search(whole, order, rng)
            search.polish(budget, POLISH_SHARE * max(0.0, budget.remaining() - last), stall)
            order, total = _kept(whole, order, total, search.order(), best)
            continue
        centre = pts[centres.pop() if centres else rng.integers(n)]
        size = min(REGION, n - 1)
        region = np.argpartition(np.hypot(*(pts - centre).T), size)[:size]
        duration = min(REGION_S, budget.remaining() - last)
        new = resolve_region(pts, cost, order, region, budget, duration, threads)
        if new is not None and np.array_equal(np.sort(new), np.arange(n)):
            order, total = _kept(whole, order, total, new, best)
        sweep += 1
        if sweep % 4 == 0:  # a window along the order now and then
            begin = int(rng.integers(0, n - window + 1))
            order = _improve_one(pts, cost, order, begin, window, head, closed, budget, threads)
            total = whole.cost_of(order)
        best.improve(total)
    if search is not None:
        search.load(order)  # a descent at least, even when asked to finish now
    elif budget.stopped:
        return order
    elif _local_search_ready():
        search = _local_search(whole, order, rng)
    else:
        log.info("the local search is still compiling (numba's cache was cold): not polished")
        return order
    search.polish(budget, budget.remaining(), stall)
    return _kept(whole, order, total, search.order(), best)[0]


def _local_search_ready() -> bool:
    """Whether the polishing search (``_oropt``) is compiled; the first call starts loading it.

    Imported here, not at the top: numba takes 0.2 s and ~120 MB once its kernels are loaded,
    the UI process imports this package for ``strip_order`` alone, and a large search loads it
    only after its parts, so it does not add to their peak memory.
    """
    from ncopt.sequencing._oropt import ready

    return ready()


def _local_search(whole: Segment, order: np.ndarray, rng: np.random.Generator):
    from ncopt.sequencing._oropt import LocalSearch

    head = whole.head.xy if isinstance(whole.head, External) else None
    return LocalSearch(
        whole.pts, whole.cost, order, head=head, closed=whole.closed, seed=rng.integers(1 << 31)
    )


def _kept(whole: Segment, order: np.ndarray, total: float, new: np.ndarray, best: Incumbent):
    """``(new, its cost)`` if it is cheaper than ``order`` (which costs ``total``) on
    full-precision costs, reported to ``best``; else ``(order, total)``."""
    new_total = whole.cost_of(new)
    if new_total < total:
        best.improve(new_total)
        return new, new_total
    return order, total


def _improve_one(pts, cost, order, begin, window, head, closed, budget, threads) -> np.ndarray:
    stop = begin + window
    inner = order[begin:stop]
    before: End = External(tuple(pts[order[begin - 1]])) if begin > 0 else None
    if begin == 0:
        before = External(tuple(pts[order[-1]])) if closed else head
    after: End = None
    if stop < len(order) or closed:
        after = External(tuple(pts[order[stop % len(order)]]))
    seg = Segment(pts[inner], cost, before, after)
    duration = min(budget.remaining(), 0.3 + window / 2000)
    new, new_cost, _ = solve_segment(seg, budget, duration, threads, init=np.arange(len(inner)))
    old_cost = path_cost(cost, pts, inner, before, after, False)
    if new_cost < old_cost:
        order = order.copy()
        order[begin:stop] = inner[new]
    return order
