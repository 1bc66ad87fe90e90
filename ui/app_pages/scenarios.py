"""Scenarios: every department's scenarios with a live status badge. Click a row to choose
it; create one from the template; duplicate, rename and delete are behind "Manage"."""

import streamlit as st

from ui import data, scenarios_view, state
from ui.i18n import t

st.title(t("page_scenarios"))
state.show_flash()

rows = data.scenario_rows()
if rows:
    scenarios_view.render_table(rows)
else:
    st.info(t("no_scenarios"))
scenarios_view.render_create(expanded=not rows)
chosen = state.selected()
if chosen:
    scenarios_view.render_chosen(*chosen)
