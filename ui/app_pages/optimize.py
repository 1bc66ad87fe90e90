"""Optimize: start the background job (returns at once) and watch it live."""

import streamlit as st

import processing
from jobstore import scenario_dir
from ncopt.errors import NcError
from ncopt.scenario import load_scenario
from ui import state, widgets
from ui.i18n import t
from ui.plain import md_text

st.title(t("page_optimize"))
chosen = widgets.require_scenario()
if chosen:
    dept, scen = chosen
    st.caption(md_text(f"{dept} / {scen}"))
    state.show_flash()
    try:
        settings = load_scenario(scenario_dir(dept, scen)).settings
    except NcError as exc:
        settings = None
        st.error(md_text(exc))
    if settings is not None:
        limit = st.number_input(
            t("time_limit"),
            min_value=1.0,
            max_value=86400.0,
            value=float(settings.time_limit_s),
            step=10.0,
        )
        if st.button(t("start_button"), type="primary"):
            reply = processing.start_optimization_async(dept, scen, time_limit_s=limit)
            key = "already_running" if reply["already_running"] else "started"
            state.flash(t(key, job_id=reply["job_id"]), "info")
            st.rerun()
    processing.render_optimization_status(dept, scen)
