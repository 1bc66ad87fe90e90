"""Results: totals, the per-program table, downloads, and per program the evidence (the
verifier's checklist), the toolpath before and after, and what changed; earlier runs."""

import streamlit as st

import processing
from ui import history_view, job_status, loads, results_view, state, widgets
from ui.i18n import t
from ui.plain import md_text

st.title(t("page_results"))
chosen = widgets.require_scenario()
if chosen:
    dept, scen = chosen
    widgets.scenario_caption(dept, scen)
    state.show_flash()
    earlier = history_view.chosen_run(dept, scen)
    if earlier is not None:
        history_view.render_earlier(dept, scen, earlier)
    else:
        status = processing.get_optimization_status(dept, scen)
        if status["state"] != "succeeded":
            # A running, failed or cancelled run: its status, then the last result there is.
            job_status.render_job_status(dept, scen, show_idle=False)
        try:
            result = loads.result_of(dept, scen)
        except processing.NoResultError:
            st.info(t("no_result"))
        except processing.ResultError as exc:
            st.error(t("result_error", msg=md_text(str(exc))))
        else:
            if result.get("from_history"):
                st.info(t("earlier_result", job=result.get("job_id", "?")))
            results_view.render_result(dept, scen, result)
    history_view.render_history(dept, scen)
