"""The slow path of the interpreter: one tokenized line, executed on the builder's state.

Fanuc executes the words of a block in a fixed order regardless of how they are written:
F/S/T, modal G-codes, M-codes, then the motion. Lines with anything outside the understood set
become barriers (``BARRIER_G``/``KNOWN_M`` below), carried verbatim and never executed.
"""

from __future__ import annotations

from ncopt.controllers import DwellUnit
from ncopt.frames import FRAME_CODES
from ncopt.gcode import CANNED_CYCLES, LineFlag, line_flags, scan_line
from ncopt.geometry import ARC_COLUMNS, ArcError, arc_geometry
from ncopt.program import HoleParams
from ncopt.structure import Builder

__all__ = ["execute_line"]

CYCLES = CANNED_CYCLES
# Understood by every profile; each adds its harmless modal codes (ncopt.controllers).
KNOWN_G = (
    frozenset({0, 1, 2, 3, 4, 17, 18, 19, 20, 21, 28, 53, 80, 90, 91, 98, 99})
    | frozenset(range(54, 60))
    | CYCLES
)
COMP_G = frozenset({40, 41, 42})
# Modal codes the writer restates for every operation it writes (cycle cancel, distance mode,
# plane, feed mode, G98/G99): a line of nothing else does not split a group.
RESTATED_G = frozenset({80, 90, 91, 17, 18, 19, 94, 98, 99})
UNKNOWN_ARC = (float("nan"),) * ARC_COLUMNS
KNOWN_M = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 60})
STOP_M = frozenset({0, 1, 60})  # program stop, optional stop, pallet change
END_M = frozenset({2, 30})
# Words that may sit on a line the sequencer can move (a move, an arc, a cycle hole); D is
# the offset of G41/G42 cutter compensation.
MOVE_LETTERS = frozenset("NGXYZFD")
ARC_LETTERS = frozenset("NGXYZIJKRF")
HOLE_LETTERS = frozenset("NGXYZRQPFKL")
HOLE_G = CYCLES | {98, 99}


class _Words:
    """A line's words: values by letter (one each), G and M numbers with their columns."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, int]] = {}
        self.g: list[tuple[int, int]] = []
        self.m: list[int] = []
        self.barrier = ""


def execute_line(b: Builder, i: int, line: str) -> None:
    code = line.rstrip("\r")
    if i == 0:
        code = code.lstrip("\ufeff")  # a UTF-8 byte-order mark (kept in the text)
    stripped = code.strip()
    b.line_start(i)
    b.remember_modal(i)
    if not stripped:
        b.flag(i, 0)
        b.neutral(i)
        return
    if stripped.startswith("%"):  # the tape's start/end mark, with text after it or not
        b.flag(i, LineFlag.UNREAD)
        b.verbatim(i)
        return
    scanned = scan_line(code, i + 1)
    flags = line_flags(scanned)
    b.flag(i, flags)
    if scanned.issues:
        b.add_issues(scanned.issues)
        return
    if scanned.block_delete:  # the operator chooses whether it runs: a wall and a barrier
        b.stop(i, "/", line)
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
        b.flag(i, flags | LineFlag.UNREAD)
        frame = _frame_code(words)
        if frame is None:
            b.barrier(i, line, words.barrier)
        else:
            b.frame(i, line, words.barrier, frame, words.values)
        return
    _execute(b, i, words)


def _collect(b: Builder, i: int, scanned: tuple[tuple[str, str, int], ...]) -> _Words | None:
    w = _Words()
    before = len(b.issues)
    for letter, text, col in scanned:
        if letter in "GM":
            number = float(text)
            if number != int(number):
                harmless = letter == "G" and f"{number:g}" in b.profile.harmless_g_decimal
                if not harmless:
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


def _frame_code(w: _Words) -> int | None:
    """The frame code of a line that holds nothing else (then the position is followed)."""
    gs = {g for g, _ in w.g}
    frames = gs & FRAME_CODES.keys()
    if len(frames) == 1 and gs - frames <= {90} and set(w.values) <= set("NXYZIJKRP") and not w.m:
        return frames.pop()
    return None


def _barrier_reason(b: Builder, w: _Words) -> str:
    gs = {g for g, _ in w.g}
    for g in gs & FRAME_CODES.keys():
        return f"frame: {FRAME_CODES[g]}"
    for g in gs:
        if g not in KNOWN_G and not b.profile.harmless(g):
            return f"G{g} is not interpreted"
        if 54 <= g <= 59 and g != b.s.wcs:
            return "work offset change"
    for m in w.m:
        if m in (98, 99):
            return "subprogram call"
        if m not in KNOWN_M and m not in b.profile.harmless_m:
            return f"M{m} is not interpreted"
    if "E" in w.values and 187 not in gs:  # E: Haas G187's accuracy, else an axis or macro
        return "unknown address E"
    if "O" in w.values and len(b.rows):
        return "program number inside the program"
    if len([g for g, _ in w.g if g <= 3 or g in CYCLES]) > 1:
        return "two motion G-codes in one block"
    return ""


def _execute(b: Builder, i: int, w: _Words) -> None:
    v, s = w.values, b.s
    if "F" in v:
        s.set_feed_word(v["F"][0])
    if "S" in v:
        s.set_spindle_rpm(float(v["S"][0]))
    if "T" in v:
        s.select_tool(int(float(v["T"][0])))
    gs = {g for g, _ in w.g}
    motion_g = s.apply_g(gs)
    _m_codes(b, i, w.m)
    letters = set(v)
    if 4 in gs:
        b.add_dwell(_dwell_s(b, i, v, "G4"))
        b.verbatim(i)
    elif gs & {28, 53}:
        b.machine_move(i, [axis for axis in "XYZ" if axis in v])
    elif s.cycle and (motion_g in CYCLES or motion_g is None) and letters & set("XYZR"):
        pure = letters <= HOLE_LETTERS and gs <= HOLE_G and not w.m
        _cycle_line(b, i, w, pure, new=motion_g is not None)
    elif letters & set("XYZ"):
        _move(b, i, w, gs)
    elif letters <= {"N", "F"} and gs <= RESTATED_G and not w.m:
        b.neutral(i)
    else:
        b.verbatim(i)


def _dwell_s(b: Builder, i: int, v: dict[str, tuple[str, int]], code: str) -> float:
    """A dwell's P in the profile's unit (``ncopt.controllers``); G4's X in seconds."""
    if "P" in v:
        text = v["P"][0]
        if "." in text and b.profile.dwell is DwellUnit.MS and b.first_time(f"dwell {code}"):
            # A Fanuc control refuses a decimal point in P: the program was written for
            # another one (pcb-gcode, LinuxCNC, Mach3 count seconds).
            b.warn(
                i,
                f"{code} P{text}: read as {float(text):g} ms, as a Fanuc control counts; "
                "if the program is for LinuxCNC, Mach3 or grbl, set the machine's controller",
            )
        return b.profile.dwell_s(text, code)
    return float(v["X"][0]) if "X" in v else 0.0


def _m_codes(b: Builder, i: int, ms: list[int]) -> None:
    for m in ms:
        if m == 6:
            b.tool_change(i)
        elif m in (3, 4):
            b.spindle_start(i, m)
        elif m == 5:
            b.s.stop_spindle()
        elif m in (7, 8, 9):
            b.s.set_coolant(m != 9)
        elif m in STOP_M:
            b.stop(i, f"M{m}", b.line_text(i))
        elif m in END_M:
            b.stop(i, f"M{m}", b.line_text(i))
            b.s.end_program()


def _move(b: Builder, i: int, w: _Words, gs: set[int]) -> None:
    v, s = w.values, b.s
    x, y, z = s.target(v)
    letters = set(v)
    # A line that switches cutter compensation is a move of the cut block it is in; outside
    # one it is a set-up line (the compensated stretch is never split or re-entered).
    comp = bool(gs & COMP_G)
    if s.motion <= 1:
        plain = letters <= MOVE_LETTERS and gs <= {0, 1} | COMP_G and not w.m
        if plain and (b.block_open or not comp):
            b.move_line(i, x, y, z)
        else:
            b.verbatim_move(i, s.motion, x, y, z)
        return
    arc = _arc_row(b, i, w, (x, y, z))
    if arc is None:
        return
    plain = letters <= ARC_LETTERS | {"D"} and gs <= {2, 3} | COMP_G and not w.m
    if plain and (b.block_open or not comp):
        b.move_line(i, x, y, z, arc=arc)
    else:
        b.verbatim_move(i, 2, x, y, z, arc)


def _arc_row(b: Builder, i: int, w: _Words, end: tuple[float, float, float]) -> int | None:
    v, s = w.values, b.s
    col = next((c for g, c in w.g if g in (2, 3)), 1)
    if not ({"I", "J", "K", "R"} & set(v)):
        b.issue(i, col, f"G{s.motion}", f"G{s.motion} needs I/J/K or R")
        return None
    offsets = tuple(s.coordinate(v[k][0]) if k in v else 0.0 for k in "IJK")
    radius = s.coordinate(v["R"][0]) if "R" in v else None
    if not s.known():
        # A real control knows where it is (after a subprogram, G28 …); the engine does
        # not, so the arc cannot be timed: it counts 0 s, with a warning at its line.
        b.warn(i, f"G{s.motion} from a position the program does not state: not timed")
        return b.add_arc(UNKNOWN_ARC)
    try:
        geo = arc_geometry(s.xyz, end, s.plane, s.motion == 2, offsets, radius)  # type: ignore[arg-type]
    except ArcError as exc:
        b.issue(i, col, f"G{s.motion}", str(exc))
        return None
    return b.add_arc(geo.row())


def _cycle_line(b: Builder, i: int, w: _Words, pure: bool, new: bool) -> None:
    v, s = w.values, b.s
    for letter in "ZRQ":
        if letter in v:
            s.set_cycle_word(letter, s.coordinate(v[letter][0]))
    if "P" in v:
        s.set_cycle_word("P", _dwell_s(b, i, v, f"G{s.cycle}"))
    data = s.cycle_words
    if "Z" not in data:
        b.issue(i, v.get("X", ("", 1))[1], f"G{s.cycle}", "canned cycle without a Z depth")
        return
    # No R: Fanuc drills from the initial level. Incremental R counts from the initial level.
    r_abs = data.get("R", 0.0) + s.initial_z if "R" not in data or not s.absolute else data["R"]
    z_abs = data["Z"] if s.absolute else r_abs + data["Z"]
    repeats = _repeats(b, i, v)
    if repeats is None:
        return
    if repeats == 0:
        # Fanuc: K0 stores the cycle's data without drilling; whether the axes still move
        # differs between controls, so the line stays where it is and nothing crosses it.
        b.barrier(i, b.line_text(i), "repeat count 0: cycle data stored without drilling")
        return
    params = HoleParams(
        cycle=s.cycle,
        z_mm=z_abs,
        r_mm=r_abs,
        return_z_mm=r_abs if s.return_mode == 99 else s.initial_z,
        return_mode=s.return_mode,
        q_mm=abs(data.get("Q", 0.0)),
        dwell_s=data.get("P", 0.0),
        feed_mm_min=s.feed,
        repeats=repeats if s.absolute else 1,
        spindle_rpm=s.spindle_rpm,
        tool=s.tool,
        coolant=s.coolant,
    )
    b.cycle_holes(i, params, _hole_positions(b, w, repeats), pure, new)


def _repeats(b: Builder, i: int, v: dict[str, tuple[str, int]]) -> int | None:
    """The line's repeat count, K or L (not modal: only this line repeats), 1 without one."""
    if "K" in v and "L" in v:
        b.issue(i, v["L"][1], "L" + v["L"][0], "repeat count given twice (K and L)")
        return None
    text, col = v.get("K", v.get("L", ("1", 0)))
    count = float(text)
    if count != int(count) or not 0 <= count <= 9999:
        letter = "K" if "K" in v else "L"
        b.issue(i, col, letter + text, "repeat count must be a whole number from 0 to 9999")
        return None
    return int(count)


def _hole_positions(b: Builder, w: _Words, repeats: int) -> list[tuple[float, float]]:
    """Where the line drills: in G90 once (``repeats`` times at that place); in G91
    ``repeats`` times, each a further increment (Fanuc, canned cycles: repetition)."""
    s, v = b.s, w.values
    if s.absolute:
        x, y, _ = s.target(v)
        return [(x, y)]
    count = repeats
    dx, dy = (s.coordinate(v[axis][0]) if axis in v else 0.0 for axis in "XY")
    x, y = s.x, s.y
    out = []
    for _ in range(count):
        x, y = x + dx, y + dy
        out.append((x, y))
    return out
