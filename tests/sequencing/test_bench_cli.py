"""The benchmark's external-check CLI writes a closed tour as 0-based indices, one per line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench_module(name: str):
    """A script of bench/ loaded by path (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / f"bench/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TSP = _bench_module("seq_instances").tsplib_dir() / "d198.tsp"


def test_instance_cli_writes_a_valid_tour(tmp_path):
    if not TSP.exists():
        pytest.skip(f"{TSP} is not there (the shared folder sits beside the repo)")
    out = tmp_path / "tour.txt"
    cmd = [sys.executable, "bench/sequencing.py", "--instance", str(TSP), "--time-limit", "0.5"]
    subprocess.run([*cmd, "--tour-out", str(out)], check=True, cwd=ROOT, capture_output=True)
    tour = [int(line) for line in out.read_text().splitlines()]
    assert sorted(tour) == list(range(198))


def test_ratio_interval_separates_a_clear_gain_from_noise():
    bench = _bench_module("sequencing")
    rng = np.random.default_rng(3)
    # Ten runs each on five instances, gaps drawn from one distribution: the ratio is 1 in truth.
    same = [rng.exponential(0.03, 10).tolist() for _ in range(5)]
    other = [rng.exponential(0.03, 10).tolist() for _ in range(5)]
    lo, hi = bench.ratio_interval(same, other)
    assert lo < 1.0 < hi and hi - lo > 0.2
    # Half the gap in truth: the interval holds 0.5 and sits well below 1.
    half = [rng.exponential(0.015, 10).tolist() for _ in range(5)]
    lo, hi = bench.ratio_interval(half, other)
    assert lo < 0.5 < hi < 0.9
    assert bench.ratio_interval([[0.1]], [[0.2]]) is None
