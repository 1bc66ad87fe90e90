"""Live events over WebSocket and SSE: complete, in order, closed at the end, and harmless."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

from tests.api.helpers import path, sse_events, start, wait_state, ws_connect, ws_events


def test_sse_gives_the_same_stream(server, token_for, new_scenario):
    new_scenario("sse", "plate", seconds=1.5)
    token = token_for("sse")
    with server.client(token) as client:
        job_id = start(client, "sse", "plate").json()["job_id"]
        events = sse_events(client, "sse", "plate")
    kinds = [e["event"] for e in events]
    assert kinds[0] == "status" and kinds[-1] == "end"
    assert [int(e["id"]) for e in events] == sorted(int(e["id"]) for e in events)
    statuses = [e["data"] for e in events if e["event"] == "status"]
    assert statuses[-1]["state"] == "succeeded" and statuses[-1]["job_id"] == job_id
    assert any(s["progress"].get("stage") == "search" for s in statuses)
    assert any(e["event"] == "log" for e in events)


def test_a_finished_job_streams_its_final_state_and_closes(server, token_for, new_scenario):
    new_scenario("done", "plate", seconds=0.1)
    new_scenario("done", "never-ran")
    token = token_for("done")
    with server.client(token) as client:
        start(client, "done", "plate")
        wait_state(client, "done", "plate", "succeeded")
    events, code = ws_events(server, token, "done", "plate", timeout_s=10)
    assert [e["event"] for e in events] == ["status", "log", "end"] and code == 1000
    assert events[0]["data"]["state"] == "succeeded"
    events, code = ws_events(server, token, "done", "never-ran", timeout_s=10)
    assert [e["event"] for e in events] == ["status", "end"]
    assert events[0]["data"]["state"] == "idle"


def test_clients_that_leave_mid_run_never_touch_the_job(server, token_for, new_scenario):
    new_scenario("leave", "plate", seconds=3.0)
    token = token_for("leave")
    with server.client(token) as client:
        job_id = start(client, "leave", "plate").json()["job_id"]
        wait_state(client, "leave", "plate", "running")
        with ws_connect(server, token, "leave", "plate") as polite:
            polite.recv(timeout=10)
            assert wait_clients(client, 1)
        with ws_connect(server, token, "leave", "plate") as rude:
            rude.recv(timeout=10)
            rude.socket.shutdown(socket.SHUT_RDWR)  # gone without a close frame
        with client.stream("GET", path("leave", "plate", "/events")) as sse:
            next(sse.iter_lines())  # then hang up mid-stream
        assert wait_clients(client, 0), "the server let go of every client that left"
        events, code = ws_events(server, token, "leave", "plate")
        assert events[-2]["data"]["state"] == "succeeded" and code == 1000
        assert events[-2]["data"]["job_id"] == job_id
        result = client.get(path("leave", "plate", "/result")).json()
        assert result["success"] is True
    assert "Traceback" not in server.log_text()


def wait_clients(client, count: int, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.get("/health").json()["event_clients"] == count:
            return True
        time.sleep(0.05)
    return False


def test_a_killed_job_ends_the_stream_as_lost(server, token_for, new_scenario):
    new_scenario("killed", "plate", seconds=30.0)
    token = token_for("killed")
    with server.client(token) as client:
        start(client, "killed", "plate")
        status = wait_state(client, "killed", "plate", "running")
        with ws_connect(server, token, "killed", "plate") as ws:
            ws.recv(timeout=10)
            os.killpg(os.getpgid(status["pid"]), signal.SIGKILL)
            killed_at = time.monotonic()
            while (event := json.loads(ws.recv(timeout=10)))["event"] != "end":
                last = event
            assert event["data"]["state"] == "lost"
            assert last["event"] == "status" and last["data"]["state"] == "lost"
            assert time.monotonic() - killed_at < 5.0
