"""Improve a given tour in place: 2-opt, Or-opt and Or-3opt moves, then kicks (iterated
local search).

``fast_tsp`` cannot start from a tour, so on a decomposed set every stage after the parts
could only improve the order through reduced problems (regions, windows), each searched on
costs rounded to uint16 at its own scale. This search starts from the order it is given, works
on full-precision costs, and only ever shortens it. The moves, between each hole and its
nearest neighbours with a queue of holes whose edges changed (Bentley's don't-look bits):

- 2-opt;
- Or-opt: a chain of up to three holes moved elsewhere, either way round;
- Or-3opt: the sequential 3-opt move without reversal (t1-t2, t3-t4, t5-t6 become t2-t3,
  t4-t5, t6-t1, with t3 near t2 and t5 near t4): a chain of any length moved elsewhere.

The kicks swap two neighbouring stretches of consecutive holes (up to ``KICK_SPAN`` positions:
a local double bridge); the tour after a kick and a local search is kept if it is no longer,
and undone otherwise.

Costs come from coordinates (no matrix: memory is O(n)), Euclidean or the machine's rapid
time (``rapid_time_abs``'s closed form). An open path is a closed tour through one dummy node
D: D costs 0 to the start (or to every hole if there is none) and ``big`` to every other
hole, so a tour that keeps D next to the start is always cheaper (see docs/sequencing.md,
"Open paths").

The work is compiled by numba (``nogil``) and done in batches of kicks, so the caller checks
its budget between batches. Compiling takes 10–20 s; numba caches the machine code beside the
module (``__pycache__``), and ``make`` fills that cache at install time
(``python -m ncopt.sequencing._oropt``). Should the cache be cold anyway, :func:`ready`
compiles in a background thread and says False until it is done, so a search skips polishing
rather than spend its budget compiling.
"""

from __future__ import annotations

import logging
import math
import threading

import numpy as np
from numba import njit

from ncopt.machine import Machine

__all__ = ["LocalSearch", "ready", "warm_up"]

log = logging.getLogger(__name__)

NEIGHBOURS = 8  # candidate list length per hole
MAX_SEGMENT = 3  # Or-opt moves chains of up to this many holes
KICK_SPAN = 120  # a kick swaps two neighbouring stretches within this many positions
_LOG = 1 << 16  # reversals remembered per kick (for undoing it)
KICK_BATCH = 1000  # kicks between two looks at the budget (~15 ms at 15,000 holes)


@njit(cache=True, nogil=True, inline="always")
def _cost(i, j, xy, mp, dummy, pin, big):
    if i == j:
        return 0.0
    if i == dummy or j == dummy:
        o = j if i == dummy else i
        if pin < 0 or o == pin:
            return 0.0
        return big
    dx = abs(xy[i, 0] - xy[j, 0])
    dy = abs(xy[i, 1] - xy[j, 1])
    if mp[0] <= 0.0:
        return math.sqrt(dx * dx + dy * dy)
    cruise = max(dx / mp[0], dy / mp[1])
    q = max(dx / mp[2], dy / mp[3])
    if cruise * cruise >= q:
        return cruise + q / cruise if cruise > 0.0 else 0.0
    return 2.0 * math.sqrt(q)


@njit(cache=True, nogil=True)
def _reverse(t, pos, i, j):
    """Reverse the stretch from position i forward to j (or, if shorter, the rest of the
    tour: the same cycle). Applying it twice with the same i, j restores the tour."""
    m = len(t)
    inner = (j - i) % m + 1
    if 2 * inner > m:
        i, j = (j + 1) % m, (i - 1) % m
        inner = m - inner
    for _ in range(inner // 2):
        a = t[i]
        b = t[j]
        t[i] = b
        t[j] = a
        pos[b] = i
        pos[a] = j
        i = i + 1 if i + 1 < m else 0
        j = j - 1 if j > 0 else m - 1


@njit(cache=True, nogil=True)
def _reverse_block(t, pos, u, v, out, log, nlog):
    """Reverse the contiguous block with ends u and v, where ``out`` is u's neighbour outside
    it (that tells which way the block reads); logged for undoing."""
    if u == v:
        return
    m = len(t)
    if t[(pos[u] - 1) % m] == out:
        i, j = pos[u], pos[v]
    else:
        i, j = pos[v], pos[u]
    _reverse(t, pos, i, j)
    if nlog[0] < len(log):
        log[nlog[0], 0] = i
        log[nlog[0], 1] = j
    nlog[0] += 1


@njit(cache=True, nogil=True)
def _push(v, queue, inq, head_tail):
    if not inq[v]:
        inq[v] = True
        m = len(queue)
        queue[head_tail[1] % m] = v
        head_tail[1] += 1


@njit(cache=True, nogil=True)
def _move_segment(t, pos, s1, s2, seg_len, c, e, reverse, log, nlog):
    """Move the chain s1..s2 (forward) between the adjacent holes c → e (outside it);
    ``reverse`` puts s2 next to c, else s1."""
    m = len(t)
    x_len = (pos[c] - pos[s2]) % m  # nx .. c
    y_len = m - seg_len - x_len  # e .. p
    nx = t[(pos[s2] + 1) % m]
    p = t[(pos[s1] - 1) % m]
    if x_len <= y_len:
        # S X -> X' S' -> X S'
        _reverse_block(t, pos, s1, c, p, log, nlog)
        _reverse_block(t, pos, c, nx, p, log, nlog)
    else:
        # Y S -> S' Y' -> S' Y
        _reverse_block(t, pos, e, s2, c, log, nlog)
        _reverse_block(t, pos, e, p, nx, log, nlog)
    if not reverse:
        _reverse_block(t, pos, s2, s1, c, log, nlog)


@njit(cache=True, nogil=True)
def _improve_node(a, t, pos, xy, mp, dummy, pin, big, neigh, log, nlog, touched):
    """Apply the first improving 2-opt or Or-opt move at a; its gain (0.0 if none)."""
    m = len(t)
    pa = pos[a]
    succ_a = t[(pa + 1) % m]
    pred_a = t[(pa - 1) % m]
    d_succ = _cost(a, succ_a, xy, mp, dummy, pin, big)
    d_pred = _cost(a, pred_a, xy, mp, dummy, pin, big)
    for k in range(neigh.shape[1]):
        c = neigh[a, k]
        if c < 0:
            break
        d_ac = _cost(a, c, xy, mp, dummy, pin, big)
        if d_ac >= d_succ and d_ac >= d_pred:
            break
        pc = pos[c]
        succ_c = t[(pc + 1) % m]
        pred_c = t[(pc - 1) % m]
        # 2-opt on a's successor side, then its predecessor side: a-b, c-d -> a-c, b-d
        for forward in (True, False):
            b, d_ab, d = (succ_a, d_succ, succ_c) if forward else (pred_a, d_pred, pred_c)
            if d_ac >= d_ab or c == b or d == a:
                continue
            delta = (
                d_ac
                + _cost(b, d, xy, mp, dummy, pin, big)
                - d_ab
                - _cost(c, d, xy, mp, dummy, pin, big)
            )
            if delta < -1e-10:
                if forward:  # reverse b .. c
                    _reverse_block(t, pos, succ_a, c, a, log, nlog)
                else:  # reverse a .. d
                    _reverse_block(t, pos, a, pred_c, pred_a, log, nlog)
                touched[0], touched[1], touched[2], touched[3] = a, b, c, d
                return delta
        # Or-opt: a chain with a at one end moves next to c.
        for seg_len in range(1, MAX_SEGMENT + 1):
            if seg_len + 3 > m:
                break
            for forward in (True, False):
                # the chain s1..s2 (tour order) and whether a is its first hole
                if forward:
                    s1 = a
                    s2 = t[(pa + seg_len - 1) % m]
                    if d_ac >= d_pred:
                        continue
                else:
                    s2 = a
                    s1 = t[(pa - seg_len + 1) % m]
                    if d_ac >= d_succ:
                        continue
                p = t[(pos[s1] - 1) % m]
                nx = t[(pos[s2] + 1) % m]
                if _in_chain(pos, c, s1, seg_len, m):
                    continue
                removed = (
                    _cost(p, s1, xy, mp, dummy, pin, big)
                    + _cost(s2, nx, xy, mp, dummy, pin, big)
                    - _cost(p, nx, xy, mp, dummy, pin, big)
                )
                # a next to c: the edge (c, succ_c) with a first after c, or (pred_c, c)
                for side in range(2):
                    if side == 0:
                        u, w = c, succ_c
                    else:
                        u, w = pred_c, c
                    if _in_chain(pos, u, s1, seg_len, m) or _in_chain(pos, w, s1, seg_len, m):
                        continue
                    if u == p and w == s1:
                        continue
                    # which end of the chain touches u (the hole before the gap)
                    a_first = (side == 0) == forward
                    first = s1 if a_first else s2
                    last = s2 if a_first else s1
                    added = (
                        _cost(u, first, xy, mp, dummy, pin, big)
                        + _cost(last, w, xy, mp, dummy, pin, big)
                        - _cost(u, w, xy, mp, dummy, pin, big)
                    )
                    delta = added - removed
                    if delta < -1e-10:
                        _move_segment(t, pos, s1, s2, seg_len, u, w, not a_first, log, nlog)
                        touched[0], touched[1], touched[2], touched[3] = p, nx, u, w
                        touched[4], touched[5] = s1, s2
                        return delta
    return _or3(a, t, pos, xy, mp, dummy, pin, big, neigh, log, nlog, touched)


@njit(cache=True, nogil=True)
def _or3(t2, t, pos, xy, mp, dummy, pin, big, neigh, log, nlog, touched):
    """A sequential 3-opt move without reversal (a chain of any length moved elsewhere):
    remove t1-t2, t3-t4, t5-t6 and add t2-t3, t4-t5, t6-t1, with t3 near t2 and t5 near t4.
    Apply the first that gains; its gain (0.0 if none)."""
    m = len(t)
    p2 = pos[t2]
    for forward in (True, False):
        t1 = t[(p2 - 1) % m] if forward else t[(p2 + 1) % m]
        d12 = _cost(t1, t2, xy, mp, dummy, pin, big)
        for k in range(neigh.shape[1]):
            t3 = neigh[t2, k]
            if t3 < 0:
                break
            g1 = d12 - _cost(t2, t3, xy, mp, dummy, pin, big)
            if g1 <= 0.0:
                break
            if t3 == t1:
                continue
            p3 = pos[t3]
            t4 = t[(p3 + 1) % m] if forward else t[(p3 - 1) % m]
            d34 = _cost(t3, t4, xy, mp, dummy, pin, big)
            # t5 must lie on the stretch from t2 towards t3 (t2 included, t3 not)
            reach = (p3 - p2) % m if forward else (p2 - p3) % m
            for q in range(neigh.shape[1]):
                t5 = neigh[t4, q]
                if t5 < 0:
                    break
                g2 = g1 + d34 - _cost(t4, t5, xy, mp, dummy, pin, big)
                if g2 <= 0.0:
                    break
                step = (pos[t5] - p2) % m if forward else (p2 - pos[t5]) % m
                if step >= reach:
                    continue
                t6 = t[(pos[t5] + 1) % m] if forward else t[(pos[t5] - 1) % m]
                delta = (
                    _cost(t6, t1, xy, mp, dummy, pin, big)
                    - _cost(t5, t6, xy, mp, dummy, pin, big)
                    - g2
                )
                if delta < -1e-10:
                    if forward:  # the chain t2..t5 moves between t3 and t4, t2 next to t3
                        _move_segment(t, pos, t2, t5, step + 1, t3, t4, False, log, nlog)
                    else:  # the chain t5..t2 moves between t4 and t3, t5 next to t4
                        _move_segment(t, pos, t5, t2, step + 1, t4, t3, False, log, nlog)
                    touched[0], touched[1], touched[2] = t1, t2, t3
                    touched[3], touched[4], touched[5] = t4, t5, t6
                    return delta
    return 0.0


@njit(cache=True, nogil=True, inline="always")
def _in_chain(pos, v, s1, seg_len, m):
    return (pos[v] - pos[s1]) % m < seg_len


@njit(cache=True, nogil=True)
def _local_search(t, pos, xy, mp, dummy, pin, big, neigh, queue, inq, ht, log, nlog):
    """Run the queue empty; (total gain, negative or 0; False if stopped early because the
    log of reversals is full: then every reversal made is in it)."""
    m = len(queue)
    total = 0.0
    touched = np.full(6, -1, dtype=np.int64)
    while ht[0] < ht[1]:
        a = queue[ht[0] % m]
        ht[0] += 1
        inq[a] = False
        if a == dummy:
            continue
        while True:
            touched[:] = -1
            delta = _improve_node(a, t, pos, xy, mp, dummy, pin, big, neigh, log, nlog, touched)
            if delta == 0.0:
                break
            total += delta
            for v in touched:
                if v >= 0:
                    _push(v, queue, inq, ht)
            if nlog[0] + 3 > len(log):  # a move makes at most three reversals
                return total, False
    return total, True


@njit(cache=True, nogil=True)
def _swap_stretches(t, pos, p0, len_a, len_b, buf):
    """Positions p0+1 .. p0+len_a (A) and the next len_b (B) become B then A."""
    m = len(t)
    n = len_a + len_b
    for k in range(n):
        buf[k] = t[(p0 + 1 + k) % m]
    for k in range(len_b):
        v = buf[len_a + k]
        q = (p0 + 1 + k) % m
        t[q] = v
        pos[v] = q
    for k in range(len_a):
        v = buf[k]
        q = (p0 + 1 + len_b + k) % m
        t[q] = v
        pos[v] = q


@njit(cache=True, nogil=True)
def _kicks(t, pos, xy, mp, dummy, pin, big, neigh, kicks, span, seed, log):
    """``kicks`` kicks, each followed by a local search and undone unless no longer; the
    total gain of the kept ones and how many were kept."""
    np.random.seed(seed)
    m = len(t)
    queue = np.empty(m, dtype=np.int64)
    inq = np.zeros(m, dtype=np.bool_)
    ht = np.zeros(2, dtype=np.int64)
    nlog = np.zeros(1, dtype=np.int64)
    buf = np.empty(span, dtype=np.int64)
    gain = 0.0
    kept = 0
    for _ in range(kicks):
        len_a = 1 + np.random.randint(span // 2 - 1)
        len_b = 1 + np.random.randint(span // 2 - 1)
        if len_a + len_b + 2 > m:
            break
        p0 = np.random.randint(m)
        v0 = t[p0]
        a0 = t[(p0 + 1) % m]
        a1 = t[(p0 + len_a) % m]
        b0 = t[(p0 + len_a + 1) % m]
        b1 = t[(p0 + len_a + len_b) % m]
        v1 = t[(p0 + len_a + len_b + 1) % m]
        delta = (
            _cost(v0, b0, xy, mp, dummy, pin, big)
            + _cost(b1, a0, xy, mp, dummy, pin, big)
            + _cost(a1, v1, xy, mp, dummy, pin, big)
            - _cost(v0, a0, xy, mp, dummy, pin, big)
            - _cost(a1, b0, xy, mp, dummy, pin, big)
            - _cost(b1, v1, xy, mp, dummy, pin, big)
        )
        _swap_stretches(t, pos, p0, len_a, len_b, buf)
        nlog[0] = 0
        for v in (v0, a0, a1, b0, b1, v1):
            _push(v, queue, inq, ht)
        found, _ = _local_search(t, pos, xy, mp, dummy, pin, big, neigh, queue, inq, ht, log, nlog)
        while ht[0] < ht[1]:  # a search cut short by a full log leaves holes queued
            inq[queue[ht[0] % m]] = False
            ht[0] += 1
        delta += found
        if delta <= 1e-10:
            gain += delta
            kept += 1
            continue
        # Undo: every reversal is its own inverse on the array, so replaying the log
        # backwards restores the array as the kick left it; then swap B A back to A B.
        for k in range(nlog[0] - 1, -1, -1):
            _reverse(t, pos, log[k, 0], log[k, 1])
        _swap_stretches(t, pos, p0, len_b, len_a, buf)
    return gain, kept


@njit(cache=True, nogil=True)
def _descend(t, pos, xy, mp, dummy, pin, big, neigh):
    """A full local search from every hole (no undo needed: every move is a gain)."""
    m = len(t)
    queue = np.arange(m, dtype=np.int64)
    inq = np.ones(m, dtype=np.bool_)
    ht = np.array([0, m], dtype=np.int64)
    log = np.empty((1024, 2), dtype=np.int64)
    nlog = np.zeros(1, dtype=np.int64)
    total = 0.0
    while True:  # the log is not needed here: emptied whenever full
        gain, complete = _local_search(
            t, pos, xy, mp, dummy, pin, big, neigh, queue, inq, ht, log, nlog
        )
        total += gain
        nlog[0] = 0
        if complete:
            return total


@njit(cache=True, nogil=True)
def _neighbours(xy, count, mp, dummy, pin, big):
    """Each point's ``count`` cheapest others (-1 where fewer), found on a grid of cells of
    about two points each, cheapest first. Rows of the dummy node stay -1."""
    n = len(xy)
    out = np.full((n, count), -1, dtype=np.int64)
    real = np.ones(n, dtype=np.bool_)
    if dummy >= 0:
        real[dummy] = False
    lo_x, lo_y, hi_x, hi_y = np.inf, np.inf, -np.inf, -np.inf
    for i in range(n):
        if real[i]:
            lo_x, hi_x = min(lo_x, xy[i, 0]), max(hi_x, xy[i, 0])
            lo_y, hi_y = min(lo_y, xy[i, 1]), max(hi_y, xy[i, 1])
    span = max(hi_x - lo_x, hi_y - lo_y, 1e-9)
    cells = max(1, int(math.sqrt(n / 2.0)))
    size = span / cells
    cx = np.zeros(n, dtype=np.int64)
    cy = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if real[i]:
            cx[i] = min(cells - 1, int((xy[i, 0] - lo_x) / size))
            cy[i] = min(cells - 1, int((xy[i, 1] - lo_y) / size))
    key = cy * cells + cx
    for i in range(n):
        if not real[i]:
            key[i] = cells * cells  # past every cell
    order = np.argsort(key)
    start = np.searchsorted(key[order], np.arange(cells * cells + 1))
    want = min(count * 2, n - 1 - (1 if dummy >= 0 else 0))
    best_d = np.empty(want, dtype=np.float64)
    best_j = np.empty(want, dtype=np.int64)
    for i in range(n):
        if not real[i] or want <= 0:
            continue
        found = 0
        ring = 0
        while True:
            for gy in range(cy[i] - ring, cy[i] + ring + 1):
                if gy < 0 or gy >= cells:
                    continue
                step = 1 if abs(gy - cy[i]) == ring else 2 * ring
                gx = cx[i] - ring
                while gx <= cx[i] + ring:
                    if 0 <= gx < cells:
                        cell = gy * cells + gx
                        for q in range(start[cell], start[cell + 1]):
                            j = order[q]
                            if j == i:
                                continue
                            dx = xy[j, 0] - xy[i, 0]
                            dy = xy[j, 1] - xy[i, 1]
                            d = dx * dx + dy * dy
                            if found < want:
                                k = found
                                found += 1
                            elif d < best_d[want - 1]:
                                k = want - 1
                            else:
                                continue
                            while k > 0 and best_d[k - 1] > d:
                                best_d[k] = best_d[k - 1]
                                best_j[k] = best_j[k - 1]
                                k -= 1
                            best_d[k] = d
                            best_j[k] = j
                    gx += step if ring > 0 else 1
            # every point not yet seen is at least ring * size away
            if found == want and best_d[want - 1] <= (ring * size) ** 2:
                break
            if ring > cells:
                break
            ring += 1
        # keep the ``count`` cheapest on the real cost (machine time ranks like distance
        # only roughly: its axes differ)
        costs = np.empty(found, dtype=np.float64)
        for k in range(found):
            costs[k] = _cost(i, best_j[k], xy, mp, dummy, pin, big)
        rank = np.argsort(costs)
        for k in range(min(count, found)):
            out[i, k] = best_j[rank[k]]
    return out


class LocalSearch:
    """A tour of ``pts`` (closed, or an open path from ``head`` with a free end) improved in
    place by :meth:`descend` and :meth:`kick`; :meth:`order` reads it back.

    >>> pts = np.array([[0, 0], [2, 0], [1, 0], [3, 0]], dtype=float)
    >>> ls = LocalSearch(pts, "euclidean", np.arange(4), head=(0.0, 0.0))
    >>> ls.descend() < 0, ls.order().tolist()
    (True, [0, 2, 1, 3])
    """

    def __init__(self, pts, cost, order, head=None, closed=False, seed=0) -> None:
        n = len(pts)
        order = np.asarray(order, dtype=np.int64)
        if isinstance(cost, Machine):
            m = cost
            self._mp = np.array(
                [m.rapid_x_mm_min / 60.0, m.rapid_y_mm_min / 60.0, m.accel_x_mm_s2, m.accel_y_mm_s2]
            )
        else:
            self._mp = np.zeros(4)
        xy = np.asarray(pts, dtype=np.float64)
        self._n = n
        self._closed = closed
        self._pin = -1
        self._dummy = -1
        if not closed:
            extra = [xy]
            if head is not None:
                self._pin = n
                extra.append(np.asarray(head, dtype=np.float64).reshape(1, 2))
            self._dummy = n + (head is not None)
            extra.append(np.zeros((1, 2)))
            xy = np.vstack(extra)
        self._xy = np.ascontiguousarray(xy)
        real = xy[: len(xy) - (0 if closed else 1)]  # the holes and the head, not the dummy
        span = np.ptp(real, axis=0) if len(real) else np.zeros(2)
        top = float(_cost(0, 1, np.array([[0.0, 0.0], span]), self._mp, -1, -1, 0.0))
        self._big = 4.0 * top + 1.0  # more than any real cost: see the module's docstring
        self.load(order)
        self._neigh = _neighbours(self._xy, NEIGHBOURS, *self._args())
        self._log = np.empty((_LOG, 2), dtype=np.int64)
        self._seed = int(seed)

    def load(self, order) -> None:
        """Start again from ``order`` (the neighbour lists are kept)."""
        order = np.asarray(order, dtype=np.int64)
        if self._closed:
            tour = order.copy()
        else:
            lead = [self._dummy] + ([self._pin] if self._pin >= 0 else [])
            tour = np.concatenate([np.array(lead, dtype=np.int64), order])
        self._t = tour
        self._pos = np.empty(len(tour), dtype=np.int64)
        self._pos[tour] = np.arange(len(tour))

    def _args(self):
        return self._mp, self._dummy, self._pin, self._big

    def descend(self) -> float:
        """2-opt and Or-opt from every hole until none improves; the gain (<= 0)."""
        if len(self._t) < 5:
            return 0.0
        return float(_descend(self._t, self._pos, self._xy, *self._args(), self._neigh))

    def kick(self, count: int) -> tuple[float, int]:
        """``count`` kicks, each kept only if the tour is no longer after its local search;
        (the gain, <= 0; the number kept)."""
        span = min(KICK_SPAN, len(self._t) - 2)
        if span < 6:
            return 0.0, 0
        self._seed += 1
        gain, kept = _kicks(
            self._t,
            self._pos,
            self._xy,
            *self._args(),
            self._neigh,
            count,
            span,
            self._seed,
            self._log,
        )
        return float(gain), int(kept)

    def polish(self, budget, duration_s: float, stall: int) -> float:
        """A descent, then batches of kicks for up to ``duration_s`` or until ``stall`` kicks
        in a row found nothing shorter; the total gain (<= 0)."""
        end = budget.elapsed() + duration_s
        total = self.descend()
        idle = 0
        while idle < stall and budget.elapsed() < end and not budget.check("polishing"):
            gain, _ = self.kick(KICK_BATCH)
            total += gain
            idle = 0 if gain < -1e-9 else idle + KICK_BATCH
        return total

    def order(self) -> np.ndarray:
        """The holes in the tour's order (an open path starts at its head end)."""
        t = self._t
        if self._closed:
            return t.copy()
        t = np.roll(t, -int(self._pos[self._dummy]))[1:]
        if self._pin >= 0 and t[0] != self._pin:
            t = t[::-1]
        return t[t < self._n].copy()


_compiled = threading.Event()
_warming = threading.Lock()
_started = False


def warm_up() -> None:
    """Compile every kernel, or load it from numba's cache: a tiny search, closed and open."""
    pts = np.array([[0, 0], [3, 0], [1, 0], [2, 0], [5, 1], [4, 1], [0, 2]], dtype=float)
    for closed in (True, False):
        head = None if closed else (0.0, 0.0)
        search = LocalSearch(pts, "euclidean", np.arange(len(pts)), head=head, closed=closed)
        search.descend()
        search.kick(5)
    _compiled.set()


def ready() -> bool:
    """True once the kernels are compiled; the first call starts compiling them in a
    background thread (loading them from the cache takes about 0.4 s)."""
    global _started
    with _warming:
        if not _started:
            _started = True
            threading.Thread(target=_warm_up_logged, name="oropt-compile", daemon=True).start()
    return _compiled.is_set()


def _warm_up_logged() -> None:
    try:
        warm_up()
    except Exception:  # polishing is an extra: a search without it is still complete
        log.exception("compiling the local search failed; searches run without it")


if __name__ == "__main__":  # ``make`` fills numba's cache once per install
    warm_up()
