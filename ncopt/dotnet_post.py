"""A shop's own .NET post-processor, hosted through pythonnet (Mono on Linux, CoreCLR if set).

A scenario's ``post`` setting ``dotnet:<path to .dll>:<Namespace.Class>`` names a class with a
public parameterless constructor and a method ``string Emit(string programJson)`` that turns
the program (JSON, see ``docs/dotnet-post.md``) into NC text.

The runtime is loaded only where a post is actually called — the work horse — never in the
Streamlit server: a runtime that aborts takes its process with it. ``preflight`` therefore
checks a post in a throw-away child process first and turns every way it can fail (no runtime,
no file, no class, no method) into one clear message.

Mono deadlocks when several Python threads call into .NET at once, so every call goes through
one lock.

>>> PostSpec.parse("dotnet:/opt/posts/Shop.dll:Shop.Posts.Fanuc").class_name
'Shop.Posts.Fanuc'
>>> PostSpec.parse("fanuc") is None
True
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncopt.errors import NcError

__all__ = ["METHOD_NAME", "DotNetPost", "PostProcessorError", "PostSpec", "preflight"]

METHOD_NAME = "Emit"
_DOTNET_LOCK = threading.Lock()
_RUNTIME_LOADED: str | None = None


class PostProcessorError(NcError):
    """A .NET post-processor could not be loaded or failed while emitting."""


@dataclass(frozen=True)
class PostSpec:
    """Where a .NET post lives: the assembly file and the full name of its class."""

    dll_path: Path
    class_name: str

    @classmethod
    def parse(cls, setting: str) -> PostSpec | None:
        """``dotnet:<dll>:<Namespace.Class>`` → a spec; any other post name → None."""
        text = str(setting).strip()
        if not text.lower().startswith("dotnet:"):
            return None
        body = text[len("dotnet:") :]
        dll, sep, class_name = body.rpartition(":")
        if not sep or not dll or not class_name or "." not in class_name:
            raise PostProcessorError(
                f"post setting {setting!r} must look like dotnet:<path to .dll>:<Namespace.Class>"
            )
        return cls(Path(dll), class_name)

    @property
    def namespace(self) -> str:
        return self.class_name.rpartition(".")[0]

    @property
    def type_name(self) -> str:
        return self.class_name.rpartition(".")[2]


def runtime_name() -> str:
    """The .NET runtime to host: ``$NCOPT_DOTNET_RUNTIME``, default Mono (CoreCLR on Windows)."""
    default = "netfx" if os.name == "nt" else "mono"
    return os.environ.get("NCOPT_DOTNET_RUNTIME", "").strip().lower() or default


def _load_runtime(runtime: str) -> None:
    global _RUNTIME_LOADED
    if _RUNTIME_LOADED is not None:
        if runtime != _RUNTIME_LOADED:
            raise PostProcessorError(
                f".NET runtime {_RUNTIME_LOADED!r} is already loaded in this process; "
                f"cannot switch to {runtime!r}"
            )
        return
    if runtime not in {"mono", "coreclr", "netfx"}:
        raise PostProcessorError(
            f"unknown .NET runtime {runtime!r} (NCOPT_DOTNET_RUNTIME: mono, coreclr or netfx)"
        )
    try:
        import warnings

        from pythonnet import load

        with warnings.catch_warnings():
            # clr_loader warns about Mono < 6.12; Debian 12 ships 6.8, which works for us.
            warnings.simplefilter("ignore", UserWarning)
            load(runtime)
    except Exception as exc:
        raise PostProcessorError(
            f"the .NET runtime {runtime!r} could not be loaded "
            f"({type(exc).__name__}: {' '.join(str(exc).split())}); "
            "on Linux install mono-devel (mono-runtime alone lacks netstandard.dll)"
        ) from exc
    _RUNTIME_LOADED = runtime


class DotNetPost:
    """An instance of a shop's post class, callable from any thread (calls are serialised)."""

    def __init__(self, spec: PostSpec, runtime: str | None = None) -> None:
        self.spec = spec
        with _DOTNET_LOCK:
            _load_runtime(runtime or runtime_name())
            self._instance = _instantiate(spec)
            self._method = getattr(self._instance, METHOD_NAME, None)
        if self._method is None:
            raise PostProcessorError(
                f"class {spec.class_name} has no public method {METHOD_NAME}(string)"
            )

    def emit(self, program_json: str) -> str:
        """Hand the program to the post; a .NET exception becomes ``PostProcessorError``."""
        with _DOTNET_LOCK:
            try:
                text = self._method(program_json)
            except Exception as exc:  # System.Exception subclasses arrive as Python exceptions
                raise PostProcessorError(_describe_dotnet_exception(exc)) from exc
        if text is None:
            raise PostProcessorError(f"{self.spec.class_name}.{METHOD_NAME} returned null")
        return str(text)


def _instantiate(spec: PostSpec) -> Any:
    if not spec.dll_path.is_file():
        raise PostProcessorError(f"post-processor assembly not found: {spec.dll_path}")
    import clr  # provided by pythonnet once a runtime is loaded

    try:
        assembly = clr.AddReference(str(spec.dll_path.resolve()))
    except Exception as exc:
        raise PostProcessorError(f"cannot load assembly {spec.dll_path}: {exc}") from exc
    post_type = assembly.GetType(spec.class_name)
    if post_type is None:
        raise PostProcessorError(f"class {spec.class_name} not found in {spec.dll_path.name}")
    from System import Activator

    try:
        return Activator.CreateInstance(post_type)
    except Exception as exc:
        raise PostProcessorError(
            f"cannot create {spec.class_name}: it needs a public parameterless constructor "
            f"({_describe_dotnet_exception(exc)})"
        ) from exc


def _describe_dotnet_exception(exc: BaseException) -> str:
    inner = getattr(exc, "InnerException", None) or exc
    type_name = getattr(getattr(inner, "GetType", lambda: None)(), "FullName", None)
    message = getattr(inner, "Message", None) or str(exc)
    return f"{type_name or type(exc).__name__}: {message}"


def preflight(spec: PostSpec, runtime: str | None = None, timeout_s: float = 60.0) -> None:
    """Check in a child process that the post loads and has its method; raise with the reason.

    A child, because a missing or broken runtime can abort the process hosting it.
    """
    cmd = [
        sys.executable,
        "-m",
        "ncopt.dotnet_post",
        str(spec.dll_path),
        spec.class_name,
        runtime or runtime_name(),
    ]
    root = Path(__file__).resolve().parent.parent
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=root,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PostProcessorError(
            f"checking the post-processor {spec.class_name} took longer than {timeout_s:g} s"
        ) from None
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode == 0 and lines and json.loads(lines[-1]).get("ok"):
        return
    if lines:
        raise PostProcessorError(
            json.loads(lines[-1]).get("error") or "post-processor check failed"
        )
    detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise PostProcessorError(
        f"the .NET runtime aborted while loading {spec.class_name} "
        f"(exit code {proc.returncode}: {detail})"
    )


def _preflight_child(argv: list[str]) -> int:
    dll, class_name, runtime = argv
    try:
        DotNetPost(PostSpec(Path(dll), class_name), runtime=runtime)
    except PostProcessorError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return 1
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    sys.exit(_preflight_child(sys.argv[1:]))
