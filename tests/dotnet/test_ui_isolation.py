"""The web app with a .NET post: the runtime never enters the Streamlit process, and a broken
runtime is one clear message on the page."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.dotnet.conftest import EXAMPLE_CLASS

pytestmark = pytest.mark.dotnet

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: the test runner itself hosts Mono for other tests.
APP_SESSION = textwrap.dedent(
    """
    import json, os, sys
    from tests.jobs.helpers import wait_terminal
    from tests.ui.helpers import app, shown, texts

    def run_from_the_optimize_page(runtime):
        os.environ["NCOPT_DOTNET_RUNTIME"] = runtime  # the job's processes inherit it
        at = app("optimize", "machining-2", "manifold")
        at.button[0].click().run()
        final = wait_terminal(120, department="machining-2", scenario="manifold")
        at = app("optimize", "machining-2", "manifold")
        return final, [shown(e.value) for e in at.error], texts(at)

    failed, errors, _ = run_from_the_optimize_page("coreclr")  # not installed here
    done, _, _ = run_from_the_optimize_page("mono")
    table = app("results", "machining-2", "manifold").dataframe[0].value
    maps = open("/proc/self/maps").read()
    hosted = sorted(m for m in ("clr", "pythonnet", "clr_loader") if m in sys.modules)
    print(json.dumps({
        "failed_state": failed["state"],
        "failed_message": failed["error"]["message"],
        "errors_on_page": errors,
        "done_state": done["state"],
        "results": dict(zip(table["Program"], table["Status"])),  # the page's headers
        "runtime_modules": hosted,
        "mono_mapped": "libmono" in maps,
    }))
    """
)


def test_the_app_process_never_hosts_the_runtime_and_shows_a_broken_one(
    job_env, demo_with_post, example_post_dll
):
    demo_with_post(f"dotnet:{example_post_dll}:{EXAMPLE_CLASS}")
    proc = subprocess.run(
        [sys.executable, "-c", APP_SESSION],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["failed_state"] == "failed"
    assert "the .NET runtime 'coreclr' could not be loaded" in seen["failed_message"]
    assert any(
        "the .NET runtime 'coreclr' could not be loaded" in e for e in seen["errors_on_page"]
    )
    assert seen["done_state"] == "succeeded"
    assert seen["results"] == {"MANIFOLD-M1.nc": "optimized", "MANIFOLD-M2.nc": "optimized"}
    # The jobs ran the post through Mono; the app process that started them did not load it.
    assert seen["runtime_modules"] == [] and not seen["mono_mapped"]
