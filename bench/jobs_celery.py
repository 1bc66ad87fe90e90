"""Celery beside local: start call, start → running, and 40 trivial jobs through 2 slots.

    python bench/jobs_celery.py [--repeat N] [--json-out FILE]

Starts its own redis-server (loopback, random port) and one ``celery -A celery_app worker``
(prefork, concurrency 2 = NCOPT_MAX_WORKERS) on a temporary data dir, measures both backends
in the same run (samples alternate between them), prints a table and a JSON line, and kills
everything it started. Figures are medians; timings on a shared machine are noisy, so compare
the two columns rather than absolutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENTRY_QUICK = "tests.jobs.entries:quick"
ENTRY_SLEEPY = "tests.jobs.entries:sleepy"
BACKENDS = ("local", "celery")
SLOTS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(cmd: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(log_path, "wb") as log_fh:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait(pred, timeout_s: float = 60.0, poll_s: float = 0.001) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(poll_s)
    raise TimeoutError("benchmark wait timed out")


@contextlib.contextmanager
def servers(root: Path) -> Iterator[None]:
    """redis-server and a celery worker for the data dir ``root``; both killed on exit."""
    redis_bin = shutil.which("redis-server")
    if not redis_bin:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    os.environ.update(NCOPT_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    procs: list[subprocess.Popen] = []
    try:
        redis_cmd = [redis_bin, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        procs.append(_spawn(redis_cmd, root / "redis.log", dict(os.environ)))
        _wait(lambda: _port_open(port), 10, 0.02)
        worker_log = root / "worker.log"
        worker_cmd = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "celery_app", "worker"]
        worker_cmd += ["--pool=prefork", f"--concurrency={SLOTS}", "-l", "WARNING"]
        worker_cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        procs.append(_spawn(worker_cmd, worker_log, {**os.environ, "NCOPT_BACKEND": "celery"}))
        _wait(lambda: _worker_ready(), 30, 0.05)
        yield
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def _worker_ready() -> bool:
    import celery_app

    return bool(celery_app.app.control.ping(timeout=0.5))


def _make_scenarios(root: Path, n: int, prefix: str) -> list[str]:
    names = []
    for i in range(n):
        folder = root / "bench" / "scenario" / f"{prefix}{i:03d}"
        (folder / "programs").mkdir(parents=True)
        (folder / f"{folder.name}.xlsx").write_bytes(b"x" * 2048)
        (folder / "programs" / "P1.nc").write_text("G0 X1. Y1.\n" * 200)
        names.append(folder.name)
    return names


def one_start(processing, backend: str, name: str) -> tuple[float, float]:
    """(start call ms, start → running ms) for one short job, waited to its end."""
    os.environ["NCOPT_BACKEND"] = backend
    t0 = time.perf_counter()
    processing.start_optimization_async("bench", name, entry=ENTRY_SLEEPY, params={"seconds": 0.2})
    call_ms = (time.perf_counter() - t0) * 1000
    _wait(lambda: processing.get_optimization_status("bench", name)["state"] != "queued")
    running_ms = (time.perf_counter() - t0) * 1000
    _wait(lambda: processing.is_optimization_complete("bench", name))
    return call_ms, running_ms


def forty_jobs(processing, backend: str, names: list[str]) -> dict:
    os.environ["NCOPT_BACKEND"] = backend
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
    return {
        "jobs": len(names),
        "wall_s": round(wall_s, 3),
        "overhead_per_job_s": round(wall_s * SLOTS / len(names), 3),
        "max_running_seen": peak,
        "succeeded": states.count("succeeded"),
    }


def run(repeat: int, root: Path) -> dict:
    import processing

    samples: dict[str, list[tuple[float, float]]] = {b: [] for b in BACKENDS}
    names = {b: _make_scenarios(root, repeat + 1, f"{b}-s") for b in BACKENDS}
    for backend in BACKENDS:  # warm-up: the first celery start imports Celery and connects
        one_start(processing, backend, names[backend][repeat])
    for i in range(repeat):  # alternate, so drift on a shared machine hits both columns
        for backend in BACKENDS:
            samples[backend].append(one_start(processing, backend, names[backend][i]))
    figures: dict[str, dict] = {}
    for backend in BACKENDS:
        calls, running = zip(*samples[backend], strict=True)
        batch = forty_jobs(processing, backend, _make_scenarios(root, 40, f"{backend}-q"))
        figures[backend] = {
            "start_call_ms": round(statistics.median(calls), 2),
            "start_to_running_ms": round(statistics.median(running), 1),
            "start_to_running_max_ms": round(max(running), 1),
            "forty_jobs": batch,
        }
    return figures


def print_table(figures: dict) -> None:
    rows = [
        ("start call (ms, median)", "start_call_ms"),
        ("start → running (ms, median)", "start_to_running_ms"),
        ("start → running (ms, max)", "start_to_running_max_ms"),
    ]
    print(f"{'':44}{'local':>12}{'celery':>12}")
    for label, key in rows:
        print(f"{label:44}{figures['local'][key]:>12}{figures['celery'][key]:>12}")
    for key in ("wall_s", "overhead_per_job_s", "max_running_seen", "succeeded"):
        local, celery = figures["local"]["forty_jobs"][key], figures["celery"]["forty_jobs"][key]
        print(f"{'40 quick jobs, 2 slots: ' + key:44}{local:>12}{celery:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ncopt-bench-celery-") as tmp:
        root = Path(tmp)
        os.environ.update(
            NCOPT_DATA_DIR=str(root),
            NCOPT_MAX_WORKERS=str(SLOTS),
            NCOPT_HEARTBEAT_S="1",
        )
        with servers(root):
            figures = run(args.repeat, root)
            import celery_app

            celery_app.app.close()
    print_table(figures)
    line = json.dumps({"bench": "jobs_celery", "cpus": os.cpu_count(), **figures})
    print(line)
    if args.json_out:
        args.json_out.write_text(line + "\n")


if __name__ == "__main__":
    main()
