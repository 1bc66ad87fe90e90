"""The Editor's tables: the four sheets with their drafts, every problem at once, save/discard.

Save writes only when the content changed, validates first (Save is disabled while there
are problems) and checks a .NET post in a child process before writing it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from ncopt.dotnet_post import PostProcessorError, PostSpec, preflight
from ncopt.scenario import scenario_xlsx_path, write_sheets
from ui import loads, state
from ui.drafts import Draft
from ui.i18n import current_lang, t, term, tn
from ui.messages import issue_rows
from ui.sheet_columns import column_config, column_order, strip_display, with_display

__all__ = ["draft_for", "render_save_bar", "render_sheets", "unsaved_scopes", "widget_key"]


def widget_key(scope: str, sheet: str, draft: Draft) -> str:
    return f"sheet|{scope}|{sheet}|{current_lang()}|{draft.generation}"


def draft_for(folder: Path, scope: str) -> Draft | None:
    """The scenario's draft, (re)loaded from the file unless it holds unsaved edits."""
    drafts: dict[str, Draft] = st.session_state[state.DRAFTS]
    loaded = loads.editor_sheets_of(scenario_xlsx_path(folder))
    if loaded.issues:
        drafts.pop(scope, None)
        return None
    draft = drafts.get(scope)
    if draft is None or (draft.file_digest != loaded.digest and not draft.dirty):
        draft = Draft(loaded.digest, loaded.sheets, generation=state.next_generation())
        drafts[scope] = draft
    return draft


def unsaved_scopes() -> list[str]:
    drafts: dict[str, Draft] = st.session_state.get(state.DRAFTS) or {}
    return [scope for scope, draft in drafts.items() if draft.dirty]


def render_sheets(folder: Path, scope: str) -> Draft | None:
    """The four sheets as tables; returns the draft with what they show now."""
    draft = draft_for(folder, scope)
    if draft is None:
        loaded = loads.editor_sheets_of(scenario_xlsx_path(folder))
        st.error(t("workbook_unreadable"))
        st.dataframe(issue_rows(loaded.issues), hide_index=True, width="stretch")
        return None
    files = loads.program_files(folder)
    names = list(draft.current)
    tabs = st.tabs([term("sheet", name) for name in names])
    for tab, name in zip(tabs, names, strict=True):
        with tab:
            _render_table(draft, scope, name, files)
    if any(not _consecutive(frame) for frame in draft.current.values()):
        draft.rebase(
            state.next_generation(), {k: v.reset_index(drop=True) for k, v in draft.current.items()}
        )
        st.rerun()  # rows were added or deleted: renumber them as Excel will
    return draft


def _render_table(draft: Draft, scope: str, name: str, files: list[str]) -> None:
    key = widget_key(scope, name, draft)
    if key not in st.session_state:  # a fresh table: start from what was shown last
        draft.base[name] = draft.current[name].copy()
    shown = with_display(name, draft.base[name])
    edited = st.data_editor(
        shown,
        num_rows="dynamic",
        width="stretch",
        key=key,
        hide_index=False,
        placeholder="",
        column_config=column_config(name, shown, files),
        column_order=column_order(name, shown),
    )
    current = strip_display(edited)
    current.index = edited.index  # kept to notice added/deleted rows, dropped on save
    draft.current[name] = current


def _consecutive(frame: pd.DataFrame) -> bool:
    index = frame.index
    return isinstance(index, pd.RangeIndex) or list(index) == list(range(2, 2 + len(index)))


def render_save_bar(folder: Path, scope: str, draft: Draft, issues: list) -> None:
    """Problems, then Save and Discard; warns while there are unsaved changes."""
    if draft.dirty:
        st.warning(t("unsaved_here", sheets=", ".join(map(_sheet_name, draft.changed_sheets()))))
    if issues:
        st.error(tn("issues_found", len(issues)))
        st.dataframe(issue_rows(issues), hide_index=True, width="stretch")
    left, right, _ = st.columns([1, 1, 4])
    if left.button(t("save"), type="primary", disabled=bool(issues), key=f"save-{scope}"):
        _save(folder, scope, draft)
    if right.button(t("discard"), disabled=not draft.dirty, key=f"discard-{scope}"):
        st.session_state[state.DRAFTS].pop(scope, None)
        state.flash(t("discarded"), "info")
        st.rerun()


def _sheet_name(name: str) -> str:
    return term("sheet", name)


def _save(folder: Path, scope: str, draft: Draft) -> None:
    if not draft.dirty:
        st.info(t("nothing_to_save"))
        return
    sheets = {name: frame.reset_index(drop=True) for name, frame in draft.current.items()}
    problem = _post_problem(sheets)
    if problem:
        st.error(t("post_failed", msg=problem))
        return
    write_sheets(scenario_xlsx_path(folder), sheets)
    st.session_state[state.DRAFTS].pop(scope, None)
    state.flash(t("saved", path=scenario_xlsx_path(folder).name))
    st.rerun()


def _post_problem(sheets: dict[str, pd.DataFrame]) -> str | None:
    """A .NET post named in the settings is loaded in a child process before it is saved."""
    settings = sheets.get("settings")
    if settings is None or "key" not in settings or "value" not in settings:
        return None
    rows = settings[settings["key"].astype("string").str.strip().str.lower() == "post"]
    if rows.empty:
        return None
    try:
        spec = PostSpec.parse(str(rows["value"].iloc[0]))
        if spec is not None:
            with st.spinner(t("post_checking")):
                preflight(spec)
    except PostProcessorError as exc:
        return str(exc)
    return None
