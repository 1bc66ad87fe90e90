"""The live job panel: its pace, the stage in words, the best cycle time so far, the ticking
elapsed time — against a real job that reports the progress fields of the contract."""

from __future__ import annotations

import time

import pytest

import processing
from tests.jobs.helpers import wait_state
from tests.ui.helpers import app, copy_demo, shown, texts
from ui import job_status
from ui.i18n import LANGS


@pytest.mark.parametrize(
    ("progress", "zh", "en"),
    [
        (
            {"stage": "sequence", "activity": "holes", "tool": 1, "program": "P.nc"},
            "排序 T1 孔位 … (P.nc)",
            "Sequencing T1 holes … (P.nc)",
        ),
        (
            {"stage": "sequence", "activity": "blocks", "tool": 3},
            "排序 T3 切削區塊 …",
            "Ordering T3 cutting blocks …",
        ),
        ({"stage": "verify", "activity": "verify"}, "驗證新程式 …", "Verifying the new program …"),
        ({"stage": "parse"}, "讀取程式", "Reading the programs"),
        ({}, "排隊等候中", "Waiting in the queue"),
        ({"stage": "something_new"}, "something_new", "something_new"),
    ],
)
def test_the_stage_reads_in_both_languages(monkeypatch, progress, zh, en):
    import streamlit as st

    for lang, expected in (("zh", zh), ("en", en)):
        monkeypatch.setattr(st, "session_state", {"lang": lang})
        assert lang in LANGS and job_status.stage_text(progress) == expected


def test_the_pace_is_fast_after_a_change_then_the_configured_one(monkeypatch):
    monkeypatch.setenv("NCOPT_POLL_S", "10")
    assert job_status.poll_every(True, fast_until=100.0, now=99.0) == job_status.FAST_POLL_S
    assert job_status.poll_every(True, fast_until=100.0, now=100.0) == 10.0
    assert job_status.poll_every(False, fast_until=100.0, now=99.0) is None
    monkeypatch.setenv("NCOPT_POLL_S", "0.1")  # never faster than the fast pace
    assert job_status.poll_every(True, fast_until=0.0, now=1.0) == job_status.FAST_POLL_S


@pytest.mark.slow  # a real detached job
def test_start_asks_for_the_fast_pace(job_env, monkeypatch):
    monkeypatch.setenv("NCOPT_ENTRY", "tests.jobs.entries:sleepy")
    copy_demo(job_env)
    at = app("optimize", "demo", "mold-plate")
    before = time.monotonic()
    at.button[[b.label for b in at.button].index("Done — optimize in the background")].click()
    at.run()
    assert at.session_state["fast_poll_until"] >= before + job_status.FAST_WINDOW_S - 1
    processing.cancel_optimization("demo", "mold-plate", wait=True)


@pytest.mark.slow  # a real detached job
def test_the_panel_shows_percent_stage_and_best_cycle_time_while_running(job_env):
    copy_demo(job_env, "demo", "pcb-drill")
    processing.start_optimization_async(
        "demo",
        "pcb-drill",
        time_limit_s=3,
        entry="tests.ui.entries:progressing",
        params={"seconds": 60},
    )
    wait_state("running", department="demo", scenario="pcb-drill")
    deadline = time.monotonic() + 30
    while not (processing.get_optimization_status("demo", "pcb-drill")["progress"] or {}).get(
        "best_cycle_time_s"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for lang, stage in (("en", "Sequencing T1 holes … (PCB-BACKPLANE.nc)"), ("zh", "排序 T1 孔位")):
        at = app("optimize", "demo", "pcb-drill", lang=lang)
        bar = shown(at.get("progress")[0].proto.text)
        assert bar.split(" % · ")[0].isdigit() and stage in bar
        best = at.metric[2]
        assert best.value.endswith(" s") and float(best.value[:-2].replace(",", "")) < 1204.5
        assert best.proto.delta.startswith("-") and "%" in best.proto.delta
        assert any("ncopt-ticker" in h.proto.body for h in at.get("html"))
    assert "running" in texts(app("optimize", "demo", "pcb-drill"))
    processing.cancel_optimization("demo", "pcb-drill", wait=True)
