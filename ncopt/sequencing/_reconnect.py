"""Re-join the chains of a tour: keep its short edges, re-solve how its long edges connect them.

``fast_tsp`` searches with moves between each node and its nearest neighbours. On clustered
holes (dense groups far apart, as on PCB panels and fixture plates) every near neighbour of a
node is in its own group, so the edges *between* groups are rarely revisited: the groups'
order stays what the first greedy tour gave, and single searches ended 1–12 % above the best
tour on generated clustered sets while being near optimal inside each group.

Here every tour edge that is longer than ``FREE_FACTOR`` times the third-nearest neighbour
distance of both its ends is *free*; the others form fixed chains. Each chain of two or more
nodes is contracted to its two ends joined by an edge that costs 0 while every other edge
costs ``PENALTY`` more than its real cost, so any tour that keeps all chain edges wins and the
(small) reduced problem is how to order and orient the chains. A chain of one node is free to
move. The reduced tour is expanded and kept by the caller only if it is cheaper.

``merge`` builds the same reduced problem from several tours of independent searches: the
edges they all share are the chains, and only where they disagree is searched again.
"""

from __future__ import annotations

import numpy as np

from ncopt.sequencing._costs import REAL_MAX
from ncopt.sequencing._search import RESOLVE_PROBE_MAX, Budget, find_tour

__all__ = ["FREE_FACTOR", "free_edges", "merge", "reconnect", "rejoin", "shared_edges"]

FREE_FACTOR = 1.0
# A merge whose tours disagree on more than this share of edges is a whole new search: skipped.
MERGE_MAX_FREE = 0.5
PENALTY = (
    REAL_MAX + 1
)  # every real (scaled) cost is at most REAL_MAX: PENALTY + REAL_MAX fits uint16


def free_edges(matrix: np.ndarray, tour: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Mask over tour positions: edge ``tour[i] → tour[i+1]`` may be replaced.

    >>> m = np.array([[0, 1, 9, 9], [1, 0, 9, 9], [9, 9, 0, 1], [9, 9, 1, 0]], dtype=np.uint16)
    >>> free_edges(m, np.array([0, 1, 2, 3]), np.ones(4)).tolist()
    [False, True, False, True]
    """
    nxt = np.roll(tour, -1)
    edge = matrix[tour, nxt].astype(np.float64)
    return edge > FREE_FACTOR * np.maximum(near[tour], near[nxt])


def shared_edges(tour: np.ndarray, others: list[list[int]]) -> np.ndarray:
    """Mask over tour positions: edge ``tour[i] → tour[i+1]`` is in every one of ``others``
    (either direction).

    >>> shared_edges(np.array([0, 1, 2, 3]), [[0, 1, 3, 2]]).tolist()
    [True, False, True, False]
    """
    n = int(tour.max()) + 1
    keys = _edge_keys(tour, n)
    shared = np.ones(len(tour), dtype=bool)
    for other in others:
        shared &= np.isin(keys, _edge_keys(np.asarray(other, dtype=np.int64), n))
    return shared


def _edge_keys(tour: np.ndarray, n: int) -> np.ndarray:
    nxt = np.roll(tour, -1)
    return np.minimum(tour, nxt) * n + np.maximum(tour, nxt)


def reconnect(
    matrix: np.ndarray,
    tour: list[int],
    near: np.ndarray,
    budget: Budget,
    duration_s: float,
    threads: int = 1,
) -> list[int] | None:
    """A tour with the same chains re-joined as cheaply as found, or None (nothing to do,
    stopped, or a chain edge was not kept)."""
    t = np.asarray(tour, dtype=np.int64)
    return rejoin(matrix, t, free_edges(matrix, t, near), budget, duration_s, threads)


def merge(
    matrix: np.ndarray,
    tours: list[list[int]],
    budget: Budget,
    duration_s: float,
    threads: int = 1,
) -> list[int] | None:
    """The first tour with every edge that all ``tours`` share kept and the rest searched
    again, or None (the tours agree, or disagree on most edges, stopped, or a kept edge was
    lost).

    Edges that independent good tours agree on are nearly always in the optimum; the stretches
    where they disagree are few and short, and the reduced problem is solved far better than
    a whole search could in the same time.
    """
    t = np.asarray(tours[0], dtype=np.int64)
    free = ~shared_edges(t, tours[1:])
    if free.mean() > MERGE_MAX_FREE:
        return None  # the tours hardly agree (grids: many tours of one length); nothing gained
    return rejoin(matrix, t, free, budget, duration_s, threads)


def rejoin(
    matrix: np.ndarray,
    tour: np.ndarray,
    free: np.ndarray,
    budget: Budget,
    duration_s: float,
    threads: int = 1,
) -> list[int] | None:
    """``tour`` with its ``free`` edges (a mask over positions) re-chosen: the chains between
    them are kept whole; None if fewer than three are free, stopped, or a chain was broken."""
    if free.sum() < 3:
        return None
    # Start right after a free edge so that no chain wraps around the end of the array.
    shift = int(np.flatnonzero(free)[0]) + 1
    t, free = np.roll(tour, -shift), np.roll(free, -shift)
    chains = np.split(t, np.flatnonzero(free)[:-1] + 1)
    nodes, owner = _reduced_nodes(chains)
    # In uint16 throughout: two tours of a grid share few edges, so the reduced problem can be
    # nearly the whole set, and int64 temporaries of it took grid15k's peak to 622 MB.
    sub = np.minimum(matrix[np.ix_(nodes, nodes)], np.uint16(REAL_MAX))
    sub += np.uint16(PENALTY)
    np.fill_diagonal(sub, 0)
    pairs = np.flatnonzero(owner[:-1] == owner[1:])
    sub[pairs, pairs + 1] = sub[pairs + 1, pairs] = 0
    reduced = find_tour(sub, duration_s, threads, budget, probe_max=RESOLVE_PROBE_MAX)
    if reduced is None:
        return None
    return _expand(np.asarray(reduced, dtype=np.int64), chains, owner)


def _reduced_nodes(chains: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Reduced nodes (a chain's ends, or its one node) and the chain each belongs to."""
    nodes, owner = [], []
    for i, chain in enumerate(chains):
        ends = chain[:1] if len(chain) == 1 else chain[[0, -1]]
        nodes.extend(ends.tolist())
        owner.extend([i] * len(ends))
    return np.array(nodes, dtype=np.int64), np.array(owner, dtype=np.int64)


def _expand(reduced: np.ndarray, chains: list[np.ndarray], owner: np.ndarray) -> list[int] | None:
    """The full tour from the reduced one; None if a chain's two ends are not adjacent."""
    own = owner[reduced]
    if len(own) > 1 and own[0] == own[-1] and len(chains[own[0]]) > 1:
        reduced, own = np.roll(reduced, 1), np.roll(own, 1)  # a chain split by the wrap
    first = np.zeros(len(owner), dtype=bool)
    first[np.flatnonzero(np.diff(owner, prepend=-1) != 0)] = True  # a chain's first end
    out: list[np.ndarray] = []
    j = 0
    while j < len(reduced):
        chain = chains[own[j]]
        if len(chain) == 1:
            out.append(chain)
            j += 1
            continue
        if j + 1 >= len(reduced) or own[j + 1] != own[j]:
            return None
        out.append(chain if first[reduced[j]] else chain[::-1])
        j += 2
    return np.concatenate(out).tolist()
