"""The editor's pieces: sheet tables with validation, program upload, toolpath preview."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import processing
from jobstore import JobError
from ncopt import GCodeError, Machine, parse_program
from ncopt.errors import NcError, ScenarioError
from ncopt.scenario import (
    PROGRAMS_DIR,
    editor_sheets,
    list_program_files,
    load_scenario,
    read_sheets,
    scenario_xlsx_path,
    validate_sheets,
    write_sheets,
)
from ui import state
from ui.data import MAX_UPLOAD_BYTES
from ui.i18n import t
from ui.plain import md_text
from ui.plots import toolpath_figure


def render_sheets(folder: Path, key: str) -> None:
    xlsx = scenario_xlsx_path(folder)
    try:
        sheets = editor_sheets(read_sheets(xlsx))
    except ScenarioError as exc:
        st.error(md_text(exc))
        return
    edited = {}
    tabs = st.tabs(list(sheets))
    for tab, (name, frame) in zip(tabs, sheets.items(), strict=True):
        with tab:
            edited[name] = st.data_editor(
                frame,
                num_rows="dynamic",
                width="stretch",
                key=f"sheet-{key}-{name}",
                hide_index=True,
            )
    issues = validate_sheets(edited, folder / PROGRAMS_DIR)
    if issues:
        st.warning(t("issues_found", n=len(issues)))
        st.dataframe(
            [
                {"sheet": i.sheet, "row": i.row, "column": i.column, "message": i.message}
                for i in issues
            ],
            hide_index=True,
            width="stretch",
        )
    if st.button(t("save"), type="primary", disabled=bool(issues), key=f"save-{key}"):
        write_sheets(xlsx, edited)
        state.flash(t("saved", path=md_text(xlsx.name)))
        st.rerun()


def _machine(folder: Path) -> Machine:
    try:
        return load_scenario(folder).machine
    except NcError:
        return Machine()  # the sheets show what is wrong; parse with the defaults meanwhile


def render_upload(folder: Path) -> None:
    department, scenario = folder.parent.parent.name, folder.name
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            t("upload"), accept_multiple_files=True, type=["nc", "tap", "ngc", "txt", "eia", "iso"]
        )
        replace = st.checkbox(t("upload_replace"), value=False)
        submitted = st.form_submit_button(t("upload"))
    if not submitted or not files:
        return
    machine = _machine(folder)
    for upload in files:
        name = md_text(upload.name)
        data = upload.getvalue()
        if len(data) > MAX_UPLOAD_BYTES:
            st.error(t("upload_too_big", name=name, mb=MAX_UPLOAD_BYTES // 2**20))
            continue
        try:
            parse_program(data, machine, name=upload.name)
            saved = processing.upload_program(
                department, scenario, upload.name, data, replace=replace
            )
        except GCodeError as exc:
            st.error(t("upload_bad", name=name))
            st.code("\n".join(str(issue) for issue in exc.issues[:50]), language=None)
            continue
        except JobError as exc:  # a name the rules refuse, an existing program, a running job
            st.error(md_text(exc))
            continue
        kept = t("upload_kept", path=md_text(saved["replaced"])) if saved["replaced"] else ""
        st.success(t("uploaded", name=name) + kept)


def render_preview(folder: Path) -> None:
    st.subheader(t("preview"))
    names = list_program_files(folder)
    if not names:
        return
    name = st.selectbox(t("program"), names, key="preview_program")
    data = (folder / PROGRAMS_DIR / name).read_bytes()
    labels = {"rapid": t("rapid"), "cut": t("cut"), "holes": t("holes")}
    try:
        st.plotly_chart(toolpath_figure(data, _machine(folder), labels), width="stretch")
    except GCodeError as exc:
        st.code("\n".join(str(issue) for issue in exc.issues[:20]), language=None)
