"""Bad inputs are refused with what is wrong, never turned into made-up holes."""

from __future__ import annotations

import numpy as np
import pytest

from ncopt.sequencing import solve_open_path, solve_tour


@pytest.mark.parametrize("shape", [(4, 3), (4,), (2, 2, 2)])
def test_wrong_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="shape"):
        solve_tour(np.zeros(shape), time_limit_s=0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_points_are_refused_with_their_row(bad):
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, bad], [3.0, 3.0]])
    with pytest.raises(ValueError, match="point 2"):
        solve_open_path(pts, start=(0.0, 0.0), time_limit_s=0.1)


def test_bad_start_is_refused():
    with pytest.raises(ValueError):
        solve_open_path(np.zeros((3, 2)), start=(np.nan, 0.0), time_limit_s=0.1)
    with pytest.raises(ValueError):
        solve_open_path(np.zeros((3, 2)), start=(1.0,), time_limit_s=0.1)


def test_start_with_z_uses_xy_and_lists_are_accepted():
    r = solve_open_path([[10.0, 0.0], [0.0, 0.0], [5.0, 0.0]], start=(0.0, 0.0, 50.0))
    assert r.order.tolist() == [1, 2, 0]
    assert r.cost == pytest.approx(10.0)
