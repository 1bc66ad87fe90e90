"""The app's two languages: Traditional Chinese (the shop's engineers, the default) and English.

``t("page_home")`` picks the label of the language chosen in the sidebar (session state
``lang``); ``tn("issues_found", n)`` also picks the English singular or plural. Labels live
in ``ui.strings`` (the app's own words) and ``ui.terms`` (the engine's names: sheets,
columns, keys, tool types, verification rules, reasons, job stages). Messages the engine
writes in English are translated by ``ui.messages``.

The language survives a refresh and a new tab: it is in the URL (``?lang=en``) and in a
cookie, and a new session takes it from there (``ui.state.init_state``).
"""

from __future__ import annotations

import streamlit as st

from ui.strings import PLURALS, STRINGS
from ui.terms import TERMS

LANGS = {"zh": "中文", "en": "English"}
DEFAULT_LANG = "zh"
LABELS: dict[str, tuple[str, str]] = {**TERMS, **STRINGS}

__all__ = ["DEFAULT_LANG", "LABELS", "LANGS", "current_lang", "has", "state_label", "t", "tn"]


def current_lang() -> str:
    lang = st.session_state.get("lang")
    return lang if lang in LANGS else DEFAULT_LANG


def has(key: str) -> bool:
    return key in LABELS


def t(key: str, **values: object) -> str:
    """The label ``key`` in the current language, formatted with ``values``.

    An unknown key is shown as itself: a missing label is visible, never a crash.
    """
    zh, en = LABELS.get(key, (key, key))
    text = en if current_lang() == "en" else zh
    return text.format(**values) if values else text


def tn(key: str, n: int, **values: object) -> str:
    """A label with a count: ``{n}`` is formatted with thousands separators; English picks
    the singular for exactly one (Chinese nouns have no plural form)."""
    zh, one, other = PLURALS[key]
    english = one if n == 1 else other
    text = english if current_lang() == "en" else zh
    return text.format(n=f"{n:,}", **values)


def term(prefix: str, name: object) -> str:
    """The label of an engine name (``term("rule", "holes")``), or the name itself."""
    key = f"{prefix}.{name}"
    return t(key) if key in LABELS else str(name)


def state_label(state: str) -> str:
    return term("state", state)
