"""Live job events: ``WS …/events`` and the same as Server-Sent Events at ``GET …/events``.

A client gets the job's current status at once (and the end of its log), then every change
of the status file (state, progress, stage, best cycle time, heartbeat) and every new log
line, then the final state, an ``end`` event, and the stream closes.

One ``JobFeed`` per scenario watches the files for all its clients, so fifty clients on one
job cost one poll: a ``stat`` of two files every ``POLL_S``. Polling rather than inotify
because the data dir may be a network share written by workers on other hosts (Celery), where
inotify sees nothing. The feed only reads: a client that disconnects, or never reads, cannot
reach the job (its supervisor never waits on anyone).
"""

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, WebSocket
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.websockets import WebSocketDisconnect, WebSocketState

import processing
from api_access import Problem, ScenarioRef, jsonable, scenario_ref
from jobstore import LOG_FILE, STATUS_FILE, TERMINAL_STATES

log = logging.getLogger(__name__)

POLL_S = 0.05  # a change reaches the client within this plus one event-loop turn
RECHECK_S = 1.0  # re-derive an unchanged running job's liveness (a dead PID writes nothing)
LOG_TAIL_BYTES = 8_000  # log sent to a client that joins mid-run
LOG_READ_BYTES = 256_000  # most log read per poll, so a flood cannot stall the loop
MAX_BACKLOG = 1_000  # events queued for a client that does not read; then it is dropped
ENDED = frozenset({"idle", *(s.value for s in TERMINAL_STATES)})


@dataclass(frozen=True)
class Event:
    """One event, encoded once however many clients it goes to."""

    kind: str  # "status" | "log" | "end"
    data: dict[str, Any]
    seq: int

    @functools.cached_property
    def data_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False)

    @functools.cached_property
    def text(self) -> str:
        """The WebSocket message: ``{"event", "id", "data"}``."""
        return f'{{"event": "{self.kind}", "id": {self.seq}, "data": {self.data_json}}}'


@dataclass
class Subscriber:
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    dropped: bool = False

    async def next(self) -> Event | None:
        """The next event; None once the feed dropped this client for not reading."""
        return await self.queue.get()


def _file_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class JobFeed:
    """The status and log of one scenario, fanned out to every subscribed client."""

    def __init__(self, ref: ScenarioRef) -> None:
        self.department, self.scenario, self.folder = ref.department, ref.scenario, ref.folder
        self.subscribers: list[Subscriber] = []
        self.view: dict[str, Any] | None = None
        self.status_key: tuple[int, int, int] | None = None
        self.checked_at = 0.0
        self.log_inode: int | None = None
        self.log_offset = 0
        self.log_partial = b""
        self.seq = 0
        self.task: asyncio.Task | None = None

    # -- subscribers; all on the event loop, so no lock: nothing here awaits

    def subscribe(self) -> Subscriber:
        """A new client: first bring everyone up to date, then give it the same snapshot."""
        self._poll(time.monotonic())
        sub = Subscriber()
        sub.queue.put_nowait(self._event("status", self.view or {}))
        tail = self._log_tail()
        if tail:
            sub.queue.put_nowait(self._event("log", {"lines": tail}))
        if self._ended():
            sub.queue.put_nowait(self._event("end", {"state": self.view.get("state")}))
        self.subscribers.append(sub)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with contextlib.suppress(ValueError):
            self.subscribers.remove(sub)

    def _event(self, kind: str, data: dict[str, Any]) -> Event:
        self.seq += 1
        return Event(kind, data, self.seq)

    def _broadcast(self, kind: str, data: dict[str, Any]) -> None:
        event = self._event(kind, data)
        for sub in list(self.subscribers):
            if sub.queue.qsize() >= MAX_BACKLOG:
                log.warning("events client of %s/%s fell behind: dropped", *self._names())
                self.unsubscribe(sub)
                sub.dropped = True
                sub.queue.put_nowait(None)
            else:
                sub.queue.put_nowait(event)

    def _names(self) -> tuple[str, str]:
        return self.department, self.scenario

    def _ended(self) -> bool:
        return self.view is not None and self.view.get("state") in ENDED

    # -- watching

    async def _run(self) -> None:
        try:
            while self.subscribers:
                await asyncio.sleep(POLL_S)
                self._poll(time.monotonic())
        except Exception:  # a feed must never take the server down; its clients reconnect
            log.exception("events feed of %s/%s failed", *self._names())
            for sub in self.subscribers:
                sub.queue.put_nowait(None)
            self.subscribers.clear()

    def _poll(self, now: float) -> None:
        # The log first: the supervisor logs an outcome before it writes the final state.
        lines = self._read_log()
        if lines:
            self._broadcast("log", {"lines": lines})
        key = _file_key(self.folder / STATUS_FILE)
        recheck = not self._ended() and now - self.checked_at >= RECHECK_S
        if self.view is not None and key == self.status_key and not recheck:
            return
        was_ended = self._ended()
        self.status_key, self.checked_at = key, now
        view = jsonable(processing.get_optimization_status(self.department, self.scenario))
        if self.view is not None and _same(view, self.view):
            return
        first = self.view is None
        self.view = view
        if not first:
            self._broadcast("status", view)
            if self._ended() and not was_ended:
                self._broadcast("end", {"state": view.get("state")})

    def _read_log(self) -> list[str]:
        path = self.folder / LOG_FILE
        key = _file_key(path)
        if key is None:
            # Known to be missing: when a log appears, every line in it is new.
            self.log_inode = self.log_inode if self.log_inode is not None else 0
            return []
        inode, size, _ = key
        if self.log_inode is None or (inode == self.log_inode and size < self.log_offset):
            # First sight (its end goes to each client as the tail), or the log was capped
            # (its kept half was sent already): continue from the end.
            self.log_inode, self.log_offset = inode, size
            self.log_partial = self._trailing_partial(path, size)
            return []
        if inode != self.log_inode:
            self.log_inode, self.log_offset, self.log_partial = inode, 0, b""
        if size == self.log_offset:
            return []
        with open(path, "rb") as fh:
            fh.seek(self.log_offset)
            data = fh.read(min(size - self.log_offset, LOG_READ_BYTES))
        self.log_offset += len(data)
        *lines, self.log_partial = (self.log_partial + data).split(b"\n")
        return [line.decode("utf-8", errors="replace") for line in lines]

    @staticmethod
    def _trailing_partial(path: Path, size: int) -> bytes:
        """The bytes after the log's last newline: a line still being written."""
        with open(path, "rb") as fh:
            fh.seek(max(0, size - LOG_TAIL_BYTES))
            data = fh.read(size)
        return data.rpartition(b"\n")[2]

    def _log_tail(self) -> list[str]:
        """The last lines of the log up to where the feed has read it."""
        path = self.folder / LOG_FILE
        end = self.log_offset - len(self.log_partial)
        start = max(0, end - LOG_TAIL_BYTES)
        try:
            with open(path, "rb") as fh:
                fh.seek(start)
                data = fh.read(end - start)
        except FileNotFoundError:
            return []
        lines = data.decode("utf-8", errors="replace").split("\n")[:-1]
        return lines[1:] if start > 0 else lines  # from the tail's first whole line


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal but for ``elapsed_s``, which changes on every read."""
    return {k: v for k, v in a.items() if k != "elapsed_s"} == {
        k: v for k, v in b.items() if k != "elapsed_s"
    }


class Feeds:
    """One feed per scenario folder, made on first use (the app holds one ``Feeds``)."""

    def __init__(self) -> None:
        self.by_folder: dict[Path, JobFeed] = {}

    def subscribe(self, ref: ScenarioRef) -> Subscriber:
        feed = self.by_folder.get(ref.folder)
        if feed is None:
            feed = self.by_folder[ref.folder] = JobFeed(ref)
        return feed.subscribe()

    def unsubscribe(self, ref: ScenarioRef, sub: Subscriber) -> None:
        """Forget the feed with its last client: the next one starts from fresh files."""
        feed = self.by_folder.get(ref.folder)
        if feed is not None:
            feed.unsubscribe(sub)
            if not feed.subscribers:
                del self.by_folder[ref.folder]

    def client_count(self) -> int:
        return sum(len(feed.subscribers) for feed in self.by_folder.values())


def add_routes(app: FastAPI, path: str, scenario_dependency: Any) -> None:
    """``GET path`` (SSE) and ``WS path``; the dependency checks token and names for SSE."""
    feeds = Feeds()
    app.state.feeds = feeds

    async def events_sse(ref: scenario_dependency) -> AsyncIterator[ServerSentEvent]:
        """The job's events as Server-Sent Events (``event:`` status, log or end)."""
        sub = feeds.subscribe(ref)
        try:
            while (event := await sub.next()) is not None:
                yield ServerSentEvent(raw_data=event.data_json, event=event.kind, id=str(event.seq))
                if event.kind == "end":
                    return
        finally:
            feeds.unsubscribe(ref, sub)

    async def events_ws(websocket: WebSocket, department: str, scenario: str) -> None:
        """The job's events as JSON text messages ``{event, id, data}``."""
        try:
            ref = scenario_ref(websocket.headers.get("authorization"), department, scenario)
        except Problem as problem:
            await websocket.send_denial_response(problem.response(websocket.url.path))
            return
        await websocket.accept()
        sub = feeds.subscribe(ref)
        try:
            await _pump(websocket, sub)
        finally:
            feeds.unsubscribe(ref, sub)

    app.add_api_route(path, events_sse, methods=["GET"], response_class=EventSourceResponse)
    app.add_api_websocket_route(path, events_ws)


async def _pump(websocket: WebSocket, sub: Subscriber) -> None:
    """Send events until ``end``, while watching for the client going away."""
    gone = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        while True:
            nxt = asyncio.ensure_future(sub.next())
            await asyncio.wait({nxt, gone}, return_when=asyncio.FIRST_COMPLETED)
            if gone.done():
                nxt.cancel()
                return
            event = nxt.result()
            if event is None:
                await websocket.close(code=1013, reason="client fell behind")
                return
            await websocket.send_text(event.text)
            if event.kind == "end":
                await websocket.close(code=1000)
                return
    except (WebSocketDisconnect, RuntimeError, OSError):
        return  # the client went away mid-send
    finally:
        gone.cancel()
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(code=1011)


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
