"""The results page's pieces."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import processing
from jobstore import scenario_dir
from ncopt import GCodeError, Machine
from ncopt.errors import NcError
from ncopt.scenario import load_scenario
from ui import data
from ui.i18n import t
from ui.plots import toolpath_figure

TABLE_COLUMNS = (
    "program", "status", "reason", "cycle_time_old_s", "cycle_time_new_s", "saving_s",
    "saving_pct", "rapid_distance_old_mm", "rapid_distance_new_mm", "tool_changes_old",
    "tool_changes_new", "holes", "holes_resequenced", "air_moves_to_rapid", "tool_changes_saved",
    "blocks_reversed",
    "quantity_per_year", "hours_saved_per_year",
)  # fmt: skip


def render_result(department: str, scenario: str, result: dict) -> None:
    if result.get("outdated"):
        st.warning(t("outdated_warning"))
    if result.get("stopped_early"):
        st.info(t("stopped_early"))
    out_df: pd.DataFrame = result["out_df"]
    sums = data.totals(out_df)
    cols = st.columns(4)
    cols[0].metric(t("cycle_old"), f"{sums.get('cycle_time_old_s', 0):.1f} s")
    cols[1].metric(
        t("cycle_new"),
        f"{sums.get('cycle_time_new_s', 0):.1f} s",
        delta=f"-{sums.get('saving_s', 0):.1f} s",
        delta_color="inverse",
    )
    cols[2].metric(t("saving"), f"{sums['saving_pct']:.1f} %")
    cols[3].metric(t("hours_year"), f"{sums.get('hours_saved_per_year', 0):.1f} h")
    shown = [c for c in TABLE_COLUMNS if c in out_df]
    st.dataframe(out_df[shown], hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.download_button(
        t("download_zip"),
        data.programs_zip(result["new_codes"]),
        file_name=f"{scenario}-optimized.zip",
        mime="application/zip",
    )
    right.download_button(
        t("download_xlsx"),
        data.report_xlsx(out_df, result.get("job_id")),
        file_name=f"{scenario}-report.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    _render_program(department, scenario, result)


def _render_program(department: str, scenario: str, result: dict) -> None:
    names = sorted(result["new_codes"])
    if not names:
        return
    name = st.selectbox(t("program"), names, key="result_program")
    old, new = result["old_codes"][name], result["new_codes"][name]
    try:
        machine = load_scenario(scenario_dir(department, scenario)).machine
    except NcError:
        machine = Machine()
    labels = {"rapid": t("rapid"), "cut": t("cut"), "holes": t("holes")}
    left, right = st.columns(2)
    for col, title, text in ((left, t("old"), old), (right, t("new"), new)):
        col.markdown(f"**{title}**")
        try:
            col.plotly_chart(
                toolpath_figure(text, machine, labels), width="stretch", key=f"plot-{title}-{name}"
            )
        except GCodeError as exc:
            col.code(str(exc), language=None)
    with st.expander(t("diff")):
        diff = data.code_diff(old, new, name)
        st.code(diff or t("no_changes"), language="diff")


def render_history(department: str, scenario: str) -> None:
    history = processing.list_history(department, scenario)
    if history:
        st.subheader(t("history"))
        st.dataframe(pd.DataFrame(history).drop(columns=["path"]), hide_index=True, width="stretch")
