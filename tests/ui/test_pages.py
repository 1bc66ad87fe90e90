"""AppTest of every page: empty data dir, demo data, a failing job, an outdated result."""

from __future__ import annotations

import pytest

import processing
from ncopt.scenario import read_sheets, write_sheets
from tests.jobs.helpers import wait_state, wait_terminal
from tests.ui.helpers import app, copy_demo, shown, texts

PAGES = ("scenarios", "editor", "optimize", "results", "jobs")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_an_empty_data_dir(job_env, page):
    at = app(page)
    assert not at.exception
    if page == "scenarios":
        assert "No scenarios" in texts(at)
    elif page in ("editor", "optimize", "results"):
        assert "Pick a scenario" in texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_demo_data(job_env, page):
    copy_demo(job_env)
    copy_demo(job_env, "machining-2", "manifold")
    at = app(page, "demo", "mold-plate")
    assert not at.error, [e.value for e in at.error]
    if page == "scenarios":
        table = at.dataframe[0].value
        assert set(table["Scenario"]) == {"mold-plate", "manifold"}
        assert set(table["Status"]) == {"idle"}
    if page == "editor":
        assert len(at.tabs) == 4  # machine, tools, programs, settings
        assert not at.button(key="save-demo/mold-plate").disabled


def test_chinese_is_the_default_language(job_env):
    at = app(lang="zh")
    assert at.title[0].value == "情境"


def test_create_scenario_from_template(job_env):
    at = app("scenarios")
    # form widgets: fill in, then submit in the same run
    at.text_input[0].input("加工課")
    at.text_input[1].input("新情境")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert (job_env / "加工課" / "scenario" / "新情境" / "新情境.xlsx").is_file()
    assert at.query_params["scenario"] == "新情境"


def test_create_scenario_refuses_unsafe_name(job_env):
    at = app("scenarios")
    at.text_input[0].input("dept")
    at.text_input[1].input("../evil")
    at.button[0].click().run()
    assert at.error and ".." in shown(at.error[0].value)
    assert not (job_env / "evil").exists()


def test_start_button_starts_one_job_and_second_click_gets_it(job_env, monkeypatch):
    monkeypatch.setenv("NCOPT_ENTRY", "tests.jobs.entries:sleepy")
    copy_demo(job_env)
    at = app("optimize", "demo", "mold-plate")
    at.button[0].click().run()
    first = processing.get_optimization_status("demo", "mold-plate")
    assert first["state"] in ("queued", "running")
    assert first["limits"]["soft_s"] == 15.0  # the scenario's time_limit_s setting
    assert "started in the background" in texts(at)
    at.button[0].click().run()
    assert first["job_id"] in texts(at) and "already running" in texts(at)
    wait_state("running", department="demo", scenario="mold-plate")
    at.run()
    assert [b.label for b in at.button][-2:] == ["Cancel", "Finish now (keep the best found)"]
    at.button(key="job_cancel").click().run()
    final = wait_terminal(department="demo", scenario="mold-plate")
    assert final["state"] == "cancelled"


def test_failing_job_shows_its_error(job_env):
    copy_demo(job_env)
    processing.start_optimization_async("demo", "mold-plate", entry="tests.jobs.entries:raises")
    wait_terminal(department="demo", scenario="mold-plate")
    for page in ("optimize", "results"):
        at = app(page, "demo", "mold-plate")
        assert any("T99" in e.value for e in at.error)
    at = app("scenarios", "demo", "mold-plate")
    assert "failed" in set(at.dataframe[0].value["Status"])


def test_a_failed_run_still_shows_the_last_result(job_env):
    copy_demo(job_env)
    processing.start_optimization_async("demo", "mold-plate", time_limit_s=3)
    first = wait_terminal(60, department="demo", scenario="mold-plate")
    assert first["state"] == "succeeded"
    processing.start_optimization_async("demo", "mold-plate", entry="tests.jobs.entries:raises")
    assert wait_terminal(department="demo", scenario="mold-plate")["state"] == "failed"
    at = app("results", "demo", "mold-plate")
    assert any("T99" in e.value for e in at.error)  # the failure, first
    assert any(first["job_id"] in shown(i.value) for i in at.info)  # then the last good result
    assert len(at.get("download_button")) == 2


def test_outdated_result_is_flagged(job_env):
    folder = copy_demo(job_env)
    processing.start_optimization_async("demo", "mold-plate", time_limit_s=5)
    assert wait_terminal(60, department="demo", scenario="mold-plate")["state"] == "succeeded"
    at = app("results", "demo", "mold-plate")
    assert "The scenario changed" not in texts(at)
    assert len(at.get("download_button")) == 2
    prog = folder / "programs" / "MOLD-B.nc"
    prog.write_text(prog.read_text() + "\n")
    at = app("results", "demo", "mold-plate")
    assert any("The scenario changed" in w.value for w in at.warning)
    at = app("scenarios", "demo", "mold-plate")
    assert "outdated" in set(at.dataframe[0].value["Status"])


def test_editor_shows_validation_issues_and_refuses_to_save(job_env):
    folder = copy_demo(job_env)
    xlsx = folder / "mold-plate.xlsx"
    sheets = read_sheets(xlsx)
    machine = sheets["machine"]
    machine.loc[machine["key"] == "rapid_x_mm_min", "value"] = -5
    write_sheets(xlsx, sheets)
    before = xlsx.read_bytes()
    at = app("editor", "demo", "mold-plate")
    assert "1 problems found" in texts(at)
    issues = at.dataframe[-1].value
    assert issues.iloc[0]["sheet"] == "machine" and issues.iloc[0]["column"] == "value"
    assert at.button(key="save-demo/mold-plate").disabled
    assert xlsx.read_bytes() == before


def test_editor_save_writes_the_spreadsheet(job_env):
    folder = copy_demo(job_env)
    xlsx = folder / "mold-plate.xlsx"
    before = xlsx.stat().st_mtime_ns
    at = app("editor", "demo", "mold-plate")
    at.button(key="save-demo/mold-plate").click().run()
    assert not at.exception
    assert xlsx.stat().st_mtime_ns != before
    assert "Saved" in texts(at)


def test_rename_and_delete_refused_while_running(job_env):
    copy_demo(job_env)
    processing.start_optimization_async(
        "demo", "mold-plate", entry="tests.jobs.entries:sleepy", params={"seconds": 30}
    )
    wait_state("running", department="demo", scenario="mold-plate")
    at = app("scenarios", "demo", "mold-plate")
    at.text_input(key="ren_name").input("renamed")
    at.button[2].click().run()  # create, duplicate, rename, delete
    assert any("job is running" in e.value for e in at.error)
    at.checkbox(key="del_confirm").check().run()
    at.button[3].click().run()
    assert any("job is running" in e.value for e in at.error)
    assert (job_env / "demo" / "scenario" / "mold-plate").is_dir()
    processing.cancel_optimization("demo", "mold-plate", wait=True)


def test_rename_duplicate_delete_when_idle(job_env):
    copy_demo(job_env)
    at = app("scenarios", "demo", "mold-plate")
    at.text_input(key="dup_name").input("copy")
    at.button[1].click().run()
    assert (job_env / "demo" / "scenario" / "copy" / "copy.xlsx").is_file()
    at = app("scenarios", "demo", "copy")
    at.text_input(key="ren_name").input("copy2")
    at.button[2].click().run()
    assert (job_env / "demo" / "scenario" / "copy2" / "copy2.xlsx").is_file()
    at = app("scenarios", "demo", "copy2")
    assert at.button[3].disabled  # delete needs the confirmation first
    at.checkbox(key="del_confirm").check().run()
    at.button[3].click().run()
    assert not (job_env / "demo" / "scenario" / "copy2").exists()
