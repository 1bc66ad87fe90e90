"""Job-layer benchmark: start latency, start → running, status read, list, 40 jobs via 2 slots.

    python bench/jobs.py [--repeat N] [--json-out FILE]

Prints a table and a JSON line; figures are medians of several runs measured side by side in
one run (timings on a shared 2-core machine are noisy: compare ratios, not absolutes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENTRY_QUICK = "tests.jobs.entries:quick"
ENTRY_SLEEPY = "tests.jobs.entries:sleepy"


def _make_scenarios(root: Path, n: int, department: str = "bench") -> list[str]:
    names = []
    for i in range(n):
        folder = root / department / "scenario" / f"s{i:04d}"
        (folder / "programs").mkdir(parents=True, exist_ok=True)
        (folder / f"s{i:04d}.xlsx").write_bytes(b"x" * 2048)
        (folder / "programs" / "P1.nc").write_text("G0 X1. Y1.\n" * 200)
        names.append(folder.name)
    return names


def _wait(pred, timeout_s=60.0, poll_s=0.001):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(poll_s)
    raise TimeoutError("benchmark wait timed out")


def bench_start_and_running(processing, names: list[str]) -> tuple[list[float], list[float]]:
    start_ms, running_ms = [], []
    for name in names:
        t0 = time.perf_counter()
        processing.start_optimization_async(
            "bench", name, entry=ENTRY_SLEEPY, params={"seconds": 0.2}
        )
        start_ms.append((time.perf_counter() - t0) * 1000)
        _wait(lambda n=name: processing.get_optimization_status("bench", n)["state"] != "queued")
        running_ms.append((time.perf_counter() - t0) * 1000)
        _wait(lambda n=name: processing.is_optimization_complete("bench", n))
    return start_ms, running_ms


def bench_bare_import(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import pandas, joblib, psutil"], check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def bench_status_read(processing, name: str, n: int = 2000) -> list[float]:
    processing.start_optimization_async("bench", name, entry=ENTRY_SLEEPY, params={"seconds": 30})
    _wait(lambda: processing.get_optimization_status("bench", name)["state"] == "running")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        processing.get_optimization_status("bench", name)
        times.append((time.perf_counter() - t0) * 1000)
    processing.cancel_optimization("bench", name, wait=True)
    return times


def bench_list(processing, root: Path, repeat: int) -> tuple[int, list[float]]:
    _make_scenarios(root, 500, department="many")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = processing.list_jobs()
        times.append((time.perf_counter() - t0) * 1000)
    return len(rows), times


def bench_forty_jobs(processing, names: list[str]) -> dict:
    import psutil

    from jobstore.launch import reap_children

    t0 = time.perf_counter()
    for name in names:
        processing.start_optimization_async("bench", name, entry=ENTRY_QUICK)
    peak = 0
    while True:
        states = [processing.get_optimization_status("bench", n)["state"] for n in names]
        peak = max(peak, states.count("running"))
        if all(s not in ("queued", "running") for s in states):
            break
        time.sleep(0.005)
    wall_s = time.perf_counter() - t0
    time.sleep(0.5)
    reap_children()
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "run_optimization_async.py" in " ".join(p.info["cmdline"] or [])
    ]
    return {
        "jobs": len(names),
        "wall_s": wall_s,
        "overhead_per_job_s": wall_s * 2 / len(names),
        "max_running_seen": peak,
        "succeeded": states.count("succeeded"),
        "leftover_processes": len(leftovers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ncopt-bench-") as tmp:
        root = Path(tmp)
        os.environ.update(NCOPT_DATA_DIR=str(root), NCOPT_MAX_WORKERS="2", NCOPT_HEARTBEAT_S="1")
        import processing

        names = _make_scenarios(root, 40 + args.repeat + 1)
        start_ms, running_ms = bench_start_and_running(processing, names[: args.repeat])
        bare_ms = bench_bare_import(max(5, args.repeat // 2))
        status_ms = bench_status_read(processing, names[args.repeat])
        list_n, list_ms = bench_list(processing, root, max(3, args.repeat // 2))
        forty = bench_forty_jobs(processing, names[args.repeat + 1 :])
    med = statistics.median
    figures = {
        "start_call_ms": med(start_ms),
        "start_to_running_ms": med(running_ms),
        "bare_import_pandas_joblib_psutil_ms": med(bare_ms),
        "status_read_ms": med(status_ms),
        "status_read_p99_ms": sorted(status_ms)[int(len(status_ms) * 0.99)],
        "list_scenarios": list_n,
        "list_ms": med(list_ms),
        "forty_jobs": forty,
    }
    targets = [
        (
            "start call",
            f"{figures['start_call_ms']:.1f} ms",
            "≤ 50 ms",
            figures["start_call_ms"] <= 50,
        ),
        (
            "start → running",
            f"{figures['start_to_running_ms']:.0f} ms",
            f"≤ bare import {figures['bare_import_pandas_joblib_psutil_ms']:.0f} ms + 300 ms",
            figures["start_to_running_ms"] <= figures["bare_import_pandas_joblib_psutil_ms"] + 300,
        ),
        (
            "status read (incl. liveness)",
            f"{figures['status_read_ms']:.3f} ms",
            "≤ 2 ms",
            figures["status_read_ms"] <= 2,
        ),
        (
            f"list over {list_n} scenarios",
            f"{figures['list_ms']:.0f} ms",
            "≤ 500 ms",
            figures["list_ms"] <= 500,
        ),
        (
            "40 trivial jobs, 2 slots: overhead/job",
            f"{forty['overhead_per_job_s']:.2f} s",
            "report",
            True,
        ),
        (
            "  max running seen",
            str(forty["max_running_seen"]),
            "≤ 2",
            forty["max_running_seen"] <= 2,
        ),
        (
            "  leftover processes",
            str(forty["leftover_processes"]),
            "0",
            forty["leftover_processes"] == 0,
        ),
    ]
    print(f"{'figure':42} {'median':>14}  {'target':34} ok")
    for name, value, target, ok in targets:
        print(f"{name:42} {value:>14}  {target:34} {'yes' if ok else 'NO'}")
    print(json.dumps(figures))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
