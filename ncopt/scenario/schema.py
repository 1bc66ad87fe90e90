"""What a scenario spreadsheet holds: its sheets, their columns, the settings and tool types.

This is the one place that names the sheets and columns; the reader, the validator, the
template and the UI's table editors all take them from here.

>>> [str(sheet.name) for sheet in SHEETS]
['machine', 'tools', 'programs', 'settings']
>>> Settings().time_limit_s
60.0
>>> sorted(template_sheets())
['machine', 'programs', 'settings', 'tools']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import StrEnum
from urllib.parse import urlsplit

import pandas as pd

from ncopt.machine import MACHINE_KEYS, MACHINE_UNITS, Machine

__all__ = [
    "EXTRA_SETTING_KEYS",
    "SETTING_DESCRIPTIONS",
    "SETTING_KEYS",
    "SHEETS",
    "ColumnKind",
    "ColumnSpec",
    "ProgramEntry",
    "Settings",
    "SheetName",
    "SheetSpec",
    "Tool",
    "ToolType",
    "sheet_spec",
    "template_sheets",
    "webhook_urls",
]


class SheetName(StrEnum):
    MACHINE = "machine"
    TOOLS = "tools"
    PROGRAMS = "programs"
    SETTINGS = "settings"


class ColumnKind(StrEnum):
    """What a cell in a column must hold; ``any`` columns are checked row by row elsewhere."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    ANY = "any"


class ToolType(StrEnum):
    """Kinds of cutter a shop's tool table uses; the sequencer keeps spot → drill → tap order."""

    SPOT = "spot"
    CENTER = "center"
    DRILL = "drill"
    REAMER = "reamer"
    TAP = "tap"
    BORING = "boring"
    COUNTERSINK = "countersink"
    CHAMFER = "chamfer"
    ENDMILL = "endmill"
    BALLMILL = "ballmill"
    FACEMILL = "facemill"
    THREADMILL = "threadmill"
    OTHER = "other"


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its header, what its cells hold, whether it must exist and be filled."""

    name: str
    kind: ColumnKind
    required: bool
    minimum: float | None = None  # inclusive lower bound for numbers
    positive: bool = False  # strictly greater than 0
    help: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: SheetName
    columns: tuple[ColumnSpec, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


_C = ColumnSpec
_K = ColumnKind

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        SheetName.MACHINE,
        (
            _C("key", _K.TEXT, True, help="machine parameter name (see docs/scenarios.md)"),
            _C("value", _K.ANY, True, help="number, or mm/increment for decimal_point_mode"),
            _C("unit", _K.TEXT, False, help="informative; must match the key's unit if filled"),
        ),
    ),
    SheetSpec(
        SheetName.TOOLS,
        (
            _C("tool", _K.INT, True, minimum=1, help="T number in the NC programs"),
            _C("name", _K.TEXT, True, help="description, e.g. 'DRILL 6.8 CARBIDE'"),
            _C("type", _K.TEXT, True, help="spot, drill, tap, endmill, ... (see docs)"),
            _C("diameter_mm", _K.FLOAT, True, positive=True, help="cutting diameter"),
            _C("corner_radius_mm", _K.FLOAT, False, minimum=0.0, help="end mills"),
            _C("flutes", _K.INT, False, minimum=1, help="number of cutting edges"),
            _C("length_offset", _K.INT, False, minimum=0, help="H register (G43 H..)"),
            _C("diameter_offset", _K.INT, False, minimum=0, help="D register (G41/G42 D..)"),
            _C("pitch_mm", _K.FLOAT, False, positive=True, help="taps and thread mills"),
            _C("notes", _K.TEXT, False, help="free text"),
        ),
    ),
    SheetSpec(
        SheetName.PROGRAMS,
        (
            _C("file", _K.TEXT, True, help="file name in the scenario's programs/ folder"),
            _C("enabled", _K.BOOL, True, help="TRUE to optimize this program"),
            _C("quantity_per_year", _K.INT, True, minimum=0, help="parts per year"),
            _C("notes", _K.TEXT, False, help="free text"),
        ),
    ),
    SheetSpec(
        SheetName.SETTINGS,
        (
            _C("key", _K.TEXT, True, help="setting name (see docs/scenarios.md)"),
            _C("value", _K.ANY, True, help="number, TRUE/FALSE or text, by key"),
            _C("description", _K.TEXT, False, help="informative"),
        ),
    ),
)


def sheet_spec(name: str) -> SheetSpec:
    """The spec of sheet ``name`` (KeyError if it is not one of the four)."""
    for spec in SHEETS:
        if spec.name == name:
            return spec
    raise KeyError(name)


@dataclass(frozen=True)
class Settings:
    """Optimization settings of a scenario; every field is one row of the settings sheet."""

    time_limit_s: float = 60.0
    allow_tool_regroup: bool = False
    allow_block_reversal: bool = False
    air_cut_to_rapid: bool = False
    air_cut_above_z_mm: float = 5.0
    post: str = "fanuc"
    random_seed: int = 0


SETTING_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings))

SETTING_DESCRIPTIONS: dict[str, str] = {
    "time_limit_s": "time budget of one optimization run, all programs together (s, > 0)",
    "allow_tool_regroup": (
        "TRUE: merge non-adjacent segments of the same tool when no other tool works the "
        "same holes in between; FALSE keeps the tool order of the program"
    ),
    "allow_block_reversal": (
        "TRUE: a one-depth milling block may be cut in the opposite direction to save travel "
        "(climb becomes conventional milling)"
    ),
    "air_cut_to_rapid": "TRUE: feed moves entirely above air_cut_above_z_mm become G0 rapids",
    "air_cut_above_z_mm": (
        "work Z (mm) above which a feed move is cutting air: set it above the stock and clamps"
    ),
    "post": "fanuc, or dotnet:<path to .dll>:<Namespace.Class> for the shop's own post",
    "random_seed": "seed of the randomised search, so a run can be repeated (integer >= 0)",
}


# Keys the settings sheet may also hold. They say what happens around a run, not how the engine
# works, so they are not ``Settings`` fields and a new scenario's template leaves them out.
EXTRA_SETTING_KEYS: tuple[str, ...] = ("webhook_urls",)


def webhook_urls(text: str) -> tuple[str, ...]:
    """The URLs of a ``webhook_urls`` cell: http(s) URLs separated by spaces, commas or ``;``.

    >>> webhook_urls("https://mes.local/hook, http://10.0.0.5:8080/done")
    ('https://mes.local/hook', 'http://10.0.0.5:8080/done')
    >>> webhook_urls("ftp://x")
    Traceback (most recent call last):
    ValueError: 'ftp://x' is not an http:// or https:// URL
    """
    urls = tuple(part for part in re.split(r"[\s,;]+", str(text)) if part)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return urls


def template_sheets() -> dict[str, pd.DataFrame]:
    """The sheets of a new scenario: default machine and settings, no tools, no programs."""
    machine = Machine().to_mapping()
    settings = Settings()
    return {
        SheetName.MACHINE.value: pd.DataFrame(
            {
                "key": list(MACHINE_KEYS),
                "value": [machine[k] for k in MACHINE_KEYS],
                "unit": [MACHINE_UNITS.get(k, "") for k in MACHINE_KEYS],
            },
            dtype=object,
        ),
        SheetName.TOOLS.value: _empty(SheetName.TOOLS),
        SheetName.PROGRAMS.value: _empty(SheetName.PROGRAMS),
        SheetName.SETTINGS.value: pd.DataFrame(
            {
                "key": list(SETTING_KEYS),
                "value": [getattr(settings, k) for k in SETTING_KEYS],
                "description": [SETTING_DESCRIPTIONS[k] for k in SETTING_KEYS],
            },
            dtype=object,
        ),
    }


def _empty(name: SheetName) -> pd.DataFrame:
    return pd.DataFrame({header: [] for header in sheet_spec(name).headers}, dtype=object)


@dataclass(frozen=True)
class Tool:
    """One row of the tools sheet."""

    number: int
    name: str
    type: ToolType
    diameter_mm: float
    corner_radius_mm: float | None = None
    flutes: int | None = None
    length_offset: int | None = None
    diameter_offset: int | None = None
    pitch_mm: float | None = None
    notes: str = ""


@dataclass(frozen=True)
class ProgramEntry:
    """One row of the programs sheet: a file in programs/, whether to optimize it, how often."""

    file: str
    enabled: bool
    quantity_per_year: int
    notes: str = ""
