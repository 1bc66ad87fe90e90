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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API = "/api/v1"


def fixed_work(conf, progress=None, should_stop=None):
    """Engine stand-in for the slow-down test: a fixed amount of CPU work, reporting progress
    20 times a second as the engine does, so clients have events to follow."""
    knobs = json.loads((Path(conf["scenario_dir"]) / "knobs.json").read_text())
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


def bench_posts(client, data: Path, n: int) -> list[float]:
    """One POST per scenario, each after the previous job ended (no load from other jobs)."""
    times = []
    for i in range(n):
        name = f"post{i:03d}"
        _scenario(data, name, rounds=1)
        t0 = time.perf_counter()
        answer = client.post(f"/scenarios/bench/{name}/jobs")
        times.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 202, answer.text
        _wait_state(client, name, {"succeeded", "failed"})
    return times


def bench_gets(client, data: Path, n: int) -> list[float]:
    _scenario(data, "status", rounds=10**9)  # runs until cancelled
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


def run_watched(client, url: str, token: str, data: Path, name: str, rounds: int, n: int):
    """One fixed-work job followed by ``n`` WebSocket clients: (run time s, latencies s)."""
    _scenario(data, name, rounds=rounds)
    latencies: list[float] = []

    async def main() -> None:
        client.post(f"/scenarios/bench/{name}/jobs").raise_for_status()
        followers = [_follow(url, token, name, latencies) for _ in range(n)]
        await asyncio.gather(*followers)

    if n:
        asyncio.run(main())
    else:
        client.post(f"/scenarios/bench/{name}/jobs").raise_for_status()
    status = _wait_state(client, name, {"succeeded", "failed"})
    started = dt.datetime.fromisoformat(status["started_at"])
    finished = dt.datetime.fromisoformat(status["finished_at"])
    return (finished - started).total_seconds(), latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument("--gets", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="jobs with and without clients")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--work", type=int, default=6000, help="hash rounds of the fixed job")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()

    import httpx

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ncopt-bench-api-") as tmp:
        data = Path(tmp)
        os.environ["NCOPT_DATA_DIR"] = str(data)
        import api_tokens

        token, _ = api_tokens.create_token(["bench"], label="bench")
        proc, url = _start_server(data, "bench.api:fixed_work")
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=url + API, headers=headers, timeout=60) as client:
                posts = bench_posts(client, data, args.posts)
                gets = bench_gets(client, data, args.gets)
                alone, followed, latencies = [], [], []
                for i in range(args.rounds):  # alternate, so drift in load hits both alike
                    alone.append(run_watched(client, url, token, data, f"a{i}", args.work, 0)[0])
                    took, lat = run_watched(
                        client, url, token, data, f"w{i}", args.work, args.clients
                    )
                    followed.append(took)
                    latencies.extend(lat)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    figures = {
        "post_ms_median": statistics.median(posts),
        "post_ms_p90": _pct(posts, 0.9),
        "status_get_ms_median": statistics.median(gets),
        "status_get_ms_p99": _pct(gets, 0.99),
        "event_latency_s_median": statistics.median(latencies),
        "event_latency_s_p95": _pct(latencies, 0.95),
        "event_latency_s_max": max(latencies),
        "events_measured": len(latencies),
        "job_s_alone_median": statistics.median(alone),
        f"job_s_with_{args.clients}_clients_median": statistics.median(followed),
        "slowdown_ratio": statistics.median(followed) / statistics.median(alone),
        "loadavg_1m_before": load_before[0],
        "cpus": os.cpu_count(),
    }
    _print_table(figures, args.clients)
    print(json.dumps(figures))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=1))


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
    print(f"load average before: {figures['loadavg_1m_before']:.2f} on {figures['cpus']} CPUs")


if __name__ == "__main__":
    main()
