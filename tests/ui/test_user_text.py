"""User text is shown as text, never as Markdown; an uncaught error shows no traceback in the
browser (issue 15, "Also in scope")."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ncopt.scenario import read_sheets, write_sheets
from tests.conftest import require_program
from tests.jobs.helpers import run_failing
from tests.ui.helpers import ROOT, app, shown

# Markdown a shop's data can hold: a tool type, and a scenario name that italicises.
BOLD_AND_LINK = "**x** [y](https://evil.example)"
SCENARIO = "_draft_"
MARKDOWN_KINDS = ("markdown", "caption", "error", "warning", "info", "success", "subheader")


def _draft_scenario(data_dir) -> None:
    source = ROOT / "scenarios" / "demo" / "scenario" / "mold-plate"
    folder = data_dir / "demo" / "scenario" / SCENARIO
    shutil.copytree(source, folder)
    (folder / "mold-plate.xlsx").rename(folder / f"{SCENARIO}.xlsx")
    sheets = read_sheets(folder / f"{SCENARIO}.xlsx")
    sheets["tools"].loc[0, "type"] = BOLD_AND_LINK  # the validation message quotes it
    write_sheets(folder / f"{SCENARIO}.xlsx", sheets)


@pytest.mark.parametrize("page", ["scenarios", "editor", "optimize", "results", "jobs"])
def test_user_text_reaches_markdown_elements_escaped(job_env, page):
    _draft_scenario(job_env)
    if page == "jobs":  # the Jobs page lists scenarios that have a job
        run_failing(department="demo", scenario=SCENARIO)
    at = app(page, "demo", SCENARIO)
    seen = 0
    for kind in MARKDOWN_KINDS:
        for element in at.get(kind):
            source = str(getattr(element, "value", ""))
            for text in (BOLD_AND_LINK, SCENARIO):
                if text in shown(source):
                    seen += 1
                    assert text not in source, (kind, source)  # escaped: shown as typed
    assert seen, "the page showed none of the user text"


@pytest.fixture
def failing_server(tmp_path):
    """``streamlit run`` of a script that raises, from the checkout (its .streamlit config)."""
    script = tmp_path / "boom.py"
    script.write_text('raise RuntimeError("secret detail: /etc/ncopt/key")\n')
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log_fh:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=log_fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            time.sleep(0.2)
        yield url, log_path
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.browser
def test_an_uncaught_error_shows_no_traceback_and_the_log_keeps_it(failing_server):
    chromium = require_program("chromium")
    from playwright.sync_api import sync_playwright

    url, log_path = failing_server
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(url)
            box = page.locator("[data-testid='stException']").first
            box.wait_for(timeout=30_000)
            text = box.inner_text()
        finally:
            browser.close()
    assert "RuntimeError" in text
    assert "secret detail" not in text and "Traceback" not in text and 'File "' not in text
    assert "secret detail: /etc/ncopt/key" in log_path.read_text()


@pytest.mark.parametrize("page", ["scenarios", "editor", "optimize", "results", "jobs"])
def test_every_page_survives_a_damaged_status_file(job_env, page):
    from tests.ui.helpers import copy_demo

    folder = copy_demo(job_env)
    run_failing(department="demo", scenario="mold-plate")
    (folder / "optimization_process_info.json").write_text("[]")
    at = app(page, "demo", "mold-plate")  # app() asserts there was no exception
    if page in ("optimize", "results"):
        assert any("damaged" in shown(e.value) for e in at.error), [e.value for e in at.error]
