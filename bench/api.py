"""HTTP API benchmark against a real ``streamlit run``: POST → 202, status GET, event latency,
and a job's run time with 0 and with 50 WebSocket clients following it.

    python bench/api.py [--posts N] [--gets N] [--rounds N] [--clients N] [--json-out FILE]

Event latency is measured from the supervisor's status write (its ``heartbeat_at``, written in
the same update) to the client's receipt, on this machine's one clock. Figures are medians of
runs measured side by side in one run; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API = "/api/v1"
ENTRY = "bench.api:fixed_work"


def fixed_work(conf, progress=None, should_stop=None):
    """Engine stand-in for the slow-down test: a fixed amount of CPU work (``rounds``),
    reporting progress 20 times a second as the engine does, so clients have events to follow;
    or, with ``idle_s``, a job that only waits."""
    knobs = json.loads((Path(conf["scenario_dir"]) / "knobs.json").read_text())
    if "idle_s" in knobs:  # a job that waits, for timing requests while one runs
        end = time.monotonic() + float(knobs["idle_s"])
        while time.monotonic() < end and not should_stop():
            progress(stage="waiting")
            time.sleep(0.05)
        knobs["rounds"] = 1
    rounds, block = int(knobs["rounds"]), b"x" * 65536
    last = 0.0
    for i in range(rounds):
        hashlib.sha256(block * 4).digest()
        if time.monotonic() - last >= 0.05:
            last = time.monotonic()
            progress(fraction=i / rounds, stage="search", best_cycle_time_s=float(rounds - i))
    from tests.api.entries import _result

    return _result(stopped=False)


def _scenario(root: Path, name: str, **knobs) -> None:
    folder = root / "bench" / "scenario" / name
    (folder / "programs").mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.xlsx").write_bytes(b"stand-in")
    (folder / "programs" / "P1.nc").write_text("G0 X1. Y1.\n")
    (folder / "knobs.json").write_text(json.dumps(knobs))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(data: Path, entry: str) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()
    env = {**os.environ, "NCOPT_DATA_DIR": str(data), "NCOPT_ENTRY": entry}
    env.update(NCOPT_HEARTBEAT_S="2", NCOPT_MAX_WORKERS="2")
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py")]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}{API}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _wait_state(client, name: str, states: set[str], timeout_s: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/scenarios/bench/{name}/jobs/current").json()
        if status["state"] in states:
            return status
        time.sleep(0.02)
    raise TimeoutError(f"{name} never reached {states}")


def bench_posts(client, data: Path, n: int) -> tuple[list[float], list[float]]:
    """POST → 202 over HTTP, alternating with ``start_optimization_async`` called in this
    process on a twin scenario (the job layer's own cost, measured under the same load).
    Each start waits for the previous job to end, so no job loads the machine meanwhile."""
    import processing

    posts, direct = [], []
    for i in range(n):
        name, twin = f"post{i:03d}", f"direct{i:03d}"
        _scenario(data, name, rounds=1)
        _scenario(data, twin, rounds=1)
        t0 = time.perf_counter()
        answer = client.post(f"/scenarios/bench/{name}/jobs")
        posts.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 202, answer.text
        _wait_state(client, name, {"succeeded", "failed"})
        t0 = time.perf_counter()
        processing.start_optimization_async("bench", twin, entry=ENTRY)
        direct.append((time.perf_counter() - t0) * 1000)
        _wait_state(client, twin, {"succeeded", "failed"})
    return posts, direct


def bench_gets(client, data: Path, n: int) -> list[float]:
    _scenario(data, "status", idle_s=600)  # runs until cancelled
    client.post("/scenarios/bench/status/jobs")
    _wait_state(client, "status", {"running"})
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.get("/scenarios/bench/status/jobs/current").raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    client.post(f"/scenarios/bench/status/jobs/{_job(client, 'status')}/cancel")
    return times


def _job(client, name: str) -> str:
    return client.get(f"/scenarios/bench/{name}/jobs/current").json()["job_id"]


async def _follow(url: str, token: str, name: str, latencies: list[float]) -> None:
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://") + f"{API}/scenarios/bench/{name}/events"
    seen = None
    async with connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        async for text in ws:
            now = time.time()
            event = json.loads(text)
            if event["event"] != "status":
                continue
            beat = event["data"].get("heartbeat_at")
            if seen is not None and beat and beat != seen:
                latencies.append(now - dt.datetime.fromisoformat(beat).timestamp())
            seen = beat


@dataclass(frozen=True)
class Run:
    job_s: float  # started_at → finished_at of the job
    server_cpu_s: float  # CPU the server process spent meanwhile
    latencies_s: tuple[float, ...]


def run_watched(client, server_pid: int, ctx: dict, name: str, clients: int) -> Run:
    """One fixed-work job, followed by ``clients`` WebSocket clients (none: only polled)."""
    import psutil

    _scenario(ctx["data"], name, rounds=ctx["work"])
    latencies: list[float] = []
    server = psutil.Process(server_pid)
    cpu0 = sum(server.cpu_times()[:2])

    async def follow_job() -> None:
        client.post(f"/scenarios/bench/{name}/jobs").raise_for_status()
        followers = [_follow(ctx["url"], ctx["token"], name, latencies) for _ in range(clients)]
        await asyncio.gather(*followers)

    if clients:
        asyncio.run(follow_job())
    else:
        client.post(f"/scenarios/bench/{name}/jobs").raise_for_status()
        _wait_files(name)  # not over HTTP: the server's CPU is what this compares
    status = _wait_state(client, name, {"succeeded", "failed"})
    cpu = sum(server.cpu_times()[:2]) - cpu0
    started = dt.datetime.fromisoformat(status["started_at"])
    finished = dt.datetime.fromisoformat(status["finished_at"])
    return Run((finished - started).total_seconds(), cpu, tuple(latencies))


def _wait_files(name: str) -> None:
    import processing

    while not processing.is_optimization_complete("bench", name):
        time.sleep(0.05)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument("--gets", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="jobs with and without clients")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--work", type=int, default=6000, help="hash rounds of the fixed job")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ncopt-bench-api-") as tmp:
        figures = _measure(Path(tmp), args)
    figures.update(loadavg_1m_before=load_before[0], cpus=os.cpu_count())
    _print_table(figures, args.clients)
    print(json.dumps(figures))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=1))


def _measure(data: Path, args: argparse.Namespace) -> dict:
    import httpx

    os.environ["NCOPT_DATA_DIR"] = str(data)
    import api_tokens

    token, _ = api_tokens.create_token(["bench"], label="bench")
    proc, url = _start_server(data, ENTRY)
    ctx = {"data": data, "url": url, "token": token, "work": args.work}
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url + API, headers=headers, timeout=60) as client:
            posts, direct = bench_posts(client, data, args.posts)
            gets = bench_gets(client, data, args.gets)
            alone, followed = [], []
            for i in range(args.rounds):  # alternate, so drift in load hits both alike
                alone.append(run_watched(client, proc.pid, ctx, f"a{i}", 0))
                followed.append(run_watched(client, proc.pid, ctx, f"w{i}", args.clients))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    latencies = [lat for run in followed for lat in run.latencies_s]
    job_alone = statistics.median(r.job_s for r in alone)
    job_followed = statistics.median(r.job_s for r in followed)
    return {
        "post_ms_median": statistics.median(posts),
        "post_ms_p90": _pct(posts, 0.9),
        "direct_start_ms_median": statistics.median(direct),
        "status_get_ms_median": statistics.median(gets),
        "status_get_ms_p99": _pct(gets, 0.99),
        "event_latency_s_median": statistics.median(latencies),
        "event_latency_s_p95": _pct(latencies, 0.95),
        "event_latency_s_max": max(latencies),
        "events_measured": len(latencies),
        "job_s_alone_median": job_alone,
        f"job_s_with_{args.clients}_clients_median": job_followed,
        "slowdown_ratio": job_followed / job_alone,
        "server_cpu_share_alone": statistics.median(r.server_cpu_s / r.job_s for r in alone),
        "server_cpu_share_followed": statistics.median(r.server_cpu_s / r.job_s for r in followed),
    }


ROWS = (
    ("POST …/jobs → 202 (median / p90)", "post_ms", "ms", "≤ 30 ms"),
    ("GET …/jobs/current (median / p99)", "status_get_ms", "ms", "≤ 5 ms"),
    ("status write → WS client (median / p95)", "event_latency_s", "s", "≤ 0.3 s"),
)


def _print_table(figures: dict, clients: int) -> None:
    print(f"{'figure':48} {'measured':>19}  target")
    for label, key, unit, target in ROWS:
        tail = "p95" if key == "event_latency_s" else "p90" if key == "post_ms" else "p99"
        low, high = figures[f"{key}_median"], figures[f"{key}_{tail}"]
        print(f"{label:48} {low:>8.3f} / {high:<8.3f}{unit:2}  {target}")
    alone = figures["job_s_alone_median"]
    followed = figures[f"job_s_with_{clients}_clients_median"]
    label = f"fixed job alone / with {clients} WS clients"
    print(f"{label:48} {alone:>8.2f} / {followed:<8.2f}s   ratio {figures['slowdown_ratio']:.3f}")
    print(
        f"{'server CPU, share of one core (alone / followed)':48} "
        f"{figures['server_cpu_share_alone']:>8.3f} / {figures['server_cpu_share_followed']:.3f}"
    )
    direct = figures["direct_start_ms_median"]
    print(f"in-process start_optimization_async in the same run: {direct:.1f} ms")
    print(f"load average before: {figures['loadavg_1m_before']:.2f} on {figures['cpus']} CPUs")


if __name__ == "__main__":
    main()
