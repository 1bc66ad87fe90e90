"""Cutting-block ordering: exact on small sets, never loses a block, respects reversal rules."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ncopt.blocks import EXACT_MAX_BLOCKS, order_blocks, path_cost


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
    result = order_blocks(start, trans)
    assert result.optimal
    assert result.cost == pytest.approx(_brute(start, trans))
    assert sorted(result.order) == list(range(n))


def test_no_reversal_means_orientation_zero():
    start, trans = _instance(20, 1, 5)
    result = order_blocks(start, trans, time_limit_s=2.0)
    assert result.orientation == (0,) * 20
    assert sorted(result.order) == list(range(20))


def test_local_search_never_worse_than_program_order_and_beats_it():
    start, trans = _instance(30, 2, 6)
    result = order_blocks(start, trans, time_limit_s=2.0)
    assert not result.optimal
    assert sorted(result.order) == list(range(30))
    as_written = path_cost(start, trans, range(30), [0] * 30)
    assert result.cost < 0.6 * as_written
    assert result.cost == pytest.approx(path_cost(start, trans, result.order, result.orientation))


def test_asymmetry_matters():
    # Block 0 ends next to block 1's entry, but not the other way round.
    start = np.array([[0.0, 0.0]])
    trans = np.array([[0.0, 1.0], [50.0, 0.0]])[None, :, None, :]
    assert order_blocks(start, trans).order == (0, 1)
    trans = np.array([[0.0, 50.0], [1.0, 0.0]])[None, :, None, :]
    assert order_blocks(start, trans).order == (1, 0)


def test_should_stop_returns_a_valid_order():
    start, trans = _instance(EXACT_MAX_BLOCKS + 30, 2, 7)
    result = order_blocks(start, trans, time_limit_s=30.0, should_stop=lambda: True)
    assert sorted(result.order) == list(range(EXACT_MAX_BLOCKS + 30))


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        order_blocks(np.zeros((1, 3)), np.zeros((1, 3, 1, 2)))
