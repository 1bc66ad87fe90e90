"""The job's share of the cores, and the best cost so far in the job's progress."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ncopt.machine import Machine
from ncopt.sequencing import solve_open_path
from ncopt.sequencing._anytime import search_threads


@pytest.mark.parametrize(
    ("workers", "cores", "expected"),
    [(None, 8, 1), ("1", 8, 8), ("2", 8, 4), ("3", 8, 2), ("16", 8, 1), ("0", 4, 1), ("x", 4, 1)],
)
def test_threads_are_the_jobs_share_of_the_cores(monkeypatch, workers, cores, expected):
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    if workers is None:
        monkeypatch.delenv("NCOPT_MAX_WORKERS", raising=False)
    else:
        monkeypatch.setenv("NCOPT_MAX_WORKERS", workers)
    assert search_threads() == expected
    assert search_threads(3) == 3  # an explicit count wins


def test_best_cost_s_only_falls_and_ends_at_the_result():
    pts = np.random.default_rng(2).uniform(0, 600, (2500, 2))
    seen: list[float] = []

    def progress(fraction=None, stage=None, message=None, **extra) -> None:
        if "best_cost_s" in extra:
            seen.append(extra["best_cost_s"])

    r = solve_open_path(pts, Machine(), start=(0.0, 0.0), time_limit_s=2.0, progress=progress)
    assert seen, "no best_cost_s reported"
    assert all(b <= a for a, b in itertools.pairwise(seen))
    assert seen[-1] == pytest.approx(r.cost)
    assert [c for _, c in r.curve] == sorted((c for _, c in r.curve), reverse=True)
    assert r.curve[-1][1] == pytest.approx(r.cost)


@pytest.mark.slow
def test_decomposed_sets_report_a_complete_order_early():
    """The first pass over every part gives a searched order long before the budget ends."""
    pts = np.random.default_rng(6).uniform(0, 900, (3000, 2))
    r = solve_open_path(pts, Machine(), start=(0.0, 0.0), time_limit_s=6.0, memory_mb=4.0)
    assert r.parts > 1
    first_cost = r.curve[0][1]  # the strip order of every part
    early = [c for t, c in r.curve if t <= 3.0]
    assert early[-1] <= 1.05 * r.cost < first_cost
