"""AppTests of the Editor: edits kept until saved or discarded, saves that change nothing
write nothing, every problem listed at once, and the program and spreadsheet tools."""

from __future__ import annotations

import io

import openpyxl
import pytest

import processing
from jobstore import inputs_digest
from ncopt.scenario import read_sheets, write_sheets
from tests.jobs.helpers import wait_state, wait_terminal
from tests.ui.helpers import app, copy_demo, edit_cell, editor_key, texts

SAVE = "save-demo/mold-plate"


def _problems(at):
    return next(d.value for d in at.dataframe if "Problem" in d.value.columns)


def _set_machine(folder, **values):
    xlsx = folder / f"{folder.name}.xlsx"
    sheets = read_sheets(xlsx)
    machine = sheets["machine"]
    for key, value in values.items():
        machine.loc[machine["key"] == key, "value"] = value
    write_sheets(xlsx, sheets)
    return xlsx


@pytest.mark.slow  # a real detached job
def test_a_save_without_changes_writes_nothing_and_the_result_stays_current(job_env):
    folder = copy_demo(job_env)
    processing.start_optimization_async("demo", "mold-plate", time_limit_s=3)
    assert wait_terminal(60, department="demo", scenario="mold-plate")["state"] == "succeeded"
    xlsx = folder / "mold-plate.xlsx"
    before = xlsx.read_bytes()
    at = app("editor", "demo", "mold-plate")
    at.button(key=SAVE).click().run()
    assert "Nothing changed" in texts(at)
    assert xlsx.read_bytes() == before
    assert not processing.get_optimization_status("demo", "mold-plate")["outdated"]
    # A real edit does mark it outdated.
    edit_cell(at, "machine", 0, "value", "24000")
    at.button(key=SAVE).click().run()
    assert processing.get_optimization_status("demo", "mold-plate")["outdated"]


def test_an_edit_typed_back_to_the_saved_value_is_not_a_change(job_env):
    folder = copy_demo(job_env)
    digest = inputs_digest(folder)
    at = app("editor", "demo", "mold-plate")
    edit_cell(at, "machine", 0, "value", "36000")  # the value the file holds
    assert "Unsaved changes" not in texts(at)
    at.button(key=SAVE).click().run()
    assert inputs_digest(folder) == digest


def test_unsaved_edits_survive_leaving_the_editor_and_are_flagged_everywhere(job_env):
    copy_demo(job_env)
    at = app("editor", "demo", "mold-plate")
    edit_cell(at, "tools", 0, "name", "DRILL 6.8 NEW")
    assert "Unsaved changes in: Tools" in texts(at)
    assert "demo/mold-plate has unsaved changes" in texts(at)  # the sidebar, in the same run
    assert any("ncoptUnsaved = true" in h.proto.body for h in at.get("html"))  # leave guard on
    for page in ("results", "optimize", "scenarios"):
        at.switch_page(f"ui/app_pages/{page}.py").run()
        assert not at.exception
        assert "demo/mold-plate has unsaved changes" in texts(at)
    assert "the optimization uses the saved file" not in texts(at)  # only on Optimize
    at.switch_page("ui/app_pages/editor.py").run()
    tools = next(d for d in at.data_editor if d.key == editor_key(at, "tools")).value
    assert tools["name"].iloc[0] == "DRILL 6.8 NEW"  # drawn afresh from the kept draft
    assert "Unsaved changes in: Tools" in texts(at)


def test_discard_drops_the_edits(job_env):
    folder = copy_demo(job_env)
    before = (folder / "mold-plate.xlsx").read_bytes()
    at = app("editor", "demo", "mold-plate")
    edit_cell(at, "machine", 0, "value", "1000")
    at.button(key="discard-demo/mold-plate").click().run()
    assert "Unsaved changes in" not in texts(at)
    assert "discarded" in texts(at)
    machine = next(d for d in at.data_editor if d.key == editor_key(at, "machine")).value
    assert machine["value"].iloc[0] == "36000"
    assert (folder / "mold-plate.xlsx").read_bytes() == before


def test_every_problem_is_listed_even_with_text_in_a_number_cell(job_env):
    folder = copy_demo(job_env)
    _set_machine(folder, rapid_x_mm_min="fast", rapid_y_mm_min=-3)
    at = app("editor", "demo", "mold-plate")
    problems = _problems(at)
    assert set(zip(problems["Row"], problems["Column"], strict=True)) == {
        (2, "Value"),
        (3, "Value"),
    }
    machine = next(d for d in at.data_editor if d.key == editor_key(at, "machine")).value
    assert machine["value"].iloc[0] == "fast"  # what was typed stays, to be fixed
    assert at.button(key=SAVE).disabled


def test_problems_name_the_row_the_table_shows(job_env):
    folder = copy_demo(job_env)
    xlsx = folder / "mold-plate.xlsx"
    sheets = read_sheets(xlsx)
    sheets["tools"].loc[2, "diameter_mm"] = "x"
    write_sheets(xlsx, sheets)
    at = app("editor", "demo", "mold-plate", lang="zh")
    problems = next(d.value for d in at.dataframe if "問題" in d.value.columns)
    assert problems.iloc[0].to_dict() == {
        "工作表": "刀具",
        "列": 4,
        "欄": "直徑 (mm)",
        "問題": "必須是數字，目前是 'x'",
    }
    tools = next(d for d in at.data_editor if d.key == editor_key(at, "tools"))
    assert list(tools.value.index)[2] == 4  # the table's row numbers are the Excel rows


def test_tables_show_empty_cells_empty_and_the_tool_type_as_a_dropdown(job_env):
    copy_demo(job_env)
    at = app("editor", "demo", "mold-plate")
    tools = next(d for d in at.data_editor if d.key == editor_key(at, "tools"))
    assert tools.proto.placeholder == ""
    config = tools.proto.columns
    assert '"type": {"label": "Type", "type_config": {"type": "selectbox"' in config
    assert '"spot"' in config and '"drill"' in config


def test_a_dotnet_post_is_checked_before_it_is_saved(job_env):
    folder = copy_demo(job_env)
    xlsx = folder / "mold-plate.xlsx"
    before = xlsx.read_bytes()
    at = app("editor", "demo", "mold-plate")
    settings = next(d for d in at.data_editor if d.key == editor_key(at, "settings")).value
    row = list(settings["key"]).index("post")
    edit_cell(at, "settings", row, "value", f"dotnet:{job_env}/NoSuch.dll:Shop.Post")
    at.button(key=SAVE).click().run()
    assert "cannot be loaded, not saved" in texts(at)
    assert "NoSuch.dll" in texts(at)
    assert xlsx.read_bytes() == before


def test_the_spreadsheet_downloads_and_an_upload_replaces_it_after_confirmation(job_env):
    folder = copy_demo(job_env)
    copy_demo(job_env, "demo", "pcb-drill")
    at = app("editor", "demo", "mold-plate")
    download = next(b for b in at.get("download_button") if "spreadsheet" in b.label)
    assert download.proto.url.endswith(".xlsx")
    other = (job_env / "demo" / "scenario" / "pcb-drill" / "pcb-drill.xlsx").read_bytes()
    uploader = next(u for u in at.file_uploader if u.key == "xlsx-demo/mold-plate")
    uploader.set_value(("pcb.xlsx", other, "application/octet-stream")).run()
    assert "problems" in texts(at)  # its programs are not in this scenario
    assert (folder / "mold-plate.xlsx").read_bytes() != other
    at.checkbox(key="xlsx-sure-demo/mold-plate").check().run()
    at.button(key="xlsx-go-demo/mold-plate").click().run()
    assert (folder / "mold-plate.xlsx").read_bytes() == other


def test_a_file_that_is_not_a_workbook_is_refused(job_env):
    folder = copy_demo(job_env)
    before = (folder / "mold-plate.xlsx").read_bytes()
    at = app("editor", "demo", "mold-plate")
    uploader = next(u for u in at.file_uploader if u.key == "xlsx-demo/mold-plate")
    uploader.set_value(("x.xlsx", b"not a zip", "application/octet-stream")).run()
    assert "not a readable spreadsheet" in texts(at)
    assert (folder / "mold-plate.xlsx").read_bytes() == before


def test_the_upload_limit_shown_is_the_one_enforced(job_env):
    copy_demo(job_env)
    at = app("editor", "demo", "mold-plate")
    uploader = next(u for u in at.file_uploader if u.accept_multiple_files)
    assert "20 MB" in uploader.label
    assert uploader.proto.max_upload_size_mb == 20


def test_an_uploaded_program_is_offered_to_the_programs_sheet(job_env):
    folder = copy_demo(job_env)
    at = app("editor", "demo", "mold-plate")
    uploader = next(u for u in at.file_uploader if u.accept_multiple_files)
    uploader.set_value(("NEW.nc", b"T1 M6\nG0 X0 Y0\nG81 X1 Y1 Z-2 R1 F100\nX5\nG80\nM30\n", ""))
    at.button[[b.label for b in at.button].index("Upload")].click().run()
    assert (folder / "programs" / "NEW.nc").is_file()
    assert "NEW.nc is not in the programs sheet yet" in texts(at)
    at.button(key="add-demo/mold-plate-NEW.nc").click().run()
    programs = next(d for d in at.data_editor if d.key == editor_key(at, "programs")).value
    assert "NEW.nc" in list(programs["file"])
    assert "Unsaved changes in: Programs" in texts(at)


def test_a_program_that_does_not_parse_is_not_stored_and_its_lines_are_named(job_env):
    folder = copy_demo(job_env)
    at = app("editor", "demo", "mold-plate", lang="zh")
    uploader = next(u for u in at.file_uploader if u.accept_multiple_files)
    uploader.set_value(("BAD.nc", b"G0 X0\nG1 X(5\n", ""))
    at.button[[b.label for b in at.button].index("上傳")].click().run()
    assert not (folder / "programs" / "BAD.nc").exists()
    problems = next(d.value for d in at.dataframe if "行" in d.value.columns)
    assert problems.iloc[0]["行"] == 2 and problems.iloc[0]["問題"] == "註解沒有結束"


def test_a_program_text_is_shown_and_a_program_deleted_leaves_the_sheet(job_env):
    folder = copy_demo(job_env)
    at = app("editor", "demo", "mold-plate")
    at.selectbox(key="program-demo/mold-plate").set_value("MOLD-B.nc").run()
    text = (folder / "programs" / "MOLD-B.nc").read_text()
    assert any(c.value == text.rstrip("\n") for c in at.code)
    at.checkbox(key="del-prog-demo/mold-plate-MOLD-B.nc").check().run()
    at.button(key="del-prog-btn-demo/mold-plate-MOLD-B.nc").click().run()
    assert not (folder / "programs" / "MOLD-B.nc").exists()
    programs = next(d for d in at.data_editor if d.key == editor_key(at, "programs")).value
    assert "MOLD-B.nc" not in list(programs["file"])
    assert "Unsaved changes in: Programs" in texts(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_tables_speak_the_language(job_env, lang):
    copy_demo(job_env)
    at = app("editor", "demo", "mold-plate", lang=lang)
    machine = next(d for d in at.data_editor if d.key == editor_key(at, "machine"))
    assert [t.label for t in at.tabs][:4] == (
        ["機台", "刀具", "程式", "設定"]
        if lang == "zh"
        else ["Machine", "Tools", "Programs", "Settings"]
    )
    labels = machine.value["__label"].tolist()
    assert labels[0] == ("X 軸快速移動速度" if lang == "zh" else "X rapid rate")


def test_saved_workbook_keeps_excel_rows(job_env):
    """Rows added in the table land as the next Excel rows; the index is not written."""
    folder = copy_demo(job_env)
    at = app("editor", "demo", "mold-plate")
    edit_cell(at, "machine", 0, "value", "30000")
    at.button(key=SAVE).click().run()
    workbook = openpyxl.load_workbook(io.BytesIO((folder / "mold-plate.xlsx").read_bytes()))
    sheet = workbook["machine"]
    assert [c.value for c in sheet[1]] == ["key", "value", "unit"]
    assert sheet["A2"].value == "rapid_x_mm_min" and sheet["B2"].value == 30000


def test_one_session_s_unsaved_edits_are_not_another_s(job_env):
    copy_demo(job_env)
    first = app("editor", "demo", "mold-plate")
    edit_cell(first, "tools", 0, "name", "MINE")
    assert "Unsaved changes in: Tools" in texts(first)
    second = app("editor", "demo", "mold-plate")
    assert "Unsaved changes" not in texts(second)
    tools = next(d for d in second.data_editor if d.key == editor_key(second, "tools")).value
    assert tools["name"].iloc[0] != "MINE"


@pytest.mark.slow  # a real detached job
def test_a_program_is_not_deleted_while_a_job_runs(job_env):
    folder = copy_demo(job_env)
    processing.start_optimization_async(
        "demo", "mold-plate", entry="tests.jobs.entries:sleepy", params={"seconds": 30}
    )
    wait_state("running", department="demo", scenario="mold-plate")
    at = app("editor", "demo", "mold-plate")
    at.selectbox(key="program-demo/mold-plate").set_value("MOLD-B.nc").run()
    at.checkbox(key="del-prog-demo/mold-plate-MOLD-B.nc").check().run()
    at.button(key="del-prog-btn-demo/mold-plate-MOLD-B.nc").click().run()
    assert "A job is running" in texts(at)
    assert (folder / "programs" / "MOLD-B.nc").is_file()
    processing.cancel_optimization("demo", "mold-plate", wait=True)
