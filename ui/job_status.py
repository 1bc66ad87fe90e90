"""The live status panel of a scenario's job: a fragment that polls until the job ends.

The fragment reruns every ``$NCOPT_POLL_S`` seconds (default 10) only while the job is queued
or running. A fragment's ``run_every`` is fixed when it is defined, so when a polling run sees
the job end it asks for a full rerun, which defines the panel again without polling.
"""

from __future__ import annotations

import os

import streamlit as st

import processing
from jobstore import ACTIVE_STATES
from ui.i18n import state_label, t
from ui.plain import md_text

LOG_TAIL_BYTES = 6000


def poll_interval_s() -> float:
    try:
        return max(0.5, float(os.environ.get("NCOPT_POLL_S", "10")))
    except ValueError:
        return 10.0


def render_job_status(department: str, scenario: str) -> None:
    """Show the job and poll while it is active (``processing.render_optimization_status``)."""
    info = processing.get_optimization_status(department, scenario)
    active = info["state"] in ACTIVE_STATES

    @st.fragment(run_every=poll_interval_s() if active else None)
    def panel() -> None:
        now = processing.get_optimization_status(department, scenario)
        if active and now["state"] not in ACTIVE_STATES:
            st.rerun()  # the job ended: redraw everything, this time without polling
        _render(department, scenario, now)

    panel()


def _render(department: str, scenario: str, info: dict) -> None:
    state = info["state"]
    if state == "idle":
        st.info(t("no_result"))
        return
    cols = st.columns(4)
    cols[0].metric(t("status"), state_label(state))
    elapsed = info.get("elapsed_s")
    cols[1].metric(t("elapsed"), f"{elapsed:.0f} s" if elapsed is not None else "-")
    progress = info.get("progress") or {}
    best = progress.get("best_cycle_time_s")
    cols[2].metric(t("best_so_far"), f"{best:.1f} s" if best else "-")
    cols[3].metric(t("job_id"), (info.get("job_id") or "-")[-6:])
    if state in ACTIVE_STATES:
        fraction = min(1.0, max(0.0, float(progress.get("fraction") or 0.0)))
        text = f"{progress.get('stage') or ''} {progress.get('message') or ''}"
        st.progress(fraction, text=md_text(text))
        _controls(department, scenario)
    if info.get("outdated"):
        st.warning(t("outdated_warning"))
    if info.get("note"):
        st.caption(f"{t('note')}: {md_text(info['note'])}")
    if info.get("error"):
        st.error(f"{t('error')}: {md_text(info['error'].get('message'))}")
    with st.expander(t("log_tail")):
        st.code(
            processing.read_log_tail(department, scenario, LOG_TAIL_BYTES) or "-", language=None
        )


def _controls(department: str, scenario: str) -> None:
    left, right = st.columns(2)
    if left.button(t("cancel"), key="job_cancel", type="secondary"):
        processing.cancel_optimization(department, scenario)
        st.toast(t("cancel_requested"))
    if right.button(t("finish_now"), key="job_finish"):
        processing.cancel_optimization(department, scenario, finish=True)
        st.toast(t("finish_requested"))
