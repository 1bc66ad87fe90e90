"""What a search may use and what it has found so far: its thread count and its best cost.

A job's work horse shares the host with up to ``$NCOPT_MAX_WORKERS`` other jobs (default: the
CPU count, see docs/jobs.md), so one search takes ``cpu_count // NCOPT_MAX_WORKERS`` threads:
all cores when one job may run at a time, one thread when every core may hold a job.

The best cost is the cost of a complete order the solver holds and would return if stopped
now. It is passed to ``progress`` as ``best_cost_s`` (the job shows it as "best cycle time so
far") when costs are machine seconds; Euclidean costs are lengths, not seconds, so they are
only kept in the curve (``PathResult.curve``).

>>> seen = []
>>> best = Incumbent(lambda **kw: seen.append(kw), seconds=True)
>>> best.report(fraction=0.5, message="searching")
>>> best.improve(12.5)
>>> best.report(fraction=0.6, message="searching")
>>> seen[0], seen[1]["best_cost_s"]
({'fraction': 0.5, 'message': 'searching'}, 12.5)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

__all__ = ["Incumbent", "search_threads"]


def search_threads(threads: int | None = None) -> int:
    """Threads for one search: ``threads`` if given, else the job's share of the cores.

    >>> search_threads(3)
    3
    """
    if threads is not None:
        return max(1, int(threads))
    cores = os.cpu_count() or 1
    raw = os.environ.get("NCOPT_MAX_WORKERS", "").strip()
    try:
        workers = float(raw) if raw else float(cores)
    except ValueError:
        workers = float(cores)  # the supervisor logs the bad value; here: one job per core
    if not math.isfinite(workers) or workers < 1:
        workers = float(cores)
    return max(1, int(cores // workers))


class Incumbent:
    """The best complete order's cost over time, reported through the caller's ``progress``.

    ``curve`` keeps ``(seconds since start, cost)`` at each improvement, for benchmarks.
    """

    def __init__(self, progress: Callable[..., None] | None, *, seconds: bool) -> None:
        self._progress = progress
        self._seconds = seconds
        self._start = time.monotonic()
        self.cost: float | None = None
        self.curve: list[tuple[float, float]] = []

    def improve(self, cost: float) -> None:
        """Record ``cost`` if it beats the best so far."""
        if self.cost is None or cost < self.cost:
            self.cost = float(cost)
            self.curve.append((time.monotonic() - self._start, self.cost))

    def report(self, **kwargs) -> None:
        """The caller's ``progress`` with the best cost added (a ``Budget`` calls this)."""
        if self._progress is None:
            return
        if self.cost is not None and self._seconds:
            kwargs["best_cost_s"] = self.cost
        self._progress(**kwargs)
