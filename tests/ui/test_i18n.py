"""Both languages everywhere: every label exists in both, the Chinese pages show no English
labels or engine names, the engine's messages are translated, and the language is kept."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import processing
from ncopt import GCodeError, Machine, parse_program
from ncopt.scenario import read_sheets, validate_sheets
from tests.jobs.helpers import wait_terminal
from tests.ui.helpers import APP, ROOT, app, copy_demo, shown
from ui.i18n import LABELS
from ui.messages import translate
from ui.strings import PLURALS

CJK = re.compile(r"[\u4e00-\u9fff]")
FIELDS = re.compile(r"\{(\w+)\}")
SOURCES = [ROOT / "streamlit_app.py", *sorted((ROOT / "ui").rglob("*.py"))]


def test_every_label_has_both_languages_with_the_same_fields():
    for key, (zh, en) in LABELS.items():
        assert zh and en, key
        assert set(FIELDS.findall(zh)) == set(FIELDS.findall(en)), key
    for key, (zh, one, other) in PLURALS.items():
        assert set(FIELDS.findall(zh)) == set(FIELDS.findall(other)) >= {"n"}, key
        assert set(FIELDS.findall(one)) <= set(FIELDS.findall(other)), key


def test_every_label_the_code_asks_for_exists():
    used = set()
    for path in SOURCES:
        used |= set(re.findall(r"\bt\(\s*\"([\w.]+)\"", path.read_text()))
        for key in re.findall(r"\btn\(\s*\"(\w+)\"", path.read_text()):
            assert key in PLURALS, (path.name, key)
    missing = sorted(k for k in used if k not in LABELS)
    assert not missing


def _english_only() -> list[str]:
    """English labels a Chinese page must not show (long enough not to be a unit or a code)."""
    out = []
    for zh, en in LABELS.values():
        words = re.sub(r"\{\w+\}", "", en)
        if zh != en and len(words.split()) >= 2 and not CJK.search(en):
            out.append(words.split("(")[0].strip())
    return [text for text in out if len(text) > 6]


def _everything_shown(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "title", "subheader", "info", "warning", "error",
                 "success", "metric", "button", "checkbox", "selectbox", "text_input",
                 "number_input", "radio", "toggle", "text"):  # fmt: skip
        for element in at.get(kind):
            parts.append(str(getattr(element, "label", "")))
            parts.append(str(getattr(element, "value", "")))
    parts += [tab.label for tab in at.tabs] + [e.label for e in at.expander]
    parts += [b.label for b in at.get("download_button")] + [p.label for p in at.get("page_link")]
    for frame in at.dataframe:
        parts += [str(c) for c in frame.value.columns if not str(c).startswith("__")]
    return shown("\n".join(parts))


@pytest.fixture
def demo_with_result(job_env):
    copy_demo(job_env, "demo", "pcb-drill")
    processing.start_optimization_async(
        "demo", "pcb-drill", time_limit_s=3, entry="tests.ui.entries:with_evidence"
    )
    assert wait_terminal(120, department="demo", scenario="pcb-drill")["state"] == "succeeded"
    return job_env


@pytest.mark.parametrize("page", ["home", "scenarios", "editor", "optimize", "results", "jobs"])
@pytest.mark.slow  # a real detached job
def test_chinese_pages_show_no_english_labels_and_no_engine_names(demo_with_result, page):
    at = app(page, "demo", "pcb-drill", lang="zh")
    shown = _everything_shown(at)
    leaks = [text for text in _english_only() if text in shown]
    assert not leaks
    english = _everything_shown(app(page, "demo", "pcb-drill", lang="en"))
    assert [text for text in _english_only() if text in english]  # the check does see them
    headers = [str(c) for f in at.dataframe if not f.key for c in f.value.columns]
    assert not [h for h in headers if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", h)]


def test_validation_messages_are_translated(job_env):
    folder = copy_demo(job_env)
    sheets = read_sheets(folder / "mold-plate.xlsx")
    machine, tools = sheets["machine"], sheets["tools"]
    machine.loc[0, "value"], machine.loc[1, "value"] = "fast", -3
    machine.loc[2, "unit"] = "m/min"
    machine.loc[len(machine)] = ["spindle_speed", 1, None]
    tools.loc[0, "diameter_mm"], tools.loc[1, "type"] = "x", "laser"
    tools.loc[2, "tool"] = tools.loc[0, "tool"]
    tools.loc[3, "flutes"] = 2.5
    sheets["programs"].loc[0, "file"] = "../MOLD-A.nc"
    sheets["programs"].loc[1, "quantity_per_year"] = None
    settings = sheets["settings"]
    settings.loc[settings["key"] == "time_limit_s", "value"] = 0
    settings.loc[settings["key"] == "post", "value"] = "haas"
    settings.loc[settings["key"] == "allow_tool_regroup", "value"] = "maybe"
    issues = validate_sheets(sheets, folder / "programs")
    assert len(issues) >= 10
    for issue in issues:
        zh = translate(issue.message, "zh")
        assert CJK.search(zh) and "must" not in zh, issue.message


def test_parse_errors_are_translated():
    bad = "G0 X0\nG1 X(5\nG0 X1 X2\nG2 X5 Y5\n)\nG81 X1 Y1 R1 F100\nX1.0.0\nG0 X\n"
    with pytest.raises(GCodeError) as caught:
        parse_program(bad, Machine())
    assert len(caught.value.issues) >= 3
    for issue in caught.value.issues:
        assert CJK.search(translate(issue.message, "zh")), issue.message


def test_english_is_left_as_the_engine_wrote_it():
    assert translate("must be a number, got 'x'", "en") == "must be a number, got 'x'"


def test_the_language_in_the_url_wins_for_a_new_session(job_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    assert at.title[0].value == "NC Optimizer"
    assert at.query_params["lang"] == ["en"] or at.query_params["lang"] == "en"


def test_switching_the_language_puts_it_in_the_url(job_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert at.title[0].value == "NC 程式優化"
    at.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "NC Optimizer"
    assert "en" in str(at.query_params["lang"])


def test_program_table_headers_are_translated():
    from ui.results_view import program_table

    frame = pd.DataFrame([{"program": "A.nc", "status": "optimized", "cycle_time_old_s": 1.0}])
    import streamlit as st

    st.session_state["lang"] = "zh"
    try:
        shown = program_table(frame)
    finally:
        del st.session_state["lang"]
    assert list(shown.columns) == ["程式", "狀態", "原週期 (秒)"]
    assert shown["狀態"].iloc[0] == "已優化"


def test_sources_use_no_english_literals_in_user_facing_calls():
    """st.* calls take labels from t(): a literal English string there is a missed label."""
    call = re.compile(
        r"st\.(?:button|error|warning|info|success|caption|title|subheader)\(\s*\"[A-Za-z]"
    )
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in SOURCES
        for n, line in enumerate(Path(p).read_text().splitlines(), 1)
        if call.search(line)
    ]
    assert not offenders
