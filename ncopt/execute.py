"""The slow path of the interpreter: one tokenized line, executed on the builder's state.

Fanuc executes the words of a block in a fixed order regardless of how they are written:
F/S/T, modal G-codes, M-codes, then the motion. Lines with anything outside the understood set
become barriers (``BARRIER_G``/``KNOWN_M`` below), carried verbatim and never executed.
"""

from __future__ import annotations

import math

from ncopt.gcode import CANNED_CYCLES, scan_line
from ncopt.geometry import ArcError, arc_geometry
from ncopt.program import HoleParams, OpKind
from ncopt.structure import Builder

__all__ = ["execute_line"]

CYCLES = CANNED_CYCLES
MODAL_NOOP = frozenset({40, 43, 44, 49, 94})
KNOWN_G = (
    frozenset({0, 1, 2, 3, 4, 17, 18, 19, 20, 21, 28, 53, 80, 90, 91, 98, 99})
    | frozenset(range(54, 60))
    | CYCLES
    | MODAL_NOOP
)
KNOWN_M = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30})
# Words that may sit on a line the sequencer can move (a move, an arc, a cycle hole).
MOVE_LETTERS = frozenset("NGXYZF")
ARC_LETTERS = frozenset("NGXYZIJKRF")
HOLE_LETTERS = frozenset("NGXYZRQPFKL")
HOLE_G = CYCLES | {98, 99}
INCH_MM = 25.4


class _Words:
    """A line's words: values by letter (one each), G and M numbers with their columns."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, int]] = {}
        self.g: list[tuple[int, int]] = []
        self.m: list[int] = []
        self.barrier = ""


def execute_line(b: Builder, i: int, line: str) -> None:
    code = line.rstrip("\r")
    stripped = code.strip()
    if b.ended:
        b.verbatim(i)
        return
    if b.block_open or b.holes_open:
        b.pre_modal = (i, b.modal())
    if not stripped:
        b.neutral(i)
        return
    if stripped == "%":
        b.verbatim(i)
        return
    scanned = scan_line(code, i + 1)
    if scanned.issues:
        b.issues.extend(scanned.issues)
        return
    if scanned.barrier or scanned.block_delete:
        b.barrier(i, line, scanned.barrier or "block delete")
        return
    if not scanned.words:
        b.neutral(i)
        return
    words = _collect(b, i, scanned.words)
    if words is None:
        return
    if words.barrier:
        b.barrier(i, line, words.barrier)
        return
    _execute(b, i, words)


def _collect(b: Builder, i: int, scanned: tuple[tuple[str, str, int], ...]) -> _Words | None:
    w = _Words()
    before = len(b.issues)
    for letter, text, col in scanned:
        if letter in "GM":
            number = float(text)
            if number != int(number):
                w.barrier = w.barrier or f"{letter}{text} is not interpreted"
                continue
            if letter == "G":
                w.g.append((int(number), col))
            else:
                w.m.append(int(number))
        elif letter in w.values:
            b.issue(i, col, f"{letter}{text}", f"address {letter} given twice")
        else:
            w.values[letter] = (text, col)
    if len(b.issues) > before:
        return None
    w.barrier = w.barrier or _barrier_reason(b, w)
    return w


def _barrier_reason(b: Builder, w: _Words) -> str:
    for g, _ in w.g:
        if g not in KNOWN_G:
            return f"G{g} is not interpreted"
        if 54 <= g <= 59 and g != b.wcs:
            return "work offset change"
    for m in w.m:
        if m in (98, 99):
            return "subprogram call"
        if m not in KNOWN_M:
            return f"M{m} is not interpreted"
    if "O" in w.values and len(b.rows):
        return "program number inside the program"
    if len([g for g, _ in w.g if g <= 3 or g in CYCLES]) > 1:
        return "two motion G-codes in one block"
    return ""


def _execute(b: Builder, i: int, w: _Words) -> None:
    v = w.values
    if "F" in v:
        b.feed = float(v["F"][0]) * (INCH_MM if b.inch else 1.0)
    if "S" in v:
        b.spindle_rpm = float(v["S"][0])
    if "T" in v:
        b.next_tool = int(float(v["T"][0]))
    gs = {g for g, _ in w.g}
    motion_g = _modal_g(b, gs)
    _m_codes(b, i, w.m)
    letters = set(v)
    if 4 in gs:
        seconds = float(v["P"][0]) / 1000.0 if "P" in v else _plain(v.get("X"))
        b.rows.add_dwell(seconds)
        b.verbatim(i)
    elif gs & {28, 53}:
        b.verbatim(i)
        for axis in "XYZ":
            if axis in v:
                setattr(b, axis.lower(), math.nan)
    elif b.cycle and (motion_g in CYCLES or motion_g is None) and letters & set("XYZR"):
        pure = letters <= HOLE_LETTERS and gs <= HOLE_G and not w.m
        _cycle_line(b, i, w, pure, new=motion_g is not None)
    elif letters & set("XYZ"):
        _move(b, i, w, gs)
    elif letters <= {"N", "F"} and not gs and not w.m:
        b.neutral(i)
    else:
        b.verbatim(i)


def _modal_g(b: Builder, gs: set[int]) -> int | None:
    """Apply the modal G-codes; return the motion or cycle code of the line, if any."""
    motion_g = None
    for g in sorted(gs):
        if g in (17, 18, 19):
            b.plane = g
        elif g in (20, 21):
            b.inch = g == 20
        elif g in (90, 91):
            b.absolute = g == 90
        elif g in (98, 99):
            b.return_mode = g
        elif g == 80:
            b.cycle = 0
            b.cycle_data = {}
        elif g <= 3:
            b.motion, b.cycle, b.cycle_data, motion_g = g, 0, {}, g
        elif g in CYCLES:
            if not b.cycle:
                b.initial_z = b.z
            b.cycle, motion_g = g, g
    return motion_g


def _m_codes(b: Builder, i: int, ms: list[int]) -> None:
    for m in ms:
        if m == 6:
            b.verbatim(i)
            b.tool = b.next_tool
            b.tool_changes.append((i, b.tool))
            b.spindle_dir = 0  # the tool change macro stops the spindle
        elif m in (3, 4):
            if b.spindle_dir != m:
                b.spindle_starts.append(i)
            b.spindle_dir = m
        elif m == 5:
            b.spindle_dir = 0
        elif m in (7, 8, 9):
            b.coolant = m != 9
        elif m in (2, 30):
            b.ended = True


def _coord(b: Builder, text: str) -> float:
    """A length word in mm, honouring the decimal-point mode and G20."""
    value = float(text)
    if b.increment and "." not in text:
        value = value / (10000.0 if b.inch else 1000.0)
    return value * INCH_MM if b.inch else value


def _plain(word: tuple[str, int] | None) -> float:
    return 0.0 if word is None else float(word[0])


def _target(b: Builder, v: dict[str, tuple[str, int]]) -> tuple[float, float, float]:
    out = []
    for axis, current in (("X", b.x), ("Y", b.y), ("Z", b.z)):
        if axis not in v:
            out.append(current)
        else:
            value = _coord(b, v[axis][0])
            out.append(value if b.absolute else current + value)
    return out[0], out[1], out[2]


def _move(b: Builder, i: int, w: _Words, gs: set[int]) -> None:
    v = w.values
    x, y, z = _target(b, v)
    letters = set(v)
    if b.motion <= 1:
        if letters <= MOVE_LETTERS and gs <= {0, 1} and not w.m:
            b.move_line(i, x, y, z)
        else:
            b.verbatim(i)
            b.rows.move(b.motion, i, x, y, z, b.feed, -1)
            b.x, b.y, b.z = x, y, z
        return
    arc = _arc_row(b, i, w, (x, y, z))
    if arc is None:
        return
    if letters <= ARC_LETTERS and gs <= {2, 3} and not w.m:
        b.move_line(i, x, y, z, arc=arc)
    else:
        b.verbatim(i)
        b.rows.move(2, i, x, y, z, b.feed, arc)
        b.x, b.y, b.z = x, y, z


def _arc_row(b: Builder, i: int, w: _Words, end: tuple[float, float, float]) -> int | None:
    v = w.values
    col = next((c for g, c in w.g if g in (2, 3)), 1)
    if not ({"I", "J", "K", "R"} & set(v)):
        b.issue(i, col, f"G{b.motion}", f"G{b.motion} needs I/J/K or R")
        return None
    offsets = tuple(_coord(b, v[k][0]) if k in v else 0.0 for k in "IJK")
    radius = _coord(b, v["R"][0]) if "R" in v else None
    if not b.known():
        b.issue(i, col, f"G{b.motion}", "arc from an unknown position")
        return None
    try:
        geo = arc_geometry(b.xyz, end, b.plane, b.motion == 2, offsets, radius)  # type: ignore[arg-type]
    except ArcError as exc:
        b.issue(i, col, f"G{b.motion}", str(exc))
        return None
    b.rows.arcs.append(geo.row())
    return len(b.rows.arcs) - 1


def _cycle_line(b: Builder, i: int, w: _Words, pure: bool, new: bool) -> None:
    v, data = w.values, b.cycle_data
    for letter in "ZRQ":
        if letter in v:
            data[letter] = _coord(b, v[letter][0])
    if "P" in v:
        data["P"] = float(v["P"][0]) / 1000.0  # P counts milliseconds
    if "Z" not in data:
        b.issue(i, v.get("X", ("", 1))[1], f"G{b.cycle}", "canned cycle without a Z depth")
        return
    # No R: Fanuc drills from the initial level. Incremental R counts from the initial level.
    r_abs = data.get("R", 0.0) + b.initial_z if "R" not in data or not b.absolute else data["R"]
    z_abs = data["Z"] if b.absolute else r_abs + data["Z"]
    repeats = int(float(v.get("K", v.get("L", ("1", 0)))[0]))
    return_z = r_abs if b.return_mode == 99 else b.initial_z
    params = HoleParams(
        cycle=b.cycle,
        z_mm=z_abs,
        r_mm=r_abs,
        return_z_mm=return_z,
        return_mode=b.return_mode,
        q_mm=abs(data.get("Q", 0.0)),
        dwell_s=data.get("P", 0.0),
        feed_mm_min=b.feed,
        repeats=repeats if b.absolute else min(repeats, 1),
        spindle_rpm=b.spindle_rpm,
        tool=b.tool,
        coolant=b.coolant,
    )
    pid = b.params.setdefault(params, len(b.params))
    _holes(b, i, w, pid, return_z, pure, new or pid != b.param_id)


def _holes(b: Builder, i: int, w: _Words, pid: int, return_z: float, pure: bool, fresh: bool):
    count = 1 if b.absolute else max(int(float(w.values.get("K", ("1", 0))[0])), 1)
    if not pure:
        b.verbatim(i, drills=True)
    elif fresh or not b.holes_open:
        b.close_op(i)
        b.param_id = pid
        b.open_op(i, OpKind.HOLES)
    b.param_id, b.return_z = pid, return_z
    for _ in range(count):
        x, y, _z = _target(b, w.values)
        b.rows.hole(i, x, y, return_z, pid)
        if pure:
            b.hx.append(x)
            b.hy.append(y)
            b.hl.append(i)
        b.x, b.y, b.z = x, y, return_z
