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
    "MACHINE_RANGES",
    "SETTING_DESCRIPTIONS",
    "SETTING_KEYS",
    "SETTING_RANGES",
    "SHEETS",
    "ColumnKind",
    "ColumnSpec",
    "NumberRange",
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
    maximum: float | None = None  # inclusive upper bound for numbers


@dataclass(frozen=True)
class NumberRange:
    """The values a number may take: finite, within a physically sensible range.

    A bound keeps absurd input (``tool_change_s = 1e308``) from becoming an infinite cycle
    time reported as a result; each is far outside what any real machine or tool has.

    >>> NumberRange(0, 3600, "s").problem(1e308)
    'must be at most 3600 s, got 1e+308'
    """

    minimum: float
    maximum: float
    unit: str = ""
    positive: bool = False  # the minimum itself is not allowed

    def problem(self, value: float) -> str | None:
        unit = f" {self.unit}" if self.unit else ""
        if self.positive and value <= self.minimum:
            return f"must be greater than {self.minimum:g}{unit}, got {value:g}"
        if value < self.minimum:
            return f"must be at least {self.minimum:g}{unit}, got {value:g}"
        if value > self.maximum:
            return f"must be at most {self.maximum:g}{unit}, got {value:g}"
        return None


_RATE = NumberRange(0.0, 500_000.0, "mm/min", positive=True)  # 500 m/min: beyond linear motors
_ACCEL = NumberRange(0.0, 100_000.0, "mm/s²", positive=True)  # 10 g

# Ranges of the machine sheet's numbers (ncopt.machine checks only > 0 and >= 0).
MACHINE_RANGES: dict[str, NumberRange] = {
    "rapid_x_mm_min": _RATE,
    "rapid_y_mm_min": _RATE,
    "rapid_z_mm_min": _RATE,
    "accel_x_mm_s2": _ACCEL,
    "accel_y_mm_s2": _ACCEL,
    "accel_z_mm_s2": _ACCEL,
    "max_feed_mm_min": _RATE,
    "junction_deviation_mm": NumberRange(0.0, 10.0, "mm"),
    "tool_change_s": NumberRange(0.0, 3600.0, "s"),
    "spindle_start_s": NumberRange(0.0, 600.0, "s"),
    "peck_clearance_mm": NumberRange(0.0, 100.0, "mm"),
}

# Ranges of the settings sheet's numbers; a week is also the job layer's longest time limit.
SETTING_RANGES: dict[str, NumberRange] = {
    "time_limit_s": NumberRange(0.0, 7 * 24 * 3600.0, "s", positive=True),
    "air_cut_above_z_mm": NumberRange(-10_000.0, 10_000.0, "mm"),
    "random_seed": NumberRange(0.0, 2**31 - 1),
    "min_saving_s": NumberRange(0.0, 24 * 3600.0, "s"),
    "min_saving_pct": NumberRange(0.0, 100.0, "%"),
}


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
            _C("diameter_mm", _K.FLOAT, True, positive=True, help="cutting diameter", maximum=2000),
            _C("corner_radius_mm", _K.FLOAT, False, minimum=0.0, help="end mills", maximum=1000),
            _C("flutes", _K.INT, False, minimum=1, help="number of cutting edges", maximum=1000),
            _C("length_offset", _K.INT, False, minimum=0, help="H register (G43 H..)"),
            _C("diameter_offset", _K.INT, False, minimum=0, help="D register (G41/G42 D..)"),
            _C(
                "pitch_mm",
                _K.FLOAT,
                False,
                positive=True,
                help="taps and thread mills",
                maximum=100,
            ),
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
    min_saving_s: float = 0.5
    min_saving_pct: float = 0.1


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
    "min_saving_s": "a program is rewritten only when it saves at least this much (s)",
    "min_saving_pct": "… and at least this share of its cycle time (%)",
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
