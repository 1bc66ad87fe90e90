"""The first page: what NC Optimizer does, the four steps with a link each, and where the
chosen scenario stands (its job's state and the next sensible step)."""

from __future__ import annotations

import streamlit as st

from ui import data, state
from ui.i18n import current_lang, state_label, t
from ui.plain import md_text

STEPS = (
    ("ui/app_pages/scenarios.py", "step_scenarios", ":material/folder_open:"),
    ("ui/app_pages/editor.py", "step_editor", ":material/edit:"),
    ("ui/app_pages/optimize.py", "step_optimize", ":material/rocket_launch:"),
    ("ui/app_pages/results.py", "step_results", ":material/fact_check:"),
)


def render() -> None:
    st.title(t("app_title"))
    st.markdown(t("intro"))
    state.show_flash()
    rows = data.scenario_rows()
    running = [r for r in rows if r.get("state") in ("queued", "running")]
    if running:
        st.info(t("jobs_running", n=len(running)))
    chosen = state.selected()
    params = {"dept": chosen[0], "scenario": chosen[1], "lang": current_lang()} if chosen else None
    st.subheader(t("what_next"))
    for number, (page, key, icon) in enumerate(STEPS, start=1):
        st.page_link(page, label=f"{number}. {t(key)}", icon=icon, query_params=params)
    if chosen:
        row = next((r for r in rows if (r["department"], r["scenario"]) == chosen), None)
        if row is not None:
            st.caption(
                t(
                    "chosen_status",
                    name=md_text(f"{chosen[0]} / {chosen[1]}"),
                    state=state_label(data.badge(row)[0]),
                )
            )
