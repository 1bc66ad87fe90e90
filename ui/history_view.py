"""Earlier runs of a scenario: the table, and opening one's result on the Results page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import processing
from ui import loads, results_view, state
from ui.i18n import current_lang, state_label, t
from ui.messages import translate
from ui.plain import md_text

RESULTS_PAGE = "ui/app_pages/results.py"


def history_rows(department: str, scenario: str) -> list[dict]:
    return processing.list_history(department, scenario)


def history_table(history: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                t("job_id"): run["job_id"],
                t("status"): state_label(run.get("state") or "idle"),
                t("created_col"): _when(run.get("created_at")),
                t("finished"): _when(run.get("finished_at")),
                t("note"): translate(run.get("note") or ""),
                t("has_result"): bool(run.get("has_result")),
            }
            for run in history
        ]
    )


def _when(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


def render_history(department: str, scenario: str) -> None:
    """Earlier runs; one with a result can be opened here."""
    history = history_rows(department, scenario)
    if not history:
        return
    st.subheader(t("history"))
    st.dataframe(history_table(history), hide_index=True, width="stretch")
    with_result = [run["job_id"] for run in history if run.get("has_result")]
    if with_result:
        left, right = st.columns([3, 1])
        job = left.selectbox(t("open_earlier"), with_result, key="history_pick")
        if right.button(t("open"), key="history_open"):
            open_run(department, scenario, job)


def open_run(department: str, scenario: str, job_id: str) -> None:
    """Show an earlier run's result on the Results page."""
    state.select(department, scenario)
    st.session_state[state.HISTORY_JOB] = job_id
    st.switch_page(
        RESULTS_PAGE,
        query_params={"dept": department, "scenario": scenario, "lang": current_lang()},
    )


def chosen_run(department: str, scenario: str) -> dict | None:
    job_id = st.session_state.get(state.HISTORY_JOB)
    if not job_id:
        return None
    for run in history_rows(department, scenario):
        if run["job_id"] == job_id and run.get("has_result"):
            return run
    st.session_state[state.HISTORY_JOB] = None
    return None


def render_earlier(department: str, scenario: str, run: dict) -> None:
    st.info(t("viewing_earlier", job=run["job_id"], when=_when(run.get("finished_at"))))
    if st.button(t("back_to_latest")):
        st.session_state[state.HISTORY_JOB] = None
        st.rerun()
    try:
        result = loads.history_result(department, scenario, run["job_id"])
    except processing.ResultError as exc:
        st.error(t("result_error", msg=md_text(str(exc))))
        return
    result["outdated"] = False  # an earlier run is shown as it was, not judged against today
    results_view.render_result(department, scenario, result)
