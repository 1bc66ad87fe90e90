"""The ``fast_tsp`` search in a thread, polling the caller's ``should_stop``/``progress``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import fast_tsp
import numpy as np

from ncopt.budget import Budget

log = logging.getLogger(__name__)

POLL_S = 0.2  # how often the caller's should_stop/progress are consulted during a native call
# Shortest search worth starting: fast_tsp's setup (candidate lists) takes part of it.
MIN_SEARCH_S = 0.05
# Two probes of PROBE_S + PROBE_S_PER_NODE·n seconds that agree end a search early (sets up to
# PROBE_MAX nodes; above, the probes' time would cost quality on the 2 s benchmarks).
PROBE_S = 0.02
PROBE_S_PER_NODE = 5e-5
PROBE_MAX = 1000


def find_tour(
    matrix: np.ndarray,
    duration_s: float,
    threads: int,
    budget: Budget,
    on_tour: Callable[[list[int]], None] | None = None,
) -> list[int] | None:
    """The shortest ``fast_tsp`` tour of ``matrix`` found within ``duration_s``; None if asked
    to stop before any.

    fast_tsp itself uses the whole duration: its convergence stop needs
    ``max(100_000, 500·n)`` perturbations without a gain, which took 6.4 s at 50 nodes and
    7.7 s at 200 (measured, fast_tsp 0.2.2). So up to ``PROBE_MAX`` nodes two short probes run
    first; when they agree on the length the set has converged and the search returns early,
    leaving the rest of the budget to the caller. Otherwise one search gets the time left.
    ``on_tour`` sees each tour that beats the ones before.
    """
    found: list[tuple[int, list[int]]] = []
    probe = PROBE_S + PROBE_S_PER_NODE * len(matrix)
    if len(matrix) <= PROBE_MAX and duration_s >= 4 * probe:
        deadline = time.monotonic() + duration_s
        for _ in range(2):
            tour = _polled_search(matrix, probe, threads, budget)
            if tour is None:
                return _best(found)
            found.append((tour_length(matrix, tour), tour))
            _offer(found, on_tour)
        if found[0][0] == found[1][0]:
            return _best(found)
        duration_s = deadline - time.monotonic()
    tour = _polled_search(matrix, max(duration_s, MIN_SEARCH_S), threads, budget)
    if tour is not None:
        found.append((tour_length(matrix, tour), tour))
        _offer(found, on_tour)
    return _best(found)


def _best(found: list[tuple[int, list[int]]]) -> list[int] | None:
    return min(found, key=lambda lt: lt[0])[1] if found else None


def _offer(found, on_tour) -> None:
    if on_tour is not None and found[-1][0] == min(length for length, _ in found):
        on_tour(found[-1][1])


def tour_length(matrix: np.ndarray, tour: list[int]) -> int:
    """Closed tour length on ``matrix`` (in numpy: ``fast_tsp.compute_cost`` copies the matrix
    while holding the GIL, 0.3–0.6 s at 8,000 nodes on a loaded machine).

    >>> tour_length(np.array([[0, 2, 5], [2, 0, 1], [5, 1, 0]], dtype=np.uint16), [0, 1, 2])
    8
    """
    t = np.asarray(tour, dtype=np.int64)
    return int(matrix[t, np.roll(t, -1)].astype(np.int64).sum())


def _polled_search(matrix: np.ndarray, duration_s: float, threads: int, budget: Budget):
    """One ``fast_tsp.find_tour`` in a thread, polling the caller; None if asked to stop.

    The native search cannot be interrupted from Python except by Ctrl-C, so on a stop
    request the thread is abandoned (it ends at its own deadline, at most ``duration_s``).
    """
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["tour"] = fast_tsp.find_tour(matrix, duration_s, threads, "auto", True)
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
