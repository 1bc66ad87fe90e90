"""The program model: what an NC program does, in a shape the sequencer can permute.

A parsed :class:`Program` keeps the original text (one string plus line offsets, not one object
per line) and describes it as:

- ``motion``: one row per move or hole, in program order (numpy columns, see :class:`Motion`);
- ``ops``: operations, each a :class:`HoleSet` (holes of one cycle, tool and parameters) or a
  :class:`CutBlock` (cutting moves from the plunge below the clearance plane to the retract);
- ``groups``: maximal runs of operations of one tool with no barrier, tool change or other
  setup line between them. Only inside a group may operations and holes be reordered;
- ``barriers``: lines carried verbatim that nothing is moved across.

The sequencer builds a reordered program with ``ncopt.plan.reorder`` (a list of :class:`Step`
per group) and writes it with ``ncopt.writer``; lines of groups it does not touch are re-emitted
byte-identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np

__all__ = [
    "Barrier",
    "CutBlock",
    "Group",
    "HoleParams",
    "HoleSet",
    "Modal",
    "Motion",
    "MoveKind",
    "OpKind",
    "Operation",
    "Program",
    "Step",
    "Stop",
    "SyncState",
]

XYZ = tuple[float, float, float]


class MoveKind(IntEnum):
    """The kind of one motion row."""

    RAPID = 0
    LINE = 1
    ARC = 2
    HOLE = 3
    FRAME = 4  # no motion: the same point in the coordinates after a frame line


class OpKind(StrEnum):
    HOLES = "holes"
    BLOCK = "block"


@dataclass(frozen=True)
class Modal:
    """Modal words an operation's first line may rely on (restated by ``emit`` when needed)."""

    motion: int  # 0-3, or the canned cycle number (73, 76, 81-89)
    feed_mm_min: float
    plane: int  # 17, 18, 19
    absolute: bool  # G90 (True) or G91
    inch: bool  # G20 (True) or G21


@dataclass(frozen=True)
class HoleParams:
    """What a canned cycle does at each hole; all positions absolute, in mm and seconds."""

    cycle: int  # 73, 76, 81-89
    z_mm: float  # hole bottom
    r_mm: float  # R plane
    return_z_mm: float  # where the tool waits between holes: R (G99) or the initial level (G98)
    return_mode: int  # 98 or 99
    q_mm: float  # peck depth (G73/G83) or shift (G76); 0 if none
    dwell_s: float  # P at the bottom
    feed_mm_min: float
    repeats: int  # K/L; 0 positions without drilling
    spindle_rpm: float
    tool: int
    coolant: bool


@dataclass(frozen=True, eq=False)
class Motion:
    """Motion rows as numpy columns. A row starts where the previous one ended.

    ``end`` is (n, 3) mm (NaN where unknown, e.g. after G28 or a subprogram call); for a hole
    it is the position after the hole (the return level). ``aux`` is the hole's index into
    ``Program.hole_params`` or the arc's row in ``arcs``; ``arcs`` is (m, 13), see
    ``ncopt.geometry.ArcGeometry.row``: length, radius, tx0, ty0, tz0 (start tangent), tx1,
    ty1, tz1 (end tangent), cx, cy, cz (centre, the plane's normal axis 0), clockwise, plane.
    """

    kind: np.ndarray  # int8, MoveKind
    line: np.ndarray  # int32, 0-based line index
    end: np.ndarray  # float64 (n, 3)
    feed_mm_min: np.ndarray  # float64
    aux: np.ndarray  # int32
    arcs: np.ndarray  # float64 (m, 13)
    dwell_after: np.ndarray = field(repr=False)  # float64 dwell (s) after the row (G4 etc.)

    def __len__(self) -> int:
        return int(self.kind.shape[0])


@dataclass(frozen=True, eq=False)
class Operation:
    """One reorderable operation. Lines: prefix ``[first_line, body_line)`` (comments and
    travel moves at the clearance plane, regenerated on reordering), body
    ``[body_line, end_line)``. Motion rows of the body: ``[rows[0], rows[1])``."""

    index: int
    kind: OpKind
    group: int
    first_line: int
    body_line: int
    end_line: int
    rows: tuple[int, int]
    before_xyz: XYZ  # where the machine is before the body in the original order
    entry_xyz: XYZ  # where the body starts machining (block: above the plunge; holes: 1st hole)
    exit_xyz: XYZ  # where the body leaves the machine
    modal_in: Modal
    modal_out: Modal


@dataclass(frozen=True, eq=False)
class HoleSet(Operation):
    """Holes of one cycle, tool and parameter set: ``xy`` (n, 2) mm, ``hole_lines`` (n,)."""

    params: HoleParams = None  # type: ignore[assignment]
    xy: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    hole_lines: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class CutBlock(Operation):
    """Cutting moves from the plunge below the group's clearance plane to the retract."""


@dataclass(frozen=True)
class Group:
    """Operations of one tool between barriers/setup lines: the unit of reordering.

    ``movable`` is False when the line after the group relies on the group's last modal state
    in a way ``emit`` cannot restate (a hole line with extra words after a hole set).
    """

    index: int
    tool: int
    ops: tuple[int, ...]
    start_xyz: XYZ
    clearance_z_mm: float
    first_line: int
    end_line: int
    modal_out: Modal
    movable: bool = True
    fixed: str = ""  # why not movable: entry_unknown, cycle_continues, block_unfinished
    state_in: SyncState | None = None  # the machine at the group's first line
    state_out: SyncState | None = None  # and at its end line (the hand-over)


@dataclass(frozen=True)
class Barrier:
    """A line carried verbatim that nothing is moved across, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Stop:
    """A line where the program stops or may stop (``M0``, ``M1``, ``M60``), ends (``M2``,
    ``M30``), or is skipped at the operator's choice (``/``). Nothing moves across it: the
    operator may refixture the part there."""

    line: int
    code: str  # "M0", "M1", "M60", "M2", "M30" or "/"
    text: str


@dataclass(frozen=True)
class SyncState:
    """The machine's state at one line: where a rewritten program must be as the original
    (``kind``: before each ``barrier``, ``stop`` and ``tool_change``, and at the ``end`` of
    the text), or where a group begins and ends (``group``). ``xyz`` NaN where unknown."""

    line: int
    kind: str
    xyz: XYZ
    motion: int  # 0-3, the motion mode under any canned cycle
    cycle: int  # the active canned cycle, 0 for none
    initial_z: float  # the active cycle's initial level (G98 returns there)
    feed_mm_min: float
    plane: int
    absolute: bool
    inch: bool
    return_mode: int  # 98 or 99
    spindle_dir: int
    coolant: bool

    def modal(self) -> Modal:
        return Modal(
            self.cycle or self.motion, self.feed_mm_min, self.plane, self.absolute, self.inch
        )


@dataclass(frozen=True)
class Step:
    """One step of a reordered group: an operation, and for a hole set which of its holes
    (indices into ``HoleSet.xy``) in visiting order; ``None`` means all, in their order.
    ``reversed``: a cut block cut backwards (``ncopt.reverse``)."""

    op: int
    holes: tuple[int, ...] | None = None
    reversed: bool = False


@dataclass(frozen=True, eq=False)
class Program:
    """A parsed NC program (see the module docstring). ``plan`` holds reordered groups."""

    text: str
    line_starts: np.ndarray = field(repr=False)  # int64 (n_lines + 1,) offsets into text
    motion: Motion = field(repr=False)
    hole_params: tuple[HoleParams, ...]
    ops: tuple[Operation, ...]
    groups: tuple[Group, ...]
    barriers: tuple[Barrier, ...]
    tool_changes: tuple[tuple[int, int], ...]  # (line, tool) per M6
    spindle_starts: tuple[int, ...]  # lines where the spindle starts or reverses
    line_flags: np.ndarray = field(repr=False)  # uint32 (n_lines,): ncopt.gcode.LineFlag
    stops: tuple[Stop, ...] = ()
    sync: tuple[SyncState, ...] = ()
    warnings: tuple[tuple[int, str], ...] = ()  # (line, what the estimate leaves out)
    controller: str = "fanuc"  # the profile it was read with (ncopt.controllers)
    newline: str = "\n"
    plan: Mapping[int, tuple[Step, ...]] = field(default_factory=dict)

    @property
    def n_lines(self) -> int:
        return int(self.line_starts.shape[0]) - 1

    def line_text(self, index: int) -> str:
        """One original line without its line ending."""
        text = self.text[self.line_starts[index] : self.line_starts[index + 1]]
        return text.rstrip("\r\n")

    def lines_text(self, first: int, end: int) -> str:
        """Original lines ``[first, end)`` with their line endings, byte for byte."""
        return self.text[self.line_starts[first] : self.line_starts[end]]

    def tools_at(self, lines: np.ndarray) -> np.ndarray:
        """The tool in the spindle at each of ``lines`` (0 before the first tool change)."""
        lines = np.asarray(lines, dtype=np.int64)
        if not self.tool_changes:
            return np.zeros(lines.shape[0], dtype=np.int64)
        at = np.array([line for line, _ in self.tool_changes])
        tools = np.array([0] + [tool for _, tool in self.tool_changes])
        return tools[np.searchsorted(at, lines, side="right")]

    @property
    def hole_count(self) -> int:
        kinds = self.motion.kind
        if not len(kinds):
            return 0
        holes = kinds == MoveKind.HOLE
        if not holes.any():
            return 0
        repeats = np.array([p.repeats for p in self.hole_params], dtype=np.int64)
        return int(repeats[self.motion.aux[holes]].sum())
