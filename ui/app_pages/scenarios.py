"""Scenarios: every department's scenarios with a live status badge; create, duplicate,
rename and delete (with confirmation, refused while a job runs)."""

import pandas as pd
import streamlit as st

import jobstore
import processing
from ncopt.errors import NcError
from ncopt.scenario import create_scenario
from ui import data, state
from ui.i18n import state_label, t
from ui.plain import md_text

st.title(t("page_scenarios"))
state.show_flash()

rows = data.scenario_rows()
if rows:
    table = []
    for row in rows:
        badge, fraction = data.badge(row)
        label = state_label(badge) if badge != "outdated" else t("outdated")
        if fraction is not None:
            label += f" {100 * fraction:.0f} %"
        table.append(
            {
                t("department"): row["department"],
                t("scenario"): row["scenario"],
                t("status"): label,
                t("job_id"): row.get("job_id") or "",
                t("reason"): row.get("error") or "",
            }
        )
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
else:
    st.info(t("no_scenarios"))

with st.expander(t("new_scenario"), expanded=not rows), st.form("create_scenario"):
    dept = st.text_input(t("department"), value=(state.selected() or ("", ""))[0])
    name = st.text_input(t("scenario"))
    if st.form_submit_button(t("create")):
        try:
            jobstore.validate_name("department", dept)
            jobstore.validate_name("scenario", name)
            create_scenario(jobstore.data_dir(), dept, name)
        except (NcError, jobstore.JobError) as exc:
            st.error(md_text(exc))
        else:
            state.select(dept, name)
            state.flash(t("done"))
            st.rerun()

chosen = state.selected()
if chosen:
    dept, scen = chosen
    st.subheader(md_text(f"{dept} / {scen}"))
    left, mid, right = st.columns(3)
    with left.form("duplicate"):
        copy_name = st.text_input(t("new_name"), key="dup_name")
        if st.form_submit_button(t("duplicate")):
            try:
                jobstore.validate_name("scenario", copy_name)
                create_scenario(
                    jobstore.data_dir(), dept, copy_name, template=jobstore.scenario_dir(dept, scen)
                )
            except (NcError, jobstore.JobError) as exc:
                st.error(md_text(exc))
            else:
                state.select(dept, copy_name)
                state.flash(t("done"))
                st.rerun()
    with mid.form("rename"):
        new_name = st.text_input(t("new_name"), key="ren_name")
        if st.form_submit_button(t("rename")):
            try:
                data.rename_scenario(dept, scen, new_name)
            except processing.JobActiveError:
                st.error(t("refused_running"))
            except (OSError, jobstore.JobError) as exc:
                st.error(md_text(exc))
            else:
                state.select(dept, new_name)
                state.flash(t("done"))
                st.rerun()
    with right:
        confirm = st.checkbox(
            t("confirm_delete", name=md_text(f"{dept}/{scen}")), key="del_confirm"
        )
        if st.button(t("delete"), disabled=not confirm, type="primary"):
            try:
                data.delete_scenario(dept, scen)
            except processing.JobActiveError:
                st.error(t("refused_running"))
            except (OSError, jobstore.JobError) as exc:
                st.error(md_text(exc))
            else:
                state.select(None, None)
                state.flash(t("done"))
                st.rerun()
