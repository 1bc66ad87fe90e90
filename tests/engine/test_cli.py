"""``python -m ncopt stats``: JSON on stdout, exit 2 with line-numbered errors on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ncopt import Machine, estimate_cycle_time, parse_program
from ncopt.cli import main
from tests.engine.conftest import ROOT

PCB = ROOT / "scenarios/demo/scenario/pcb-drill/programs/PCB-BACKPLANE.nc"
KEYS = {"total_s", "rapid_s", "cutting_s", "tool_change_s", "dwell_s", "rapid_distance_mm"}


def run_process(*args: str) -> subprocess.CompletedProcess:
    """The real ``python -m ncopt`` (slow to start: used where the process contract matters)."""
    env = dict(os.environ, NCOPT_DATA_DIR=str(ROOT / "scenarios"))
    return subprocess.run(
        [sys.executable, "-m", "ncopt", "stats", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def run(capsys, monkeypatch):
    """``main`` in this process: same argument handling, output and exit codes."""
    monkeypatch.setenv("NCOPT_DATA_DIR", str(ROOT / "scenarios"))

    def call(*args: str) -> subprocess.CompletedProcess:
        code = main(["stats", *map(str, args)])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return call


def test_stats_prints_the_breakdown_of_the_default_machine(tmp_path, mixed_program):
    path = tmp_path / "P1.nc"
    path.write_text(mixed_program, encoding="utf-8")
    proc = run_process(path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert KEYS | {"tool_changes", "holes"} <= set(out)
    expected = estimate_cycle_time(parse_program(mixed_program), Machine())
    assert out["total_s"] == pytest.approx(expected.total_s, abs=1e-5)
    assert (out["holes"], out["tool_changes"]) == (6, 2)


def test_machine_json_and_scenario_change_the_machine(tmp_path, run):
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps({"rapid_x_mm_min": 6000, "rapid_y_mm_min": 6000}))
    default = json.loads(run(PCB).stdout)
    slower = json.loads(run(PCB, "--machine", slow).stdout)
    assert slower["rapid_s"] > default["rapid_s"] and slower["cutting_s"] == default["cutting_s"]
    proc = run(PCB, "--scenario", "demo/pcb-drill")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["holes"] == default["holes"]


def test_bad_program_exits_2_with_every_error_and_its_line(tmp_path):
    path = tmp_path / "bad.nc"
    path.write_text("G0 X0 Y0 Z5.\nG1 Z-1. F100.\nG2 X10. Y0.\nG1 X1. X2.\n", encoding="utf-8")
    proc = run_process(path)
    assert proc.returncode == 2
    assert "line 3, column 1" in proc.stderr and "line 4" in proc.stderr
    issues = json.loads(proc.stdout)["issues"]
    assert [i["line"] for i in issues] == [3, 4]


@pytest.mark.parametrize(
    "content",
    [b"G0 X1.\n\x00\x01\x02\x03 binary\n", "G0 X\u00e9\n".encode("latin-1")],
    ids=["binary", "latin-1"],
)
def test_binary_or_non_utf8_exits_2(tmp_path, content, run):
    path = tmp_path / "bin.nc"
    path.write_bytes(content)
    proc = run(path)
    assert proc.returncode == 2 and "line" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_scenario_missing_file_and_bad_machine_exit_2(tmp_path, run):
    assert run(PCB, "--scenario", "demo/no-such").returncode == 2
    assert run(PCB, "--scenario", "../etc").returncode == 2
    assert run(tmp_path / "missing.nc").returncode == 2
    bad = tmp_path / "m.json"
    bad.write_text('{"rapid_x_mm_min": -1}')
    proc = run(PCB, "--machine", bad)
    assert proc.returncode == 2 and "rapid_x_mm_min" in proc.stderr
