"""The benchmark's external-check CLI writes a closed tour as 0-based indices, one per line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tsplib_dir() -> Path:
    spec = importlib.util.spec_from_file_location("seq_instances", ROOT / "bench/seq_instances.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tsplib_dir()


TSP = _tsplib_dir() / "d198.tsp"


def test_instance_cli_writes_a_valid_tour(tmp_path):
    if not TSP.exists():
        pytest.skip(f"{TSP} is not there (the shared folder sits beside the repo)")
    out = tmp_path / "tour.txt"
    cmd = [sys.executable, "bench/sequencing.py", "--instance", str(TSP), "--time-limit", "0.5"]
    subprocess.run([*cmd, "--tour-out", str(out)], check=True, cwd=ROOT, capture_output=True)
    tour = [int(line) for line in out.read_text().splitlines()]
    assert sorted(tour) == list(range(198))
