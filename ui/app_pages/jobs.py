"""Jobs: every job on this data dir across departments, with cancel, and each history."""

import pandas as pd
import streamlit as st

import processing
from jobstore import ACTIVE_STATES
from ui import data
from ui.i18n import state_label, t
from ui.plain import md_text

st.title(t("page_jobs"))
rows = [r for r in data.scenario_rows() if r.get("job_id")]
if not rows:
    st.info(t("no_result"))
for row in rows:
    dept, scen = row["department"], row["scenario"]
    cols = st.columns([3, 2, 2, 2, 2, 1])
    cols[0].write(f"**{md_text(dept)} / {md_text(scen)}**  \n`{row['job_id']}`")
    cols[1].write(state_label(row["state"]) + (f" ({t('outdated')})" if row["outdated"] else ""))
    fraction = row.get("progress")
    cols[2].write(f"{100 * fraction:.0f} %" if fraction is not None else "-")
    elapsed = row.get("elapsed_s")
    cols[3].write(f"{elapsed:.0f} s" if elapsed is not None else "-")
    cols[4].write(f"{row.get('host') or '-'} · {row.get('backend') or '-'}")
    if row["state"] in ACTIVE_STATES and cols[5].button(t("cancel"), key=f"cancel-{dept}-{scen}"):
        processing.cancel_optimization(dept, scen)
        st.toast(t("cancel_requested"))
    history = processing.list_history(dept, scen)
    if history:
        with st.expander(f"{t('history')} ({len(history)})"):
            st.dataframe(
                pd.DataFrame(history).drop(columns=["path"]), hide_index=True, width="stretch"
            )
