"""Session state, initialised in one place, and what the URL and a cookie keep across sessions.

Department, scenario and language live in ``st.query_params`` (``?dept=…&scenario=…&lang=…``)
so a refresh, a bookmark, a second tab or a server restart lands on the same scenario, its
live job and the same language. They are mirrored in session state because switching pages
through the navigation drops the query string. The language is also kept in a cookie, so a
new tab opened on the bare address still speaks the language chosen last.
"""

from __future__ import annotations

import copy
import json

import streamlit as st

from ui.i18n import DEFAULT_LANG, LANGS

LANG = "lang"
DEPT = "dept"
SCENARIO = "scenario"
FLASH = "flash"  # a message shown once after a rerun
FAST_POLL_UNTIL = "fast_poll_until"  # monotonic time until which the job panel polls fast
DRAFTS = "drafts"  # unsaved editor sheets per scenario, see ui.sheet_editor
HISTORY_JOB = "history_job"  # an earlier run chosen on the Jobs page, shown on Results
GENERATION = "table_generation"  # counter for fresh editor tables, see ui.drafts

LANG_COOKIE = "ncopt_lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600

DEFAULTS = {
    DEPT: None,
    SCENARIO: None,
    FLASH: None,
    FAST_POLL_UNTIL: 0.0,
    DRAFTS: {},
    HISTORY_JOB: None,
    GENERATION: 0,
}


def init_state() -> None:
    """Defaults for a new session; the language from the URL, else the cookie, else Chinese."""
    for key, value in DEFAULTS.items():
        # A copy: a default dict shared by every session would leak one user's drafts to all.
        st.session_state.setdefault(key, copy.copy(value))
    if LANG not in st.session_state:
        st.session_state[LANG] = _first_lang()
    params = st.query_params
    if params.get("dept") and params.get("scenario"):
        st.session_state[DEPT] = params["dept"]
        st.session_state[SCENARIO] = params["scenario"]


def _first_lang() -> str:
    for candidate in (st.query_params.get("lang"), _cookie(LANG_COOKIE)):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


def _cookie(name: str) -> str | None:
    try:
        return st.context.cookies.get(name)
    except (AttributeError, RuntimeError):  # no browser behind this run (AppTest, bare mode)
        return None


def sync_url() -> None:
    """Put the session's scenario and language back into the URL after a page switch.

    Called after ``st.navigation`` has chosen the page: set before, the browser would write
    the query string onto the previous page's path.
    """
    wanted = {LANG: st.session_state.get(LANG) or DEFAULT_LANG}
    if selected():
        wanted[DEPT], wanted[SCENARIO] = selected()  # type: ignore[misc]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def remember_lang_script() -> str:
    """A script that keeps the chosen language in a cookie for new tabs and sessions."""
    lang = json.dumps(st.session_state.get(LANG) or DEFAULT_LANG)
    return (
        f"<script>document.cookie = '{LANG_COOKIE}=' + {lang} + "
        f"'; path=/; max-age={COOKIE_MAX_AGE_S}; SameSite=Lax';</script>"
    )


def select(department: str | None, scenario: str | None) -> None:
    st.session_state[DEPT] = department
    st.session_state[SCENARIO] = scenario
    st.session_state[HISTORY_JOB] = None
    if department and scenario:
        st.query_params[DEPT] = department
        st.query_params[SCENARIO] = scenario
    else:
        for key in (DEPT, SCENARIO):
            st.query_params.pop(key, None)


def selected() -> tuple[str, str] | None:
    dept, scen = st.session_state.get(DEPT), st.session_state.get(SCENARIO)
    return (dept, scen) if dept and scen else None


def flash(message: str, kind: str = "success") -> None:
    st.session_state[FLASH] = (kind, message)


def show_flash() -> None:
    message = st.session_state.get(FLASH)
    if message:
        kind, text = message
        getattr(st, kind)(text)
        st.session_state[FLASH] = None


def next_generation() -> int:
    """A number never used before in this session, for table widgets drawn afresh."""
    st.session_state[GENERATION] = int(st.session_state.get(GENERATION) or 0) + 1
    return st.session_state[GENERATION]


def poll_fast(window_s: float) -> None:
    """Let the job panel poll fast for ``window_s`` (after a start, a cancel, a state change)."""
    import time

    st.session_state[FAST_POLL_UNTIL] = time.monotonic() + window_s
