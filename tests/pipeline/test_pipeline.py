"""run_generate_nc_code on real demo scenarios: faster, verified, or unchanged with a reason."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import processing
from ncopt import estimate_cycle_time, parse_program, verify_equivalent
from ncopt.pipeline import OUT_COLUMNS, run_generate_nc_code
from ncopt.scenario import load_scenario
from tests.jobs.helpers import wait_terminal

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios"


def _copy(src: str, data_dir: Path) -> Path:
    dept, name = src.split("/")
    dest = data_dir / dept / "scenario" / name
    shutil.copytree(DEMO / dept / "scenario" / name, dest)
    return dest


def _check_outputs(folder: Path, new_codes, old_codes, out_df):
    machine = load_scenario(folder).machine
    assert list(out_df.columns) == list(OUT_COLUMNS)
    assert set(new_codes) == set(old_codes) == set(out_df["program"])
    for row in out_df.to_dict("records"):
        old = parse_program(old_codes[row["program"]], machine)
        new = parse_program(new_codes[row["program"]], machine)
        report = verify_equivalent(old, new)
        assert report.ok, report.first_difference
        t_old = estimate_cycle_time(old, machine).total_s
        t_new = estimate_cycle_time(new, machine).total_s
        assert row["cycle_time_old_s"] == pytest.approx(t_old)
        assert row["cycle_time_new_s"] == pytest.approx(t_new)
        if row["status"] == "optimized":
            assert t_new < t_old
            assert row["saving_s"] == pytest.approx(t_old - t_new)
            assert row["hours_saved_per_year"] == pytest.approx(
                row["saving_s"] * row["quantity_per_year"] / 3600
            )
        else:
            assert new_codes[row["program"]] == old_codes[row["program"]]


def test_mold_plate_is_faster_and_verified(data_dir):
    folder = _copy("demo/mold-plate", data_dir)
    new_codes, old_codes, out_df = run_generate_nc_code(
        {"scenario_dir": str(folder), "time_limit_s": 5}
    )
    assert set(out_df["status"]) == {"optimized"}
    assert (out_df["rapid_distance_new_mm"] < out_df["rapid_distance_old_mm"]).all()
    _check_outputs(folder, new_codes, old_codes, out_df)


@pytest.mark.slow
def test_pcb_holes_resequenced_every_hole_once(data_dir):
    folder = _copy("demo/pcb-drill", data_dir)
    progress = []
    new_codes, old_codes, out_df = run_generate_nc_code(
        {"scenario_dir": str(folder), "time_limit_s": 8},
        progress=lambda **kw: progress.append(kw),
    )
    row = out_df.iloc[0]
    assert row["status"] == "optimized" and row["holes"] == 1581
    assert row["saving_pct"] > 1.0
    assert row["rapid_distance_new_mm"] < 0.7 * row["rapid_distance_old_mm"]
    assert progress[-1]["fraction"] == 1.0 and progress[-1]["stage"] == "done"
    assert any(p.get("best_cycle_time_s") for p in progress)
    _check_outputs(folder, new_codes, old_codes, out_df)


def test_bad_program_is_an_error_row_and_others_still_run(data_dir):
    folder = _copy("demo/mold-plate", data_dir)
    prog = folder / "programs" / "MOLD-B.nc"
    lines = prog.read_text().splitlines(keepends=True)
    lines[5] = "G2 X10.\n"  # an arc without a centre or radius
    prog.write_text("".join(lines))
    new_codes, old_codes, out_df = run_generate_nc_code(
        {"scenario_dir": str(folder), "time_limit_s": 3}
    )
    rows = {r["program"]: r for r in out_df.to_dict("records")}
    assert rows["MOLD-B.nc"]["status"] == "error"
    assert "line 6" in rows["MOLD-B.nc"]["reason"]
    assert new_codes["MOLD-B.nc"] == old_codes["MOLD-B.nc"]
    assert rows["MOLD-A.nc"]["status"] == "optimized"


def test_output_failing_verification_is_refused(data_dir, monkeypatch):
    import ncopt.pipeline

    folder = _copy("demo/mold-plate", data_dir)
    real_write = ncopt.pipeline.emit_with_spans

    def drop_a_hole(program):
        text, spans = real_write(program)
        lines = text.splitlines(keepends=True)
        # Delete the first bare hole line: one hole fewer than the original program.
        for i, line in enumerate(lines):
            if line.startswith("X") and "Y" in line and "G" not in line:
                del lines[i]
                break
        return "".join(lines), spans

    monkeypatch.setattr(ncopt.pipeline, "emit_with_spans", drop_a_hole)
    new_codes, old_codes, out_df = run_generate_nc_code(
        {"scenario_dir": str(folder), "time_limit_s": 3}
    )
    rejected = out_df[out_df["status"] == "rejected"]
    assert len(rejected) >= 1
    assert rejected["reason"].str.contains("verification failed").all()
    for name in rejected["program"]:
        assert new_codes[name] == old_codes[name]


def test_stop_at_once_still_returns_valid_programs(data_dir):
    folder = _copy("demo/pcb-drill", data_dir)
    new_codes, old_codes, out_df = run_generate_nc_code(
        {"scenario_dir": str(folder), "time_limit_s": 30}, should_stop=lambda: True
    )
    _check_outputs(folder, new_codes, old_codes, out_df)


@pytest.mark.alone
@pytest.mark.slow
def test_progress_and_stop_requests_are_served_every_half_second(data_dir):
    folder = _copy("demo/pcb-drill", data_dir)
    progress_at: list[float] = []
    messages: list[str] = []
    stop_at: list[float] = []

    def progress(message=None, **_) -> None:
        progress_at.append(time.monotonic())
        messages.append(message or "")

    def should_stop() -> bool:
        stop_at.append(time.monotonic())
        return False

    run_generate_nc_code(
        {"scenario_dir": str(folder), "time_limit_s": 4}, progress=progress, should_stop=should_stop
    )
    assert len(progress_at) > 8 and len(stop_at) > 8
    assert np.diff(progress_at).max() <= 0.5
    inside = [t for t in stop_at if progress_at[0] <= t <= progress_at[-1]]
    assert np.diff([progress_at[0], *inside, progress_at[-1]]).max() <= 0.5
    assert any("searching" in m for m in messages)
    assert any("verifying the new program" in m for m in messages)


@pytest.mark.slow
def test_real_background_job_on_demo_scenario(job_env):
    _copy("machining-2/manifold", job_env)
    processing.start_optimization_async("machining-2", "manifold", time_limit_s=20)
    final = wait_terminal(timeout_s=90, department="machining-2", scenario="manifold")
    assert final["state"] == "succeeded", final.get("error")
    result = processing.load_optimization_result("machining-2", "manifold")
    assert result["out_df"].iloc[0]["status"] == "optimized"
    machine = load_scenario(job_env / "machining-2" / "scenario" / "manifold").machine
    old = parse_program(result["old_codes"]["MANIFOLD-M1.nc"], machine)
    new = parse_program(result["new_codes"]["MANIFOLD-M1.nc"], machine)
    assert verify_equivalent(old, new).ok


def test_a_scenario_without_an_enabled_program_is_an_error_not_an_empty_success(data_dir):
    from ncopt.errors import ScenarioError
    from ncopt.scenario import read_sheets, write_sheets

    folder = _copy("demo/pcb-drill", data_dir)
    xlsx = folder / "pcb-drill.xlsx"
    sheets = read_sheets(xlsx)
    sheets["programs"]["enabled"] = False
    write_sheets(xlsx, sheets)
    with pytest.raises(ScenarioError, match="nothing to optimize"):
        run_generate_nc_code({"scenario_dir": str(folder)})
