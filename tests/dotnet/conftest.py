"""Compile real C# post-processors with ``mcs`` (Debian's mono-devel) for the plug-in tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_program

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


def compile_cs(source: str, out: Path) -> Path:
    mcs = require_program("mcs")
    src = out.with_suffix(".cs")
    src.write_text(source)
    subprocess.run(
        [mcs, "-target:library", f"-out:{out}", str(src)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


@pytest.fixture(scope="session")
def bad_posts_dll(tmp_path_factory) -> Path:
    require_program("mono")
    return compile_cs(BAD_POSTS, tmp_path_factory.mktemp("dotnet") / "BadPosts.dll")
