"""The fast_tsp calls: convergence probes and independent searches side by side.

``fast_tsp.find_tour`` is replaced by a scripted stand-in that records each call, so the tests
see exactly which searches were asked for, with how many threads each.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ncopt.budget import Budget
from ncopt.sequencing import _search


def ring(n: int) -> np.ndarray:
    """Distances of n points on a line, closed: the identity order is optimal."""
    x = np.arange(n)
    return np.abs(x[:, None] - x[None, :]).astype(np.uint16)


class Scripted:
    """Stand-in for ``fast_tsp.find_tour``: hands out the given tours in turn."""

    def __init__(self, tours):
        self.tours, self.calls, self.lock = list(tours), [], threading.Lock()

    def __call__(self, matrix, duration, threads, candidates, stop):
        with self.lock:
            self.calls.append((duration, threads))
            return self.tours.pop(0) if len(self.tours) > 1 else self.tours[0]


@pytest.fixture
def scripted(monkeypatch):
    def install(tours):
        fake = Scripted(tours)
        monkeypatch.setattr(_search.fast_tsp, "find_tour", fake)
        return fake

    return install


def worse(n: int) -> list[int]:
    """A tour of ``ring(n)`` with one flaw."""
    return [0, 2, 1, *range(3, n)]


def test_three_agreeing_probes_end_the_search_early(scripted):
    fake = scripted([worse(100)])
    tours = _search.find_tours(ring(100), 5.0, 1, Budget(10.0, None, None))
    assert tours == [worse(100)]
    assert len(fake.calls) == 3  # two probes and the longer third one, no full search
    assert fake.calls[2][0] == pytest.approx(_search.PROBE_LAST * fake.calls[0][0])


def test_a_third_probe_that_finds_better_keeps_the_search_going(scripted):
    # Two short probes agreeing on a local optimum stopped searches early before (icrows-800).
    best = list(range(100))
    fake = scripted([worse(100), worse(100), best, best])
    tours = _search.find_tours(ring(100), 5.0, 1, Budget(10.0, None, None))
    assert len(fake.calls) == 4  # the full search ran after the probes
    assert fake.calls[3][0] > 3.5
    assert tours[0] == best


def test_no_probes_above_probe_max(scripted):
    n = _search.PROBE_MAX + 1
    fake = scripted([list(range(n))])
    _search.find_tours(ring(n), 5.0, 1, Budget(10.0, None, None))
    assert len(fake.calls) == 1 and fake.calls[0][0] > 4.9


def test_two_threads_run_two_single_thread_searches_side_by_side(scripted):
    n = 600  # no probes, and 2 s is enough for a search each
    fake = scripted([worse(n), list(range(n))])
    tours = _search.find_tours(ring(n), 2.0, 2, Budget(10.0, None, None))
    assert [threads for _, threads in fake.calls] == [1, 1]
    assert tours == [list(range(n)), worse(n)]  # shortest first, both kept for the merge


def test_find_tour_gives_one_search_all_the_threads(scripted):
    n = 600
    fake = scripted([list(range(n))])
    assert _search.find_tour(ring(n), 2.0, 2, Budget(10.0, None, None)) == list(range(n))
    assert [threads for _, threads in fake.calls] == [2]


def test_too_little_time_for_two_searches_gives_one_with_both_threads(scripted):
    n = 5_000  # each search would need RUN_S + RUN_S_PER_NODE·n = 1.6 s
    fake = scripted([list(range(n))])
    _search.find_tours(ring(n), 1.0, 2, Budget(10.0, None, None))
    assert [threads for _, threads in fake.calls] == [2]
