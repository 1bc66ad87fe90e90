"""Spatial region re-solve: the holes near a centre, whatever fragments of the order they lie in.

Windows of consecutive holes cannot repair a seam where the order passes a spot twice, far apart
in sequence. Here the region R (the k holes nearest a centre) splits the order into fragments;
each stretch of the order outside R between two fragments becomes a fixed *portion*: its two
end holes stay in the sub-problem with real costs, joined through one dummy node pinned to both
(cost 0 to them, BIG to everything else), so any tour that keeps the pins maps back to a valid
order. A one-hole portion is simply free to move. The order's two ends never join R, so the
wrap-around portion (end → start: the free end and the start position, or the closing edge of
a tour) is one of the portions.
"""

from __future__ import annotations

import numpy as np

from ncopt.sequencing._costs import BIG, Cost, fill_scaled
from ncopt.sequencing._search import RESOLVE_PROBE_MAX, Budget, find_tour


def resolve_region(
    pts: np.ndarray,
    cost: Cost,
    order: np.ndarray,
    region: np.ndarray,
    budget: Budget,
    duration_s: float,
    threads: int,
) -> np.ndarray | None:
    """A new order with the region re-solved, or None if it could not be built or kept pins."""
    n = len(order)
    pos = np.zeros(n, dtype=np.int64)
    pos[order] = np.arange(n)
    in_r = np.zeros(n, dtype=bool)
    in_r[pos[region]] = True
    in_r[0] = in_r[-1] = False
    if in_r.sum() < 8:
        return None
    nodes, portions = _portions(order, in_r)
    xy = pts[nodes]
    k = len(nodes)
    matrix = np.zeros((k + len(portions),) * 2, dtype=np.uint16)
    if fill_scaled(matrix[:k, :k], cost, xy, 0, budget) is None:
        return None
    matrix[k:, :] = BIG
    matrix[:, k:] = BIG
    local = {int(v): i for i, v in enumerate(nodes)}
    for j, (u, w, _) in enumerate(portions):
        d = k + j
        matrix[d, d] = 0
        for end in (u, w):
            matrix[d, local[end]] = matrix[local[end], d] = 0
    tour = find_tour(matrix, duration_s, threads, budget, probe_max=RESOLVE_PROBE_MAX)
    if tour is None:
        return None
    return _rebuild(order, nodes, portions, np.asarray(tour, dtype=np.int64), k)


def _portions(order: np.ndarray, in_r: np.ndarray):
    """Sub-problem holes and the fixed portions as (first hole, last hole, holes between)."""
    idx = np.flatnonzero(in_r)
    first, last = idx[0], idx[-1]
    wrap = np.concatenate([order[last + 1 :], order[:first]])
    portions = [wrap]
    cuts = np.flatnonzero(np.diff(idx) > 1)
    for c in cuts:
        portions.append(order[idx[c] + 1 : idx[c + 1]])
    fixed, nodes = [], [order[idx]]
    for p in portions:
        if len(p) == 1:
            nodes.append(p)  # a lone hole between fragments is free to move
        else:
            fixed.append((int(p[0]), int(p[-1]), p))
            nodes.append(np.array([p[0], p[-1]]))
    return np.concatenate(nodes), fixed


def _rebuild(order, nodes, portions, tour, k) -> np.ndarray | None:
    """Map the sub-tour back to a full order, or None if a pinned edge was not kept."""
    u0, w0, _ = portions[0]  # wrap portion: u0 = hole after the region, w0 = hole before it
    t = np.roll(tour, -int(np.flatnonzero(tour == k)[0]))
    if t[1] >= k or int(nodes[t[1]]) != w0:
        t = np.concatenate([t[:1], t[1:][::-1]])
    out: list[int] = []
    for i, v in enumerate(t[1:].tolist()):
        if v < k:
            out.append(int(nodes[v]))
            continue
        u, w, inner = portions[v - k]
        nxt = t[i + 2] if i + 2 < len(t) else -1
        if not out or not 0 <= nxt < k:
            return None
        if (out[-1], int(nodes[nxt])) == (u, w):
            out.extend(inner[1:-1].tolist())
        elif (out[-1], int(nodes[nxt])) == (w, u):
            out.extend(inner[1:-1][::-1].tolist())
        else:
            return None
    if not out or out[0] != w0 or out[-1] != u0:
        return None
    first = int(np.flatnonzero(order == w0)[0]) + 1
    last = int(np.flatnonzero(order == u0)[0]) - 1
    return np.concatenate([order[: first - 1], np.array(out, dtype=np.int64), order[last + 2 :]])
