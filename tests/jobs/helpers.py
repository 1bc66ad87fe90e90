"""Helpers for the job-layer tests (imported as ``tests.jobs.helpers``)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

import jobstore
import processing
from jobstore.launch import reap_children

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = "tests.jobs.entries"


def make_scenario(root: Path, department: str = "dept", scenario: str = "scen") -> Path:
    folder = root / department / "scenario" / scenario
    (folder / "programs").mkdir(parents=True)
    (folder / f"{scenario}.xlsx").write_bytes(b"stand-in spreadsheet")
    (folder / "programs" / "P1.nc").write_text("%\nO1000\nG0 X1. Y1.\nM30\n%\n")
    return folder


def cli(*args, env_extra=None, data_dir=None, timeout_s=120):
    """Run ``processing.py`` as a user would: (exit code, JSON from stdout or None, stderr)."""
    env = {**os.environ, **(env_extra or {})}
    if data_dir is not None:
        env["NCOPT_DATA_DIR"] = str(data_dir)
    proc = subprocess.run(
        [sys.executable, "processing.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    payload = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, payload, proc.stderr


def run_quick(**kwargs) -> dict:
    """Start the ``quick`` stand-in engine and wait for it; it must succeed."""
    return run_to_end("quick", "succeeded", **kwargs)


def run_failing(**kwargs) -> dict:
    """Start the ``raises`` stand-in engine and wait for it; it must fail."""
    return run_to_end("raises", "failed", **kwargs)


def run_to_end(entry: str, expected: str, **kwargs) -> dict:
    start(entry, **kwargs)
    final = wait_terminal(**{k: kwargs[k] for k in ("department", "scenario") if k in kwargs})
    assert final["state"] == expected, final
    return final


def start(entry: str, department="dept", scenario="scen", **kwargs) -> dict:
    return processing.start_optimization_async(
        department, scenario, entry=f"{ENTRIES}:{entry}", **kwargs
    )


def status(department="dept", scenario="scen") -> dict:
    return processing.get_optimization_status(department, scenario)


def wait_for(predicate: Callable[[], object], timeout_s: float = 20.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what or predicate}")


def wait_state(states: set[str] | str, timeout_s: float = 20.0, **names) -> dict:
    wanted = {states} if isinstance(states, str) else states
    result = wait_for(
        lambda: (s := status(**names))["state"] in wanted and s, timeout_s, f"state in {wanted}"
    )
    assert isinstance(result, dict)
    return result


def wait_terminal(timeout_s: float = 30.0, **names) -> dict:
    return wait_state({s.value for s in jobstore.TERMINAL_STATES}, timeout_s, **names)


def kill_leftovers(root: Path) -> None:
    """Kill the process groups of every supervisor a test's jobs left running."""
    for info_path in root.glob("*/scenario/*/optimization_process_info.json"):
        with contextlib.suppress(Exception):
            info = json.loads(info_path.read_text())
            for pid in (info.get("worker_pid"), info.get("pid")):
                if pid and _is_our_worker(pid):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(os.getpgid(pid), signal.SIGKILL)
    for child in psutil.Process().children(recursive=True):
        if _is_our_worker(child.pid):
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
    reap_children()


def _is_our_worker(pid: int) -> bool:
    # Tests fake statuses with the test runner's own PID: never kill anything but a worker.
    try:
        return "run_optimization_async.py" in " ".join(psutil.Process(pid).cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
