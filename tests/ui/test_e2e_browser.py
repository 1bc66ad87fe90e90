"""End to end in a real browser: Playwright drives Debian's headless Chromium against a real
``streamlit run`` on 127.0.0.1 with a temp data dir. Screenshots of every step land in
``test-artifacts/e2e/<test>/``, and of every page in both languages in
``test-artifacts/e2e/pages/``.

Runs started from the browser use ``tests.ui.entries:with_evidence``: the real engine, with
the report columns of DESIGN.md §5 added where the engine does not write them yet.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
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
from ui.i18n import LABELS

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
PAGES = ("home", "scenarios", "editor", "optimize", "results", "jobs")


def zh(key: str) -> str:
    return LABELS[key][0]


def en(key: str) -> str:
    return LABELS[key][1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(job_env):
    copy_demo(job_env, "demo", "pcb-drill")
    copy_demo(job_env, "demo", "large-panel")
    port = _free_port()
    env = {
        **os.environ,
        "NCOPT_DATA_DIR": str(job_env),
        "NCOPT_POLL_S": "3",
        "NCOPT_ENTRY": "tests.ui.entries:with_evidence",
    }
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


@pytest.fixture(scope="session")
def artifacts():
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def browser_context(server, artifacts, request):
    chromium = require_program("chromium")
    from playwright.sync_api import sync_playwright

    folder = artifacts / request.node.name
    folder.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        context.shots = folder
        try:
            yield context
        finally:
            context.close()
            browser.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    page.shots = browser_context.shots
    return page


def shot(page, name: str, folder: Path | None = None) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str((folder or page.shots) / f"{name}.png"), full_page=True)


def _settled(page) -> None:
    """The app finished its script run (Streamlit's running indicator is gone)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )


def _wait_state(state: str, scenario: str = "pcb-drill", timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = processing.get_optimization_status("demo", scenario)
        if info["state"] == state:
            return info
        time.sleep(0.1)
    raise AssertionError(f"job never reached {state}: {info['state']}")


def _status(page, state: str):
    """The job panel's status metric showing ``state`` (the visible one: a page being
    redrawn keeps hidden copies of earlier elements)."""
    label = zh(f"state.{state}")
    return page.locator("[data-testid='stMetricValue']").filter(has_text=label, visible=True)


def _seconds_between(start: str, end: str | None) -> float | None:
    from datetime import datetime

    if not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


VALUE_COLUMN = 4  # in the grid's accessible table: 1 Row, 2 Key, 3 Name, 4 Value, 5 Unit
SELECTED = "() => (document.querySelector('td[aria-selected=\"true\"]') || {}).id || ''"


def _edit_first_value(page, text: str) -> None:
    """Type ``text`` into the machine sheet's first value (row 1 of the Value column)."""
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=30_000)
    _settled(page)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 150, box["y"] + 36 + 16)  # somewhere in the first row
    # The grid is a canvas; its accessible twin says which cell is selected. Step to the
    # value column from wherever the click landed (column widths follow the layout), and
    # wait for each step to show there before the next.
    page.wait_for_function(f"() => ({SELECTED})().startsWith('glide-cell-')")
    for _ in range(8):
        selected = page.evaluate(SELECTED)
        column = int(selected.split("-")[2])
        if column == VALUE_COLUMN:
            break
        page.keyboard.press("ArrowRight" if column < VALUE_COLUMN else "ArrowLeft")
        page.wait_for_function(f"() => ({SELECTED})() !== {selected!r}")
    # Open the cell editor first: keys typed before it has focus are lost.
    page.keyboard.press("Enter")
    editor = page.locator("textarea.gdg-input:not([disabled]), input.gdg-input").first
    editor.wait_for(timeout=5_000)
    editor.fill(text)
    page.keyboard.press("Enter")
    page.get_by_text(re.compile("尚未儲存的變更：")).first.wait_for(timeout=30_000)


def _start_pcb_run(seconds: float = 3) -> dict:
    processing.start_optimization_async(
        "demo", "pcb-drill", time_limit_s=seconds, entry="tests.ui.entries:with_evidence"
    )
    return _wait_state("succeeded", timeout_s=120)


def test_edit_optimize_reload_evidence_download_cancel(server, page):
    url, data_dir = server
    folder = data_dir / "demo" / "scenario" / "pcb-drill"
    base = f"{url}/{{}}?dept=demo&scenario=pcb-drill"

    # 1. Edit a machine value in the browser and save: the .xlsx on disk changes.
    page.goto(base.format("editor"))
    _edit_first_value(page, "24000")
    shot(page, "1-editor")
    page.get_by_role("button", name=zh("save")).click()
    page.get_by_text("已儲存").wait_for(timeout=30_000)
    shot(page, "2-saved")
    machine = read_sheets(folder / "pcb-drill.xlsx")["machine"]
    assert float(machine.loc[machine["key"] == "rapid_x_mm_min", "value"].iloc[0]) == 24000

    # 2. Start: the page shows "running" within 2 s, with the stage and the best so far.
    page.goto(base.format("optimize"))
    page.get_by_text(zh("no_job_yet")).wait_for(timeout=30_000)  # the page's last element
    _settled(page)
    page.get_by_role("button", name=zh("start_button")).click()
    clicked = time.monotonic()
    try:
        _status(page, "running").first.wait_for(timeout=2_000)
    except Exception as exc:  # say whether the job or the page was late
        shot(page, "3-not-running-after-2s")
        info = processing.get_optimization_status("demo", "pcb-drill")
        late = _seconds_between(info["created_at"], info.get("started_at"))
        raise AssertionError(f"no 'running' 2 s after Start; the job took {late} s") from exc
    assert time.monotonic() - clicked <= 2.0
    running = processing.get_optimization_status("demo", "pcb-drill")
    shot(page, "3-running")

    # 3. Reload mid-run: the same job is shown, still running.
    page.reload()
    _status(page, "running").first.wait_for(timeout=30_000)
    page.get_by_text(running["job_id"][-6:]).first.wait_for(timeout=10_000)
    shot(page, "4-reloaded")

    # 4. Results arrive without touching the page; the saving and the way to Results show.
    _status(page, "succeeded").first.wait_for(timeout=120_000)
    page.get_by_text(zh("see_results")).wait_for(timeout=30_000)
    shot(page, "5-succeeded")
    assert processing.get_optimization_status("demo", "pcb-drill")["job_id"] == running["job_id"]

    # 5. The evidence: the verifier's checklist, per tool, on the Results page.
    page.get_by_text(zh("see_results")).click()
    page.get_by_text("已驗證：新程式重新解析後").wait_for(timeout=30_000)
    # Table cells live in the grid's canvas; its accessible twin holds their text.
    page.get_by_text(zh("rule.holes")).first.wait_for(state="attached", timeout=10_000)
    shot(page, "6-results-evidence")
    page.get_by_role("tab", name=zh("tab_toolpath")).click()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=30_000)
    shot(page, "7-results-toolpath")

    # 6. Download the zip of new programs: named "optimized", verified here again.
    button = page.get_by_role("button", name=re.compile("下載已優化的程式"))
    with page.expect_download() as download:
        button.click()
    assert "_optimized_" in download.value.suggested_filename
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert archive.namelist() == ["PCB-BACKPLANE_optimized.nc"]
    new_text = archive.read("PCB-BACKPLANE_optimized.nc")
    old_text = (folder / "programs" / "PCB-BACKPLANE.nc").read_bytes()
    assert new_text != old_text
    m = Machine(rapid_x_mm_min=24000)
    assert verify_equivalent(parse_program(old_text, m), parse_program(new_text, m)).ok

    # 7. A second run, cancelled from the page.
    page.goto(base.format("optimize"))
    _settled(page)
    page.get_by_role("button", name=zh("start_button")).click()
    _wait_state("running")
    page.get_by_role("button", name=zh("cancel")).click(timeout=30_000)
    _status(page, "cancelled").first.wait_for(timeout=30_000)
    shot(page, "8-cancelled")
    assert processing.get_optimization_status("demo", "pcb-drill")["state"] == "cancelled"


def test_best_cycle_time_so_far_is_a_number_during_the_large_panel_run(server, page):
    url, _ = server
    page.goto(f"{url}/optimize?dept=demo&scenario=large-panel")
    _settled(page)
    limit = page.get_by_label(zh("time_limit"))
    limit.fill("60")
    limit.press("Enter")
    _settled(page)
    page.get_by_role("button", name=zh("start_button")).click()
    best = page.locator("[data-testid='stMetric']").filter(has_text=zh("best_so_far"))
    value = best.locator("[data-testid='stMetricValue']")
    deadline = time.monotonic() + 60
    while not re.fullmatch(r"[\d,]+\.\d s", value.inner_text().strip()):
        assert time.monotonic() < deadline, value.inner_text()
        page.wait_for_timeout(250)
    assert processing.get_optimization_status("demo", "large-panel")["state"] == "running"
    number = float(value.inner_text().strip()[:-2].replace(",", ""))
    assert 0 < number <= 17_848.6 + 0.1  # at most the original cycle time (README)
    stage = page.locator("[data-testid='stProgress']").inner_text()
    assert re.search(r"\d+ % · ", stage), stage
    shot(page, "1-large-panel-running")
    page.get_by_role("button", name=zh("finish_now")).click()
    _status(page, "succeeded").first.wait_for(timeout=120_000)
    shot(page, "2-large-panel-finished")


def test_an_unsaved_edit_is_warned_about_and_kept(server, page):
    url, data_dir = server
    xlsx = data_dir / "demo" / "scenario" / "pcb-drill" / "pcb-drill.xlsx"
    before = xlsx.read_bytes()
    page.goto(f"{url}/editor?dept=demo&scenario=pcb-drill")
    _edit_first_value(page, "12345")
    # Another page of the app: the sidebar says so, with the way back.
    page.get_by_role("link", name=zh("page_results")).click()
    page.get_by_text("demo/pcb-drill 有尚未儲存的變更。").wait_for(timeout=30_000)
    shot(page, "1-warned-on-results")
    page.get_by_role("link", name=zh("back_to_editor")).click()
    page.get_by_text(re.compile("尚未儲存的變更：機台")).wait_for(timeout=30_000)
    page.get_by_text("12345").first.wait_for(state="attached", timeout=10_000)  # still there
    shot(page, "2-back-in-editor")
    # Leaving the app (reload, close): the browser asks first.
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    with contextlib.suppress(Exception):  # the dismissed reload never completes
        page.reload(timeout=3_000)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert xlsx.read_bytes() == before


def test_a_save_without_changes_leaves_the_result_current(server, page):
    url, _ = server
    _start_pcb_run()
    page.goto(f"{url}/editor?dept=demo&scenario=pcb-drill")
    _settled(page)
    page.get_by_role("button", name=zh("save")).click()
    page.get_by_text(re.compile("沒有變更，未寫入檔案")).wait_for(timeout=30_000)
    shot(page, "1-nothing-to-save")
    assert not processing.get_optimization_status("demo", "pcb-drill")["outdated"]
    page.get_by_role("link", name=zh("page_results")).click()
    _settled(page)
    page.get_by_text("已驗證：新程式重新解析後").wait_for(timeout=30_000)
    assert page.get_by_text(zh("outdated_warning")).count() == 0


def test_the_language_is_kept_after_reload_and_in_a_new_tab(server, browser_context):
    url, _ = server
    page = browser_context.new_page()
    page.goto(f"{url}/scenarios")
    _settled(page)
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name=en("page_scenarios")).wait_for(timeout=30_000)
    assert "lang=en" in page.evaluate("location.href")
    page.reload()
    page.get_by_role("heading", name=en("page_scenarios")).wait_for(timeout=30_000)
    shot(page, "1-english-after-reload", browser_context.shots)
    other = browser_context.new_page()  # a new tab on the bare address: the cookie
    other.goto(url)
    other.get_by_role("heading", name="NC Optimizer").wait_for(timeout=30_000)
    shot(other, "2-english-new-tab", browser_context.shots)


def test_every_page_in_both_languages(server, browser_context):
    url, _ = server
    _start_pcb_run()
    folder = ARTIFACTS / "pages"
    folder.mkdir(exist_ok=True)
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1400, "height": 1800})
    for lang in ("zh", "en"):
        for name in PAGES:
            path = "" if name == "home" else name
            page.goto(f"{url}/{path}?dept=demo&scenario=pcb-drill&lang={lang}")
            _settled(page)
            title = LABELS["app_title" if name == "home" else f"page_{name}"][lang == "en"]
            page.get_by_role("heading", name=title).first.wait_for(timeout=30_000)
            if name == "editor":  # its toolpath: let plotly draw before the picture
                page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
            shot(page, f"{lang}-{name}", folder)
