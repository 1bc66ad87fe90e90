"""Results: totals, the per-program table, old-vs-new toolpaths and code diff, downloads,
the outdated warning, and earlier runs."""

import streamlit as st

import processing
from ui import results_view, widgets
from ui.i18n import t

st.title(t("page_results"))
chosen = widgets.require_scenario()
if chosen:
    dept, scen = chosen
    st.caption(f"{dept} / {scen}")
    status = processing.get_optimization_status(dept, scen)
    if status["state"] != "succeeded":
        processing.render_optimization_status(dept, scen)
    else:
        try:
            result = processing.load_optimization_result(dept, scen)
        except processing.ResultError as exc:
            st.error(t("result_error", msg=str(exc)))
        else:
            results_view.render_result(dept, scen, result)
    results_view.render_history(dept, scen)
