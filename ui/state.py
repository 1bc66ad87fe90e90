"""Session state, initialised in one place, and the scenario in the URL.

Department and scenario live in ``st.query_params`` (``?dept=…&scenario=…``) so a refresh, a
bookmark, a second tab or a server restart lands on the same scenario and its live job; they
are mirrored in session state so switching pages (which may drop query params) keeps them.
"""

from __future__ import annotations

import streamlit as st

LANG = "lang"
DEPT = "dept"
SCENARIO = "scenario"
FLASH = "flash"  # a message shown once after a rerun

DEFAULTS = {LANG: "zh", DEPT: None, SCENARIO: None, FLASH: None}


def init_state() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    params = st.query_params
    if params.get("dept") and params.get("scenario"):
        st.session_state[DEPT] = params["dept"]
        st.session_state[SCENARIO] = params["scenario"]
    elif st.session_state[DEPT] and st.session_state[SCENARIO]:
        select(st.session_state[DEPT], st.session_state[SCENARIO])


def select(department: str | None, scenario: str | None) -> None:
    st.session_state[DEPT] = department
    st.session_state[SCENARIO] = scenario
    if department and scenario:
        st.query_params["dept"] = department
        st.query_params["scenario"] = scenario
    else:
        st.query_params.clear()


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
