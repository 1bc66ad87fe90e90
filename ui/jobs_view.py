"""The Jobs page's pieces: the table of every scenario's latest job, cancel, open a result."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import processing
from jobstore import ACTIVE_STATES
from ui import history_view, state
from ui.i18n import state_label, t
from ui.messages import translate
from ui.plain import md_text


def jobs_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([_row(r) for r in rows])


def _row(row: dict) -> dict:
    label = state_label(row["state"])
    if row.get("outdated"):
        label += f" ({t('state.outdated')})"
    fraction = row.get("progress")
    elapsed = row.get("elapsed_s")
    return {
        t("department"): row["department"],
        t("scenario"): row["scenario"],
        t("status"): label,
        t("progress"): f"{100 * fraction:.0f} %" if fraction is not None else "",
        t("elapsed"): f"{elapsed:,.0f} s" if elapsed is not None else "",
        t("host"): f"{row.get('host') or '-'} · {row.get('backend') or '-'}",
        t("failure"): _failure(row),
        t("job_id"): row.get("job_id") or "",
    }


def _failure(row: dict) -> str:
    """Why a job failed, timed out or was lost (from its status file), in the user's language."""
    if row["state"] not in ("failed", "timed_out", "lost", "error"):
        return ""
    if row.get("error"):
        return translate(str(row["error"]))
    info = processing.get_optimization_status(row["department"], row["scenario"])
    message = (info.get("error") or {}).get("message") or info.get("note") or ""
    return translate(str(message))


def render_cancel(rows: list[dict]) -> None:
    active = [r for r in rows if r["state"] in ACTIVE_STATES]
    for row in active:
        dept, scen = row["department"], row["scenario"]
        left, right = st.columns([4, 1])
        left.text(f"{dept} / {scen} · {state_label(row['state'])}")
        if right.button(t("cancel"), key=f"cancel-{dept}-{scen}"):
            processing.cancel_optimization(dept, scen)
            state.flash(t("cancel_requested"), "info")
            st.rerun()


def render_open(rows: list[dict]) -> None:
    """Open the result of any run: a scenario's latest, or one from its history."""
    st.subheader(t("open_a_result"))
    names = [f"{r['department']}/{r['scenario']}" for r in rows]
    left, mid, right = st.columns([2, 2, 1])
    scope = left.selectbox(t("scenario"), names, key="jobs_scope")
    dept, _, scen = scope.partition("/")
    latest = next(r for r in rows if r["department"] == dept and r["scenario"] == scen)
    runs = [latest["job_id"]] + [
        run["job_id"]
        for run in processing.list_history(dept, scen)
        if run.get("has_result") and run["job_id"] != latest["job_id"]
    ]
    job = mid.selectbox(t("job_id"), runs, key="jobs_run")
    if right.button(t("open"), key="jobs_open"):
        if job == latest["job_id"]:
            state.select(dept, scen)
            st.switch_page(history_view.RESULTS_PAGE, query_params=_params(dept, scen))
        history_view.open_run(dept, scen, job)
    st.caption(md_text(t("open_hint")))


def _params(dept: str, scen: str) -> dict:
    from ui.i18n import current_lang

    return {"dept": dept, "scenario": scen, "lang": current_lang()}
