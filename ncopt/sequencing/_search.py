"""The ``fast_tsp`` search in a thread, polling the caller's ``should_stop``/``progress``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import fast_tsp
import numpy as np

from ncopt.budget import Budget

log = logging.getLogger(__name__)

POLL_S = 0.2  # how often the caller's should_stop/progress are consulted during a native call
# Shortest search worth starting: fast_tsp's setup (candidate lists) takes part of it.
MIN_SEARCH_S = 0.05


def find_tour(
    matrix: np.ndarray,
    duration_s: float,
    threads: int,
    budget: Budget,
    on_tour: Callable[[list[int]], None] | None = None,
) -> list[int] | None:
    """The ``fast_tsp`` tour of ``matrix`` found within ``duration_s``; None if asked to stop.

    fast_tsp uses the whole duration: its convergence stop needs ``max(100_000, 500·n)``
    perturbations without a gain, which took 6.4 s at 50 nodes and 7.7 s at 200 (measured,
    fast_tsp 0.2.2), so it only ends a search early on budgets longer than that; callers
    give small sets small budgets (``ncopt/optimize.py`` caps each hole set's share).
    ``on_tour`` sees the tour when it arrives.
    """
    tour = _polled_search(matrix, max(duration_s, MIN_SEARCH_S), threads, budget)
    if tour is not None and on_tour is not None:
        on_tour(tour)
    return tour


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
