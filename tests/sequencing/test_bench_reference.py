"""The benchmark's generated grid panels: their stated optimum is reached by an explicit tour."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sequencing.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_sequencing", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def snake_tour(pts, cols, across, down, pitch=127, gap=500) -> np.ndarray:
    """Bottom panels left to right (top-left to top-right corner), top panels back."""
    width, height = (across - 1) * pitch + gap, (down - 1) * pitch + gap
    seq = []
    for c in range(cols):
        for i in range(across):
            ys = range(down - 1, -1, -1) if i % 2 == 0 else range(down)
            seq += [(c * width + i * pitch, j * pitch) for j in ys]
    for c in range(cols - 1, -1, -1):
        for k, i in enumerate(range(across - 1, -1, -1)):
            ys = range(down) if k % 2 == 0 else range(down - 1, -1, -1)
            seq += [(c * width + i * pitch, height + j * pitch) for j in ys]
    index = {(int(x), int(y)): k for k, (x, y) in enumerate(pts)}
    return np.array([index[s] for s in seq])


@pytest.mark.parametrize("shape", [(2, 4, 3), (3, 6, 5)])
def test_grid_panel_optimum_is_reached(bench, shape):
    pts, optimum = bench.grid_panels(*shape)
    tour = snake_tour(pts, *shape)
    assert sorted(tour.tolist()) == list(range(len(pts)))
    assert bench.tour_length(pts, tour, "EUC_2D") == optimum


def test_grid_panel_optimum_is_a_lower_bound_for_solved_tours(bench):
    from ncopt.sequencing import solve_tour

    pts, optimum = bench.grid_panels(2, 4, 3)
    tour = solve_tour(pts, time_limit_s=0.5).order
    assert bench.tour_length(pts, tour, "EUC_2D") >= optimum


def test_bench_grid_instances_have_the_stated_optimum(bench):
    for shape in bench.PROVEN.values():
        pts, optimum = bench.grid_panels(*shape)
        assert bench.tour_length(pts, snake_tour(pts, *shape), "EUC_2D") == optimum
