"""Re-joining a tour's chains: every node kept, chains kept whole, never a longer tour."""

from __future__ import annotations

import numpy as np

from ncopt.budget import Budget
from ncopt.sequencing._costs import fill_scaled
from ncopt.sequencing._reconnect import free_edges, merge, reconnect


def clustered(seed: int, groups: int = 30, per: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 10_000, (groups, 2))
    return (centres[:, None, :] + rng.normal(0, 60, (groups, per, 2))).reshape(-1, 2)


def scaled(pts: np.ndarray):
    matrix = np.zeros((len(pts),) * 2, dtype=np.uint16)
    near = fill_scaled(matrix, "euclidean", pts, 0, Budget(10.0, None, None))
    return matrix, near


def length(matrix, tour) -> int:
    t = np.asarray(tour)
    return int(matrix[t, np.roll(t, -1)].astype(np.int64).sum())


def groups_in_bad_order(pts: np.ndarray, per: int) -> np.ndarray:
    """Each group swept along x (short edges), groups in a random order (long edges)."""
    rng = np.random.default_rng(1)
    order = []
    for g in rng.permutation(len(pts) // per):
        idx = np.arange(g * per, (g + 1) * per)
        order += idx[np.argsort(pts[idx, 0])].tolist()
    return np.array(order)


def test_reconnect_fixes_the_order_of_groups_and_keeps_every_chain():
    pts = clustered(3)
    matrix, near = scaled(pts)
    tour = groups_in_bad_order(pts, 40)
    new = reconnect(matrix, tour.tolist(), near, Budget(5.0, None, None), 0.5)
    assert new is not None
    assert sorted(new) == list(range(len(pts)))
    assert length(matrix, new) < 0.7 * length(matrix, tour)
    # Every edge that was not free is still in the tour (in either direction).
    kept = free_edges(matrix, tour, near)
    pairs = {frozenset(e) for e in zip(new, np.roll(new, -1).tolist(), strict=True)}
    for a, b in zip(tour[~kept], np.roll(tour, -1)[~kept], strict=True):
        assert frozenset((int(a), int(b))) in pairs


def test_nothing_to_reconnect_on_a_tour_without_long_edges():
    pts = np.c_[np.arange(50.0), np.zeros(50)]
    matrix, near = scaled(pts)
    tour = list(range(50))
    assert reconnect(matrix, tour, near, Budget(5.0, None, None), 0.2) in (None, tour)


def test_two_tours_flawed_in_different_places_merge_into_one_better_than_both():
    # 60 points on a circle: the optimum is the circle order. Each tour has one 2-opt flaw (a
    # reversed stretch), in a different place; only where the two disagree is searched again.
    angle = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    pts = np.c_[np.cos(angle), np.sin(angle)] * 5_000
    matrix, _ = scaled(pts)
    circle = np.arange(60)
    a = np.r_[circle[:5], circle[5:12][::-1], circle[12:]]
    b = np.r_[circle[:35], circle[35:42][::-1], circle[42:]]
    assert merge(matrix, [a.tolist(), a[::-1].tolist()], Budget(5.0, None, None), 0.3) is None
    merged = merge(matrix, [a.tolist(), b.tolist()], Budget(5.0, None, None), 0.3)
    assert merged is not None and sorted(merged) == list(range(60))
    assert length(matrix, merged) == length(matrix, circle)
    assert length(matrix, merged) < min(length(matrix, a), length(matrix, b))


def test_tours_that_hardly_agree_are_not_merged():
    # On a grid many tours have one length and share few edges: the merge would be a whole new
    # search (and a second full-size matrix), so it is skipped.
    angle = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    matrix, _ = scaled(np.c_[np.cos(angle), np.sin(angle)] * 5_000)
    other = np.random.default_rng(2).permutation(60)
    assert merge(matrix, [list(range(60)), other.tolist()], Budget(5.0, None, None), 0.3) is None
