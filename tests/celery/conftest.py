"""Real servers for the Celery backend tests: a redis-server and ``celery worker`` processes.

Both listen on loopback only, on random free ports, and are killed with their whole process
group when the test (or the session, for Redis) ends, whatever its outcome.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_program

CELERY = ROOT / ".venv" / "bin" / "celery"
HEARTBEAT_S = "0.5"
LEASE_S = "3"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _wait_port(port: int, proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise RuntimeError("redis-server did not start listening")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """One redis-server for the session; each test flushes it (``celery_env``)."""
    server = require_program("redis-server")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    args = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly"]
    with open(workdir / "redis.log", "wb") as log_fh:
        proc = subprocess.Popen(
            [*args, "no", "--dir", str(workdir)],
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        _wait_port(port, proc)
        url = f"redis://127.0.0.1:{port}"
        with pytest.MonkeyPatch.context() as mp:
            # celery_app reads these when first imported, in this process and in workers.
            mp.setenv("NCOPT_BROKER_URL", f"{url}/0")
            mp.setenv("NCOPT_RESULT_BACKEND", f"{url}/1")
            yield url
            _close_app()
    finally:
        _kill_group(proc)


def _close_app() -> None:
    import sys

    module = sys.modules.get("celery_app")
    if module is not None:
        module.app.close()


@pytest.fixture
def celery_env(redis_url, data_dir, monkeypatch) -> Path:
    """The test process's side: a private data dir, the celery backend, short lease times."""
    import redis

    with redis.Redis.from_url(f"{redis_url}/0") as client:
        client.flushall()
    for name, value in _job_env(data_dir).items():
        monkeypatch.setenv(name, value)
    for name in ("NCOPT_SECRET", "NCOPT_ENTRY"):
        monkeypatch.delenv(name, raising=False)
    return data_dir


def _job_env(root: Path) -> dict[str, str]:
    return {
        "NCOPT_DATA_DIR": str(root),
        "NCOPT_BACKEND": "celery",
        "NCOPT_HEARTBEAT_S": HEARTBEAT_S,
        "NCOPT_LEASE_S": LEASE_S,
        "NCOPT_GRACE_S": "1",
    }


@pytest.fixture
def start_worker(celery_env, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real ``celery -A celery_app worker`` processes; each is killed (group) at the end."""
    if not CELERY.exists():
        pytest.fail(f"{CELERY} is missing: celery[redis] is in requirements.txt")
    started: list[subprocess.Popen] = []

    def start(concurrency: int = 2) -> subprocess.Popen:
        log_path = tmp_path / f"worker-{len(started)}.log"
        env = {**os.environ, **_job_env(celery_env), "NCOPT_MAX_WORKERS": str(concurrency)}
        cmd = [str(CELERY), "-A", "celery_app", "worker", "--pool=prefork"]
        cmd += [f"--concurrency={concurrency}", "-l", "INFO", "-n", f"w{len(started)}@%h"]
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with open(log_path, "wb") as log_fh:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(proc)
        proc.log_path = log_path  # type: ignore[attr-defined]
        _wait_ready(proc, log_path)
        return proc

    try:
        yield start
    finally:
        for proc in started:
            _kill_group(proc)
            # Shown by pytest only when the test failed: the worker's side of the story.
            print(f"--- {proc.log_path.name}\n{proc.log_path.read_text(errors='replace')[-4000:]}")


def _wait_ready(proc: subprocess.Popen, log_path: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if " ready." in text:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited with {proc.returncode}:\n{text[-3000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"celery worker not ready:\n{log_path.read_text()[-3000:]}")
