"""The interpreter's state and the grouping of lines into operations, groups and barriers.

Rules (docs/engine.md has the reasoning):

- a *group* opens at the first operation after a setup line and holds operations of one tool;
  any other line (setup, tool change, G80, M-codes, barriers) closes it;
- its *clearance plane* is the Z the machine is at when the group opens;
- a *cut block* starts at the first move that is not travel (a rapid at/above the clearance
  plane) and ends with the move that brings Z back to the clearance plane (a rapid or a
  Z-only move); a *hole set* is a run of cycle lines with one parameter set;
- comment lines and travel moves before an operation are its *prefix*: they move with it
  (comments) or are regenerated (travel) when the group is reordered.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from ncopt.errors import GCodeIssue
from ncopt.geometry import ARC_COLUMNS
from ncopt.machine import DecimalPointMode, Machine
from ncopt.program import (
    XYZ,
    Barrier,
    CutBlock,
    Group,
    HoleParams,
    HoleSet,
    Modal,
    Motion,
    MoveKind,
    Operation,
    OpKind,
    Program,
)

__all__ = ["Builder", "Rows"]

NAN = math.nan


class Rows:
    """Motion rows in compact ``array`` columns."""

    def __init__(self) -> None:
        self.kind = array("b")
        self.line = array("i")
        self.x = array("d")
        self.y = array("d")
        self.z = array("d")
        self.feed = array("d")
        self.aux = array("i")
        self.arcs: list[tuple[float, ...]] = []
        self.dwell: dict[int, float] = {}

    def __len__(self) -> int:
        return len(self.kind)

    def hole(self, line: int, x: float, y: float, z: float, param: int) -> None:
        self.kind.append(3)
        self.line.append(line)
        self.x.append(x)
        self.y.append(y)
        self.z.append(z)
        self.feed.append(0.0)
        self.aux.append(param)

    def move(self, kind: int, line: int, x: float, y: float, z: float, feed: float, aux: int):
        self.kind.append(kind)
        self.line.append(line)
        self.x.append(x)
        self.y.append(y)
        self.z.append(z)
        self.feed.append(feed)
        self.aux.append(aux)

    def bulk(self, kind: int, lines, xs, ys, z: float, feed: float, aux: int) -> None:
        n = len(lines)
        self.kind.frombytes(np.full(n, kind, dtype=np.int8).tobytes())
        self.line.frombytes(np.asarray(lines, dtype=np.int32).tobytes())
        self.x.frombytes(np.asarray(xs, dtype=np.float64).tobytes())
        self.y.frombytes(np.asarray(ys, dtype=np.float64).tobytes())
        self.z.frombytes(np.broadcast_to(np.asarray(z, dtype=np.float64), (n,)).tobytes())
        self.feed.frombytes(np.full(n, feed, dtype=np.float64).tobytes())
        self.aux.frombytes(np.full(n, aux, dtype=np.int32).tobytes())

    def add_dwell(self, seconds: float) -> None:
        row = len(self.kind) - 1
        self.dwell[row] = self.dwell.get(row, 0.0) + seconds

    def to_motion(self) -> Motion:
        n = len(self.kind)
        dwell = np.zeros(n + 1)
        for row, seconds in self.dwell.items():
            dwell[row + 1] = seconds  # row -1 (before any move) lands in slot 0
        end = np.empty((n, 3))
        if n:
            end[:, 0] = np.frombuffer(self.x, dtype=np.float64)
            end[:, 1] = np.frombuffer(self.y, dtype=np.float64)
            end[:, 2] = np.frombuffer(self.z, dtype=np.float64)
        arcs = np.array(self.arcs, dtype=float).reshape(-1, ARC_COLUMNS)
        return Motion(
            kind=np.frombuffer(self.kind, dtype=np.int8).copy(),
            line=np.frombuffer(self.line, dtype=np.int32).copy(),
            end=end,
            feed_mm_min=np.frombuffer(self.feed, dtype=np.float64).copy(),
            aux=np.frombuffer(self.aux, dtype=np.int32).copy(),
            arcs=arcs,
            dwell_after=dwell,
        )


class Builder:
    """Interpreter state plus the structure being built. ``ncopt.execute`` runs slow lines."""

    def __init__(self, text: str, lines: list[str], machine: Machine) -> None:
        self.text, self.lines, self.machine = text, lines, machine
        self.increment = machine.decimal_point_mode is DecimalPointMode.INCREMENT
        lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + 1
        lengths[-1] -= 1  # the last piece has no newline after it
        self.line_starts = np.zeros(len(lines) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.line_starts[1:])
        from ncopt.execute import execute_line  # execute imports this module

        self._execute_line = execute_line
        self.issues: list[GCodeIssue] = []
        self.run_axes = np.zeros((len(lines), 3), dtype=np.int8)  # set by the interpreter
        self.rows = Rows()
        self.x = self.y = self.z = NAN
        self.motion, self.feed, self.plane = 0, 0.0, 17
        self.absolute, self.inch, self.ended = True, False, False
        self.cycle = 0  # active canned cycle, 0 for none
        self.cycle_data: dict[str, float] = {}
        self.return_mode, self.initial_z, self.return_z, self.param_id = 98, NAN, NAN, -1
        self.spindle_rpm, self.spindle_dir, self.coolant = 0.0, 0, False
        self.tool, self.next_tool, self.wcs = 0, 0, 54
        self.params: dict[HoleParams, int] = {}
        self.barriers: list[Barrier] = []
        self.tool_changes: list[tuple[int, int]] = []
        self.spindle_starts: list[int] = []
        self.ops: list[Operation] = []
        self.groups: list[Group] = []
        self._reset_structure()

    # ----------------------------------------------------------------- state helpers
    @property
    def fast_ok(self) -> bool:
        return self.absolute and not self.inch and not self.ended

    @property
    def xyz(self) -> XYZ:
        return (self.x, self.y, self.z)

    def modal(self) -> Modal:
        return Modal(self.cycle or self.motion, self.feed, self.plane, self.absolute, self.inch)

    def known(self) -> bool:
        return not (math.isnan(self.x) or math.isnan(self.y) or math.isnan(self.z))

    def issue(self, i: int, column: int, text: str, message: str) -> None:
        self.issues.append(GCodeIssue(i + 1, column, text, message))

    def line(self, i: int, line: str) -> None:
        """Execute one line through the full tokenizer (``ncopt.execute``)."""
        self._execute_line(self, i, line)

    # ----------------------------------------------------------------- structure
    def _reset_structure(self) -> None:
        self.pend, self.pend_xyz = -1, (NAN, NAN, NAN)
        # The modal state before the line being executed: an operation that this line closes
        # ends in that state (a G80 on the closing line is not part of the operation).
        self.pre_modal: tuple[int, Modal | None] = (-1, None)
        self.block_open = self.holes_open = False
        self.group_ops: list[int] = []
        self.group_clear = NAN
        self.group_start: XYZ = (NAN, NAN, NAN)
        self.group_movable = True
        self.hx, self.hy, self.hl = array("d"), array("d"), array("i")

    def neutral(self, i: int) -> None:
        """A blank or comment-only line: part of the next operation's prefix."""
        if self.block_open:
            return
        if self.holes_open:
            self.close_op(i)
        if self.pend < 0:
            self.pend, self.pend_xyz = i, self.xyz

    def verbatim(self, i: int, drills: bool = False) -> None:
        """A line that stays where it is and closes the open group."""
        if self.block_open:
            self.group_movable = False  # a block without its retract: the next line needs it
        if drills and self.holes_open:
            self.group_movable = False
        self.close_op(i)
        self.close_group()
        self.pend = -1

    def barrier(self, i: int, line: str, reason: str) -> None:
        self.verbatim(i)
        self.barriers.append(Barrier(i, line.rstrip("\r"), reason))
        if not reason.startswith("M"):
            # A subprogram, macro, rotary move or coordinate change may leave the tool
            # anywhere (in the coordinates that follow): only an unknown M-code cannot.
            self.x = self.y = self.z = NAN

    def move_line(self, i: int, x: float, y: float, z: float, arc: int = -1) -> None:
        """A line holding only a move (and F): travel, plunge, body or retract.

        ``arc`` is the row of the arc's geometry in ``Rows.arcs`` for G2/G3, else -1.
        """
        rapid = self.motion == 0 and arc < 0
        if self.block_open:
            self._row(i, rapid, x, y, z, arc)
            retract = z >= self.group_clear and (rapid or (x == self.x and y == self.y))
            self._set(x, y, z)
            if retract:
                self.close_op(i + 1)
            return
        if self.holes_open:
            self.close_op(i)
        if rapid and self.known() and self._is_travel(x, y, z):
            if self.pend < 0:
                self.pend, self.pend_xyz = i, self.xyz
        elif not self.known():
            self.verbatim(i)
        else:
            self.open_op(i, OpKind.BLOCK)
        self._row(i, rapid, x, y, z, arc)
        self._set(x, y, z)

    def add_holes(self, first: int, xs: np.ndarray, ys: np.ndarray) -> None:
        """Modal holes of the open hole set on lines ``first, first + 1, ...`` in bulk."""
        lines = np.arange(first, first + len(xs), dtype=np.int32)
        self.rows.bulk(MoveKind.HOLE, lines, xs, ys, self.return_z, 0.0, self.param_id)
        self.hx.frombytes(xs.tobytes())
        self.hy.frombytes(ys.tobytes())
        self.hl.frombytes(lines.tobytes())
        self._set(float(xs[-1]), float(ys[-1]), self.return_z)

    def add_moves(self, first: int, xs: np.ndarray, ys: np.ndarray, zs: np.ndarray | None):
        """G0/G1 moves that keep the role of the line before them (``zs`` None: at this Z)."""
        lines = np.arange(first, first + len(xs), dtype=np.int32)
        kind = MoveKind.RAPID if self.motion == 0 else MoveKind.LINE
        z = self.z if zs is None else zs
        self.rows.bulk(kind, lines, xs, ys, z, self.feed, -1)
        self._set(float(xs[-1]), float(ys[-1]), float(zs[-1]) if zs is not None else self.z)

    def _is_travel(self, x: float, y: float, z: float) -> bool:
        """A rapid that cannot hit the part: straight up, or wholly at/above the clearance
        plane of the open group (before any group: anything that does not descend)."""
        if z >= self.z and x == self.x and y == self.y:
            return True
        if self.group_ops:
            return min(self.z, z) >= self.group_clear
        return z >= self.z

    def _row(self, i: int, rapid: bool, x: float, y: float, z: float, arc: int) -> None:
        kind = MoveKind.ARC if arc >= 0 else (MoveKind.RAPID if rapid else MoveKind.LINE)
        self.rows.move(kind, i, x, y, z, self.feed, arc)

    def _set(self, x: float, y: float, z: float) -> None:
        self.x, self.y, self.z = x, y, z

    def open_op(self, i: int, kind: OpKind) -> None:
        """Start an operation whose body begins at line ``i`` (prefix: pending lines)."""
        if not self.group_ops:
            first = self.pend if self.pend >= 0 else i
            self.group_start = self.pend_xyz if self.pend >= 0 else self.xyz
            self.group_clear = self.z
            self.group_first = first
            self.group_movable = self.known() and not any(map(math.isnan, self.group_start))
        self.op_first = self.pend if self.pend >= 0 else i
        self.pend = -1
        self.op_body, self.op_row0 = i, len(self.rows)
        self.op_before, self.op_modal_in = self.xyz, self.modal()
        # ``==``: doctest collection may import this module twice (two copies of the enum).
        self.block_open = kind == OpKind.BLOCK
        self.holes_open = kind == OpKind.HOLES
        self.group_ops.append(len(self.ops))
        self.ops.append(None)  # type: ignore[arg-type]  # placeholder until closed

    def close_op(self, end_line: int) -> None:
        if not (self.block_open or self.holes_open):
            return
        index = self.group_ops[-1]
        common = dict(
            index=index,
            group=len(self.groups),
            first_line=self.op_first,
            body_line=self.op_body,
            end_line=end_line,
            rows=(self.op_row0, len(self.rows)),
            before_xyz=self.op_before,
            exit_xyz=self.xyz,
            modal_in=self.op_modal_in,
            modal_out=self.pre_modal[1] if self.pre_modal[0] == end_line else self.modal(),
        )
        if self.block_open:
            self.ops[index] = CutBlock(kind=OpKind.BLOCK, entry_xyz=self.op_before, **common)
        else:
            xy = np.column_stack([np.frombuffer(self.hx), np.frombuffer(self.hy)])
            entry = (float(xy[0, 0]), float(xy[0, 1]), self.op_before[2])
            self.ops[index] = HoleSet(
                kind=OpKind.HOLES,
                entry_xyz=entry,
                params=self.param_list()[self.param_id],
                xy=xy,
                hole_lines=np.frombuffer(self.hl, dtype=np.int32).copy(),
                **common,
            )
            self.hx, self.hy, self.hl = array("d"), array("d"), array("i")
        self.block_open = self.holes_open = False

    def close_group(self) -> None:
        if not self.group_ops:
            return
        last = self.ops[self.group_ops[-1]]
        self.groups.append(
            Group(
                index=len(self.groups),
                tool=self.tool,
                ops=tuple(self.group_ops),
                start_xyz=self.group_start,
                clearance_z_mm=self.group_clear,
                first_line=self.group_first,
                end_line=last.end_line,
                modal_out=last.modal_out,
                movable=self.group_movable,
            )
        )
        self.group_ops = []

    def param_list(self) -> list[HoleParams]:
        return list(self.params)

    def finish(self) -> Program:
        n = len(self.lines)
        self.close_op(n)
        self.close_group()
        newline = "\r\n" if "\r\n" in self.text[:4096] else "\n"
        return Program(
            text=self.text,
            line_starts=self.line_starts,
            motion=self.rows.to_motion(),
            hole_params=tuple(self.params),
            ops=tuple(self.ops),
            groups=tuple(self.groups),
            barriers=tuple(self.barriers),
            tool_changes=tuple(self.tool_changes),
            spindle_starts=tuple(self.spindle_starts),
            newline=newline,
        )
