"""UI benchmark: every page rendered server-side on the demo data, the 24,164-hole panel's
Results and Editor, the scenarios page with 200 scenarios, and one status poll.

    python bench/ui.py [--repeat N] [--panel-limit S]

Pages run in Streamlit's AppTest (the script's whole server-side run, no browser), in Chinese,
each view by a new session as a new browser tab would be. "cold" is the first view after the
process started (nothing cached yet: the program parsed, the result unpickled), "warm" the
median of the views after it (what every later visitor gets). The demo scenarios are
optimized first (the panel with ``--panel-limit`` seconds) so Results has something to show.
The poll is what the status fragment does each time it reruns. Medians; targets from issue 16.

``--busy`` measures the pages a second time while another scenario's optimization searches
with every core (``NCOPT_MAX_WORKERS=1``: one job per host, so its sequencing takes
``cpu_count`` threads, docs/sequencing.md): the UI must stay responsive beside a job that uses
the cores it may use.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("home", "scenarios", "editor", "optimize", "results", "jobs")
TARGETS_MS = {"page": 500.0, "panel_results": 1500.0, "panel_editor": 1000.0, "poll": 20.0}


def _make_data(root: Path, n: int) -> None:
    src = ROOT / "scenarios" / "demo" / "scenario" / "mold-plate"
    for i in range(n):
        dest = root / f"dept{i % 5}" / "scenario" / f"s{i:03d}"
        shutil.copytree(src, dest)
        (dest / "mold-plate.xlsx").rename(dest / f"s{i:03d}.xlsx")


def _optimize(dept: str, scen: str, limit_s: float) -> None:
    import processing

    processing.start_optimization_async(dept, scen, time_limit_s=limit_s)
    while processing.get_optimization_status(dept, scen)["state"] in ("queued", "running"):
        time.sleep(0.2)
    state = processing.get_optimization_status(dept, scen)["state"]
    if state != "succeeded":
        raise SystemExit(f"{dept}/{scen} ended {state}")


def view(page: str, dept: str | None = None, scen: str | None = None):
    """One server-side view of ``page`` by a new session: (ms of the page run, the AppTest)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["lang"] = "zh"
    if dept and scen:
        at.query_params["dept"] = dept
        at.query_params["scenario"] = scen
    at.run()
    t0 = time.perf_counter()
    at.switch_page(f"ui/app_pages/{page}.py")
    at.run()
    elapsed = (time.perf_counter() - t0) * 1000
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].message}")
    return elapsed, at


def bench_views(page: str, dept: str, scen: str, repeat: int) -> dict[str, float]:
    times = [view(page, dept, scen)[0] for _ in range(repeat + 1)]
    return {"cold_ms": times[0], "warm_ms": statistics.median(times[1:])}


def page_views(repeat: int) -> dict[str, float]:
    """Every page on pcb-drill, and Results and Editor of the panel: cold and warm views."""
    figures: dict[str, float] = {}
    for page in PAGES:
        for key, value in bench_views(page, "demo", "pcb-drill", repeat).items():
            figures[f"{page}_{key}"] = value
    for page in ("results", "editor"):
        for key, value in bench_views(page, "demo", "large-panel", repeat).items():
            figures[f"panel_{page}_{key}"] = value
    return figures


def bench_scenarios_page(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        elapsed, at = view("scenarios")
        assert len(at.dataframe[0].value) == 200
        times.append(elapsed)
    return statistics.median(times)


def bench_poll(repeat: int) -> list[float]:
    import processing
    from ui import job_status

    processing.start_optimization_async(
        "dept0", "s000", entry="tests.jobs.entries:sleepy", params={"seconds": 60}
    )
    while processing.get_optimization_status("dept0", "s000")["state"] != "running":
        time.sleep(0.05)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        info = processing.get_optimization_status("dept0", "s000")
        job_status._render("dept0", "s000", info, True)
        times.append((time.perf_counter() - t0) * 1000)
    processing.cancel_optimization("dept0", "s000", wait=True)
    return times


def busy_views(root: Path, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """The pages again while a job on a copy of the panel searches with all cores; (figures,
    what the job was doing: its search threads and the cores it used)."""
    import psutil

    import processing
    from ncopt.sequencing import search_threads

    shutil.copytree(root / "demo" / "scenario" / "large-panel", root / "busy" / "scenario" / "p")
    (root / "busy" / "scenario" / "p" / "large-panel.xlsx").rename(
        root / "busy" / "scenario" / "p" / "p.xlsx"
    )
    os.environ["NCOPT_MAX_WORKERS"] = "1"  # inherited by the detached job
    try:
        processing.start_optimization_async("busy", "p", time_limit_s=600.0)
        while True:  # wait until it is past reading the program (a twentieth of its progress)
            info = processing.get_optimization_status("busy", "p")
            if info["state"] not in ("queued", "running"):
                raise SystemExit(f"busy job ended {info['state']}")
            if ((info.get("progress") or {}).get("fraction") or 0) > 0.05:
                break
            time.sleep(0.2)
        horse = psutil.Process(int(info["worker_pid"]))
        for _ in range(60):  # until its search runs on every thread (reading, costs: one)
            alone = horse.cpu_percent(interval=1.0) / 100.0
            if alone >= 1.5:
                break
        cpu0, wall0 = sum(horse.cpu_times()[:2]), time.monotonic()
        figures = page_views(repeat)
        # The cores the job really used meanwhile (its CPU seconds per second of the pages).
        cores = (sum(horse.cpu_times()[:2]) - cpu0) / (time.monotonic() - wall0)
        job = {"search_threads": float(search_threads()), "job_cores": cores}
        job["job_cores_alone"] = alone
        job["still_running"] = float(
            processing.get_optimization_status("busy", "p")["state"] == "running"
        )
    finally:
        processing.cancel_optimization("busy", "p", wait=True)
        del os.environ["NCOPT_MAX_WORKERS"]
        shutil.rmtree(root / "busy")
    return figures, job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--panel-limit", type=float, default=10.0)
    parser.add_argument("--busy", action="store_true", help="the pages again beside a busy job")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # bare-mode Streamlit warns on every element
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ncopt-bench-ui-") as tmp:
        os.environ["NCOPT_DATA_DIR"] = tmp
        shutil.copytree(ROOT / "scenarios" / "demo", Path(tmp) / "demo")
        _optimize("demo", "pcb-drill", 5.0)
        _optimize("demo", "large-panel", args.panel_limit)
        figures.update(page_views(args.repeat))
        busy = busy_views(Path(tmp), args.repeat) if args.busy else None
        shutil.rmtree(Path(tmp) / "demo")
        _make_data(Path(tmp), 200)
        figures["scenarios_page_200_ms"] = bench_scenarios_page(args.repeat)
        poll_ms = bench_poll(args.repeat * 30)
    figures["status_poll_ms"] = statistics.median(poll_ms)
    figures["status_poll_p90_ms"] = sorted(poll_ms)[int(len(poll_ms) * 0.9)]
    _print(figures, busy)


def _print(figures: dict[str, float], busy=None) -> None:
    print(f"{'figure':44} {'cold':>9} {'warm':>9}  target")
    rows = [(f"{page} page, pcb-drill", page, TARGETS_MS["page"]) for page in PAGES]
    rows += [
        ("Results, large-panel (24,164 holes)", "panel_results", TARGETS_MS["panel_results"]),
        ("Editor, large-panel", "panel_editor", TARGETS_MS["panel_editor"]),
    ]
    for label, key, target in rows:
        cold, warm = figures[f"{key}_cold_ms"], figures[f"{key}_warm_ms"]
        print(f"{label:44} {cold:>6.0f} ms {warm:>6.0f} ms  ≤ {target:.0f} ms")
    page200 = figures["scenarios_page_200_ms"]
    print(f"{'scenarios page, 200 scenarios':44} {'':>9} {page200:>6.0f} ms  ≤ 1000 ms")
    poll = figures["status_poll_ms"]
    print(f"{'one status poll of the fragment':44} {'':>9} {poll:>6.1f} ms  ≤ 20 ms")
    if busy:
        loaded, job = busy
        print(
            f"\nwhile another job searches with {job['search_threads']:.0f} threads"
            f" ({job['job_cores_alone']:.2f} cores before the pages ran,"
            f" {job['job_cores']:.2f} while they ran;"
            f" still running at the end: {bool(job['still_running'])})"
        )
        print(f"{'figure':44} {'quiet':>9} {'busy':>9}  (warm medians)")
        for label, key, _target in rows:
            quiet, hot = figures[f"{key}_warm_ms"], loaded[f"{key}_warm_ms"]
            print(f"{label:44} {quiet:>6.0f} ms {hot:>6.0f} ms")
        figures.update({f"busy_{k}": v for k, v in {**loaded, **job}.items()})
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
