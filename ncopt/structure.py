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

import dataclasses
import math
from array import array

import numpy as np

from ncopt.controllers import profile
from ncopt.errors import GCodeIssue
from ncopt.gcode import LineFlag, line_flags, scan_line
from ncopt.geometry import ARC_COLUMNS
from ncopt.machine import DecimalPointMode, Machine
from ncopt.modal import ModalState
from ncopt.program import (
    XYZ,
    Barrier,
    CutBlock,
    Group,
    HoleParams,
    HoleSet,
    Motion,
    MoveKind,
    Operation,
    OpKind,
    Program,
    Stop,
    SyncState,
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
    """The structure being built (motion rows, operations, groups, barriers) and the modal
    state ``s`` it is built in. The interpreter's fast path and ``ncopt.execute`` call its
    methods; only this class writes its fields."""

    def __init__(self, text: str, line_starts: np.ndarray, machine: Machine) -> None:
        self.text, self.line_starts = text, line_starts
        self.n_lines = len(line_starts) - 1
        self.s = ModalState(machine.decimal_point_mode is DecimalPointMode.INCREMENT)
        self.profile = profile(machine.controller)
        self.issues: list[GCodeIssue] = []
        self.warnings: list[tuple[int, str]] = []  # (line, what) the estimate leaves out
        self.warned: set[str] = set()
        self.rows = Rows()
        self.params: dict[HoleParams, int] = {}  # each parameter set once, with its index
        self.param_list: list[HoleParams] = []
        self.barriers: list[Barrier] = []
        self.stops: list[Stop] = []
        self.sync: list[SyncState] = []
        self.tool_changes: list[tuple[int, int]] = []
        self.spindle_starts: list[int] = []
        self.ops: list[Operation] = []
        self.groups: list[Group] = []
        self.param_id, self.return_z = -1, NAN  # the hole set being drilled and its level
        self.flags = np.zeros(self.n_lines, dtype=np.uint32)  # LineFlag per line
        self.lines_read = 0  # lines [0, lines_read) went through the interpreter
        self._reset_structure()

    # ----------------------------------------------------------------- state helpers
    def issue(self, i: int, column: int, text: str, message: str) -> None:
        self.issues.append(GCodeIssue(i + 1, column, text, message))

    def add_issues(self, issues) -> None:
        self.issues.extend(issues)

    def first_time(self, what: str) -> bool:
        """True the first time ``what`` is asked about (one warning, not one per line)."""
        seen = what in self.warned
        self.warned.add(what)
        return not seen

    def warn(self, i: int, message: str) -> None:
        """Something the program does that the engine cannot time or follow exactly."""
        self.warnings.append((i, message))

    def line_text(self, i: int) -> str:
        return self.text[self.line_starts[i] : self.line_starts[i + 1]].rstrip("\r\n")

    def flag(self, i: int, flags: int) -> None:
        """What line ``i`` holds (``LineFlag``); lines are read in order."""
        self.flags[i] = flags
        self.lines_read = i + 1

    def flag_lines(self, first: int, end: int, flags: int) -> None:
        self.flags[first:end] = flags
        self.lines_read = end

    def line_start(self, i: int) -> None:
        """Line ``i`` begins: outside a group, keep the state before it (a group it opens
        begins in that state)."""
        if not self.group_ops:
            self.line_state = self.s.sync_state(i, "group")

    def remember_modal(self, i: int) -> None:
        """The modal state before line ``i``: an operation that this line closes ends in it
        (a G80 on the closing line is not part of the operation)."""
        if self.block_open or self.holes_open:
            self.pre_state = self.s.sync_state(i, "group")

    # ----------------------------------------------------------------- structure
    def _reset_structure(self) -> None:
        # Comment lines and travel before the next operation (its prefix): first line, and
        # where the machine was when it began.
        self.prefix_line, self.prefix_xyz = -1, (NAN, NAN, NAN)
        self.pre_state: SyncState | None = None
        self.prefix_state: SyncState | None = None
        self.line_state: SyncState | None = None
        self.block_open = self.holes_open = False
        self.group_ops: list[int] = []
        self.group_clear = NAN
        self.group_start: XYZ = (NAN, NAN, NAN)
        self.group_fixed = ""  # why the open group cannot be rewritten ("" if it can)
        self.hole_x, self.hole_y, self.hole_lines = array("d"), array("d"), array("i")

    def neutral(self, i: int) -> None:
        """A blank or comment-only line: part of the next operation's prefix."""
        if self.block_open:
            return
        if self.holes_open:
            self.close_op(i)
        if self.prefix_line < 0:
            self.prefix_line, self.prefix_xyz = i, self.s.xyz
            self.prefix_state = self.s.sync_state(i, "group")

    def verbatim(self, i: int, drills: bool = False) -> None:
        """A line that stays where it is and closes the open group."""
        if self.block_open and self._cuts():
            self.group_fixed = "block_unfinished"  # no retract: the next line needs the block
        if drills and self.holes_open:
            self.group_fixed = "cycle_continues"  # a cycle line with other words goes on
        self.close_op(i)
        self.close_group()
        self.prefix_line = -1

    def barrier(self, i: int, line: str, reason: str) -> None:
        self.verbatim(i)
        self.sync.append(self.s.sync_state(i, "barrier"))
        self.barriers.append(Barrier(i, line.rstrip("\r"), reason))
        if not reason.startswith("M"):
            # A subprogram, macro, rotary move or coordinate change may leave the tool
            # anywhere (in the coordinates that follow): only an unknown M-code cannot.
            self._moved_somewhere(i, "XYZ")

    def frame(self, i: int, line: str, reason: str, g: int, words) -> None:
        """A frame line: a wall like a barrier, but the position is followed through it (a
        FRAME row: no motion, the same point in the new coordinates)."""
        self.verbatim(i)
        self.sync.append(self.s.sync_state(i, "barrier"))
        self.barriers.append(Barrier(i, line.rstrip("\r"), reason))
        self.s.change_frame(g, words)
        x, y, z = self.s.xyz
        self.rows.move(MoveKind.FRAME, i, x, y, z, self.s.feed, -1)

    def tool_change(self, i: int) -> None:
        self.verbatim(i)
        self.sync.append(self.s.sync_state(i, "tool_change"))
        self.tool_changes.append((i, self.s.change_tool()))

    def stop(self, i: int, code: str, line: str) -> None:
        """A program stop, end or optional skip (``Stop``): a wall for every transformation."""
        self.verbatim(i)
        if not self.stops or self.stops[-1].line != i:
            # At the program's end the tool is taken away: its XY is not compared (M2/M30).
            kind = "end" if code in ("M2", "M30") else "stop"
            self.sync.append(self.s.sync_state(i, kind))
            self.stops.append(Stop(i, code, line.rstrip("\r")))

    def spindle_start(self, i: int, direction: int) -> None:
        if self.s.start_spindle(direction):
            self.spindle_starts.append(i)

    def add_dwell(self, seconds: float) -> None:
        self.rows.add_dwell(seconds)

    def add_arc(self, row: tuple[float, ...]) -> int:
        """Store an arc's geometry (``ArcGeometry.row``); its index for a motion row."""
        self.rows.arcs.append(row)
        return len(self.rows.arcs) - 1

    def machine_move(self, i: int, axes) -> None:
        """G28/G53: the named axes go to machine positions the program does not tell."""
        self.verbatim(i)
        self._moved_somewhere(i, axes)

    def _moved_somewhere(self, i: int, axes) -> None:
        """The named axes went where the program does not tell: a rapid row to an unknown
        place, so the next move is known to start from there (and is timed only by what is
        known of it)."""
        if not axes:
            return
        self.s.forget_axes(axes)
        x, y, z = self.s.xyz
        self.rows.move(MoveKind.RAPID, i, x, y, z, self.s.feed, -1)

    def move_line(self, i: int, x: float, y: float, z: float, arc: int = -1) -> None:
        """A line holding only a move (and F): travel, plunge, body or retract.

        ``arc`` is the row of the arc's geometry in ``Rows.arcs`` for G2/G3, else -1.
        """
        s = self.s
        rapid = s.motion == 0 and arc < 0
        compensated = s.comp != 40  # a compensated stretch is one unit: no retract, no travel
        if self.block_open:
            self._row(i, rapid, x, y, z, arc)
            retract = z >= self.group_clear and (rapid or (x == s.x and y == s.y))
            s.move_to(x, y, z)
            if retract and not compensated:
                self.close_op(i + 1)
            return
        if self.holes_open:
            self.close_op(i)
        if rapid and s.known() and not compensated and self._is_travel(x, y, z):
            if self.prefix_line < 0:
                self.prefix_line, self.prefix_xyz = i, s.xyz
                self.prefix_state = s.sync_state(i, "group")
        elif not s.known():
            self.verbatim(i)
        else:
            self.open_op(i, OpKind.BLOCK)
        self._row(i, rapid, x, y, z, arc)
        s.move_to(x, y, z)

    def body_move(self, i: int, x: float, y: float, z: float) -> None:
        """A straight move inside an open cut block that cannot be its retract (below the
        clearance plane): the commonest milling line, kept short."""
        self.rows.move(self.s.motion, i, x, y, z, self.s.feed, -1)
        self.s.move_to(x, y, z)

    def verbatim_move(self, i: int, kind: int, x: float, y: float, z: float, arc: int = -1):
        """A move on a line with other words: it stays where it is, and closes the group."""
        self.verbatim(i)
        self.rows.move(kind, i, x, y, z, self.s.feed, arc)
        self.s.move_to(x, y, z)

    def add_hole(self, i: int, x: float, y: float) -> None:
        """One modal hole line of the open hole set."""
        self.rows.hole(i, x, y, self.return_z, self.param_id)
        self.hole_x.append(x)
        self.hole_y.append(y)
        self.hole_lines.append(i)
        self.s.move_to(x, y, self.return_z)

    def add_holes(self, first: int, xs: np.ndarray, ys: np.ndarray) -> None:
        """Modal holes of the open hole set on lines ``first, first + 1, ...`` in bulk."""
        lines = np.arange(first, first + len(xs), dtype=np.int32)
        self.rows.bulk(MoveKind.HOLE, lines, xs, ys, self.return_z, 0.0, self.param_id)
        self.hole_x.frombytes(xs.tobytes())
        self.hole_y.frombytes(ys.tobytes())
        self.hole_lines.frombytes(lines.tobytes())
        self.s.move_to(float(xs[-1]), float(ys[-1]), self.return_z)

    def add_moves(self, first: int, xs: np.ndarray, ys: np.ndarray, zs: np.ndarray | None):
        """G0/G1 moves that keep the role of the line before them (``zs`` None: at this Z)."""
        lines = np.arange(first, first + len(xs), dtype=np.int32)
        kind = MoveKind.RAPID if self.s.motion == 0 else MoveKind.LINE
        z = self.s.z if zs is None else zs
        self.rows.bulk(kind, lines, xs, ys, z, self.s.feed, -1)
        last_z = float(zs[-1]) if zs is not None else self.s.z
        self.s.move_to(float(xs[-1]), float(ys[-1]), last_z)

    def cycle_holes(self, i: int, params: HoleParams, positions, pure: bool, new: bool):
        """A canned-cycle line drilling at ``positions`` (several with a G91 repeat).

        ``pure``: the line holds only cycle words, so it may join a hole set (``new``: it
        states a cycle code, so it starts one). Otherwise it stays where it is.
        """
        pid = self.params.setdefault(params, len(self.params))
        if pid == len(self.param_list):
            self.param_list.append(params)
        if not pure:
            self.verbatim(i, drills=True)
        elif new or pid != self.param_id or not self.holes_open:
            self.close_op(i)
            self.param_id = pid
            self.open_op(i, OpKind.HOLES)
        self.param_id, self.return_z = pid, params.return_z_mm
        for x, y in positions:
            if pure:
                self.add_hole(i, x, y)
            else:
                self.rows.hole(i, x, y, self.return_z, pid)
                self.s.move_to(x, y, self.return_z)

    @property
    def plain_holes(self) -> bool:
        """A hole set is open whose holes are drilled once each: a bare XY line joins it (a
        repeat count belongs to its own line only)."""
        return self.holes_open and self.param_list[self.param_id].repeats == 1

    def _is_travel(self, x: float, y: float, z: float) -> bool:
        """A rapid that cannot hit the part: straight up, or wholly at/above the clearance
        plane of the open group (before any group: anything that does not descend)."""
        s = self.s
        if z >= s.z and x == s.x and y == s.y:
            return True
        if self.group_ops:
            return min(s.z, z) >= self.group_clear
        return z >= s.z

    def _row(self, i: int, rapid: bool, x: float, y: float, z: float, arc: int) -> None:
        kind = MoveKind.ARC if arc >= 0 else (MoveKind.RAPID if rapid else MoveKind.LINE)
        self.rows.move(kind, i, x, y, z, self.s.feed, arc)

    def open_op(self, i: int, kind: OpKind) -> None:
        """Start an operation whose body begins at line ``i`` (prefix: pending lines)."""
        s = self.s
        if not self.group_ops:
            self.group_start = self.prefix_xyz if self.prefix_line >= 0 else s.xyz
            self.group_clear = s.z
            self.group_first = self.prefix_line if self.prefix_line >= 0 else i
            # Where the tool comes from in XY may be unknown (after a subprogram call, then
            # G43 H Z): the first operation then stays first. Not knowing Z, nothing moves.
            known = not (math.isnan(s.z) or math.isnan(self.group_start[2]))
            self.group_fixed = "" if known else "entry_unknown"
            if s.comp != 40:  # the travel into it is compensated: it cannot change
                self.group_fixed = "cutter_comp"
            if self.prefix_line >= 0 and self.prefix_state is not None:
                self.group_state_in = self.prefix_state
            elif self.line_state is not None and self.line_state.line == i:
                self.group_state_in = self.line_state
            else:
                self.group_state_in = s.sync_state(i, "group")
        self.op_first = self.prefix_line if self.prefix_line >= 0 else i
        prefixed = self.prefix_line >= 0
        self.op_prefix_xyz = self.prefix_xyz if prefixed else s.xyz
        self.op_prefix_state = self.prefix_state if prefixed else self.line_state
        self.prefix_line = -1
        self.op_body, self.op_first_row = i, len(self.rows)
        self.op_before, self.op_modal_in = s.xyz, s.modal()
        # ``==``: doctest collection may import this module twice (two copies of the enum).
        self.block_open = kind == OpKind.BLOCK
        self.holes_open = kind == OpKind.HOLES
        self.group_ops.append(len(self.ops))
        self.ops.append(None)  # type: ignore[arg-type]  # placeholder until closed

    def close_op(self, end_line: int) -> None:
        if not (self.block_open or self.holes_open):
            return
        if self.block_open and not self._cuts():
            self._travel_after_all()
            return
        index = self.group_ops[-1]
        common = dict(
            index=index,
            group=len(self.groups),
            first_line=self.op_first,
            body_line=self.op_body,
            end_line=end_line,
            rows=(self.op_first_row, len(self.rows)),
            before_xyz=self.op_before,
            exit_xyz=self.s.xyz,
            modal_in=self.op_modal_in,
            modal_out=self._state_at(end_line).modal(),
        )
        self.group_state_out = self._state_at(end_line)
        if self.block_open:
            self.ops[index] = CutBlock(kind=OpKind.BLOCK, entry_xyz=self.op_before, **common)
        else:
            self.ops[index] = self._hole_set(common)
            self.hole_x, self.hole_y, self.hole_lines = array("d"), array("d"), array("i")
        self.block_open = self.holes_open = False

    def _cuts(self) -> bool:
        """The open block holds a feed move (else it only dipped at rapid: travel)."""
        kinds = self.rows.kind[self.op_first_row :]
        return MoveKind.LINE in kinds or MoveKind.ARC in kinds

    def _travel_after_all(self) -> None:
        """Drop the open block, which never cut: its lines become the prefix of whatever
        comes next, as travel does."""
        self.ops.pop()
        self.group_ops.pop()
        self.block_open = False
        self.prefix_line, self.prefix_xyz = self.op_first, self.op_prefix_xyz
        self.prefix_state = self.op_prefix_state

    def _hole_set(self, common: dict) -> HoleSet:
        xy = np.column_stack([np.frombuffer(self.hole_x), np.frombuffer(self.hole_y)])
        return HoleSet(
            kind=OpKind.HOLES,
            entry_xyz=(float(xy[0, 0]), float(xy[0, 1]), self.op_before[2]),
            params=self.param_list[self.param_id],
            xy=xy,
            hole_lines=np.frombuffer(self.hole_lines, dtype=np.int32).copy(),
            **common,
        )

    def _state_at(self, end_line: int) -> SyncState:
        """The state at ``end_line``: before it executes when it closed the operation (a G80
        on that line is not part of the operation), else now."""
        pre = self.pre_state
        if pre is not None and pre.line == end_line:
            return pre
        return self.s.sync_state(end_line, "group")

    def close_group(self) -> None:
        if not self.group_ops:
            return
        last = self.ops[self.group_ops[-1]]
        self.groups.append(
            Group(
                index=len(self.groups),
                tool=self.s.tool,
                ops=tuple(self.group_ops),
                start_xyz=self.group_start,
                clearance_z_mm=self.group_clear,
                first_line=self.group_first,
                end_line=last.end_line,
                modal_out=last.modal_out,
                movable=not self.group_fixed,
                fixed=self.group_fixed,
                state_in=self.group_state_in,
                state_out=self.group_state_out,
            )
        )
        self.group_ops = []

    def _hand_over_checked(self, group: Group) -> Group:
        """A group that leaves a canned cycle active for lines that rely on it (a modal hole
        further on, a subprogram, a stop or a tool change before any cancel) cannot be
        rewritten: the cycle's data there would be the last set's of the new order."""
        if not group.movable or group.state_out is None or not group.state_out.cycle:
            return group
        ends = {line for line, _ in self.tool_changes} | {stop.line for stop in self.stops}
        for i in range(group.end_line, self.n_lines):
            flags = int(self.flags[i])
            if flags & (LineFlag.CANCELS_CYCLE | LineFlag.MOTION_WORD):
                return group
            if flags & (LineFlag.AXIS | LineFlag.UNREAD) or i in ends:
                break
        return dataclasses.replace(group, movable=False, fixed="cycle_continues")

    def finish(self) -> Program:
        self.close_op(self.n_lines)
        self.close_group()
        self.sync.append(self.s.sync_state(self.lines_read, "end"))
        for i in range(self.lines_read, self.n_lines):  # after the program's end: not executed
            line = self.line_text(i)
            unread = line.strip().startswith("%")
            self.flags[i] = LineFlag.UNREAD if unread else line_flags(scan_line(line, i + 1))
        newline = "\r\n" if "\r\n" in self.text[:4096] else "\n"
        self.groups = [self._hand_over_checked(g) for g in self.groups]
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
            line_flags=self.flags,
            stops=tuple(self.stops),
            sync=tuple(self.sync),
            warnings=tuple(self.warnings),
            controller=self.profile.name.value,
            newline=newline,
        )
