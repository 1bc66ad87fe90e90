"""The Scenarios page's pieces: the clickable table, create, and the chosen scenario's
next steps with its (collapsed) management: duplicate, rename, delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import jobstore
import processing
from ncopt.errors import NcError
from ncopt.scenario import create_scenario
from ui import data, state
from ui.i18n import current_lang, state_label, t
from ui.messages import translate
from ui.plain import md_text

PAGES = (
    ("ui/app_pages/editor.py", "go_editor", ":material/edit:"),
    ("ui/app_pages/optimize.py", "go_optimize", ":material/rocket_launch:"),
    ("ui/app_pages/results.py", "go_results", ":material/fact_check:"),
)


def status_label(row: dict) -> str:
    badge, fraction = data.badge(row)
    label = state_label(badge)
    return label + (f" {100 * fraction:.0f} %" if fraction is not None else "")


def render_table(rows: list[dict]) -> None:
    table = pd.DataFrame(
        {
            t("department"): [r["department"] for r in rows],
            t("scenario"): [r["scenario"] for r in rows],
            t("status"): [status_label(r) for r in rows],
            t("job_id"): [r.get("job_id") or "" for r in rows],
            t("reason"): [translate(r.get("error") or "") for r in rows],
        }
    )
    st.caption(t("click_to_choose"))
    event = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="scenario_table",
    )
    picked = event.selection.rows if event is not None else []
    if picked:
        row = rows[picked[0]]
        if row.get("state") == processing.INVALID or not row.get("scenario"):
            st.warning(t("cannot_open", why=md_text(translate(row.get("error") or ""))))
        elif (row["department"], row["scenario"]) != state.selected():
            state.select(row["department"], row["scenario"])
            st.rerun()  # the sidebar, drawn before this table, shows the new choice too


def render_create(expanded: bool) -> None:
    with st.expander(t("new_scenario"), expanded=expanded), st.form("create_scenario"):
        dept = st.text_input(t("department"), value=(state.selected() or ("", ""))[0])
        name = st.text_input(t("scenario"))
        if st.form_submit_button(t("create")):
            _create(dept, name, None)


def _create(dept: str, name: str, template) -> None:
    try:
        jobstore.validate_name("department", dept)
        jobstore.validate_name("scenario", name)
        create_scenario(jobstore.data_dir(), dept, name, template=template)
    except (NcError, jobstore.JobError) as exc:
        st.error(md_text(translate(str(exc))))
    else:
        state.select(dept, name)
        state.flash(t("created", name=md_text(f"{dept}/{name}")))
        st.rerun()


def render_chosen(dept: str, scen: str) -> None:
    st.subheader(md_text(f"{dept} / {scen}"))
    params = {"dept": dept, "scenario": scen, "lang": current_lang()}
    cols = st.columns(len(PAGES))
    for col, (page, label, icon) in zip(cols, PAGES, strict=True):
        col.page_link(page, label=t(label), icon=icon, query_params=params)
    with st.expander(t("manage"), icon=":material/settings:"):
        _render_manage(dept, scen)


def _render_manage(dept: str, scen: str) -> None:
    left, mid, right = st.columns(3)
    with left.form("duplicate"):
        copy_name = st.text_input(t("new_name"), key="dup_name")
        if st.form_submit_button(t("duplicate")):
            _create(dept, copy_name, jobstore.scenario_dir(dept, scen))
    with mid.form("rename"):
        new_name = st.text_input(t("new_name"), key="ren_name")
        if st.form_submit_button(t("rename")):
            _change(lambda: data.rename_scenario(dept, scen, new_name), (dept, new_name))
    with right:
        confirm = st.checkbox(
            t("confirm_delete", name=md_text(f"{dept}/{scen}")), key="del_confirm"
        )
        if st.button(t("delete"), disabled=not confirm, type="primary", key="del_button"):
            _change(lambda: data.delete_scenario(dept, scen), (None, None))


def _change(action, then_select: tuple[str | None, str | None]) -> None:
    """Rename or delete: refused while a job runs, with the reason; then choose the result."""
    try:
        action()
    except processing.JobActiveError:
        st.error(t("refused_running"))
    except (OSError, jobstore.JobError) as exc:
        st.error(md_text(translate(str(exc))))
    else:
        state.select(*then_select)
        state.flash(t("done"))
        st.rerun()
