"""Ordering cutting blocks: an asymmetric open path (a block's entry is not its exit).

A cutting block runs from its plunge to its retract; between blocks the machine travels from
one block's exit to the next one's entry. So the cost of "i then j" differs from "j then i" and
the symmetric TSP solvers used for holes do not apply. Blocks per tool segment are few (tens),
so we solve small sets exactly (Held–Karp dynamic programming) and larger ones with nearest
neighbour + Or-opt local search, in floating point, under a time budget.

A block may be cut in reverse only when the settings allow it: then each block has two
orientations and the search picks one per block.

Costs come in as arrays, so this module knows nothing about machines:

- ``start_cost[o, i]``: from the start position to block ``i`` entered in orientation ``o``;
- ``trans[o, i, p, j]``: from block ``i`` (orientation ``o``) to block ``j`` (orientation ``p``).

>>> import numpy as np
>>> pos = np.array([0.0, 10.0, 5.0])          # three blocks on a line, entry == exit
>>> start = np.abs(pos)[None, :]
>>> trans = np.abs(pos[:, None] - pos[None, :])[None, :, None, :]
>>> r = order_blocks(start, trans)
>>> r.order, r.orientation, r.cost
((0, 2, 1), (0, 0, 0), 10.0)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["BlockOrder", "order_blocks", "path_cost"]

EXACT_MAX_BLOCKS = 9


@dataclass(frozen=True)
class BlockOrder:
    """Blocks in cutting order, the orientation of each (0 as programmed, 1 reversed), cost."""

    order: tuple[int, ...]
    orientation: tuple[int, ...]
    cost: float
    optimal: bool


def path_cost(start_cost: np.ndarray, trans: np.ndarray, order, orientation) -> float:
    """Cost of visiting ``order`` with the given orientations (same units as the arrays)."""
    if len(order) == 0:
        return 0.0
    total = float(start_cost[orientation[0], order[0]])
    for a, b, oa, ob in zip(order, order[1:], orientation, orientation[1:], strict=False):
        total += float(trans[oa, a, ob, b])
    return total


def order_blocks(
    start_cost: np.ndarray,
    trans: np.ndarray,
    *,
    time_limit_s: float = 1.0,
    should_stop: Callable[[], bool] | None = None,
) -> BlockOrder:
    """Cheapest open path over all blocks from the start; exact up to 9 blocks."""
    start_cost = np.asarray(start_cost, dtype=float)
    trans = np.asarray(trans, dtype=float)
    k, n = start_cost.shape
    if trans.shape != (k, n, k, n):
        raise ValueError(f"trans must have shape {(k, n, k, n)}, got {trans.shape}")
    if n == 0:
        return BlockOrder((), (), 0.0, True)
    if n <= EXACT_MAX_BLOCKS:
        order, orient = _held_karp(start_cost, trans)
        optimal = True
    else:
        deadline = time.monotonic() + max(0.0, time_limit_s)
        order, orient = _nearest(start_cost, trans)
        identity = list(range(n)), [0] * n
        # Start from whichever is cheaper: never worse than the program as written.
        if path_cost(start_cost, trans, *identity) < path_cost(start_cost, trans, order, orient):
            order, orient = identity
        order, orient = _or_opt(start_cost, trans, order, orient, deadline, should_stop)
        optimal = False
    assert sorted(order) == list(range(n)), "block ordering lost or repeated a block"
    cost = path_cost(start_cost, trans, order, orient)
    return BlockOrder(tuple(int(i) for i in order), tuple(int(o) for o in orient), cost, optimal)


def _held_karp(start_cost: np.ndarray, trans: np.ndarray) -> tuple[list[int], list[int]]:
    """Exact DP over (visited set, last block, its orientation); O(2^n n² k²)."""
    k, n = start_cost.shape
    best: dict[tuple[int, int, int], tuple[float, tuple[int, int] | None]] = {}
    for i, o in itertools.product(range(n), range(k)):
        best[(1 << i, i, o)] = (float(start_cost[o, i]), None)
    for mask in range(1, 1 << n):
        for last, o in itertools.product(range(n), range(k)):
            entry = best.get((mask, last, o))
            if entry is None:
                continue
            here = entry[0]
            for nxt in range(n):
                if mask >> nxt & 1:
                    continue
                nmask = mask | 1 << nxt
                for p in range(k):
                    cost = here + trans[o, last, p, nxt]
                    key = (nmask, nxt, p)
                    if key not in best or cost < best[key][0]:
                        best[key] = (cost, (last, o))
    full = (1 << n) - 1
    end = min(((full, i, o) for i in range(n) for o in range(k)), key=lambda s: best[s][0])
    order, orient = [], []
    state: tuple[int, int, int] | None = end
    while state is not None:
        mask, last, o = state
        order.append(last)
        orient.append(o)
        prev = best[state][1]
        state = None if prev is None else (mask & ~(1 << last), prev[0], prev[1])
    return order[::-1], orient[::-1]


def _nearest(start_cost: np.ndarray, trans: np.ndarray) -> tuple[list[int], list[int]]:
    k, n = start_cost.shape
    o, i = np.unravel_index(int(np.argmin(start_cost)), start_cost.shape)
    order, orient = [int(i)], [int(o)]
    left = set(range(n)) - {int(i)}
    while left:
        cand = [(trans[orient[-1], order[-1], p, j], j, p) for j in left for p in range(k)]
        _, j, p = min(cand)
        order.append(j)
        orient.append(p)
        left.remove(j)
    return order, orient


def _or_opt(start_cost, trans, order, orient, deadline, should_stop):
    """Move chains of 1–3 blocks elsewhere (and flip single blocks if allowed) while it helps."""
    k = start_cost.shape[0]
    best = path_cost(start_cost, trans, order, orient)
    improved = True
    while improved:
        improved = False
        for length, i in itertools.product((1, 2, 3), range(len(order))):
            if time.monotonic() > deadline or (should_stop is not None and should_stop()):
                return order, orient
            if i + length > len(order):
                continue
            found = _best_move(start_cost, trans, order, orient, i, length, k, best)
            if found is not None:
                best, order, orient = found
                improved = True
    return order, orient


def _best_move(start_cost, trans, order, orient, i, length, k, current):
    chain, chain_o = order[i : i + length], orient[i : i + length]
    rest, rest_o = order[:i] + order[i + length :], orient[:i] + orient[i + length :]
    variants = [(chain, chain_o)]
    if k == 2:  # cut the chain backwards: reverse the order and flip every block
        variants.append((chain[::-1], [1 - o for o in chain_o[::-1]]))
    best = None
    for pos in range(len(rest) + 1):
        for c, co in variants:
            cand, cand_o = rest[:pos] + c + rest[pos:], rest_o[:pos] + co + rest_o[pos:]
            cost = path_cost(start_cost, trans, cand, cand_o)
            if cost < current - 1e-9 and (best is None or cost < best[0]):
                best = (cost, cand, cand_o)
    return best
