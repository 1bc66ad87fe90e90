"""Budget, should_stop and progress: the solver is anytime and always returns a valid order."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ncopt.machine import Machine
from ncopt.sequencing import solve_open_path, solve_tour


def points(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1000, (n, 2))


@pytest.mark.alone
def test_should_stop_returns_quickly_with_a_valid_order():
    pts = points(3000)
    t0 = time.monotonic()
    calls = []

    def stop() -> bool:
        calls.append(time.monotonic())
        return time.monotonic() - t0 > 0.3

    r = solve_open_path(pts, Machine(), start=(0, 0), time_limit_s=30.0, should_stop=stop)
    assert time.monotonic() - t0 < 2.0
    assert r.stopped
    assert sorted(r.order.tolist()) == list(range(len(pts)))
    assert np.diff(calls).max() <= 0.5


@pytest.mark.alone
@pytest.mark.slow
def test_sixteen_thousand_holes_never_leave_should_stop_waiting_half_a_second():
    # One dense search of this size would hold the GIL for ~0.7 s while fast_tsp copies its
    # matrix; it is decomposed instead.
    pts = points(16_000, seed=4)
    calls: list[float] = []

    def stop() -> bool:
        calls.append(time.monotonic())
        return False

    t0 = time.monotonic()
    r = solve_open_path(pts, start=(0, 0), time_limit_s=6.0, should_stop=stop)
    calls.append(time.monotonic())
    assert r.parts > 1
    assert sorted(r.order.tolist()) == list(range(len(pts)))
    assert np.diff([t0, *calls]).max() <= 0.5


def test_stop_before_start_still_gives_every_hole():
    pts = points(500)
    r = solve_tour(pts, time_limit_s=10.0, should_stop=lambda: True)
    assert r.stopped
    assert sorted(r.order.tolist()) == list(range(len(pts)))


@pytest.mark.alone
def test_progress_is_reported_at_least_every_half_second():
    seen: list[tuple[float, float, str]] = []
    pts = points(2500, seed=3)
    t0 = time.monotonic()
    r = solve_open_path(
        pts,
        start=(0, 0),
        time_limit_s=2.0,
        progress=lambda fraction, message: seen.append((time.monotonic(), fraction, message)),
    )
    assert time.monotonic() - t0 < 3.0
    stamps = [t0] + [t for t, _, _ in seen]
    assert np.diff(stamps).max() <= 0.5
    fractions = [f for _, f, _ in seen]
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions[-1] == 1.0
    assert not r.stopped


@pytest.mark.alone
def test_time_limit_is_respected_and_result_improves_on_nearest_neighbour():
    pts = points(1500, seed=5)
    quick = solve_tour(pts, time_limit_s=0.0)
    t0 = time.monotonic()
    full = solve_tour(pts, time_limit_s=1.5)
    assert time.monotonic() - t0 < 2.5
    assert quick.method == "nearest"
    assert full.cost < quick.cost


def test_progress_fits_the_job_horse_signature():
    """The job horse's progress is ``(fraction, stage, message, ...)``: keywords must be used."""
    calls: list[dict] = []

    def horse_progress(fraction=None, stage=None, message=None, **extra) -> None:
        calls.append({"fraction": fraction, "stage": stage, "message": message, **extra})

    solve_tour(points(300, seed=9), time_limit_s=0.5, progress=horse_progress)
    assert calls and all(c["stage"] is None and isinstance(c["message"], str) for c in calls)
    assert calls[-1]["fraction"] == 1.0
