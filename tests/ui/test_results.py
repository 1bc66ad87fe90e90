"""AppTests of the Results, Optimize and Jobs pages on real runs: the evidence, the readable
changes, downloads that say "optimized", nothing to optimize, earlier runs."""

from __future__ import annotations

import io
import zipfile

import pytest

import processing
from ncopt.scenario import read_sheets, write_sheets
from tests.jobs.helpers import wait_terminal
from tests.ui.helpers import app, copy_demo, texts

pytestmark = pytest.mark.slow  # real detached jobs on the real engine

EVIDENCE = "tests.ui.entries:with_evidence"


def _run(dept="demo", scen="pcb-drill", entry=EVIDENCE, seconds=3):
    processing.start_optimization_async(dept, scen, time_limit_s=seconds, entry=entry)
    info = wait_terminal(120, department=dept, scenario=scen)
    assert info["state"] == "succeeded", info
    return info


@pytest.fixture
def pcb(job_env):
    copy_demo(job_env, "demo", "pcb-drill")
    return _run()


def _table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_verification_report_is_a_checklist(pcb):
    at = app("results", "demo", "pcb-drill")
    assert not at.exception
    text = texts(at)
    assert "Verified: the new program was parsed again and passed all 8 checks." in text
    checks = _table(at, "Check")
    assert list(checks["Outcome"]) == ["✓ passed"] * 8
    assert "Every hole once, same cycle, Z, R, Q, F, S" in list(checks["Check"])
    assert "Motion safety: return and travel levels" in list(checks["Check"])
    tools = _table(at, "Rapid travel (m)")
    assert list(tools["Tool"]) == ["T1", "T2", "T3", "T4"]
    assert tools["Holes"].iloc[0] == "854 → 854 ✓"
    old_m, new_m = (float(v) for v in tools["Rapid travel (m)"].iloc[0].split(" → "))
    assert new_m < old_m  # the engine's distances, in metres


def test_groups_left_alone_are_listed_with_their_reason(job_env):
    copy_demo(job_env)  # mold-plate: single-operation groups are left alone
    _run("demo", "mold-plate")
    at = app("results", "demo", "mold-plate")
    alone = _table(at, "Why")
    assert "a single operation, nothing to order" in set(alone["Why"])
    assert f"{len(alone)} group{'s' if len(alone) > 1 else ''} left alone" in texts(at)


def _tool1_change(dept="demo", scen="pcb-drill") -> tuple[int, float, float, float]:
    """T1's changed groups summed straight from the result's report (holes, m, m, s)."""
    row = processing.load_optimization_result(dept, scen)["out_df"].iloc[0]
    mine = [g for g in row["groups"] if g["tool"] == 1 and g["changed"]]
    holes = sum(g["holes"] for g in mine)
    old_m = sum(g["rapid_distance_old_mm"] for g in mine) / 1000
    new_m = sum(g["rapid_distance_new_mm"] for g in mine) / 1000
    saved = sum(g["rapid_s_old"] - g["rapid_s_new"] for g in mine)
    return holes, old_m, new_m, saved


def test_what_changed_is_one_line_per_tool_and_the_raw_diff_waits_to_be_asked(pcb):
    holes, old_m, new_m, saved = _tool1_change()
    assert holes == 854 and new_m < old_m
    at = app("results", "demo", "pcb-drill")
    lines = [t.value for t in at.text]
    assert lines[0] == (
        f"T1: 854 holes re-sequenced, rapid {old_m:,.2f} → {new_m:,.2f} m ({saved:,.1f} s saved)"
    )
    assert not any(c.language == "diff" for c in at.code)
    at.toggle(key="raw-diff-PCB-BACKPLANE.nc").set_value(True).run()
    diff = next(c.value for c in at.code if c.language == "diff")
    assert diff.startswith("--- PCB-BACKPLANE.nc (old)")


def test_the_changes_read_in_chinese(pcb):
    _, old_m, new_m, _ = _tool1_change()
    at = app("results", "demo", "pcb-drill", lang="zh")
    assert next(t.value for t in at.text).startswith(
        f"T1：854 個孔重新排序，快速移動 {old_m:,.2f} → {new_m:,.2f} m"
    )
    assert "已驗證" in texts(at)


def test_downloads_say_optimized(pcb):
    at = app("results", "demo", "pcb-drill")
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Download the optimized programs (1, zip)",
        "Download the report (xlsx)",
        "Download PCB-BACKPLANE_optimized.nc",
    ]
    result = processing.load_optimization_result("demo", "pcb-drill")
    from ui import data

    archive = zipfile.ZipFile(io.BytesIO(data.programs_zip(result["new_codes"])))
    assert archive.namelist() == ["PCB-BACKPLANE_optimized.nc"]
    assert data.optimized_name("pcb-drill.zip", pcb["job_id"]).startswith("pcb-drill_optimized_")


def test_the_optimize_page_shows_the_saving_and_the_way_to_results(pcb):
    at = app("optimize", "demo", "pcb-drill")
    assert "Done: cycle time 1,204.5 s →" in texts(at)
    links = [link.label for link in at.get("page_link")]
    assert "See the results and the evidence" in links


def test_an_empty_scenario_cannot_start_and_says_there_is_nothing_to_optimize(job_env):
    folder = copy_demo(job_env)
    xlsx = folder / "mold-plate.xlsx"
    sheets = read_sheets(xlsx)
    sheets["programs"]["enabled"] = False
    write_sheets(xlsx, sheets)
    at = app("optimize", "demo", "mold-plate")
    assert "Nothing to optimize" in texts(at)
    assert "Done — optimize in the background" not in [b.label for b in at.button]
    # A run started anyway (CLI, API) fails and says why, instead of a 0 s → 0 s success.
    processing.start_optimization_async("demo", "mold-plate", time_limit_s=3)
    final = wait_terminal(60, department="demo", scenario="mold-plate")
    assert final["state"] == "failed" and "nothing to optimize" in final["error"]["message"]
    at = app("results", "demo", "mold-plate")
    assert "nothing to optimize" in texts(at)
    assert not at.get("download_button")  # no 0 s → 0 s, no empty zip
    shown = {m.label for m in at.metric}
    assert shown <= {"Status", "Elapsed", "Best cycle time so far", "Job id"}, shown


def test_a_scenario_with_problems_lists_them_all_on_optimize(job_env):
    folder = copy_demo(job_env)
    xlsx = folder / "mold-plate.xlsx"
    sheets = read_sheets(xlsx)
    machine = sheets["machine"]
    machine.loc[0, "value"] = "fast"
    machine.loc[1, "value"] = -1
    write_sheets(xlsx, sheets)
    at = app("optimize", "demo", "mold-plate")
    assert "The scenario has 2 problems" in texts(at)
    assert len(_table(at, "Problem")) == 2


def test_an_earlier_run_opens_from_the_jobs_page(job_env):
    copy_demo(job_env, "demo", "pcb-drill")
    first = _run()
    second = _run()
    at = app("jobs", "demo", "pcb-drill")
    table = _table(at, "Status")
    assert list(table.columns) == [
        "Department",
        "Scenario",
        "Status",
        "Progress",
        "Elapsed",
        "Host · backend",
        "Why it failed",
        "Job id",
    ]
    assert list(table["Job id"]) == [second["job_id"]]
    at.selectbox(key="jobs_run").set_value(first["job_id"]).run()
    at.button(key="jobs_open").click().run()
    assert not at.exception
    assert at.title[0].value == "Results"
    assert f"Viewing an earlier run: job {first['job_id']}" in texts(at)
    at.button[[b.label for b in at.button].index("Back to the latest result")].click().run()
    assert "Viewing an earlier run" not in texts(at)


def test_the_jobs_page_says_why_a_job_failed(job_env):
    copy_demo(job_env)
    processing.start_optimization_async("demo", "mold-plate", entry="tests.jobs.entries:raises")
    wait_terminal(department="demo", scenario="mold-plate")
    at = app("jobs")
    table = _table(at, "Why it failed")
    assert "T99" in table["Why it failed"].iloc[0]


def test_what_the_figures_leave_out_is_shown_with_its_line(job_env):
    folder = copy_demo(job_env, "demo", "pcb-drill")
    program = folder / "programs" / "PCB-BACKPLANE.nc"
    lines = program.read_text().splitlines()
    lines.insert(12, "G4 P0.5")  # a decimal P: a Fanuc control reads it as 0.5 ms
    program.write_text("\n".join(lines) + "\n")
    _run()
    row = processing.load_optimization_result("demo", "pcb-drill")["out_df"].iloc[0]
    assert row["warnings"], "the engine reports the decimal P"
    at = app("results", "demo", "pcb-drill", lang="zh")
    assert "注意：此程式有" in texts(at)
    table = _table(at, "問題")
    assert 13 in list(table["行"])
    assert any("依 Fanuc 控制器讀為" in m for m in table["問題"])
