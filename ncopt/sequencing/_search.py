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
# Probes of PROBE_S + PROBE_S_PER_NODE·n seconds that agree end a search early, on sets up to
# PROBE_MAX nodes. Above 500, short probes can agree on a deep local optimum: on icrows-800-s5
# all three agreed at 0.29 % in 1 run of 6 while full searches reached 0.00 %. Up to 500
# (60 runs of six generated kinds) every early stop had the full search's length, and a third
# probe, PROBE_LAST times longer, must agree as well.
PROBE_S = 0.02
PROBE_S_PER_NODE = 5e-5
PROBE_MAX = 500
PROBE_LAST = 3
# Re-solves that are kept only if cheaper (the chains' reduced problems, a large set's regions)
# improve a good tour, and time they leave goes to the next stage: an early stop there costs
# little, so they probe up to 1,000 points. uniform-40000-s2 at 120 s, one thread, two runs
# each: probes up to 500 everywhere 0.37 / 0.35 %, this rule 0.32 / 0.32 %, up to 1,000
# everywhere 0.30 / 0.26 % (as large as the spread between runs).
RESOLVE_PROBE_MAX = 1000
# With several threads, each runs its own single-thread search and the tours are merged
# (``_reconnect``) when each search gets at least RUN_S + RUN_S_PER_NODE·n seconds; with less,
# one search uses all the threads.
RUN_S = 0.1
RUN_S_PER_NODE = 3e-4


def find_tour(
    matrix: np.ndarray,
    duration_s: float,
    threads: int,
    budget: Budget,
    on_tour: Callable[[list[int]], None] | None = None,
    probe_max: int = PROBE_MAX,
) -> list[int] | None:
    """The shortest ``fast_tsp`` tour of ``matrix`` found within ``duration_s``; None if asked
    to stop before any.

    fast_tsp itself uses the whole duration: its convergence stop needs
    ``max(100_000, 500·n)`` perturbations without a gain, which took 6.4 s at 50 nodes and
    7.7 s at 200 (measured, fast_tsp 0.2.2). So up to ``probe_max`` nodes two short probes and
    a longer one run first; when all three agree on the length the set has converged and the
    search returns early, leaving the rest of the budget to the caller. Otherwise one search
    gets the time left. ``on_tour`` sees each tour that beats the ones before.
    """
    tours = find_tours(matrix, duration_s, threads, budget, on_tour, False, probe_max)
    return tours[0] if tours else None


def find_tours(
    matrix: np.ndarray,
    duration_s: float,
    threads: int,
    budget: Budget,
    on_tour: Callable[[list[int]], None] | None = None,
    apart: bool = True,
    probe_max: int = PROBE_MAX,
) -> list[list[int]]:
    """Tours found within ``duration_s``, shortest first (empty if asked to stop before
    any), for the caller to merge.

    Converged small sets (three probes agree, see :func:`find_tour`) give one tour. With
    several threads and ``apart``, each thread runs its own search (when each gets
    ``RUN_S + RUN_S_PER_NODE·n`` seconds): on the tuning set two single-thread searches and
    their merge found shorter tours than one two-thread search. One thread searches once: on
    that set, splitting its 2 s into three searches and merging them lost more than the merge
    won (panel-3000-s4 0.20 % against 0.08 %, icrows-2000-s6 0.27 % against 0.12 %).
    """
    n = len(matrix)
    deadline = time.monotonic() + duration_s
    found: list[tuple[int, list[int]]] = []
    probe = PROBE_S + PROBE_S_PER_NODE * n
    if n <= probe_max and duration_s >= (2 + PROBE_LAST) * 2 * probe:
        for length_s in (probe, probe, PROBE_LAST * probe):
            tour = _polled_search(matrix, length_s, threads, budget)
            if tour is None:
                return [_best(found)] if found else []
            found.append((tour_length(matrix, tour), tour))
            _offer(found, on_tour)
            if found[0][0] != found[-1][0]:
                break
        else:
            return [_best(found)]
        found = [min(found, key=lambda lt: lt[0])]  # kept only as a fallback
    probes = len(found)
    left = deadline - time.monotonic()
    if apart and threads > 1 and left >= RUN_S + RUN_S_PER_NODE * n:
        widths = [1] * threads
    else:
        widths = [threads]
    for tour in _polled_searches(matrix, max(left, MIN_SEARCH_S), widths, budget) or []:
        found.append((tour_length(matrix, tour), tour))
        _offer(found, on_tour)
    # The searches' tours are merged; a shorter probe tour (rare) leads without joining them.
    pool = sorted(found[probes:], key=lambda lt: lt[0])
    if probes and (not pool or found[0][0] < pool[0][0]):
        pool.insert(0, found[0])
    return [t for _, t in pool]


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
    """One ``fast_tsp.find_tour`` in a thread, polling the caller; None if asked to stop."""
    tours = _polled_searches(matrix, duration_s, [threads], budget)
    return None if tours is None else tours[0]


def _polled_searches(matrix: np.ndarray, duration_s: float, threads: list[int], budget: Budget):
    """``len(threads)`` independent ``fast_tsp.find_tour`` calls side by side, one Python
    thread each, polling the caller; their tours, or None if asked to stop.

    The native search cannot be interrupted from Python except by Ctrl-C, so on a stop
    request the threads are abandoned (each ends at its own deadline, at most ``duration_s``).
    """
    boxes: list[dict[str, object]] = [{} for _ in threads]

    def work(box: dict[str, object], width: int) -> None:
        try:
            box["tour"] = fast_tsp.find_tour(matrix, duration_s, width, "auto", True)
        except Exception as exc:  # reported in the caller's thread
            box["error"] = exc

    workers = [
        threading.Thread(target=work, args=(box, width), name="fast_tsp", daemon=True)
        for box, width in zip(boxes, threads, strict=True)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        while True:
            worker.join(POLL_S)
            if not worker.is_alive():
                break
            if budget.check("searching") and budget.stopped:
                log.info("stop requested: abandoning a %d-node search", len(matrix))
                return None
    for box in boxes:
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
    return [box["tour"] for box in boxes]
