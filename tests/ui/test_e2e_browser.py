"""End to end in a real browser: Playwright drives Debian's headless Chromium against a real
``streamlit run`` on 127.0.0.1 with a temp data dir. Screenshots of every step land in
``test-artifacts/e2e/``."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import processing
from ncopt import Machine, parse_program, verify_equivalent
from ncopt.scenario import read_sheets
from tests.conftest import require_program
from tests.ui.helpers import ROOT, copy_demo
from ui.i18n import STRINGS

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def zh(key: str) -> str:
    return STRINGS[key][0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(job_env):
    copy_demo(job_env, "demo", "pcb-drill")
    port = _free_port()
    env = {**os.environ, "NCOPT_DATA_DIR": str(job_env), "NCOPT_POLL_S": "1"}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("streamlit did not start")
        yield url, job_env
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture
def page(server):
    chromium = require_program("chromium")
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _wait_state(state: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = processing.get_optimization_status("demo", "pcb-drill")
        if info["state"] == state:
            return info
        time.sleep(0.1)
    raise AssertionError(f"job never reached {state}: {info['state']}")


def test_edit_optimize_reload_download_cancel(server, page):
    url, data_dir = server
    folder = data_dir / "demo" / "scenario" / "pcb-drill"
    base = f"{url}/{{}}?dept=demo&scenario=pcb-drill"

    # 1. Edit a machine value in the browser and save: the .xlsx on disk changes.
    page.goto(base.format("editor"))
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=30_000)
    shot(page, "1-editor")
    box = grid.bounding_box()
    page.mouse.click(
        box["x"] + 150, box["y"] + 36 + 16
    )  # first row, key column (past the row markers)
    page.keyboard.press("ArrowRight")  # the value column
    # Open the cell editor first: keys typed before it has focus are lost.
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.press("Control+A")
    page.keyboard.type("24000", delay=50)
    page.keyboard.press("Enter")
    page.wait_for_timeout(1500)
    page.get_by_role("button", name=zh("save")).click()
    page.get_by_text("已儲存").wait_for(timeout=30_000)
    shot(page, "2-saved")
    machine = read_sheets(folder / "pcb-drill.xlsx")["machine"]
    assert float(machine.loc[machine["key"] == "rapid_x_mm_min", "value"].iloc[0]) == 24000

    # 2. Start the optimization: the page returns at once and polls.
    page.goto(base.format("optimize"))
    page.get_by_role("button", name=zh("start_button")).click()
    running = _wait_state("running")
    page.get_by_text(zh("state_running")).first.wait_for(timeout=30_000)
    shot(page, "3-running")

    # 3. Reload mid-run: the same job is shown, still running.
    page.reload()
    page.get_by_text(zh("state_running")).first.wait_for(timeout=30_000)
    page.get_by_text(running["job_id"][-6:]).first.wait_for(timeout=10_000)
    shot(page, "4-reloaded")

    # 4. Results arrive without touching the page (the fragment polls).
    page.get_by_text(zh("state_succeeded")).first.wait_for(timeout=90_000)
    shot(page, "5-succeeded")
    assert processing.get_optimization_status("demo", "pcb-drill")["job_id"] == running["job_id"]

    # 5. Download the zip of new programs and check them.
    page.goto(base.format("results"))
    button = page.get_by_role("button", name=zh("download_zip"))
    button.wait_for(timeout=30_000)
    shot(page, "6-results")
    with page.expect_download() as download:
        button.click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert archive.namelist() == ["PCB-BACKPLANE.nc"]
    new_text = archive.read("PCB-BACKPLANE.nc")
    old_text = (folder / "programs" / "PCB-BACKPLANE.nc").read_bytes()
    assert new_text != old_text
    m = Machine(rapid_x_mm_min=24000)
    assert verify_equivalent(parse_program(old_text, m), parse_program(new_text, m)).ok

    # 6. A second run, cancelled from the page.
    page.goto(base.format("optimize"))
    page.get_by_role("button", name=zh("start_button")).click()
    _wait_state("running")
    page.get_by_role("button", name=zh("cancel")).click(timeout=30_000)
    page.get_by_text(zh("state_cancelled")).first.wait_for(timeout=30_000)
    shot(page, "7-cancelled")
    assert processing.get_optimization_status("demo", "pcb-drill")["state"] == "cancelled"
