"""The editor's pieces: sheet tables with validation, program upload, toolpath preview."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from jobstore import JobError, validate_name, write_bytes_atomic
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
from ui.plots import toolpath_figure


def render_sheets(folder: Path, key: str) -> None:
    xlsx = scenario_xlsx_path(folder)
    try:
        sheets = editor_sheets(read_sheets(xlsx))
    except ScenarioError as exc:
        st.error(str(exc))
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
        state.flash(t("saved", path=xlsx.name))
        st.rerun()


def _machine(folder: Path) -> Machine:
    try:
        return load_scenario(folder).machine
    except NcError:
        return Machine()  # the sheets show what is wrong; parse with the defaults meanwhile


def render_upload(folder: Path) -> None:
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            t("upload"), accept_multiple_files=True, type=["nc", "tap", "ngc", "txt", "eia", "iso"]
        )
        submitted = st.form_submit_button(t("upload"))
    if not submitted or not files:
        return
    machine = _machine(folder)
    for upload in files:
        data = upload.getvalue()
        if len(data) > MAX_UPLOAD_BYTES:
            st.error(t("upload_too_big", name=upload.name, mb=MAX_UPLOAD_BYTES // 2**20))
            continue
        try:
            validate_name("program file", upload.name)
            parse_program(data, machine, name=upload.name)
        except GCodeError as exc:
            st.error(t("upload_bad", name=upload.name))
            st.code("\n".join(str(issue) for issue in exc.issues[:50]), language=None)
            continue
        except JobError as exc:
            st.error(str(exc))
            continue
        write_bytes_atomic(folder / PROGRAMS_DIR / upload.name, data)
        st.success(t("uploaded", name=upload.name))


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
        st.error("\n".join(str(issue) for issue in exc.issues[:20]))
