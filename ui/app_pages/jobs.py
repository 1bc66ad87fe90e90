"""Jobs: every job on this data dir across departments — state, progress, elapsed, where it
runs, why it failed — with cancel, and any run's result (the latest or an earlier one)."""

import streamlit as st

from ui import data, jobs_view, state
from ui.i18n import t

st.title(t("page_jobs"))
state.show_flash()
rows = [r for r in data.scenario_rows() if r.get("job_id")]
if not rows:
    st.info(t("no_jobs"))
else:
    st.dataframe(jobs_view.jobs_table(rows), hide_index=True, width="stretch")
    jobs_view.render_cancel(rows)
    jobs_view.render_open(rows)
