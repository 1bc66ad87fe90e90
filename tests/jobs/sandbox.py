"""Real file-system faults for tests: a small tmpfs (a disk that fills up) and read-only mounts.

A test runs a scenario script (``python -m tests.jobs.faults NAME``) inside a private mount
namespace (``unshare --mount``; as a normal user with ``--map-root-user``) where the mounts
exist. They vanish with the namespace, so nothing is left mounted on the host whatever happens,
and the jobs the script starts see the same mounts, as the supervisor on a real full disk would.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT


@functools.cache
def _unshare_argv() -> list[str] | None:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    argv = [unshare, "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        argv.append("--map-root-user")
    probe = subprocess.run([*argv, "true"], capture_output=True, timeout=30)
    return argv if probe.returncode == 0 else None


def require_mount_namespace() -> list[str]:
    """The ``unshare`` command line; fail under CI, skip elsewhere, if mounts cannot be made."""
    argv = _unshare_argv()
    if argv is None:
        message = "cannot make a private mount namespace (unshare missing or not permitted)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return argv


def run_in_mounts(
    args: list[str],
    *,
    tmpfs: dict[Path, int] | None = None,
    read_only: list[Path] = (),
    env: dict[str, str] | None = None,
    timeout_s: float = 120,
) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` from the checkout with ``tmpfs`` (path → bytes) and ``read_only``
    bind mounts in place; returns the finished process (stdout and stderr captured)."""
    steps = ["set -e"]
    for path, size in (tmpfs or {}).items():
        steps.append(f"mount -t tmpfs -o size={size} ncopt-test {shlex.quote(str(path))}")
    for path in read_only:
        quoted = shlex.quote(str(path))
        steps.append(f"mount --bind {quoted} {quoted}")
        steps.append(f"mount -o remount,ro,bind {quoted}")
    steps.append(shlex.join(["exec", sys.executable, *args]))
    return subprocess.run(
        [*require_mount_namespace(), "sh", "-c", "\n".join(steps)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def run_fault(name: str, data_dir: Path, *, disk_bytes: int | None = None) -> dict:
    """Run fault script ``name`` of ``tests.jobs.faults`` against ``data_dir`` (on a tmpfs of
    ``disk_bytes`` if given) and return the JSON report it prints."""
    tmpfs = {data_dir: disk_bytes} if disk_bytes else None
    env = {"NCOPT_DATA_DIR": str(data_dir)}
    proc = run_in_mounts(["-m", "tests.jobs.faults", name], tmpfs=tmpfs, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
