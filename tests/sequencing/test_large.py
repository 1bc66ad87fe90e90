"""Large inputs are decomposed and stay within memory (measured in a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ncopt.sequencing import dense_limit, solve_open_path, solve_tour

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from ncopt.sequencing import solve_open_path
    rng = np.random.default_rng(11)
    centres = rng.uniform(0, 600, (40, 2))
    pts = (centres[:, None, :] + rng.uniform(-12, 12, (40, 1000, 2))).reshape(-1, 2)
    r = solve_open_path(pts, start=(0.0, 0.0), time_limit_s=8.0, memory_mb=256)
    ok = sorted(r.order.tolist()) == list(range(len(pts)))
    nn_free = float(np.hypot(*np.diff(pts, axis=0).T).sum())  # file order, as a bad baseline
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork+exec, so the child would report
    # the (large) pytest process it was forked from; exec starts a fresh VmHWM.
    status = open("/proc/self/status").read()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"ok": ok, "parts": r.parts, "cost": r.cost, "file_order": nn_free,
                      "peak_mb": peak_mb, "elapsed": r.elapsed_s, "method": r.method}))
    """
)


@pytest.mark.slow
def test_40k_points_are_decomposed_within_memory(tmp_path):
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, cwd=root
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["ok"]
    assert res["method"] == "decomposed" and res["parts"] > 1
    # A full 40,002² uint16 matrix alone would be 3,052 MB; the budget was 256 MB of matrices.
    assert res["peak_mb"] < 700, res
    assert res["elapsed"] < 12.0
    assert res["cost"] < 0.2 * res["file_order"]


@pytest.mark.slow
def test_decomposition_keeps_open_path_ends_and_every_point():
    rng = np.random.default_rng(2)
    pts = rng.uniform(0, 100, (3000, 2))
    assert dense_limit(1.0) < 3000
    r = solve_open_path(pts, start=(-5.0, -5.0), time_limit_s=3.0, memory_mb=1.0)
    assert r.parts > 1
    assert sorted(r.order.tolist()) == list(range(len(pts)))
    seq = np.vstack([(-5.0, -5.0), pts[r.order]])
    assert abs(r.cost - np.hypot(*np.diff(seq, axis=0).T).sum()) < 1e-6 * r.cost


def test_region_resolve_keeps_the_ends_and_every_point():
    from ncopt.sequencing._core import Budget
    from ncopt.sequencing._regions import resolve_region

    rng = np.random.default_rng(4)
    pts = rng.uniform(0, 100, (2000, 2))
    order = rng.permutation(2000)  # a bad order: many fragments in any region
    region = np.argpartition(np.hypot(*(pts - 50.0).T), 300)[:300]
    new = resolve_region(pts, "euclidean", order, region, Budget(5.0, None, None), 1.0, 1)
    assert new is not None
    assert sorted(new.tolist()) == list(range(2000))
    assert new[0] == order[0] and new[-1] == order[-1]
    # Every stretch of two or more holes outside the region is kept whole (either direction).
    where = np.empty(2000, dtype=np.int64)
    where[new] = np.arange(2000)
    outside = ~np.isin(order, region)
    runs = np.split(np.arange(2000), np.flatnonzero(np.diff(outside.astype(int)) != 0) + 1)
    for run in runs:
        if outside[run[0]] and len(run) > 1:
            assert np.abs(np.diff(where[order[run]])).max() == 1
            assert len(set(np.sign(np.diff(where[order[run]])))) == 1

    def length(o):
        return np.hypot(*np.diff(pts[o], axis=0).T).sum()

    assert length(new) < length(order)


def test_a_long_board_in_four_parts_is_toured_out_along_one_row_and_back_along_the_other():
    # 128 x 16 holes at pitch 1: a closed tour of 2,048 exists (a column snake). Cut into a row
    # of four parts, the tour over the parts jumps back ~96 from the last part to the first
    # (the old bisection); cut into two rows of two, the parts form a ring.
    xs, ys = np.meshgrid(np.arange(128.0), np.arange(16.0))
    pts = np.c_[xs.ravel(), ys.ravel()][np.random.default_rng(5).permutation(2048)]
    part_max = 515  # dense_limit(memory_mb) - 3 = 512 points per part
    r = solve_tour(pts, time_limit_s=3.0, memory_mb=part_max**2 * 4 / 2**20, threads=1)
    assert r.parts == 4
    assert sorted(r.order.tolist()) == list(range(2048))
    assert r.cost <= 2048 * 1.005  # the row of parts: 2,080 or more


def test_searches_side_by_side_count_their_own_matrix_copies_against_the_memory_budget():
    # Each thread's search holds its own copy of the matrix: 2,000 points fit one dense solve
    # in this budget with one thread (4 bytes per entry), not with two (6 bytes per entry).
    pts = np.random.default_rng(8).uniform(0, 1000, (2000, 2))
    memory_mb = 2100**2 * 4 / 2**20
    assert solve_tour(pts, time_limit_s=1.0, memory_mb=memory_mb, threads=1).parts == 1
    r = solve_tour(pts, time_limit_s=1.0, memory_mb=memory_mb, threads=2)
    assert r.parts == 2 and sorted(r.order.tolist()) == list(range(2000))


def test_parts_take_at_most_their_time_per_hole_and_leave_a_long_budget_to_the_regions(
    monkeypatch,
):
    # The library's search of a part levels off after ~1.1 ms per hole, so a long budget's
    # parts get PART_S_PER_HOLE each and the rest goes to the regions; a short one's get
    # PART_SHARE of it, as before.
    from ncopt.sequencing import _large

    calls: list[tuple[int, float]] = []
    real = _large.solve_segment

    def spy(seg, budget, duration_s, *args, **kwargs):
        if len(seg.pts) > 100:  # a part (the centres' small tour is not one)
            calls.append((len(seg.pts), duration_s))
        return real(seg, budget, min(duration_s, 0.02), *args, **kwargs)

    monkeypatch.setattr(_large, "solve_segment", spy)
    pts = np.random.default_rng(4).uniform(0, 1000, (3000, 2))
    parts = 8  # 3,000 points in parts of at most dense_limit(1.0) - 3 = 509
    given = {}
    for limit in (2.0, 60.0):
        calls.clear()
        r = solve_open_path(
            pts,
            time_limit_s=limit,
            memory_mb=1.0,
            threads=1,
            should_stop=lambda: len(calls) >= 2 * parts,
        )
        assert r.parts == parts and sorted(r.order.tolist()) == list(range(3000))
        assert len(calls) == 2 * parts and sum(n for n, _ in calls) == 2 * 3000
        given[limit] = sum(d for _, d in calls)
    assert given[60.0] == pytest.approx(_large.PART_S_PER_HOLE * 3000)
    assert given[60.0] < _large.PART_SHARE * 60.0 / 2
    assert _large.PART_SHARE * 2.0 * 0.8 < given[2.0] <= _large.PART_SHARE * 2.0
