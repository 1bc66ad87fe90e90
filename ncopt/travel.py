"""Travel between the operations of one tool group, and the order that makes it least.

Between two operations the machine retracts from the first one's exit to the group's clearance
plane, rapids across in XY and descends to the next one's entry, each a rapid move with its own
axis rates and accelerations (``Machine``). The costs are built as numpy matrices, row chunk by
row chunk so a stop request is seen while thousands of operations are costed, and handed to
``ncopt.op_order.solve_order``. Groups larger than one dense search (``MAX_STATES``) are cut into
windows along a sweep across the part that keeps work on the same material in order; each
window is ordered on its own, starting where the previous one ends, so memory stays bounded
whatever the group's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

import numpy as np

from ncopt.budget import Budget
from ncopt.machine import Machine, trapezoid_time_array
from ncopt.op_order import UNREACHABLE, solve_order
from ncopt.sequencing import strip_order

__all__ = ["MAX_STATES", "REVERSAL_MIN_GAIN_S", "order_operations", "travel_costs"]

# A reversed block must save more than this to be chosen (ties keep the programmed direction).
REVERSAL_MIN_GAIN_S = 1e-3
# Orientations x operations in one dense search: its float64 matrix is MAX_STATES² x 8 bytes
# (128 MB), and a search pass over it takes seconds.
MAX_STATES = 4096
_CHUNK_ROWS = 256

XYZ = Sequence[float]


def order_operations(
    entries: np.ndarray,
    exits: np.ndarray,
    start_xyz: XYZ,
    clearance_z_mm: float,
    machine: Machine,
    *,
    before: np.ndarray | None = None,
    budget: Budget,
) -> tuple[list[int], list[int], bool]:
    """Order and orientation of operations whose ends are ``entries``/``exits`` (k, n, 3),
    and whether a stop request cut the search short. ``k`` orientations: 1, or 2 when blocks
    may be cut backwards (NaN where an operation has no such orientation). ``before``: pairs
    (a, b), a < b, that keep their order. Operations whose programmed ends are unknown keep
    the program's order."""
    k, n = entries.shape[:2]
    pairs = np.zeros((0, 2), dtype=np.int64) if before is None else np.asarray(before)
    keep = list(range(n)), [0] * n, False
    known = np.all(np.isfinite(entries[0]), axis=1) & np.all(np.isfinite(exits[0]), axis=1)
    if n <= 1 or not known.all():
        return keep
    width = max(1, MAX_STATES // k)
    # One window: the program's order. Several: a sweep across the part that keeps the
    # pairs in order, so that each window is one compact area and crossing it is cheap.
    sweep = np.arange(n) if n <= width else _sweep(entries[0, :, :2], pairs)
    rank = np.empty(n, dtype=np.int64)
    rank[sweep] = np.arange(n)
    order: list[int] = []
    orientation: list[int] = []
    stopped = False
    here = np.asarray(start_xyz, dtype=float)
    for first in range(0, n, width):
        last = min(n, first + width)
        ops = sweep[first:last]
        inside = (rank[pairs[:, 0]] >= first) & (rank[pairs[:, 1]] < last)
        sub_order, sub_orient, sub_stopped = _order_window(
            entries[:, ops],
            exits[:, ops],
            here,
            clearance_z_mm,
            machine,
            rank[pairs[inside]] - first,  # the sweep keeps every pair in order: a < b
            budget.child(last - first, n - first),
        )
        order += ops[sub_order].tolist()
        orientation += sub_orient
        stopped |= sub_stopped
        here = exits[orientation[-1], order[-1]]
    return order, orientation, stopped


def _sweep(xy: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The operations in boustrophedon order of their entries (``strip_order``), except that
    none comes before one it must follow: a topological order of the pairs that always takes
    the ready operation earliest in the sweep."""
    n = len(xy)
    place = np.empty(n, dtype=np.int64)
    place[strip_order(xy)] = np.arange(n)
    after: list[list[int]] = [[] for _ in range(n)]
    waiting = np.zeros(n, dtype=np.int64)
    for a, b in pairs.tolist():
        after[a].append(b)
        waiting[b] += 1
    ready = [(int(place[i]), i) for i in np.flatnonzero(waiting == 0).tolist()]
    heapq.heapify(ready)
    out = []
    while ready:
        _, i = heapq.heappop(ready)
        out.append(i)
        for b in after[i]:
            waiting[b] -= 1
            if waiting[b] == 0:
                heapq.heappush(ready, (int(place[b]), b))
    return np.array(out, dtype=np.int64)


def _order_window(entries, exits, here, clearance_z_mm, machine, pairs, budget: Budget):
    n = entries.shape[1]
    message = f"costing travel between {n} operations"
    costs = travel_costs(
        entries,
        exits,
        here,
        clearance_z_mm,
        machine,
        lambda: budget.check(message) and budget.stopped,
    )
    if costs is None:  # stopped while costing: the program's order
        return list(range(n)), [0] * n, True
    start_cost, trans = costs
    result = solve_order(start_cost, trans, before=pairs, budget=budget)
    return list(result.order), list(result.orientation), result.stopped


def travel_costs(
    entries: np.ndarray,
    exits: np.ndarray,
    start_xyz: XYZ,
    clearance_z_mm: float,
    machine: Machine,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(start_cost (k, n), trans (k, n, k, n))`` in seconds for ``solve_order``
    (``UNREACHABLE`` where an orientation does not exist); entering orientation 1 costs
    ``REVERSAL_MIN_GAIN_S`` more. None if asked to stop meanwhile.

    >>> m = Machine()
    >>> ends = np.array([[[0.0, 0.0, 2.0], [50.0, 0.0, 2.0]]])
    >>> start, trans = travel_costs(ends, ends, (0.0, 0.0, 2.0), 2.0, m)
    >>> float(start[0, 0]), bool(np.isclose(trans[0, 0, 0, 1], m.rapid_time_s(50.0, 0.0)))
    (0.0, True)
    """
    k, n = entries.shape[:2]
    start = np.asarray(start_xyz, dtype=float)
    vz, az = machine.rapid_z_mm_min / 60.0, machine.accel_z_mm_s2
    # Z: retract from an exit up to the clearance plane, descend from it to an entry.
    up = trapezoid_time_array(np.fmax(0.0, clearance_z_mm - exits[..., 2]), vz, az)
    down = trapezoid_time_array(np.fmax(0.0, clearance_z_mm - entries[..., 2]), vz, az)
    penalty = REVERSAL_MIN_GAIN_S * np.arange(k, dtype=float)[:, None]
    if np.all(np.isfinite(start)):
        start_up = trapezoid_time_array(np.fmax(0.0, clearance_z_mm - start[2]), vz, az)
        across = machine.rapid_time_xy_matrix(start[None, :2], entries.reshape(-1, 3)[:, :2])
        start_cost = start_up + across.reshape(k, n) + down + penalty
    else:  # unknown position (after G28 or a subprogram call): every first move costs alike
        start_cost = np.broadcast_to(penalty, (k, n)).copy()
    start_cost[~np.all(np.isfinite(entries), axis=2)] = UNREACHABLE
    trans = np.empty((k, n, k, n))
    into = entries[..., :2]
    for p in range(k):
        for lo in range(0, n, _CHUNK_ROWS):
            if should_stop is not None and should_stop():
                return None
            hi = min(n, lo + _CHUNK_ROWS)
            out = exits[p, lo:hi, :2]
            for o in range(k):
                block = machine.rapid_time_xy_matrix(out, into[o])  # NaN where unknown
                block += up[p, lo:hi, None] + down[o][None, :] + penalty[o]
                trans[p, lo:hi, o, :] = block
    trans[~np.all(np.isfinite(exits), axis=2)] = UNREACHABLE
    trans[:, :, ~np.all(np.isfinite(entries), axis=2)] = UNREACHABLE
    idx = np.arange(n)
    trans[:, idx, :, idx] = UNREACHABLE  # an operation does not follow itself
    return start_cost, trans
