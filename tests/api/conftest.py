"""A real ``streamlit run streamlit_app.py`` on a free loopback port, with its own data dir.

One server per test module (start-up takes seconds); each test uses scenarios of its own, so
tests never see each other's jobs. Jobs run ``tests.api.entries:paced`` in real supervisors.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import SECRET, Receiver, receiving
from tests.conftest import ROOT
from tests.jobs.helpers import kill_leftovers, make_scenario

API = "/api/v1"


@dataclass
class Server:
    """The server process and what a test needs to talk to it."""

    data: Path
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen | None = None
    starts: int = 0
    log_paths: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def client(self, token: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + API, headers=headers, timeout=30, **kwargs)

    def start(self) -> None:
        self.port = free_port()
        self.starts += 1
        log_path = self.data.parent / f"server-{self.starts}.log"
        self.log_paths.append(log_path)
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ]
        with open(log_path, "wb") as log_fh:
            self.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited:\n{self.log_text()}")
            with contextlib.suppress(httpx.HTTPError):
                health = httpx.get(f"{self.url}/_stcore/health", timeout=1)
                spec = httpx.get(f"{self.url}{API}/openapi.json", timeout=1)
                if health.status_code == 200 and spec.status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"server did not start:\n{self.log_text()}")

    def stop(self) -> None:
        """SIGKILL the server's process group; the jobs it started live in their own sessions."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_paths if p.exists())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("api")
    data = root / "data"
    data.mkdir()
    env = {
        **os.environ,
        "NCOPT_DATA_DIR": str(data),
        "NCOPT_ENTRY": "tests.api.entries:paced",
        "NCOPT_HEARTBEAT_S": "0.2",
        "NCOPT_GRACE_S": "1",
        "NCOPT_MAX_WORKERS": "4",
        "NCOPT_HOOK_BACKOFF_S": "0.2",
        "NCOPT_HOOK_RETRY_S": "15",
        "NCOPT_HOOK_TIMEOUT_S": "2",
        "NCOPT_WEBHOOK_SECRET": SECRET,
        "NCOPT_ON_COMPLETE": "tests.api.entries:record_completion",
    }
    for name in ("NCOPT_SECRET", "NCOPT_BACKEND"):
        env.pop(name, None)
    with pytest.MonkeyPatch.context() as mp:
        # The test process reads the same data dir (tokens, statuses) as the server.
        for name in ("NCOPT_DATA_DIR", "NCOPT_WEBHOOK_SECRET"):
            mp.setenv(name, env[name])
        mp.delenv("NCOPT_SECRET", raising=False)
        srv = Server(data=data, env=env)
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()
            kill_leftovers(data)


@pytest.fixture
def token_for(server):
    """``token_for("dept", ...)`` makes a token the server accepts."""
    import api_tokens

    def make(*departments: str) -> str:
        token, _ = api_tokens.create_token(list(departments), label="test")
        return token

    return make


@pytest.fixture
def new_scenario(server):
    """``new_scenario(dept, name, **knobs)`` makes a scenario folder with ``knobs.json``."""
    import json

    def make(department: str, name: str, **knobs) -> Path:
        folder = make_scenario(server.data, department, name)
        (folder / "knobs.json").write_text(json.dumps(knobs))
        return folder

    return make


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback (``tests.api.helpers.receiving``)."""
    with receiving() as state:
        yield state
