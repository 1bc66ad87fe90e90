"""Where scenarios live and what they may be called: the one owner of the data folder and names.

The job supervisor imports this at start (its start-up time is a job's start latency), so it is
standard library only; ``ncopt/__init__`` exports lazily, so importing it loads no numpy.

Names are checked by bytes as well as by characters: file systems limit a file name to 255
bytes (``NAME_MAX``), and 100 Chinese characters are 300 bytes in UTF-8.

>>> validate_name("scenario", "模具板_A-1")
'模具板_A-1'
>>> name_problem("scenario", "Plate 2")
"scenario name 'Plate 2' may only contain letters, digits, '-', '_' and '.'"
>>> name_problem("scenario", "模" * 100)
'scenario name is 300 bytes in UTF-8, more than the 200 allowed'
>>> program_name_problem("MOLD A.nc") is None, program_name_problem("../x.nc") is not None
(True, True)
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import unicodedata
from pathlib import Path

from ncopt.errors import ScenarioFolderError

__all__ = [
    "CHECKOUT",
    "MAX_NAME_BYTES",
    "MAX_NAME_CHARS",
    "NameRuleError",
    "data_dir",
    "name_problem",
    "program_name_problem",
    "scenario_folder",
    "validate_name",
    "write_bytes_atomic",
]

CHECKOUT = Path(__file__).resolve().parent.parent
MAX_NAME_CHARS = 100
# A scenario's spreadsheet is "<name>.xlsx", written through ".<name>.xlsx.<pid>.<thread>.tmp":
# 200 bytes of name leave room for both within the 255-byte NAME_MAX of Linux file systems.
MAX_NAME_BYTES = 200
# \w is Unicode-aware: letters and digits of any script (CJK included) and "_".
_NAME_RE = re.compile(r"^[\w\-.]+$")


class NameRuleError(ScenarioFolderError, ValueError):
    """A department, scenario or program name the rules do not allow."""


def data_dir() -> Path:
    """``$NCOPT_DATA_DIR``, else ``scenarios/`` of the checkout (not of the working directory:
    the app, the CLI and a detached supervisor may each start somewhere else)."""
    return Path(os.environ.get("NCOPT_DATA_DIR") or CHECKOUT / "scenarios").resolve()


def name_problem(kind: str, name: object) -> str | None:
    """Why ``name`` is not a valid department/scenario name, or None if it is."""
    if not isinstance(name, str) or not name:
        return f"{kind} name is empty"
    if "\0" in name:
        return f"{kind} name contains a NUL byte"
    if len(name) > MAX_NAME_CHARS:
        return f"{kind} name is longer than {MAX_NAME_CHARS} characters"
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_NAME_BYTES:
        return f"{kind} name is {size} bytes in UTF-8, more than the {MAX_NAME_BYTES} allowed"
    if name.startswith(".") or ".." in name:
        return f"{kind} name {name!r} must not start with '.' or contain '..'"
    if not _NAME_RE.match(name):
        return f"{kind} name {name!r} may only contain letters, digits, '-', '_' and '.'"
    return None


def validate_name(kind: str, name: str) -> str:
    """Return ``name`` if the rules allow it, else raise ``NameRuleError`` saying why."""
    problem = name_problem(kind, name)
    if problem:
        raise NameRuleError(problem)
    return name


def program_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a file in a scenario's ``programs/``, or None if it can.

    Looser than scenario names (shops name programs ``MOLD A.nc``), but a plain name: no
    folders, no leading dot (hidden and temporary files), no control characters.
    """
    if not isinstance(name, str) or not name.strip():
        return "file name is empty"
    if "/" in name or "\\" in name or name in {".", ".."} or name.startswith("."):
        return f"{name!r} must be a plain file name inside programs/ (no folders, no leading '.')"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return f"{name!r} contains a control character"
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_NAME_BYTES:
        return f"file name is {size} bytes in UTF-8, more than the {MAX_NAME_BYTES} allowed"
    return None


def scenario_folder(
    department: str, scenario: str, *, root: Path | None = None, must_exist: bool = True
) -> Path:
    """``<data dir>/<department>/scenario/<scenario>``, resolved and checked to stay inside."""
    validate_name("department", department)
    validate_name("scenario", scenario)
    base = (root or data_dir()).resolve()
    folder = (base / department / "scenario" / scenario).resolve()
    if not folder.is_relative_to(base):
        raise ScenarioFolderError(f"scenario {department}/{scenario} resolves outside the data dir")
    if must_exist and not folder.is_dir():
        raise ScenarioFolderError(f"no scenario {scenario!r} in department {department!r}")
    return folder


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Temp file beside ``path``, fsync, ``os.replace``: readers see the old file or the new
    one, never half of one, and a failed write (a full disk) leaves no temp file behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
