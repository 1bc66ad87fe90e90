"""``python -m ncopt optimize``: one program headless, verified output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ncopt import Machine, parse_program, verify_equivalent

ROOT = Path(__file__).resolve().parents[2]
PCB = ROOT / "scenarios" / "demo" / "scenario" / "pcb-drill" / "programs" / "PCB-BACKPLANE.nc"


def _ncopt(*args):
    env = {**os.environ, "NCOPT_DATA_DIR": str(ROOT / "scenarios")}
    return subprocess.run(
        [sys.executable, "-m", "ncopt", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_optimize_writes_a_verified_faster_program_and_report(tmp_path):
    out, report = tmp_path / "out.nc", tmp_path / "report.json"
    proc = _ncopt(
        "optimize",
        str(PCB),
        "-o",
        str(out),
        "--scenario",
        "demo/pcb-drill",
        "--time-limit",
        "2",
        "--report",
        str(report),
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row == json.loads(report.read_text())
    assert row["status"] == "optimized" and row["saving_s"] > 0
    machine = Machine()  # the pcb-drill scenario uses the default machine values
    old = parse_program(PCB.read_bytes(), machine)
    new = parse_program(out.read_bytes(), machine)
    assert verify_equivalent(old, new).ok


def test_optimize_with_machine_file(tmp_path):
    machine_file = tmp_path / "m.json"
    machine_file.write_text(json.dumps({"rapid_x_mm_min": 12000, "rapid_y_mm_min": 12000}))
    proc = _ncopt(
        "optimize",
        str(PCB),
        "-o",
        str(tmp_path / "o.nc"),
        "--machine",
        str(machine_file),
        "--time-limit",
        "1",
    )
    assert proc.returncode == 0, proc.stderr
    slow = json.loads(proc.stdout)
    assert slow["rapid_s_old"] > 0 and slow["status"] == "optimized"


def test_bad_program_exits_2_with_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.nc"
    bad.write_text("G0 X1.\nG2 X10.\n")
    out = tmp_path / "out.nc"
    proc = _ncopt("optimize", str(bad), "-o", str(out))
    assert proc.returncode == 2
    assert "line 2" in proc.stderr and json.loads(proc.stdout)["status"] == "error"
    assert not out.exists()


def test_bad_arguments_exit_2(tmp_path):
    proc = _ncopt("optimize", str(PCB), "-o", str(tmp_path / "o.nc"), "--scenario", "../etc")
    assert proc.returncode == 2 and "error" in json.loads(proc.stdout)
    proc = _ncopt("optimize", str(PCB), "-o", str(tmp_path / "o.nc"), "--time-limit", "-1")
    assert proc.returncode == 2
