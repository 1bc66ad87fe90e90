"""The editor's program pieces: upload (size-capped, parse-checked, offered to the programs
sheet), the list of programs with their text, toolpath and delete, and the spreadsheet file
itself (download, upload to replace)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import processing
from jobstore import JobError, write_bytes_atomic
from ncopt import GCodeError, parse_program
from ncopt.errors import ScenarioError
from ncopt.scenario import PROGRAMS_DIR, read_sheets, scenario_xlsx_path
from ui import data, loads, state
from ui.drafts import Draft
from ui.i18n import t
from ui.messages import gcode_rows, issue_rows, translate
from ui.plain import md_text
from ui.widgets import render_toolpath

MAX_UPLOAD_MB = data.MAX_UPLOAD_BYTES // 2**20
NC_TYPES = ["nc", "tap", "ngc", "txt", "eia", "iso", "cnc", "min", "mpf"]
MAX_TEXT_LINES = 3000  # the program text shown; the rest is in the download
OFFER = "offer_add_programs"  # uploaded files not yet in the programs sheet


def render_upload(folder: Path, scope: str, draft: Draft | None) -> None:
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            t("upload_label", mb=MAX_UPLOAD_MB),
            accept_multiple_files=True,
            type=NC_TYPES,
            max_upload_size=MAX_UPLOAD_MB,
        )
        replace = st.checkbox(t("upload_replace"), value=False)
        submitted = st.form_submit_button(t("upload"))
    if submitted and files:
        machine = loads.machine_of(folder)
        for upload in files:
            if _store(folder, upload.name, upload.getvalue(), machine, replace):
                st.session_state.setdefault(OFFER, {}).setdefault(scope, []).append(upload.name)
    _offer_to_sheet(scope, draft)


def _store(folder: Path, name: str, payload: bytes, machine, replace: bool) -> bool:
    """Parse first, then save through ``processing`` (under the scenario lock, an existing
    program kept unless ``replace``); says what happened."""
    if len(payload) > data.MAX_UPLOAD_BYTES:
        st.error(t("upload_too_big", name=md_text(name), mb=MAX_UPLOAD_MB))
        return False
    try:
        parse_program(payload, machine, name=name)
        saved = processing.upload_program(
            folder.parent.parent.name, folder.name, name, payload, replace=replace
        )
    except GCodeError as exc:
        st.error(t("upload_bad", name=md_text(name)))
        st.dataframe(gcode_rows(exc.issues[:50]), hide_index=True, width="stretch")
        return False
    except processing.JobActiveError:
        st.error(t("refused_running"))
        return False
    except JobError as exc:  # a name the rules refuse, an existing program
        st.error(md_text(translate(str(exc))))
        return False
    kept = t("upload_kept", path=md_text(saved["replaced"])) if saved["replaced"] else ""
    st.success(t("uploaded", name=md_text(name)) + kept)
    return True


def _offer_to_sheet(scope: str, draft: Draft | None) -> None:
    """Uploaded programs the programs sheet does not list yet: one click adds each."""
    pending = st.session_state.get(OFFER, {}).get(scope, [])
    listed = _listed(draft)
    for name in [n for n in dict.fromkeys(pending) if n not in listed]:
        left, right = st.columns([3, 1])
        left.info(t("offer_add", name=md_text(name)))
        if right.button(t("add_to_sheet"), key=f"add-{scope}-{name}") and draft is not None:
            add_program_row(draft, name)
            pending.remove(name)
            state.flash(t("added_to_sheet", name=md_text(name)), "info")
            st.rerun()


def _listed(draft: Draft | None) -> set[str]:
    if draft is None or "programs" not in draft.current:
        return set()
    frame = draft.current["programs"]
    return set(frame["file"].dropna().astype(str)) if "file" in frame else set()


def add_program_row(draft: Draft, name: str) -> None:
    """A new row for ``name`` in the draft's programs sheet: enabled, quantity to be set."""
    frame = draft.current["programs"].reset_index(drop=True)
    row = {column: None for column in frame.columns}
    row.update({"file": name, "enabled": True, "quantity_per_year": 0})
    added = pd.concat([frame, pd.DataFrame([row]).astype(frame.dtypes.to_dict())])
    draft.rebase(
        state.next_generation(), {**draft.current, "programs": added.reset_index(drop=True)}
    )


def render_programs(folder: Path, scope: str, draft: Draft | None) -> None:
    """The files in programs/: choose one to see its toolpath and text, or delete it."""
    names = loads.program_files(folder)
    if not names:
        st.info(t("no_programs"))
        return
    listed = _listed(draft)
    st.dataframe(
        [
            {
                t("col.file"): name,
                t("size_kb"): round((folder / PROGRAMS_DIR / name).stat().st_size / 1024, 1),
                t("in_sheet"): name in listed,
            }
            for name in names
        ],
        hide_index=True,
        width="stretch",
    )
    name = st.selectbox(t("program"), names, key=f"program-{scope}")
    raw = (folder / PROGRAMS_DIR / name).read_bytes()
    preview, text, manage = st.tabs([t("preview"), t("program_text"), t("manage_program")])
    with preview:
        render_preview(raw, folder)
    with text:
        _render_text(raw)
    with manage:
        _render_delete(folder, scope, name, draft)


def render_preview(raw: bytes, folder: Path) -> None:
    render_toolpath(raw, loads.machine_of(folder))


def _render_text(raw: bytes) -> None:
    lines = raw.decode("utf-8", errors="replace").splitlines()
    if len(lines) > MAX_TEXT_LINES:
        st.caption(t("text_cut", n=f"{MAX_TEXT_LINES:,}", total=f"{len(lines):,}"))
    st.code("\n".join(lines[:MAX_TEXT_LINES]), language=None, line_numbers=True, height=420)


def _render_delete(folder: Path, scope: str, name: str, draft: Draft | None) -> None:
    sure = st.checkbox(t("confirm_delete_program", name=name), key=f"del-prog-{scope}-{name}")
    if st.button(t("delete_program"), disabled=not sure, key=f"del-prog-btn-{scope}-{name}"):
        try:
            data.delete_program(folder, name)
        except processing.JobActiveError:
            st.error(t("refused_running"))
            return
        except (OSError, JobError) as exc:
            st.error(md_text(translate(str(exc))))
            return
        message = t("program_deleted", name=name)
        if draft is not None and name in _listed(draft):
            frame = draft.current["programs"].reset_index(drop=True)
            draft.rebase(
                state.next_generation(), {**draft.current, "programs": frame[frame["file"] != name]}
            )
            message += " " + t("removed_from_sheet")
        state.flash(message, "info")
        st.rerun()


def render_workbook_file(folder: Path, scope: str) -> None:
    """The spreadsheet as a file: download it, or upload one to replace it (confirmed)."""
    xlsx = scenario_xlsx_path(folder)
    if xlsx.is_file():
        st.download_button(
            t("download_sheet"),
            xlsx.read_bytes(),
            file_name=xlsx.name,
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            on_click="ignore",
        )
    upload = st.file_uploader(
        t("upload_sheet"), type=["xlsx"], key=f"xlsx-{scope}", max_upload_size=MAX_UPLOAD_MB
    )
    if upload is None:
        return
    payload = upload.getvalue()
    try:
        sheets = read_sheets_bytes(payload)
    except ScenarioError as exc:
        st.error(t("sheet_upload_bad"))
        st.dataframe(issue_rows(exc.issues), hide_index=True, width="stretch")
        return
    issues = loads.validate(sheets, folder)
    if issues:
        st.warning(t("sheet_upload_issues", n=len(issues)))
    sure = st.checkbox(t("confirm_replace_sheet", name=xlsx.name), key=f"xlsx-sure-{scope}")
    if st.button(t("replace_sheet"), disabled=not sure, key=f"xlsx-go-{scope}"):
        write_bytes_atomic(xlsx, payload)
        st.session_state[state.DRAFTS].pop(scope, None)
        state.flash(t("sheet_replaced", name=xlsx.name))
        st.rerun()


def read_sheets_bytes(payload: bytes) -> dict[str, pd.DataFrame]:
    """``read_sheets`` for uploaded bytes (it reads a path): through a temporary file."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        tmp.write(payload)
        tmp.flush()
        return read_sheets(tmp.name)
