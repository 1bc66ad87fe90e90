"""UI benchmark: the scenarios page with 200 scenarios rendered server-side, and one status poll.

    python bench/ui.py [--repeat N]

The page is run with Streamlit's AppTest (the script's whole server-side run, no browser).
The poll is what the status fragment does each time it reruns: the status read with its
liveness check, the log tail, and the panel's elements (Streamlit in bare mode). Medians.
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


def _make_data(root: Path, n: int) -> None:
    src = ROOT / "scenarios" / "demo" / "scenario" / "mold-plate"
    for i in range(n):
        dest = root / f"dept{i % 5}" / "scenario" / f"s{i:03d}"
        shutil.copytree(src, dest)
        (dest / "mold-plate.xlsx").rename(dest / f"s{i:03d}.xlsx")


def bench_page(repeat: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    times = []
    for _ in range(repeat):
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
        t0 = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t0) * 1000)
        assert not at.exception and len(at.dataframe[0].value) == 200
    return times


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
        job_status._render("dept0", "s000", info)
        times.append((time.perf_counter() - t0) * 1000)
    processing.cancel_optimization("dept0", "s000", wait=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # bare-mode Streamlit warns on every element
    with tempfile.TemporaryDirectory(prefix="ncopt-bench-ui-") as tmp:
        os.environ["NCOPT_DATA_DIR"] = tmp
        _make_data(Path(tmp), 200)
        page_ms = bench_page(args.repeat)
        poll_ms = bench_poll(args.repeat * 30)
    figures = {
        "scenarios_page_200_ms": statistics.median(page_ms),
        "status_poll_ms": statistics.median(poll_ms),
        "status_poll_p90_ms": sorted(poll_ms)[int(len(poll_ms) * 0.9)],
    }
    print(f"{'figure':40} {'median':>10}  target")
    page = figures["scenarios_page_200_ms"]
    print(f"{'scenarios page, 200 scenarios':40} {page:>7.0f} ms  ≤ 1000 ms")
    print(f"{'one status poll of the fragment':40} {figures['status_poll_ms']:>7.1f} ms  ≤ 20 ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
