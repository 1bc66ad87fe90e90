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


@pytest.fixture(scope="module")
def instances():
    spec = importlib.util.spec_from_file_location(
        "seq_instances", BENCH.parent / "seq_instances.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["panel", "icrows", "grid", "clustered", "uniform"])
@pytest.mark.parametrize("n", [500, 3000])
def test_generated_sets_have_n_distinct_points_and_fit_uint16_distances(instances, kind, n):
    pts, _ = instances.instance(f"{kind}-{n}-s1")
    again, _ = instances.instance(f"{kind}-{n}-s1")
    assert pts.shape == (n, 2) and np.array_equal(pts, again)  # seeded: the same every run
    assert len(np.unique(pts, axis=0)) == n
    span = pts.max(axis=0) - pts.min(axis=0)
    assert np.hypot(*span) <= 65535  # fast_tsp's default call gets the same rounded distances


def test_a_reference_is_replaced_only_by_a_shorter_tour(instances, tmp_path, monkeypatch):
    monkeypatch.setattr(instances, "REFERENCES", tmp_path / "refs.json")
    assert instances.store_reference("x", 100, "a")
    assert not instances.store_reference("x", 120, "b")
    assert instances.store_reference("x", 90, "c")
    pts = np.zeros((3, 2))
    assert instances.reference("x", pts) == (90.0, "best of long runs (c)")


def test_a_folder_of_tsp_files_is_measured_against_its_optima(bench, tmp_path):
    lines = ["NAME : sq", "TYPE : TSP", "EDGE_WEIGHT_TYPE : EUC_2D", "NODE_COORD_SECTION"]
    coords = [(0, 0), (0, 10), (10, 10), (10, 0), (5, 0)]
    lines += [f"{i + 1} {x} {y}" for i, (x, y) in enumerate(coords)] + ["EOF"]
    (tmp_path / "sq.tsp").write_text("\n".join(lines) + "\n")
    (tmp_path / "optima.json").write_text('{"sq": {"n": 5, "optimal_length": 40}}')
    names = bench.folder_instances(str(tmp_path))
    row = bench.measure_instance(names[0], ["fast_tsp", "ours"], 0.2, 2, 1)
    assert row["reference"] == 40 and row["reference_kind"] == "proven optimum"
    for method in ("fast_tsp", "ours"):
        assert row["methods"][method]["gaps_pct"] == [0.0, 0.0]


def test_boards_are_one_layout_inside_its_outline_on_every_board(bench):
    # boards-N-sS: each board's holes lie inside its 90 mm outline, boards 2.5 mm apart, and
    # every board is drilled alike (the step-and-repeat a shop's panel is); panel-N-sS's
    # boards reach into each other, so the two kinds differ on purpose.
    pts, _ = bench.instance("boards-5000-s2")
    assert len(pts) == 5000 and len(np.unique(pts, axis=0)) == 5000
    cell = pts // 9250
    local = pts - cell * 9250
    assert local.max() <= 9000 and local.min() >= 0
    layouts = {}
    for key, hole in zip(map(tuple, cell.astype(int)), map(tuple, local.astype(int)), strict=True):
        layouts.setdefault(key, set()).add(hole)
    assert len(layouts) == 4
    full = max(layouts.values(), key=len)
    assert all(holes <= full for holes in layouts.values())  # the last board may be cut short
    assert sum(len(h) == len(full) for h in layouts.values()) >= 3


def test_the_library_column_gets_tsplib_distances_scaled_only_when_they_do_not_fit(bench):
    rng = np.random.default_rng(3)
    small = rng.uniform(0, 5_000, (700, 2))  # spans more than one of the 512-row slices
    exact = np.floor(np.hypot(*(small[:, None, :] - small[None, :, :]).transpose(2, 0, 1)) + 0.5)
    assert np.array_equal(bench.rounded_matrix(small, "EUC_2D"), exact)
    wide = small * 40  # diagonal ~280,000: a TSPLIB distance would overflow uint16
    scaled = bench.rounded_matrix(wide, "EUC_2D").astype(float)
    real = np.hypot(*(wide[:, None, :] - wide[None, :, :]).transpose(2, 0, 1))
    factor = 65535 / np.hypot(*np.ptp(wide, axis=0))
    assert scaled.max() <= 65535 and np.abs(scaled - real * factor).max() <= 0.5 + 1e-6
