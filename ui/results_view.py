"""The Results page's pieces: totals, the program table, downloads, and per program its
evidence, its toolpath before and after, and what changed (raw diff on demand)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from jobstore import scenario_dir
from ui import data, evidence, loads
from ui.i18n import t, term, tn
from ui.messages import translate
from ui.plain import md_text
from ui.widgets import render_toolpath

TABLE_COLUMNS = (
    "program", "status", "cycle_time_old_s", "cycle_time_new_s", "saving_s", "saving_pct",
    "rapid_distance_old_mm", "rapid_distance_new_mm", "tool_changes_old", "tool_changes_new",
    "holes", "holes_resequenced", "air_moves_to_rapid", "tool_changes_saved", "blocks_reversed",
    "quantity_per_year", "hours_saved_per_year", "reason",
)  # fmt: skip
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render_result(department: str, scenario: str, result: dict) -> None:
    if result.get("outdated"):
        st.warning(t("outdated_warning"))
    if result.get("stopped_early"):
        st.info(t("stopped_early"))
    out_df: pd.DataFrame = result["out_df"]
    if out_df.empty:
        st.info(t("nothing_was_optimized"))
        return
    _render_totals(out_df)
    st.dataframe(program_table(out_df), hide_index=True, width="stretch")
    _render_downloads(scenario, result)
    st.divider()
    _render_program(department, scenario, result)


def _render_totals(out_df: pd.DataFrame) -> None:
    sums = data.totals(out_df)
    cols = st.columns(4)
    cols[0].metric(t("cycle_old"), f"{sums.get('cycle_time_old_s', 0):,.1f} s")
    cols[1].metric(
        t("cycle_new"),
        f"{sums.get('cycle_time_new_s', 0):,.1f} s",
        delta=f"-{sums.get('saving_s', 0):,.1f} s",
        delta_color="inverse",
    )
    cols[2].metric(t("saving"), f"{sums['saving_pct']:.1f} %")
    cols[3].metric(t("hours_year"), f"{sums.get('hours_saved_per_year', 0):,.1f} h")


def program_table(out_df: pd.DataFrame) -> pd.DataFrame:
    """The per-program table with translated headers, statuses and reasons, metres for mm."""
    shown = out_df[[c for c in TABLE_COLUMNS if c in out_df]].copy()
    for column in ("rapid_distance_old_mm", "rapid_distance_new_mm"):
        if column in shown:
            shown[column] = pd.to_numeric(shown[column], errors="coerce") / 1000.0
    if "status" in shown:
        shown["status"] = [term("pstatus", s) for s in shown["status"]]
    if "reason" in shown:
        shown["reason"] = [translate(str(r or "")) for r in shown["reason"]]
    for column in shown.select_dtypes("number").columns:
        shown[column] = shown[column].round(2)
    return shown.rename(columns={c: term("rcol", c) for c in shown.columns})


def _render_downloads(scenario: str, result: dict) -> None:
    changed = data.changed_programs(result["new_codes"], result["old_codes"])
    left, right = st.columns(2)
    if changed:
        left.download_button(
            t("download_zip", n=len(changed)),
            lambda: data.programs_zip(changed),
            file_name=data.optimized_name(f"{scenario}.zip", result.get("job_id")),
            mime="application/zip",
            on_click="ignore",
            type="primary",
        )
    else:
        left.info(t("no_program_changed"))
    right.download_button(
        t("download_xlsx"),
        lambda: data.report_xlsx(result["out_df"], result.get("job_id")),
        file_name=f"{scenario}-report.xlsx",
        mime=XLSX_MIME,
        on_click="ignore",
    )


def _render_program(department: str, scenario: str, result: dict) -> None:
    rows = {str(r["program"]): r for r in result["out_df"].to_dict("records")}
    name = st.selectbox(t("program"), list(rows), key="result_program")
    row = rows[name]
    status = term("pstatus", row.get("status"))
    st.markdown(f"**{md_text(name)}** · {md_text(status)}")
    if row.get("reason"):
        st.caption(md_text(translate(str(row["reason"]))))
    _render_warnings(row)
    old, new = result["old_codes"].get(name), result["new_codes"].get(name)
    if old is None or new is None:
        return
    if old != new:
        st.download_button(
            t("download_one", name=data.optimized_name(name)),
            new,
            file_name=data.optimized_name(name),
            mime="text/plain",
            on_click="ignore",
            key=f"dl-{name}",
        )
    proof, paths, changes = st.tabs([t("tab_evidence"), t("tab_toolpath"), t("tab_changes")])
    with proof:
        evidence.render_evidence(row)
    with paths:
        _render_paths(department, scenario, old, new, name)
    with changes:
        _render_changes(row, old, new, name)


def _render_warnings(row: dict[str, Any]) -> None:
    """What the engine's figures leave out for this program, with the lines."""
    warnings = [w for w in row.get("warnings") or [] if isinstance(w, dict)]
    if not warnings:
        return
    st.warning(tn("program_warnings", len(warnings)))
    st.dataframe(
        [
            {t("line"): w.get("line"), t("issue_problem"): translate(str(w.get("message") or ""))}
            for w in warnings
        ],
        hide_index=True,
        width="stretch",
    )


def _render_paths(department: str, scenario: str, old: str, new: str, name: str) -> None:
    machine = loads.machine_of(scenario_dir(department, scenario))
    left, right = st.columns(2)
    for col, title, text in ((left, t("old"), old), (right, t("new"), new)):
        with col:
            st.markdown(f"**{title}**")
            render_toolpath(text, machine, key=f"plot-{title}-{name}")


def _render_changes(row: dict[str, Any], old: str, new: str, name: str) -> None:
    lines = evidence.change_lines(row)
    if lines:
        for line in lines:
            st.text(line)
    elif old == new:
        st.info(t("no_changes"))
    else:
        st.caption(t("no_change_summary"))
    if old != new and st.toggle(t("show_raw_diff"), key=f"raw-diff-{name}"):
        st.code(loads.code_diff_of(old, new, name) or t("no_changes"), language="diff")
