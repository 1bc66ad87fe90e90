"""Widgets shared by the pages: the scenario picker in the sidebar, the language switch."""

from __future__ import annotations

import streamlit as st

from ui import data, state
from ui.i18n import LANGS, t


def render_sidebar() -> tuple[str, str] | None:
    """Language switch and scenario picker; returns the selected (department, scenario)."""
    st.sidebar.radio(
        t("language"), list(LANGS), format_func=LANGS.get, key=state.LANG, horizontal=True
    )
    rows = data.scenario_rows()
    depts = data.departments(rows)
    if not depts:
        st.sidebar.info(t("no_scenarios"))
        return None
    current = state.selected()
    dept_index = depts.index(current[0]) if current and current[0] in depts else 0
    dept = st.sidebar.selectbox(t("department"), depts, index=dept_index)
    names = data.scenarios_of(rows, dept)
    scen_index = names.index(current[1]) if current and current[1] in names else 0
    scen = st.sidebar.selectbox(t("scenario"), names, index=scen_index)
    if (dept, scen) != current:
        state.select(dept, scen)
    return dept, scen


def require_scenario() -> tuple[str, str] | None:
    chosen = state.selected()
    if chosen is None:
        st.info(t("pick_scenario"))
    return chosen
