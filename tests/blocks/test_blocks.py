"""Cutting-block ordering: exact on small sets, never loses a block, keeps work on the same
material in order, respects reversal rules, answers a stop request at once."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from ncopt.op_order import EXACT_MAX_BLOCKS, best_orientations, path_cost, solve_order


def _instance(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    entry = rng.uniform(0, 100, (n, 2))
    exit_ = rng.uniform(0, 100, (n, 2))
    ends = [(entry, exit_), (exit_, entry)][:k]  # orientation 1 enters at the exit
    start = np.array([[np.hypot(*e[i]) for i in range(n)] for e, _ in ends])
    trans = np.zeros((k, n, k, n))
    for o, p in itertools.product(range(k), range(k)):
        out = ends[o][1]
        inn = ends[p][0]
        trans[o, :, p, :] = np.hypot(
            out[:, None, 0] - inn[None, :, 0], out[:, None, 1] - inn[None, :, 1]
        )
    return start, trans


def _brute(start, trans):
    k, n = start.shape
    best = np.inf
    for perm in itertools.permutations(range(n)):
        for orient in itertools.product(range(k), repeat=n):
            best = min(best, path_cost(start, trans, perm, orient))
    return best


@pytest.mark.parametrize("n,k,seed", [(1, 1, 0), (2, 2, 1), (5, 1, 2), (6, 1, 3), (5, 2, 4)])
def test_exact_matches_brute_force(n, k, seed):
    start, trans = _instance(n, k, seed)
    result = solve_order(start, trans)
    assert result.optimal
    assert result.cost == pytest.approx(_brute(start, trans))
    assert sorted(result.order) == list(range(n))


def test_no_reversal_means_orientation_zero():
    start, trans = _instance(20, 1, 5)
    result = solve_order(start, trans, time_limit_s=2.0)
    assert result.orientation == (0,) * 20
    assert sorted(result.order) == list(range(20))


def test_local_search_never_worse_than_program_order_and_beats_it():
    start, trans = _instance(30, 2, 6)
    result = solve_order(start, trans, time_limit_s=2.0)
    assert not result.optimal
    assert sorted(result.order) == list(range(30))
    as_written = path_cost(start, trans, range(30), [0] * 30)
    assert result.cost < 0.6 * as_written
    assert result.cost == pytest.approx(path_cost(start, trans, result.order, result.orientation))


def test_asymmetry_matters():
    # Block 0 ends next to block 1's entry, but not the other way round.
    start = np.array([[0.0, 0.0]])
    trans = np.array([[0.0, 1.0], [50.0, 0.0]])[None, :, None, :]
    assert solve_order(start, trans).order == (0, 1)
    trans = np.array([[0.0, 50.0], [1.0, 0.0]])[None, :, None, :]
    assert solve_order(start, trans).order == (1, 0)


def test_should_stop_returns_a_valid_order():
    start, trans = _instance(EXACT_MAX_BLOCKS + 30, 2, 7)
    result = solve_order(start, trans, time_limit_s=30.0, should_stop=lambda: True)
    assert sorted(result.order) == list(range(EXACT_MAX_BLOCKS + 30))


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        solve_order(np.zeros((1, 3)), np.zeros((1, 3, 1, 2)))


def _dag(n: int, count: int, seed: int) -> list[tuple[int, int]]:
    """Random precedence pairs (a, b), a < b: the index order satisfies them."""
    rng = np.random.default_rng(seed)
    pairs = {tuple(sorted(rng.choice(n, 2, replace=False).tolist())) for _ in range(count)}
    return sorted(pairs)


def _keeps(order, pairs) -> bool:
    pos = {b: t for t, b in enumerate(order)}
    return all(pos[a] < pos[b] for a, b in pairs)


@pytest.mark.parametrize("n,k,seed", [(5, 1, 10), (6, 2, 11), (7, 1, 12)])
def test_exact_with_precedence_matches_brute_force(n, k, seed):
    start, trans = _instance(n, k, seed)
    pairs = _dag(n, n, seed)
    result = solve_order(start, trans, before=pairs)
    want = min(
        path_cost(start, trans, perm, orient)
        for perm in itertools.permutations(range(n))
        if _keeps(perm, pairs)
        for orient in itertools.product(range(k), repeat=n)
    )
    assert result.optimal and _keeps(result.order, pairs)
    assert result.cost == pytest.approx(want)


@pytest.mark.parametrize("k,seed", [(1, 20), (2, 21), (1, 22), (2, 23)])
def test_local_search_keeps_every_precedence_and_beats_the_program_order(k, seed):
    n = 80
    start, trans = _instance(n, k, seed)
    pairs = _dag(n, 60, seed)
    result = solve_order(start, trans, before=pairs, time_limit_s=5.0)
    assert sorted(result.order) == list(range(n))
    assert _keeps(result.order, pairs)
    assert result.cost < 0.8 * path_cost(start, trans, range(n), [0] * n)
    # Without the pairs the search is free to do better still.
    assert solve_order(start, trans, time_limit_s=5.0).cost <= result.cost * 1.02


def test_a_total_order_leaves_only_the_orientations():
    n = 30
    start, trans = _instance(n, 2, 30)
    chain = [(i, i + 1) for i in range(n - 1)]
    result = solve_order(start, trans, before=chain, time_limit_s=2.0)
    assert result.order == tuple(range(n))
    assert result.cost == pytest.approx(
        path_cost(start, trans, range(n), best_orientations(start, trans, range(n)))
    )


def test_best_orientations_is_exact():
    n = 7
    start, trans = _instance(n, 2, 31)
    order = [3, 1, 4, 0, 6, 5, 2]
    got = path_cost(start, trans, order, best_orientations(start, trans, order))
    want = min(path_cost(start, trans, order, o) for o in itertools.product((0, 1), repeat=n))
    assert got == pytest.approx(want)


def test_pairs_the_program_order_breaks_are_refused():
    start, trans = _instance(3, 1, 32)
    with pytest.raises(ValueError, match="a < b"):
        solve_order(start, trans, before=[(2, 1)])


@pytest.mark.alone
def test_a_stop_request_is_answered_within_half_a_second_on_thousands_of_blocks():
    n = 2000
    start, trans = _instance(n, 1, 33)
    asked = []
    t0 = time.monotonic()

    def stop() -> bool:
        asked.append(time.monotonic())
        return asked[-1] - t0 > 1.0

    result = solve_order(start, trans, time_limit_s=60.0, should_stop=stop)
    done = time.monotonic()
    assert result.stopped and sorted(result.order) == list(range(n))
    gaps = np.diff([t0, *asked, done])
    assert gaps.max() < 0.5, f"should_stop not asked for {gaps.max():.2f} s"
    assert result.cost < path_cost(start, trans, range(n), [0] * n)
