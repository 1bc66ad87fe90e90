"""The Optimize page's pieces: what stands in the way of a start, the start itself, and once
the job has ended, its saving with the way to the Results."""

from __future__ import annotations

import time

import streamlit as st

import processing
from jobstore import JobError, JobState
from ncopt.scenario import Scenario
from ui import data, loads, state
from ui.i18n import current_lang, t
from ui.job_status import FAST_WINDOW_S
from ui.messages import issue_rows, translate
from ui.plain import md_text
from ui.sheet_editor import unsaved_scopes
from ui.widgets import EDITOR_PAGE

RESULTS_PAGE = "ui/app_pages/results.py"
AWAIT_RUNNING_S = 1.5


def render_start(department: str, scenario: str, loaded) -> None:
    """The time limit and the start button, or why there is nothing to start."""
    params = {"dept": department, "scenario": scenario, "lang": current_lang()}
    if f"{department}/{scenario}" in unsaved_scopes():
        st.warning(t("unsaved_before_start"))
        st.page_link(EDITOR_PAGE, label=t("back_to_editor"), query_params=params)
    if not isinstance(loaded, Scenario):
        st.error(t("scenario_has_issues", n=len(loaded)))
        st.dataframe(issue_rows(loaded), hide_index=True, width="stretch")
        st.page_link(EDITOR_PAGE, label=t("fix_in_editor"), query_params=params)
        return
    if not loaded.enabled_programs:
        st.info(t("nothing_to_optimize"))
        st.page_link(EDITOR_PAGE, label=t("fix_in_editor"), query_params=params)
        return
    st.caption(
        t("will_optimize", names=md_text(", ".join(p.file for p in loaded.enabled_programs)))
    )
    limit = st.number_input(
        t("time_limit"),
        min_value=1.0,
        max_value=86400.0,
        value=float(loaded.settings.time_limit_s),
        step=10.0,
    )
    if st.button(t("start_button"), type="primary"):
        try:
            reply = processing.start_optimization_async(department, scenario, time_limit_s=limit)
        except JobError as exc:
            st.error(md_text(translate(str(exc))))
            return
        key = "already_running" if reply["already_running"] else "started"
        state.poll_fast(FAST_WINDOW_S)  # then the panel polls fast for a while
        _await_running(department, scenario)
        st.info(t(key, job_id=reply["job_id"]))  # no rerun: the panel below shows the job


def _await_running(department: str, scenario: str) -> None:
    """Hold this run up to ``AWAIT_RUNNING_S`` for the supervisor to say "running" (a few
    hundred ms), so the page shows it at once instead of one poll later. The job itself
    never waits for this: it was started detached before."""
    deadline = time.monotonic() + AWAIT_RUNNING_S
    with st.spinner(t("state.starting_up")):
        while time.monotonic() < deadline:
            if processing.get_optimization_status(department, scenario)["state"] != "queued":
                return
            time.sleep(0.05)


def render_outcome(department: str, scenario: str, info: dict) -> None:
    """After a successful run: the saving in one line and the button to the evidence."""
    if info["state"] != JobState.SUCCEEDED:
        return
    try:
        result = loads.result_of(department, scenario)
    except processing.ResultError as exc:
        st.error(t("result_error", msg=md_text(str(exc))))
        return
    sums = data.totals(result["out_df"])
    if result["out_df"].empty:
        st.info(t("nothing_was_optimized"))
    else:
        st.success(
            t(
                "outcome",
                old=f"{sums.get('cycle_time_old_s', 0):,.1f}",
                new=f"{sums.get('cycle_time_new_s', 0):,.1f}",
                saving=f"{sums.get('saving_s', 0):,.1f}",
                pct=f"{sums['saving_pct']:.1f}",
            )
        )
    st.page_link(
        RESULTS_PAGE,
        label=t("see_results"),
        icon=":material/fact_check:",
        query_params={"dept": department, "scenario": scenario, "lang": current_lang()},
    )
