"""Sequencing invariants and exactness on small sets (brute force is the oracle)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ncopt.machine import Machine
from ncopt.sequencing import solve_open_path, solve_tour

MACHINE = Machine(rapid_x_mm_min=36000.0, rapid_y_mm_min=24000.0, accel_y_mm_s2=2500.0)


def step_cost(cost, a: np.ndarray, b: np.ndarray) -> float:
    if isinstance(cost, Machine):
        return float(cost.rapid_time_xy(np.array([b[0] - a[0]]), np.array([b[1] - a[1]]))[0])
    return float(np.hypot(*(b - a)))


def path_cost(cost, pts, order, start=None, closed=False) -> float:
    seq = [np.asarray(start, dtype=float)] if start is not None else []
    seq += [pts[i] for i in order]
    if closed and seq:
        seq.append(seq[0])
    return sum(step_cost(cost, a, b) for a, b in itertools.pairwise(seq))


def assert_permutation(order, n):
    assert sorted(np.asarray(order).tolist()) == list(range(n))


def brute_force(cost, pts, start=None, closed=False) -> float:
    """Cheapest order by trying every permutation (costs from ``step_cost``, one pair at a time)."""
    n = len(pts)
    d = np.array([[step_cost(cost, a, b) for b in pts] for a in pts])
    s = np.zeros(n) if start is None else np.array([step_cost(cost, start, b) for b in pts])
    if closed:
        perms = np.array([(0, *p) for p in itertools.permutations(range(1, n))])
        return float((d[perms, np.roll(perms, -1, axis=1)]).sum(axis=1).min())
    perms = np.array(list(itertools.permutations(range(n))))
    return float((s[perms[:, 0]] + d[perms[:, :-1], perms[:, 1:]].sum(axis=1)).min())


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("start", [None, (5.0, -2.0)])
def test_tiny_open_paths_visit_every_point_once(n, start):
    pts = np.random.default_rng(n).uniform(0, 10, (n, 2))
    r = solve_open_path(pts, start=start, time_limit_s=0.5)
    assert_permutation(r.order, n)
    assert r.cost == pytest.approx(path_cost("euclidean", pts, r.order, start))


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_tiny_tours_visit_every_point_once(n):
    pts = np.random.default_rng(n).uniform(0, 10, (n, 2))
    r = solve_tour(pts, time_limit_s=0.5)
    assert_permutation(r.order, n)
    assert r.cost == pytest.approx(path_cost("euclidean", pts, r.order, closed=True))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("cost", ["euclidean", MACHINE], ids=["euclid", "machine"])
def test_small_sets_are_solved_exactly(seed, cost):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 200, (7, 2))
    start = rng.uniform(0, 200, 2)
    path = solve_open_path(pts, cost, start=start, time_limit_s=1.0)
    assert path.optimal
    assert path.cost == pytest.approx(brute_force(cost, pts, start), rel=1e-12)
    free = solve_open_path(pts, cost, time_limit_s=1.0)
    assert free.cost == pytest.approx(brute_force(cost, pts), rel=1e-12)
    tour = solve_tour(pts, cost, time_limit_s=1.0)
    assert tour.cost == pytest.approx(brute_force(cost, pts, closed=True), rel=1e-12)


@pytest.mark.parametrize("n", [8, 40, 300])
def test_open_path_no_worse_than_best_rotation_of_tour(n):
    rng = np.random.default_rng(n)
    pts = rng.uniform(0, 100, (n, 2))
    start = np.array([-10.0, -10.0])
    tour = solve_tour(pts, time_limit_s=1.0).order
    best_rotation = min(
        min(path_cost("euclidean", pts, np.roll(t, -k), start) for k in range(n))
        for t in (tour, tour[::-1])
    )
    path = solve_open_path(pts, start=start, time_limit_s=1.0)
    assert_permutation(path.order, n)
    assert path.cost <= best_rotation + 1e-9


def test_machine_cost_is_sum_of_rapid_times():
    rng = np.random.default_rng(1)
    pts = rng.uniform(0, 500, (200, 2))
    start = (0.0, 0.0)
    r = solve_open_path(pts, MACHINE, start=start, time_limit_s=1.0)
    seq = np.vstack([start, pts[r.order]])
    d = np.diff(seq, axis=0)
    assert r.cost == pytest.approx(float(MACHINE.rapid_time_xy(d[:, 0], d[:, 1]).sum()), rel=1e-12)
    assert r.cost == pytest.approx(path_cost(MACHINE, pts, r.order, start), rel=1e-12)


@pytest.mark.parametrize("n", [5, 30, 120])
def test_duplicate_points_are_all_kept(n):
    base = np.random.default_rng(n).uniform(0, 50, (n, 2))
    pts = np.vstack([base, base, base[:3]])
    for r in (
        solve_open_path(pts, start=(0, 0), time_limit_s=0.5),
        solve_tour(pts, time_limit_s=0.5),
    ):
        assert_permutation(r.order, len(pts))


@pytest.mark.parametrize("n", [6, 50, 400])
def test_collinear_points_give_the_sweep(n):
    xs = np.random.default_rng(n).permutation(n).astype(float)
    pts = np.c_[xs, np.zeros(n)]
    r = solve_open_path(pts, start=(-1.0, 0.0), time_limit_s=1.0)
    assert_permutation(r.order, n)
    assert r.cost == pytest.approx(n, rel=1e-9)  # straight from -1 to n-1
    assert solve_tour(pts, time_limit_s=1.0).cost == pytest.approx(2 * (n - 1), rel=1e-9)


def test_all_points_equal():
    pts = np.zeros((50, 2))
    r = solve_open_path(pts, MACHINE, start=(0.0, 0.0), time_limit_s=0.5)
    assert_permutation(r.order, 50)
    assert r.cost == 0.0
