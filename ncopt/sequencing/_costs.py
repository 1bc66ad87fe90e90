"""Travel costs: float costs from coordinates, and their uint16 scaling for ``fast_tsp``.

``cost`` is ``"euclidean"`` (distance) or a :class:`~ncopt.machine.Machine` (rapid time in
seconds, ``Machine.rapid_time_xy``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ncopt.machine import Machine, rapid_time_abs

Cost = Machine | Literal["euclidean"]

# fast_tsp reads uint16. Real costs are scaled into 0..REAL_MAX so that the dummy node's
# "large constant" (BIG) is at least the largest real cost: then a tour that uses the pinned
# dummy edges is never worse than one that does not (triangle inequality argument in
# docs/sequencing.md), and the search keeps them.
REAL_MAX = 32767
BIG = 65535
# Entries computed per step while filling a matrix: ~0.05 s each, so should_stop is asked often.
_CHUNK_ENTRIES = 1 << 19


def cost_matrix(cost: Cost, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float cost from every row of ``a`` (n, 2) to every row of ``b`` (m, 2)."""
    dx = a[:, None, 0] - b[None, :, 0]
    dy = a[:, None, 1] - b[None, :, 1]
    if isinstance(cost, Machine):
        return rapid_time_abs(cost, np.abs(dx, out=dx), np.abs(dy, out=dy))
    # sqrt(dx² + dy²) in place: 2.5x faster than np.hypot (a 69 x 7,500 chunk: 2.8 ms against
    # 7.2 ms), whose guard against overflow coordinates in mm never need.
    dx *= dx
    dy *= dy
    dx += dy
    return np.sqrt(dx, out=dx)


def pair_cost(cost: Cost, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float cost from ``a[i]`` to ``b[i]`` for each i."""
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if isinstance(cost, Machine):
        return cost.rapid_time_xy(d[:, 0], d[:, 1])
    return np.hypot(d[:, 0], d[:, 1])


def fill_scaled(
    matrix: np.ndarray, cost: Cost, xy: np.ndarray, offset: int, budget
) -> np.ndarray | None:
    """Write scaled real costs of ``xy`` into ``matrix[offset:, offset:]``, chunk by chunk.

    Returns each row's third-nearest neighbour cost (scaled; what ``_reconnect`` calls a short
    edge), or None if the caller asked to stop meanwhile (a 10k matrix takes seconds).
    """
    span = xy.max(axis=0) - xy.min(axis=0)
    top = float(cost_matrix(cost, np.zeros((1, 2)), span[None, :])[0, 0])
    scale = REAL_MAX / top if top > 0 else 1.0
    # float32 halves the memory traffic; 7 significant digits are plenty for 1/32767 steps.
    xy32 = (xy - xy.min(axis=0)).astype(np.float32)
    near = np.zeros(len(xy), dtype=np.float64)
    kth = min(3, len(xy) - 1)  # column 0 of the sorted row is the point itself
    rows = max(8, _CHUNK_ENTRIES // len(xy))
    for i in range(0, len(xy), rows):
        block = cost_matrix(cost, xy32[i : i + rows], xy32)
        block *= np.float32(scale)
        np.rint(block, out=block)
        np.minimum(block, REAL_MAX, out=block)  # clip: the bbox corner bound is not exact
        rows_out = matrix[offset + i : offset + i + len(block), offset:]
        rows_out[...] = block
        # The same values in uint16: partitioning them is a third faster than the floats.
        near[i : i + len(block)] = np.partition(rows_out, kth, axis=1)[:, kth]
        if budget.check("building costs") and budget.stopped:
            return None
    return near
