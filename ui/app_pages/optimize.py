"""Optimize: start the background job (returns at once), watch it live, then go to Results."""

import streamlit as st

from jobstore import scenario_dir
from ui import job_status, loads, state, widgets
from ui.i18n import t
from ui.optimize_view import render_outcome, render_start

st.title(t("page_optimize"))
chosen = widgets.require_scenario()
if chosen:
    dept, scen = chosen
    widgets.scenario_caption(dept, scen)
    state.show_flash()
    scenario = loads.scenario_of(scenario_dir(dept, scen))
    render_start(dept, scen, scenario)
    info = job_status.render_job_status(dept, scen)
    render_outcome(dept, scen, info)
