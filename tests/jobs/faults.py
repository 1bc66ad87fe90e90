"""File-system faults run in a private mount namespace (``tests.jobs.sandbox``).

    python -m tests.jobs.faults NAME      # with $NCOPT_DATA_DIR on a small tmpfs, say

Each prints one JSON report of what the job layer did; the tests assert on it and
``bench/faults.py`` prints it. The scripts use only the public API and the CLI's files.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
from pathlib import Path

import jobstore
import processing
from tests.jobs.helpers import make_scenario, run_quick, start, wait_state, wait_terminal


def _temp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def _fill(root: Path) -> Path:
    """Write a ballast file until the disk is full, down to the last byte it takes."""
    ballast = root / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for chunk in (2**20, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
    finally:
        os.close(fd)
    return ballast


def _last_result() -> str | None:
    try:
        return processing.load_optimization_result("dept", "scen")["job_id"]
    except processing.ResultError as exc:
        return f"error: {exc}"


def _report(good: dict, final: dict, root: Path, **extra) -> dict:
    error = final.get("error") or {}
    return {
        "state": final["state"],
        "error": error.get("message"),
        "errno": error.get("errno"),
        "temp_files": _temp_files(root),
        "good_job": good["job_id"],
        "last_result": _last_result(),
        **extra,
    }


def result_does_not_fit(root: Path) -> dict:
    """The engine's result is larger than the free space."""
    good = run_quick()
    start("big", params={"megabytes": 4})
    return _report(good, wait_terminal(timeout_s=60), root)


def disk_fills_during_run(root: Path) -> dict:
    """The disk fills up while the engine runs: the final state must still be written."""
    good = run_quick()
    start("sleepy", params={"seconds": 2})
    wait_state("running")
    ballast = _fill(root)
    final = wait_terminal(timeout_s=60)
    report = _report(good, final, root)
    ballast.unlink()
    report["next_start"] = run_quick()["state"]
    return report


def disk_full_at_start(root: Path) -> dict:
    """No space at all when the user presses start."""
    good = run_quick()
    ballast = _fill(root)
    try:
        processing.start_optimization_async("dept", "scen", entry="tests.jobs.entries:quick")
        refused = None
    except processing.JobError as exc:
        refused = str(exc)
    status = processing.get_optimization_status("dept", "scen")
    report = _report(good, status, root, refused=refused)
    ballast.unlink()
    report["next_start"] = run_quick()["state"]
    return report


FAULTS = {f.__name__: f for f in (result_does_not_fit, disk_fills_during_run, disk_full_at_start)}


def main(name: str) -> int:
    root = jobstore.data_dir()
    for key in ("NCOPT_HEARTBEAT_S", "NCOPT_GRACE_S"):
        os.environ.setdefault(key, "0.2" if key == "NCOPT_HEARTBEAT_S" else "1")
    make_scenario(root)
    try:
        report = FAULTS[name](root)
    except Exception as exc:  # what the fault did to the job layer is the report
        report = {"state": "crashed", "error": f"{type(exc).__name__}: {exc}"}
    report["enospc"] = errno.ENOSPC
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
