"""Compile real C# post-processors with ``mcs`` (Debian's mono-devel) for the plug-in tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ncopt.scenario import load_scenario, read_sheets, write_sheets
from tests.conftest import require_program

ROOT = Path(__file__).resolve().parents[2]

BAD_POSTS = r"""
namespace Shop {
  public class Thrower {
    public string Emit(string json) {
      throw new System.InvalidOperationException("tool T9 unknown");
    }
  }
  public class NoMethod { public string Other(string json) { return ""; } }
  public class NoCtor { public NoCtor(int x) {} public string Emit(string j) { return ""; } }
  public class Sleeper {
    public string Emit(string json) { System.Threading.Thread.Sleep(60000); return "late"; }
  }
  public class Echo {
    public string Emit(string json) { return "LEN " + json.Length; }
  }
}
"""


EXAMPLE_POST = Path(__file__).resolve().parents[2] / "examples" / "dotnet_post" / "FanucPost.cs"
EXAMPLE_CLASS = "NcOptimizer.Examples.FanucPost"
BCL_REFERENCES = ("System.Runtime.Serialization", "System.Xml", "System.Xml.Linq")


def compile_cs(source: str, out: Path, with_files: tuple[Path, ...] = ()) -> Path:
    """Compile ``source`` (and ``with_files``, in the same assembly) into the library ``out``."""
    mcs = require_program("mcs")
    src = out.with_suffix(".cs")
    src.write_text(source)
    refs = [f"-r:{name}" for name in BCL_REFERENCES]
    subprocess.run(
        [mcs, "-target:library", *refs, f"-out:{out}", str(src), *map(str, with_files)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


@pytest.fixture(scope="session")
def bad_posts_dll(tmp_path_factory) -> Path:
    require_program("mono")
    return compile_cs(BAD_POSTS, tmp_path_factory.mktemp("dotnet") / "BadPosts.dll")


@pytest.fixture(scope="session")
def example_post_dll(tmp_path_factory) -> Path:
    """examples/dotnet_post/FanucPost.cs compiled as its README says."""
    require_program("mono")
    out = tmp_path_factory.mktemp("example") / "FanucPost.dll"
    return compile_cs("", out, with_files=(EXAMPLE_POST,))


@pytest.fixture
def demo_with_post(job_env) -> Callable[[str], Path]:
    """Copies the manifold demo into the test's data folder with the given ``post`` setting."""

    def make(post: str) -> Path:
        folder = job_env / "machining-2" / "scenario" / "manifold"
        shutil.copytree(ROOT / "scenarios" / "machining-2" / "scenario" / "manifold", folder)
        xlsx = folder / "manifold.xlsx"
        sheets = read_sheets(xlsx)
        settings_sheet = sheets["settings"]
        settings_sheet.loc[settings_sheet["key"] == "post", "value"] = post
        write_sheets(xlsx, sheets)
        assert load_scenario(folder).settings.post == post
        return folder

    return make
