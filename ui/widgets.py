"""Widgets shared by the pages: the sidebar (links, language, scenario picker, unsaved edits),
the page scripts (language cookie, leave guard, the uploader's words) and the toolpath plot."""

from __future__ import annotations

import json

import streamlit as st

from ui import data, state
from ui.i18n import LANGS, current_lang, t
from ui.plain import md_text
from ui.sheet_editor import unsaved_scopes

EDITOR_PAGE = "ui/app_pages/editor.py"


def render_sidebar(pages: list):
    """Page links, language switch and scenario picker. Returns a sidebar slot for
    ``render_after_page``: what depends on the page's own run (unsaved edits) goes there."""
    _render_nav(pages)
    st.sidebar.radio(
        t("language"), list(LANGS), format_func=LANGS.get, key=state.LANG, horizontal=True
    )
    _scenario_picker()
    return st.sidebar.container()


def render_after_page(slot) -> None:
    """Unsaved edits and the page scripts, drawn after the page ran: the Editor's tables
    update the drafts during its run, and a notice drawn before would be one edit late."""
    with slot:
        _unsaved_notice()
        _page_scripts()


def link_params() -> dict[str, str]:
    """The query string every link carries: the scenario (if one is chosen) and language."""
    params = {"lang": current_lang()}
    chosen = state.selected()
    if chosen:
        params["dept"], params["scenario"] = chosen
    return params


def _render_nav(pages: list) -> None:
    params = link_params()
    for page in pages:
        st.sidebar.page_link(page, query_params=params)
    st.sidebar.divider()


def _scenario_picker() -> tuple[str, str] | None:
    rows = data.scenario_rows()
    depts = data.departments(rows)
    if not depts:
        st.sidebar.info(t("no_scenarios"))
        return None
    current = state.selected()
    dept_index = depts.index(current[0]) if current and current[0] in depts else 0
    dept = st.sidebar.selectbox(t("department"), depts, index=dept_index)
    names = data.scenarios_of(rows, dept)
    scen_index = names.index(current[1]) if current and current[1] in names else 0
    scen = st.sidebar.selectbox(t("scenario"), names, index=scen_index)
    if (dept, scen) != current:
        state.select(dept, scen)
    return dept, scen


def _unsaved_notice() -> None:
    """On every page: which scenarios have unsaved edits, with the way back to them."""
    for scope in unsaved_scopes():
        st.warning(t("unsaved_sidebar", scope=md_text(scope)))
        dept, _, scen = scope.partition("/")
        st.page_link(
            EDITOR_PAGE,
            label=t("back_to_editor"),
            icon=":material/edit:",
            query_params={"dept": dept, "scenario": scen, "lang": current_lang()},
        )


def _page_scripts() -> None:
    """The language cookie, the browser's leave warning while edits are unsaved, and the
    uploader's own words in Chinese (Streamlit draws them in English)."""
    dirty = json.dumps(bool(unsaved_scopes()))
    guard = (
        f"<script>window.ncoptUnsaved = {dirty};"
        "if (!window.ncoptGuard) { window.ncoptGuard = true;"
        " window.addEventListener('beforeunload', (e) => {"
        " if (window.ncoptUnsaved) { e.preventDefault(); e.returnValue = ''; } }); }</script>"
    )
    st.html(state.remember_lang_script() + guard, unsafe_allow_javascript=True)
    st.html(
        _UPLOADER_CSS.replace("__BROWSE__", t("browse_files")).replace("__DROP__", t("drop_files"))
    )


# Streamlit draws the uploader's button and hint in English ("Upload", beside our own
# Upload button): say "choose files" in the user's language instead. The limit is in the
# label (upload_label), from the same number the uploader enforces.
_UPLOADER_CSS = """<style>
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p,
[data-testid='stFileUploaderDropzoneInstructions'] span { font-size: 0; }
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after {
  content: '__BROWSE__'; font-size: 0.875rem; }
[data-testid='stFileUploaderDropzoneInstructions'] span::after {
  content: '__DROP__'; font-size: 0.875rem; }
</style>"""


def render_toolpath(text: str | bytes, machine, key: str | None = None) -> None:
    """A program's toolpath figure (with a note when the route is shown sampled), or where
    the program cannot be parsed."""
    from ui import loads
    from ui.messages import gcode_rows

    view, issues, digest = loads.path_view_of(text, machine)
    if view is None:
        st.error(t("parse_failed"))
        st.dataframe(gcode_rows(issues[:50]), hide_index=True, width="stretch")
        return
    figure = loads.figure_of(digest, view, plot_labels())
    st.plotly_chart(figure, width="stretch", key=key)
    if view.decimated:
        st.caption(t("plot_decimated"))


def plot_labels() -> dict[str, str]:
    return {
        key: t(f"plot_{key}") for key in ("top", "side", "start", "end", "rapid", "cut", "holes")
    }


def scenario_caption(department: str, scenario: str) -> None:
    st.caption(md_text(f"{department} / {scenario}"))


def require_scenario() -> tuple[str, str] | None:
    chosen = state.selected()
    if chosen is None:
        st.info(t("pick_scenario"))
    return chosen
