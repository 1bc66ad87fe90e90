"""Helpers for the UI tests (imported as ``tests.ui.helpers``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")


def copy_demo(data_dir: Path, dept: str = "demo", name: str = "mold-plate") -> Path:
    dest = data_dir / dept / "scenario" / name
    shutil.copytree(ROOT / "scenarios" / dept / "scenario" / name, dest)
    return dest


def app(
    page: str | None = None, dept: str | None = None, scenario: str | None = None, lang: str = "en"
) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    if dept and scenario:
        at.query_params["dept"] = dept
        at.query_params["scenario"] = scenario
    at.run()
    if page:
        at.switch_page(f"ui/app_pages/{page}.py")
        at.run()
    assert not at.exception, at.exception
    return at


def shown(markdown: str) -> str:
    """What a reader sees of Markdown source with backslash escapes (``ui.plain.md_text``)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def texts(at: AppTest) -> str:
    parts = []
    for kind in (
        "markdown",
        "info",
        "warning",
        "error",
        "success",
        "caption",
        "title",
        "code",
        "metric",
        "subheader",
        "toast",
    ):
        for element in at.get(kind):
            text = str(getattr(element, "value", "")) + str(getattr(element, "label", ""))
            parts.append(text if kind == "code" else shown(text))
    return "\n".join(parts)
