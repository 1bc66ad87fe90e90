"""Hole sequencing: the cheapest order to visit points, as an open path or a closed tour.

``cost`` is ``"euclidean"`` (distance) or a :class:`~ncopt.machine.Machine` (rapid time in
seconds from ``Machine.rapid_time_xy``), so the optimizer minimises the time it reports.
Small sets are solved exactly; up to the memory budget one dense ``fast_tsp`` search runs on
the whole set; beyond it the set is decomposed (see ``_large``). Results always hold every
index exactly once; costs are full-precision floats. Design: docs/sequencing.md.

>>> pts = np.array([[0.0, 0.0], [3.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
>>> r = solve_open_path(pts, start=(0.0, 0.0), time_limit_s=1.0)
>>> r.order.tolist(), r.cost, r.optimal
([0, 2, 3, 1], 3.0, True)
>>> solve_tour(pts, time_limit_s=1.0).cost
6.0
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ncopt.machine import Machine
from ncopt.sequencing._anytime import Incumbent, search_threads
from ncopt.sequencing._core import (
    Budget,
    Cost,
    External,
    Segment,
    solve_segment,
    strip_order,
)
from ncopt.sequencing._large import solve_large

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DENSE_MAX_NODES",
    "PathResult",
    "dense_limit",
    "solve_open_path",
    "solve_tour",
    "strip_order",
]

log = logging.getLogger(__name__)

DEFAULT_MEMORY_MB = 1024.0
# Bytes per matrix entry during a dense solve: our uint16 matrix plus fast_tsp's own copy for
# each search running side by side (one per thread).
_BYTES_PER_ENTRY = 2
_BYTES_PER_COPY = 2
# fast_tsp makes that copy before it releases the GIL, so the thread that serves should_stop
# and progress waits: 0.15 s at 8,000 nodes, 0.39 s at 12,000, 0.68 s at 16,000 (measured
# on the 2-core development machine). Beyond this size the set is decomposed, which on the
# 15,000-hole benchmarks was as good or better and took a third of the memory.
DENSE_MAX_NODES = 10_000


@dataclass(frozen=True)
class PathResult:
    """An order of point indices and its full-precision cost.

    ``method`` is ``trivial``, ``exact``, ``nearest``, ``fast_tsp``, ``merged``,
    ``reconnected`` or ``decomposed``; ``optimal`` is True only for proven optima (exact
    solver); ``parts`` > 1 means the set was decomposed; ``stopped`` means ``should_stop``
    ended the search early; ``curve`` holds ``(seconds, cost)`` each time the best complete
    order got cheaper.
    """

    order: np.ndarray = field(repr=False)
    cost: float
    method: str
    optimal: bool
    parts: int
    elapsed_s: float
    stopped: bool
    curve: tuple[tuple[float, float], ...] = field(default=(), repr=False)


def dense_limit(memory_mb: float = DEFAULT_MEMORY_MB, threads: int = 1) -> int:
    """Largest number of nodes solved as one dense matrix within ``memory_mb`` (and at most
    ``DENSE_MAX_NODES``) while ``threads`` searches hold their own copies of it.

    >>> dense_limit(100.0), dense_limit(1024.0), dense_limit(100.0, threads=2)
    (5120, 10000, 4180)
    """
    per_entry = _BYTES_PER_ENTRY + _BYTES_PER_COPY * max(1, threads)
    return min(DENSE_MAX_NODES, int(np.sqrt(memory_mb * 2**20 / per_entry)))


def solve_open_path(
    points: np.ndarray,
    cost: Cost = "euclidean",
    start: tuple[float, float] | np.ndarray | None = None,
    time_limit_s: float = 2.0,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[..., None] | None = None,
    seed: int = 0,
    threads: int | None = None,
    memory_mb: float = DEFAULT_MEMORY_MB,
) -> PathResult:
    """Cheapest open path from ``start`` (not a hole; None: anywhere) through all points.

    The path ends wherever is cheapest. ``cost`` is ``"euclidean"`` or a ``Machine``.

    >>> from ncopt.machine import Machine
    >>> pts = np.array([[10.0, 0.0], [0.0, 0.0], [5.0, 0.0]])
    >>> r = solve_open_path(pts, Machine(), start=(0.0, 0.0))
    >>> r.order.tolist()
    [1, 2, 0]
    """
    # A 3-D machine position is allowed: the path lies in the clearance plane, only XY counts.
    xy = None if start is None else as_points(np.ravel(np.asarray(start, dtype=float))[None, :2])
    head = None if xy is None else External((float(xy[0, 0]), float(xy[0, 1])))
    return _solve(
        points, cost, head, False, time_limit_s, should_stop, progress, seed, threads, memory_mb
    )


def solve_tour(
    points: np.ndarray,
    cost: Cost = "euclidean",
    time_limit_s: float = 2.0,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[..., None] | None = None,
    seed: int = 0,
    threads: int | None = None,
    memory_mb: float = DEFAULT_MEMORY_MB,
) -> PathResult:
    """Cheapest closed tour through all points (the order starts at an arbitrary point).

    >>> square = np.array([[0, 0], [1, 1], [1, 0], [0, 1]], dtype=float)
    >>> solve_tour(square).cost
    4.0
    """
    return _solve(
        points, cost, None, True, time_limit_s, should_stop, progress, seed, threads, memory_mb
    )


def as_points(points) -> np.ndarray:
    """``points`` as a finite float (n, 2) array; anything else raises ``ValueError``.

    A silent reshape would turn (n, 3) input into 1.5·n made-up holes, and NaN costs would
    scramble the uint16 matrix, so both are refused here with the offending shape or row.

    >>> as_points([]).shape
    (0, 2)
    >>> as_points([[0, 1, 2]])
    Traceback (most recent call last):
    ...
    ValueError: points must have shape (n, 2), got (1, 3)
    """
    pts = np.asarray(points, dtype=float)
    if pts.size == 0:
        return pts.reshape(0, 2)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {pts.shape}")
    bad = np.flatnonzero(~np.isfinite(pts).all(axis=1))
    if len(bad):
        raise ValueError(f"point {int(bad[0])} is not finite: {pts[bad[0]].tolist()}")
    return pts


def _solve(
    points, cost, head, closed, time_limit_s, should_stop, progress, seed, threads, memory_mb
):
    pts = as_points(points)
    best = Incumbent(progress, seconds=isinstance(cost, Machine))
    budget = Budget(time_limit_s, should_stop, best.report)
    threads = search_threads(threads)
    n = len(pts)
    limit = dense_limit(memory_mb, threads)
    whole = Segment(pts, cost, head, None, closed)
    if n + 3 <= limit:
        on_better = lambda _order, total: best.improve(total)  # noqa: E731
        order, total, method = solve_segment(
            whole, budget, budget.remaining(), threads, on_better=on_better
        )
        parts = 1
    else:
        order, parts = solve_large(whole, budget, threads, limit - 3, best, seed)
        total, method = whole.cost_of(order), "decomposed"
    order = np.asarray(order, dtype=np.int64)
    # Never lose or repeat a hole, whatever the solver did.
    if not np.array_equal(np.sort(order), np.arange(n)):
        raise AssertionError("sequencing lost or repeated a point")
    best.improve(total)
    best.report(fraction=1.0, message="done")
    log.debug("sequenced %d points by %s in %.2f s", n, method, budget.elapsed())
    return PathResult(
        order=order,
        cost=float(total),
        method=method,
        optimal=method in ("trivial", "exact"),
        parts=parts,
        elapsed_s=budget.elapsed(),
        stopped=budget.stopped,
        curve=tuple(best.curve),
    )
