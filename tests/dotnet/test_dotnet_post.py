"""The .NET post host on a real Mono runtime: preflight messages, exceptions, serialised calls,
and cancel during a blocking .NET call."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import processing
from ncopt.dotnet_post import PostProcessorError, PostSpec, preflight
from tests.jobs.helpers import status, wait_for, wait_terminal

pytestmark = pytest.mark.dotnet


@pytest.mark.parametrize(
    "class_name,runtime,message",
    [
        ("Shop.Missing", None, "class Shop.Missing not found"),
        ("Shop.NoMethod", None, "has no public method Emit"),
        ("Shop.NoCtor", None, "public parameterless constructor"),
        ("Shop.Echo", "coreclr", "runtime 'coreclr' could not be loaded"),
        ("Shop.Echo", "nosuchruntime", "unknown .NET runtime"),
    ],
)
def test_preflight_gives_one_clear_message(bad_posts_dll, class_name, runtime, message):
    with pytest.raises(PostProcessorError, match=message):
        preflight(PostSpec(bad_posts_dll, class_name), runtime=runtime)


def test_preflight_missing_file_and_good_post(bad_posts_dll, tmp_path):
    with pytest.raises(PostProcessorError, match="assembly not found"):
        preflight(PostSpec(tmp_path / "nope.dll", "Shop.Echo"))
    preflight(PostSpec(bad_posts_dll, "Shop.Echo"))  # no exception


def test_spec_parsing_errors():
    with pytest.raises(PostProcessorError, match="dotnet:<path"):
        PostSpec.parse("dotnet:only-a-path.dll")
    spec = PostSpec.parse("dotnet:C:/posts/Shop.dll:Shop.Posts.Fanuc")
    assert spec.dll_path == Path("C:/posts/Shop.dll") and spec.type_name == "Fanuc"


def test_dotnet_exception_type_and_message_in_job_error(scenario, bad_posts_dll):
    start_reply = processing.start_optimization_async(
        "dept",
        "scen",
        entry="tests.dotnet.entries:call_post",
        params={"dll": str(bad_posts_dll), "class_name": "Shop.Thrower"},
    )
    final = wait_terminal(timeout_s=60)
    assert final["job_id"] == start_reply["job_id"]
    assert final["state"] == "failed"
    assert final["error"]["type"] == "PostProcessorError"
    assert final["error"]["message"] == "System.InvalidOperationException: tool T9 unknown"


def test_cancel_during_long_dotnet_call_ends_within_grace(scenario, bad_posts_dll):
    # job_env sets NCOPT_GRACE_S=1
    processing.start_optimization_async(
        "dept",
        "scen",
        entry="tests.dotnet.entries:call_post",
        params={"dll": str(bad_posts_dll), "class_name": "Shop.Sleeper"},
    )
    wait_for(
        lambda: status()["progress"].get("stage") == "post",
        timeout_s=60,
        what="inside the .NET call",
    )
    t0 = time.monotonic()
    processing.cancel_optimization("dept", "scen")
    final = wait_terminal(timeout_s=10)
    assert final["state"] == "cancelled"
    assert time.monotonic() - t0 <= 1.0 + 2.0


def test_concurrent_calls_from_threads_are_serialised(bad_posts_dll, tmp_path):
    # In a child process: the runtime must not be loaded into the test runner itself.
    import subprocess
    import sys

    code = f"""
import threading
from pathlib import Path
from ncopt.dotnet_post import DotNetPost, PostSpec
post = DotNetPost(PostSpec(Path({str(bad_posts_dll)!r}), "Shop.Echo"))
out = []
def work(i):
    for _ in range(50):
        out.append(post.emit("x" * i))
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
[t.start() for t in threads]
[t.join(60) for t in threads]
assert not any(t.is_alive() for t in threads), "deadlock"
assert sorted(set(out)) == sorted({{f"LEN {{i}}" for i in range(8)}}), out[:5]
print("ok", len(out))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["ok", "400"]
    assert threading.active_count() >= 1
