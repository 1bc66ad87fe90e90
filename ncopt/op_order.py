"""Ordering the operations of one tool: an asymmetric open path with precedence.

A cutting block runs from its plunge to its retract; between operations the machine travels
from one's exit to the next one's entry. So the cost of "i then j" differs from "j then i" and
the symmetric TSP solvers used for holes do not apply. Small sets are solved exactly (Held–Karp
dynamic programming); larger ones start from the better of the program's order and a nearest
neighbour, then improve by Or-opt (move a chain of 1–3 operations elsewhere) and asymmetric
2-opt (cut a stretch in the opposite order), in floating point, under a time budget. Every move
is evaluated for all insertion points at once in numpy from the cost difference at its seams,
so a pass over thousands of operations takes seconds; ``should_stop`` and ``progress`` are
served between moves (a ``Budget``), a few hundred microseconds apart.

Work on the same material must keep its order (``ncopt.footprint``): ``before`` lists the
pairs ``(a, b)`` with ``a`` cut before ``b``, and no move ever breaks one. A block may be cut in
reverse only when the settings allow it: then each operation has two orientations and the
search picks one per operation (a final dynamic programme makes that choice exact for the
order found).

Costs come in as arrays, so this module knows nothing about machines:

- ``start_cost[o, i]``: from the start position to operation ``i`` entered in orientation ``o``;
- ``trans[o, i, p, j]``: from operation ``i`` (orientation ``o``) to ``j`` (orientation ``p``);
  ``inf`` where an orientation does not exist.

>>> import numpy as np
>>> pos = np.array([0.0, 10.0, 5.0])          # three blocks on a line, entry == exit
>>> start = np.abs(pos)[None, :]
>>> trans = np.abs(pos[:, None] - pos[None, :])[None, :, None, :]
>>> r = solve_order(start, trans)
>>> r.order, r.orientation, r.cost
((0, 2, 1), (0, 0, 0), 10.0)
>>> solve_order(start, trans, before=[(1, 2)]).order  # block 1 must come before block 2
(0, 1, 2)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ncopt.budget import Budget

__all__ = [
    "EXACT_MAX_BLOCKS",
    "UNREACHABLE",
    "OperationOrder",
    "best_orientations",
    "path_cost",
    "solve_order",
]

EXACT_MAX_BLOCKS = 9
# A finite stand-in for "no such move" (inf is accepted too, at the cost of a copy): deltas
# stay free of inf - inf, and any sum holding it is far above every real path.
UNREACHABLE = 1e12
_GAIN = 1e-9  # a move must save more than this (s) to count


@dataclass(frozen=True)
class OperationOrder:
    """Blocks in cutting order, the orientation of each (0 as programmed, 1 reversed), cost."""

    order: tuple[int, ...]
    orientation: tuple[int, ...]
    cost: float
    optimal: bool
    stopped: bool = False


def path_cost(start_cost: np.ndarray, trans: np.ndarray, order, orientation) -> float:
    """Cost of visiting ``order`` with the given orientations (same units as the arrays)."""
    order, orientation = np.asarray(order, dtype=np.int64), np.asarray(orientation, dtype=np.int64)
    if len(order) == 0:
        return 0.0
    total = float(start_cost[orientation[0], order[0]])
    steps = trans[orientation[:-1], order[:-1], orientation[1:], order[1:]]
    return total + float(np.sum(steps))


def solve_order(
    start_cost: np.ndarray,
    trans: np.ndarray,
    *,
    before: Iterable[tuple[int, int]] = (),
    time_limit_s: float = 1.0,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[..., None] | None = None,
    budget: Budget | None = None,
) -> OperationOrder:
    """Cheapest open path over all operations from the start; exact up to 9 of them.

    ``before``: pairs ``(a, b)``, ``a < b``, that must keep their order (the index order is the
    program's, which satisfies them all). ``budget`` (a running ``Budget``) replaces
    ``time_limit_s``, ``should_stop`` and ``progress`` when given.
    """
    start_cost = np.asarray(start_cost, dtype=float)
    trans = np.asarray(trans, dtype=float)
    k, n = start_cost.shape
    if trans.shape != (k, n, k, n):
        raise ValueError(f"trans must have shape {(k, n, k, n)}, got {trans.shape}")
    pairs = np.array(list(before), dtype=np.int64).reshape(-1, 2)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= n or np.any(pairs[:, 0] >= pairs[:, 1])):
        raise ValueError("before must hold pairs (a, b) of operation indices with a < b")
    if n == 0:
        return OperationOrder((), (), 0.0, True)
    stopped = False
    if n <= EXACT_MAX_BLOCKS:
        order, orient = _held_karp(start_cost, trans, pairs)
        optimal = True
    else:
        budget = budget or Budget(time_limit_s, should_stop, progress)
        search = _Search(start_cost, trans, pairs, budget)
        order, orient = search.run()
        optimal, stopped = False, search.budget.stopped
    assert sorted(order) == list(range(n)), "block ordering lost or repeated a block"
    assert _keeps(order, pairs), "block ordering broke a precedence"
    cost = path_cost(start_cost, trans, order, orient)
    return OperationOrder(
        tuple(int(i) for i in order), tuple(int(o) for o in orient), cost, optimal, stopped
    )


def best_orientations(start_cost: np.ndarray, trans: np.ndarray, order) -> list[int]:
    """The cheapest orientation of each operation visited in ``order`` (exact: dynamic
    programming over the orientation of the previous one).

    >>> start = np.array([[0.0, 5.0], [1.0, 0.0]])   # entering block 1 reversed is free
    >>> trans = np.ones((2, 2, 2, 2))
    >>> best_orientations(start, trans, [1, 0])
    [1, 0]
    """
    order = list(order)
    k = start_cost.shape[0]
    if not order:
        return []
    cost = start_cost[:, order[0]].copy()
    back = np.zeros((len(order), k), dtype=np.int64)
    for t in range(1, len(order)):
        step = cost[:, None] + trans[:, order[t - 1], :, order[t]]  # (from, to orientation)
        back[t] = np.argmin(step, axis=0)
        cost = step[back[t], np.arange(k)]
    way = [int(np.argmin(cost))]
    for t in range(len(order) - 1, 0, -1):
        way.append(int(back[t, way[-1]]))
    return way[::-1]


def _keeps(order, pairs: np.ndarray) -> bool:
    if not len(pairs):
        return True
    pos = np.empty(len(order), dtype=np.int64)
    pos[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    return bool(np.all(pos[pairs[:, 0]] < pos[pairs[:, 1]]))


def _held_karp(start_cost, trans, pairs) -> tuple[list[int], list[int]]:
    """Exact DP over (visited set, last operation, its orientation); O(2^n n² k²). An
    operation may join the set only once everything that must precede it is in."""
    k, n = start_cost.shape
    need = [0] * n
    for a, b in pairs:
        need[b] |= 1 << int(a)
    best: dict[tuple[int, int, int], tuple[float, tuple[int, int] | None]] = {}
    for i, o in itertools.product(range(n), range(k)):
        if not need[i] and np.isfinite(start_cost[o, i]):
            best[(1 << i, i, o)] = (float(start_cost[o, i]), None)
    for mask in range(1, 1 << n):
        for last, o in itertools.product(range(n), range(k)):
            entry = best.get((mask, last, o))
            if entry is None:
                continue
            for nxt in range(n):
                if mask >> nxt & 1 or need[nxt] & ~mask:
                    continue
                nmask = mask | 1 << nxt
                for p in range(k):
                    cost = entry[0] + trans[o, last, p, nxt]
                    key = (nmask, nxt, p)
                    if key not in best or cost < best[key][0]:
                        best[key] = (cost, (last, o))
    full = (1 << n) - 1
    ends = [(full, i, o) for i in range(n) for o in range(k) if (full, i, o) in best]
    state: tuple[int, int, int] | None = min(ends, key=lambda s: best[s][0])
    order, orient = [], []
    while state is not None:
        mask, last, o = state
        order.append(last)
        orient.append(o)
        prev = best[state][1]
        state = None if prev is None else (mask & ~(1 << last), prev[0], prev[1])
    return order[::-1], orient[::-1]


class _Search:
    """Local search over a sequence of *states* ``o * n + i`` (operation ``i`` in orientation
    ``o``), so that one flat (kn, kn) matrix holds every travel and a flip is ``± n``."""

    def __init__(self, start_cost, trans, pairs, budget: Budget) -> None:
        self.k, self.n = start_cost.shape
        kn = self.k * self.n
        self.s0 = _finite(start_cost.reshape(kn))
        self.m = _finite(trans.reshape(kn, kn))
        self.pairs = pairs
        self.preds: list[list[int]] = [[] for _ in range(self.n)]
        self.succs: list[list[int]] = [[] for _ in range(self.n)]
        for a, b in pairs.tolist():
            self.preds[b].append(a)
            self.succs[a].append(b)
        self.budget = budget
        self._message = f"ordering {self.n} operations"

    def out_of_time(self) -> bool:
        return self.budget.check(self._message)

    def cost(self, x: np.ndarray) -> float:
        return float(self.s0[x[0]] + self.m[x[:-1], x[1:]].sum())

    def oriented(self, order) -> np.ndarray:
        order = np.asarray(order, dtype=np.int64)
        way = best_orientations(self.s0.reshape(self.k, self.n), self._trans(), order)
        return np.asarray(way, dtype=np.int64) * self.n + order

    def _trans(self) -> np.ndarray:
        return self.m.reshape(self.k, self.n, self.k, self.n)

    def run(self) -> tuple[list[int], list[int]]:
        x = self.oriented(range(self.n))  # the program's order: the one to beat
        if self.out_of_time():
            return (x % self.n).tolist(), (x // self.n).tolist()
        nearest = self.nearest()
        if nearest is not None and self.cost(nearest) < self.cost(x) - _GAIN:
            x = nearest
        x = self.improve(x)
        if self.k > 1:
            y = self.oriented(x % self.n)
            if self.cost(y) < self.cost(x) - _GAIN:
                x = y
        return (x % self.n).tolist(), (x // self.n).tolist()

    def nearest(self) -> np.ndarray | None:
        """Nearest neighbour among the operations whose predecessors are all cut."""
        n = self.n
        waiting = np.array([len(p) for p in self.preds], dtype=np.int64)
        free = np.ones(n, dtype=bool)
        row, seq = self.s0, []
        for step in range(n):
            if step % 64 == 0 and self.out_of_time():
                return None
            ready = np.tile(free & (waiting == 0), self.k)
            x = int(np.argmin(np.where(ready, row, np.inf)))
            seq.append(x)
            free[x % n] = False
            for s in self.succs[x % n]:
                waiting[s] -= 1
            row = self.m[x]
        return np.array(seq, dtype=np.int64)

    def improve(self, x: np.ndarray) -> np.ndarray:
        """Or-opt and 2-opt moves, best insertion per chain, until a pass finds none."""
        moves = ((self._two_opt, 0), (self._or_opt, 1), (self._or_opt, 2), (self._or_opt, 3))
        self._index(x)
        improved = True
        while improved:
            improved = False
            for i, (move, length) in itertools.product(range(self.n), moves):
                if self.out_of_time():
                    return x
                y = move(x, i, length)
                if y is not None:
                    x = y
                    self._index(x)
                    improved = True
        return x

    def _index(self, x: np.ndarray) -> None:
        """Positions of the operations in ``x`` and, per position, the latest position of
        anything that must come before it (what bounds a reversed stretch)."""
        node = x % self.n
        self.pos = np.empty(self.n, dtype=np.int64)
        self.pos[node] = np.arange(self.n)
        latest = np.full(self.n, -1, dtype=np.int64)
        if len(self.pairs):
            np.maximum.at(latest, self.pos[self.pairs[:, 1]], self.pos[self.pairs[:, 0]])
        self.latest_pred = latest

    def _or_opt(self, x: np.ndarray, i: int, length: int) -> np.ndarray | None:
        """Move the chain ``x[i:i+length]`` (as it is, or reversed with every operation
        flipped) to its best slot."""
        n = len(x)
        if i + length > n or length >= n:
            return None
        chain = x[i : i + length]
        rest = np.concatenate([x[:i], x[i + length :]])
        prev = int(x[i - 1]) if i else -1
        nxt = int(x[i + length]) if i + length < n else -1
        removed = self._c(prev, chain[0]) + self._c(chain[-1], nxt) - self._c(prev, nxt)
        lo, hi = self._slots(chain, i, length)
        if lo > hi:
            return None
        # Slot p puts the chain before rest[p]; seam[p] is the edge it breaks.
        seam = np.concatenate([[self.s0[rest[0]]], self.m[rest[:-1], rest[1:]], [0.0]])
        variants = [(chain, 0.0)]
        if self.k > 1 and self._free(chain):
            flipped = (chain[::-1] + self.n) % (2 * self.n)
            variants.append((flipped, self._inner(flipped) - self._inner(chain)))
        best = None
        for c, inner in variants:
            into = np.concatenate([[self.s0[c[0]]], self.m[rest, c[0]]])
            out = np.concatenate([self.m[c[-1], rest], [0.0]])
            delta = (into + out - seam)[lo : hi + 1] + inner - removed
            p = int(np.argmin(delta))
            if delta[p] < -_GAIN and (best is None or delta[p] < best[0]):
                best = (float(delta[p]), lo + p, c)
        if best is None:
            return None
        _, p, c = best
        return np.concatenate([rest[:p], c, rest[p:]])

    def _two_opt(self, x: np.ndarray, i: int, _: int) -> np.ndarray | None:
        """Cut ``x[i..j]`` in the opposite order (each operation as it was, or, with two
        orientations, each flipped), for the best j."""
        n = len(x)
        later = self.latest_pred[i + 1 :] >= i  # a predecessor inside the stretch
        j_max = i + int(np.argmax(later)) if later.any() else n - 1
        if j_max <= i:
            return None
        seg = x[i : j_max + 1]
        prev = int(x[i - 1]) if i else -1
        ahead = np.append(x[i + 2 : j_max + 2], -1)[: len(seg) - 1]  # after x[j] for each j
        tail = seg[1:]  # x[j] for j = i+1..j_max
        forward = np.concatenate([[0.0], np.cumsum(self.m[seg[:-1], seg[1:]])])[1:]
        old = self._c(prev, seg[0]) + forward + self._cv(tail, ahead)
        best = None
        for shift in (0, self.n) if self.k > 1 else (0,):
            g = (seg + shift) % (self.k * self.n)
            back = np.concatenate([[0.0], np.cumsum(self.m[g[1:], g[:-1]])])[1:]
            new = self._cv_from(prev, g[1:]) + back + self._cv(np.full(len(tail), g[0]), ahead)
            delta = new - old
            j = int(np.argmin(delta))
            if delta[j] < -_GAIN and (best is None or delta[j] < best[0]):
                best = (float(delta[j]), j + 1, shift)
        if best is None:
            return None
        _, length, shift = best
        y = x.copy()
        y[i : i + length + 1] = (x[i : i + length + 1][::-1] + shift) % (self.k * self.n)
        return y

    def _slots(self, chain: np.ndarray, i: int, length: int) -> tuple[int, int]:
        """Slots of ``rest`` the chain may go to without passing what it must follow or
        precede (positions after the chain shift down by its length)."""
        nodes = set((chain % self.n).tolist())
        lo, hi = 0, self.n - length
        for c in nodes:
            for q in self.preds[c]:
                if q not in nodes:
                    at = int(self.pos[q])
                    lo = max(lo, (at - length if at > i else at) + 1)
            for q in self.succs[c]:
                if q not in nodes:
                    at = int(self.pos[q])
                    hi = min(hi, at - length if at > i else at)
        return lo, hi

    def _free(self, chain: np.ndarray) -> bool:
        nodes = set((chain % self.n).tolist())
        return not any(q in nodes for c in nodes for q in self.preds[c])

    def _inner(self, chain: np.ndarray) -> float:
        return float(self.m[chain[:-1], chain[1:]].sum())

    def _c(self, a: int, b: int) -> float:
        """One travel; -1 is the start (as ``a``) or the free end (as ``b``)."""
        if b < 0:
            return 0.0
        return float(self.s0[b] if a < 0 else self.m[a, b])

    def _cv(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Travels a[t] -> b[t], 0 where b[t] is the free end (-1)."""
        return np.where(b >= 0, self.m[a, np.maximum(b, 0)], 0.0)

    def _cv_from(self, a: int, b: np.ndarray) -> np.ndarray:
        return self.s0[b] if a < 0 else self.m[a, b]


def _finite(a: np.ndarray) -> np.ndarray:
    if np.isfinite(a).all():
        return a  # read only: the caller's array is not changed
    return np.where(np.isfinite(a), a, UNREACHABLE)
