"""Results: totals, the per-program table, old-vs-new toolpaths and code diff, downloads,
the outdated warning, and earlier runs."""

import streamlit as st

import processing
from ui import results_view, widgets
from ui.i18n import t
from ui.plain import md_text

st.title(t("page_results"))
chosen = widgets.require_scenario()
if chosen:
    dept, scen = chosen
    st.caption(md_text(f"{dept} / {scen}"))
    status = processing.get_optimization_status(dept, scen)
    if status["state"] != "succeeded":
        # A running, failed or cancelled run: its status, then the last result there is.
        processing.render_optimization_status(dept, scen)
    try:
        result = processing.load_optimization_result(dept, scen)
    except processing.NoResultError:
        if status["state"] == "succeeded":
            st.error(t("no_result"))
    except processing.ResultError as exc:
        st.error(t("result_error", msg=md_text(exc)))
    else:
        if result.get("from_history"):
            st.info(t("earlier_result", job=md_text(result.get("job_id", "?"))))
        results_view.render_result(dept, scen, result)
    results_view.render_history(dept, scen)
