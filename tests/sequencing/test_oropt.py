"""The polishing local search (``_oropt``): exact gains, every hole kept, ends kept, undo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ncopt.sequencing._large as large
import ncopt.sequencing._oropt as oropt
from ncopt.machine import Machine
from ncopt.sequencing import solve_open_path
from ncopt.sequencing._core import External, path_cost, strip_order
from ncopt.sequencing._oropt import LocalSearch

ROOT = Path(__file__).resolve().parents[2]


def _cases(count: int, seed: int):
    """Random sets: uniform or on a coarse grid (ties, collinear runs, duplicates), Euclidean
    or machine time, closed tours and open paths with and without a start."""
    rng = np.random.default_rng(seed)
    for case in range(count):
        n = int(rng.integers(5, 260))
        pts = rng.uniform(0, 100, (n, 2))
        if case % 3 == 0:
            pts = np.round(pts / 10) * 10
        cost = Machine() if case % 2 else "euclidean"
        closed = case % 4 == 0
        head = None
        if not closed and case % 5:
            head = (float(rng.uniform(-50, 150)), float(rng.uniform(-50, 150)))
        yield case, pts, cost, closed, head, rng.permutation(n)


def _cost(pts, cost, order, head, closed) -> float:
    ext = External(head) if head is not None else None
    return path_cost(cost, pts, np.asarray(order), ext, None, closed)


def _check(search: LocalSearch, pts, cost, head, closed, before: float, gain: float) -> float:
    order = search.order()
    assert sorted(order.tolist()) == list(range(len(pts)))
    after = _cost(pts, cost, order, head, closed)
    # The gain the search counted is the real change of the full-precision cost, so the
    # start (pinned through the dummy node) and the free end were kept as they should be.
    assert after == pytest.approx(before + gain, rel=1e-9, abs=1e-9)
    # never longer: kicks that change nothing are kept, at the cost of float rounding
    assert after <= before * (1 + 1e-9)
    return after


def test_moves_and_kicks_count_exact_gains_and_keep_every_hole():
    for case, pts, cost, closed, head, order in _cases(48, seed=1):
        search = LocalSearch(pts, cost, order, head=head, closed=closed, seed=case)
        before = _cost(pts, cost, order, head, closed)
        gain = search.descend()
        after = _check(search, pts, cost, head, closed, before, gain)
        gain, _kept = search.kick(1500)
        _check(search, pts, cost, head, closed, after, gain)


def test_a_start_far_from_the_holes_stays_first():
    rng = np.random.default_rng(5)
    pts = rng.uniform(0, 10, (80, 2))
    head = (5000.0, -3000.0)  # far outside the holes' box: each edge from it is ~600x theirs
    search = LocalSearch(pts, "euclidean", rng.permutation(80), head=head)
    before = _cost(pts, "euclidean", search.order(), head, False)
    gain = search.descend() + search.kick(3000)[0]
    _check(search, pts, "euclidean", head, False, before, gain)
    # from a start far to the lower right the path begins at the hole closest to it
    first = search.order()[0]
    assert first == int(np.argmin(np.hypot(*(pts - head).T)))


def test_a_path_reversed_inside_the_search_is_read_back_from_its_start():
    # Holes on a line, given from the far end: the descent reverses all of them, and a
    # reversal turns the shorter side, here the start and the dummy node; order() must
    # still read the path from the start.
    pts = np.c_[np.arange(1.0, 41.0), np.zeros(40)]
    search = LocalSearch(pts, "euclidean", np.arange(40)[::-1], head=(0.0, 0.0))
    search.descend()
    assert search.order().tolist() == list(range(40))


def test_kicks_whose_search_fills_the_log_are_undone_exactly(monkeypatch):
    monkeypatch.setattr(oropt, "_LOG", 4)  # room for one move: most searches stop early
    for case, pts, cost, closed, head, order in _cases(24, seed=2):
        search = LocalSearch(pts, cost, order, head=head, closed=closed, seed=case)
        before = _cost(pts, cost, order, head, closed)
        after = _check(search, pts, cost, head, closed, before, search.descend())
        gain, _kept = search.kick(800)
        _check(search, pts, cost, head, closed, after, gain)


def test_points_on_a_circle_come_out_in_circle_order():
    angles = np.random.default_rng(3).permutation(np.linspace(0, 2 * np.pi, 150, endpoint=False))
    pts = np.c_[np.cos(angles), np.sin(angles)] * 100
    search = LocalSearch(pts, "euclidean", np.arange(150), closed=True)
    search.descend()
    search.kick(5000)
    ring = np.argsort(angles)
    order = search.order()
    expected = _cost(pts, "euclidean", ring, None, True)
    assert _cost(pts, "euclidean", order, None, True) == pytest.approx(expected, rel=1e-12)


@pytest.mark.alone
def test_polish_shortens_a_strip_order_within_its_time():
    from ncopt.budget import Budget

    pts = np.random.default_rng(4).uniform(0, 1000, (3000, 2))
    order = strip_order(pts)
    search = LocalSearch(pts, "euclidean", order, closed=True)
    before = _cost(pts, "euclidean", order, None, True)
    budget = Budget(10.0)
    gain = search.polish(budget, 0.5, stall=10**9)
    assert budget.elapsed() < 1.5
    after = _check(search, pts, "euclidean", None, True, before, gain)
    assert after < 0.9 * before


def _decomposed_open_path(monkeypatch, ready: bool, time_limit_s: float):
    calls = []
    polish = LocalSearch.polish

    def counted(self, budget, duration_s, stall):
        calls.append(duration_s)
        return polish(self, budget, duration_s, stall)

    monkeypatch.setattr(LocalSearch, "polish", counted)
    monkeypatch.setattr(large, "_local_search_ready", lambda: ready)
    rng = np.random.default_rng(6)
    pts = rng.uniform(0, 500, (2500, 2))
    r = solve_open_path(
        pts, start=(-20.0, 0.0), time_limit_s=time_limit_s, memory_mb=8.0, threads=1
    )
    assert r.parts > 1
    assert sorted(r.order.tolist()) == list(range(len(pts)))
    assert r.cost == pytest.approx(_cost(pts, "euclidean", r.order, (-20.0, 0.0), False))
    return calls


@pytest.mark.slow
def test_a_decomposed_set_is_polished_after_the_seams_and_at_the_end(monkeypatch):
    # two parts in 4.2 s; the seam's re-solve is skipped so that both polishes have time
    monkeypatch.setattr(large, "_improve_one", lambda *args: args[2])
    calls = _decomposed_open_path(monkeypatch, ready=True, time_limit_s=6.0)
    assert len(calls) == 2, calls


@pytest.mark.slow
def test_a_decomposed_set_is_complete_while_the_search_is_still_compiling(monkeypatch, caplog):
    caplog.set_level("INFO", logger="ncopt.sequencing._large")
    assert _decomposed_open_path(monkeypatch, ready=False, time_limit_s=4.0) == []
    assert "still compiling" in caplog.text  # the log says why it was not polished


@pytest.mark.slow
def test_ready_does_not_wait_for_compiling(tmp_path):
    script = textwrap.dedent(
        """
        import json, time
        from ncopt.sequencing._oropt import ready
        t = time.monotonic()
        first = ready()
        asked = time.monotonic() - t
        while not ready() and time.monotonic() - t < 120:
            time.sleep(0.05)
        print(json.dumps({"asked_s": asked, "ready": ready(), "took_s": time.monotonic() - t}))
        """
    )
    # An empty cache directory: the kernels must really be compiled (10-20 s), which a
    # ready() that waited would show; loading them from the shared cache takes ~0.4 s.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["ready"], res
    assert res["took_s"] > 2.0, res  # it did compile
    assert res["asked_s"] < 0.5, res  # the first call only starts the background thread
