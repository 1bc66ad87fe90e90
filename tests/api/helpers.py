"""Clients for the API tests (imported as ``tests.api.helpers``): WebSocket and SSE readers."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

TERMINAL = {"succeeded", "failed", "cancelled", "timed_out", "lost"}


def path(department: str, scenario: str, tail: str = "") -> str:
    return f"/scenarios/{quote(department, safe='')}/{quote(scenario, safe='')}{tail}"


def ws_connect(server, token: str | None, department: str, scenario: str):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = server.ws_url + "/api/v1" + path(department, scenario, "/events")
    return connect(url, additional_headers=headers, open_timeout=10, close_timeout=5)


def ws_events(server, token: str, department: str, scenario: str, timeout_s: float = 60.0):
    """Every event of one WebSocket stream, each with the time it arrived, until the close."""
    events = []
    deadline = time.monotonic() + timeout_s
    with ws_connect(server, token, department, scenario) as ws:
        while True:
            try:
                text = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except ConnectionClosed as closed:
                return events, closed.rcvd.code if closed.rcvd else None
            events.append({**json.loads(text), "received": time.time()})


def sse_events(client: httpx.Client, department: str, scenario: str) -> list[dict]:
    """The events of one Server-Sent Events stream, parsed, until the server ends it."""
    events, current = [], {}
    with client.stream("GET", path(department, scenario, "/events")) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        for line in answer.iter_lines():
            if not line:
                if "data" in current:
                    events.append({**current, "data": json.loads(current["data"])})
                current = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                current[name] = value.removeprefix(" ")
    return events


def wait_state(client: httpx.Client, department: str, scenario: str, states, timeout_s=60.0):
    wanted = {states} if isinstance(states, str) else set(states)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(path(department, scenario, "/jobs/current")).json()
        if status["state"] in wanted:
            return status
        time.sleep(0.05)
    raise AssertionError(f"state never reached {wanted}: {status}")


def start(client: httpx.Client, department: str, scenario: str, **body) -> httpx.Response:
    return client.post(path(department, scenario, "/jobs"), json=body or None)
