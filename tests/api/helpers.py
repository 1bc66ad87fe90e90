"""Clients for the API tests (imported as ``tests.api.helpers``): WebSocket and SSE readers,
and a webhook receiver with the signature check a receiver would make."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import httpx
from standardwebhooks import Webhook
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # NCOPT_WEBHOOK_SECRET of the test servers

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


@dataclass
class Receiver:
    """What an HTTP server on loopback got; it answers each POST with the next of
    ``answers`` (then 200)."""

    answers: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    url: str = ""

    def wait(self, count: int, timeout_s: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.requests) >= count, self.requests
        return self.requests


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append({"at": time.time(), "headers": headers, "body": body})
            self.send_response(state.answers.pop(0) if state.answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:  # keep pytest's output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def verify(request: dict) -> dict:
    """Check the signature twice: with the Standard Webhooks library a receiver would use, and
    by the spec's formula written out here (base64 HMAC-SHA256 of ``id.timestamp.body``)."""
    headers = request["headers"]
    payload = Webhook(SECRET).verify(request["body"], headers)
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    return payload
