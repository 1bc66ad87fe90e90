"""The scaled uint16 matrices the searches read, against costs computed the plain way."""

import numpy as np
import pytest

from ncopt.budget import Budget
from ncopt.machine import Machine
from ncopt.sequencing._costs import REAL_MAX, cost_matrix, fill_scaled

# A board with holes in every quadrant of each other, so every sign of dx and dy occurs.
PTS = np.random.default_rng(3).uniform(-40.0, 160.0, (300, 2))


def plain_costs(cost, pts: np.ndarray) -> np.ndarray:
    """Every pair's cost from ``Machine.rapid_time_xy`` or ``np.hypot``, one row at a time."""
    rows = []
    for p in pts:
        d = pts - p
        if isinstance(cost, Machine):
            rows.append(cost.rapid_time_xy(d[:, 0], d[:, 1]))
        else:
            rows.append(np.hypot(d[:, 0], d[:, 1]))
    return np.array(rows)


@pytest.mark.parametrize("cost", ["euclidean", Machine()], ids=["euclidean", "machine"])
def test_scaled_matrix_matches_plain_costs(cost):
    plain = plain_costs(cost, PTS)
    np.testing.assert_allclose(cost_matrix(cost, PTS, PTS), plain, rtol=1e-9, atol=1e-12)
    offset = 2
    matrix = np.full((offset + len(PTS),) * 2, 7, dtype=np.uint16)
    near = fill_scaled(matrix, cost, PTS, offset, Budget(10.0))
    body = matrix[offset:, offset:].astype(np.int64)
    # One scale for the whole matrix: the largest cost sits just under REAL_MAX.
    scale = body.max() / plain.max()
    assert REAL_MAX * 0.9 < body.max() <= REAL_MAX
    assert np.abs(body - plain * scale).max() <= 1.0  # rounding (float32) only
    assert np.array_equal(body, body.T) and not np.diagonal(body).any()
    # The rows and columns before ``offset`` are the caller's (dummy, external ends).
    assert (matrix[:offset, :] == 7).all() and (matrix[:, :offset] == 7).all()
    # Each point's third-nearest neighbour cost, as the re-joining reads it.
    assert np.array_equal(near, np.sort(body, axis=1)[:, 3])


def test_a_stop_request_while_building_returns_none():
    asked = []

    def stop() -> bool:
        asked.append(True)
        return True

    matrix = np.zeros((3000, 3000), dtype=np.uint16)
    pts = np.random.default_rng(1).uniform(0, 100, (3000, 2))
    assert fill_scaled(matrix, "euclidean", pts, 0, Budget(10.0, should_stop=stop)) is None
    assert len(asked) == 1 and not matrix[-1].any()  # stopped after the first chunk
