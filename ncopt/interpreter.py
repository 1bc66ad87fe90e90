"""The modal interpreter: NC text in, :class:`~ncopt.program.Program` out.

Speed matters (a million-line program in a few seconds), so the text is split once and each
line first tries one regular expression for the lines that dominate real programs: bare
coordinates (``X12.5 Y3.``, a modal hole or a move) with an optional G0/G1 and F. Only the
rest goes through the tokenizer in ``ncopt.gcode`` and ``ncopt.execute``. Rows are kept in
``array`` columns (no Python object per line) and become numpy arrays at the end.

>>> text = "T1 M6\\nS1000 M3\\nG0 X0 Y0 Z10.\\nG99 G81 X5. Y5. Z-3. R2. F100.\\nX10.\\nG80\\n"
>>> p = parse_program(text)
>>> p.hole_count, [type(op).__name__ for op in p.ops], p.ops[0].xy.tolist()
(2, ['HoleSet'], [[5.0, 5.0], [10.0, 5.0]])
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from ncopt.errors import GCodeError
from ncopt.execute import execute_line
from ncopt.gcode import FAST_LINE_FLAGS, MAX_ISSUES, LineFlag, decode_program
from ncopt.geometry import ArcError, arc_geometry
from ncopt.machine import Machine
from ncopt.program import Program
from ncopt.structure import Builder

__all__ = ["parse_program"]

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+))"
# Bare coordinates with an optional G0/G1 and F, in the order CAM systems write them.
_FAST = re.compile(
    rf"(?:N\d+ *)?(?:G(0?[01]) *)?(?:X{_NUM} *)?(?:Y{_NUM} *)?(?:Z{_NUM} *)?(?:F{_NUM} *)?\r?"
)
# A G17 arc by centre as CAM systems write it (no K, no R): the commonest slow line.
_ARC = re.compile(
    rf"(?:N\d+ *)?G0?([23]) *X{_NUM} *Y{_NUM} *(?:Z{_NUM} *)?I{_NUM} *J{_NUM} *(?:F{_NUM} *)?\r?"
)
_FAST_G_FLAGS = LineFlag.MOTION_WORD | LineFlag.RAPID_OR_FEED | LineFlag.MOTION_GROUP
_ARC_FLAGS = FAST_LINE_FLAGS | LineFlag.MOTION_WORD | LineFlag.MOTION_GROUP | LineFlag.XY_WORDS
# Below this a run is cheaper line by line than in bulk.
_MIN_RUN = 8
Runs = dict[int, tuple[int, int, int]]


def _table(chars: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table


_ALLOWED = _table("NXYZ0123456789.-+ \r\n")
_DIGIT = _table("0123456789")
_FIRST = _table("NXYZ")
_SEQUENCE = re.compile(r"(?m)^N\d+ *")
_NUMBER = _table("0123456789.-+")
_LETTER = _table("XYZ")
_AFTER_SPACE = _table(" XYZ\r\n")


def parse_program(text: str | bytes, machine: Machine | None = None, name: str = "") -> Program:
    """Parse an NC program; every problem found raises one ``GCodeError`` listing them all.

    ``machine`` supplies the decimal-point convention (``X10`` = 10 mm or 0.010 mm).
    """
    machine = machine or Machine()
    text = decode_program(text, name)
    lines = text.split("\n")
    line_starts = _line_starts(lines)
    builder = Builder(text, line_starts, machine)
    runs, axes = _runs(text, line_starts)
    _run(builder, lines, runs, axes)
    if builder.issues:
        raise GCodeError(builder.issues[:MAX_ISSUES], name)
    return builder.finish()


def _line_starts(lines: list[str]) -> np.ndarray:
    """Offsets of each line in the text, and the text's length at the end (n + 1)."""
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + 1
    lengths[-1] -= 1  # the last piece has no newline after it
    starts = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return starts


def _runs(text: str, line_starts: np.ndarray) -> tuple[Runs, np.ndarray]:
    """Runs of bare-coordinate lines ``[N<n>] [X<num>] [Y<num>] [Z<num>]``: ``{first line:
    (end line, text start, text end)}``, and per line which of X, Y, Z it holds (n, 3).

    Found with numpy over the character codes of the whole text (no Python work per line);
    their numbers are then converted in bulk (``_columns``). This is what makes big drilling
    programs fast. A line qualifies only if every character is allowed and each X/Y is
    followed by a number, each sign follows X/Y and each space precedes a letter or the end.
    """
    n = len(line_starts) - 1
    if n < _MIN_RUN or not text:
        return {}, np.zeros((n, 3), dtype=np.int8)
    codes = _codes(text)
    pos = {c: np.flatnonzero(codes == c) for c in b"XYZN +-"}
    # Each check looks at the few positions of one character, not at the whole text again.
    bad = [
        np.flatnonzero(~_ALLOWED[codes]),
        *(p[~_NUMBER[_at(codes, p + 1)]] for p in (pos[88], pos[89], pos[90])),
        pos[32][~_AFTER_SPACE[_at(codes, pos[32] + 1)]],
        *(p[~_LETTER[_at(codes, p - 1)]] for p in (pos[43], pos[45])),
        # N (a sequence number) only at the start of the line, followed by digits
        pos[78][(_at(codes, pos[78] - 1) != 10) | ~_DIGIT[_at(codes, pos[78] + 1)]],
    ]
    starts, ends = line_starts[:-1], line_starts[1:]
    simple = _per_line(np.sort(np.concatenate(bad)), starts, ends) == 0
    simple &= _FIRST[codes[np.minimum(starts, len(codes) - 1)]]
    simple &= (ends > starts) & (codes[np.maximum(ends - 1, 0)] == 10)
    # X, Y, Z at most once each, at least one of them, in that order.
    axes = np.column_stack([_per_line(pos[c], starts, ends) for c in (88, 89, 90)])
    simple &= (axes <= 1).all(axis=1) & (axes.sum(axis=1) >= 1)
    has = axes.astype(bool)
    px, py, pz = (_first_at(pos[c], starts) for c in (88, 89, 90))
    simple &= ~(has[:, 0] & has[:, 1]) | (px < py)
    simple &= ~(has[:, 1] & has[:, 2]) | (py < pz)
    simple &= ~(has[:, 0] & has[:, 2]) | (px < pz)
    return _stretches(simple.astype(np.int8), line_starts), axes.astype(np.int8)


def _at(codes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Character codes at ``positions`` (a newline past either end)."""
    inside = (positions >= 0) & (positions < len(codes))
    return np.where(inside, codes[np.clip(positions, 0, len(codes) - 1)], 10)


def _first_at(positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The first of ``positions`` at or after each line start (only meaningful where the line
    holds one)."""
    if not len(positions):
        return np.zeros(len(starts), dtype=np.int64)
    index = np.minimum(np.searchsorted(positions, starts), len(positions) - 1)
    return positions[index]


def _codes(text: str) -> np.ndarray:
    """Character codes, clipped to 0..255 (anything beyond ASCII is simply not allowed)."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    wide = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return np.minimum(wide, 255).astype(np.uint8)


def _per_line(positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of the sorted character ``positions`` fall in each line."""
    return np.searchsorted(positions, ends) - np.searchsorted(positions, starts)


def _stretches(kind: np.ndarray, line_starts: np.ndarray) -> Runs:
    """Maximal stretches of lines of one non-zero ``kind``."""
    change = np.flatnonzero(np.diff(np.concatenate(([0], kind, [0]))))
    out: dict[int, tuple[int, int, int]] = {}
    for first, end in zip(change[:-1].tolist(), change[1:].tolist(), strict=True):
        if kind[first] and end - first >= _MIN_RUN:
            out[first] = (end, int(line_starts[first]), int(line_starts[end]))
    return out


def _run(b: Builder, lines: list[str], runs: Runs, axes: np.ndarray) -> None:
    """The line loop: runs go to ``_bulk``; single lines try the fast regex, else the full
    tokenizer and interpreter (``ncopt.execute``)."""
    n = len(lines)
    i = 0
    while i < n:
        run = runs.get(i)
        if run is not None:
            i = _bulk(b, lines, i, run, axes)
            continue
        _one(b, i, lines[i])
        i += 1
        if len(b.issues) >= MAX_ISSUES or b.s.ended:
            if i < n:
                b.verbatim(i)  # after M30 (or too many errors) nothing more is executed
            return


def _one(b: Builder, i: int, line: str) -> None:
    s = b.s
    m = _FAST.fullmatch(line) if s.fast_ok else None
    if m is None:
        if not (s.fast_ok and _arc(b, i, line)):
            execute_line(b, i, line)
        return
    g, xs, ys, zs, fs = m.groups()
    if xs is None and ys is None and zs is None:
        execute_line(b, i, line)
        return
    if s.cycle and (g is not None or zs is not None or fs is not None or not b.plain_holes):
        execute_line(b, i, line)
        return
    b.flag(i, _fast_flags(g, xs, ys))
    x = s.x if xs is None else s.fast_value(xs)
    y = s.y if ys is None else s.fast_value(ys)
    if s.cycle:
        b.add_hole(i, x, y)
        return
    if g is None and s.motion > 1:
        execute_line(b, i, line)
        return
    b.line_start(i)
    z = s.z if zs is None else s.fast_value(zs)
    if g is not None:
        s.set_motion(int(g))
    if fs is not None:
        s.set_feed(float(fs))
    if b.block_open and z < b.group_clear:
        b.body_move(i, x, y, z)
        return
    b.move_line(i, x, y, z)


def _fast_flags(g: str | None, xs: str | None, ys: str | None) -> int:
    flags = FAST_LINE_FLAGS
    if xs is not None and ys is not None:
        flags |= LineFlag.XY_WORDS
    elif xs is None and ys is None:
        flags |= LineFlag.Z_ONLY
    if g is not None:
        flags |= _FAST_G_FLAGS | (LineFlag.G0_WORD if int(g) == 0 else 0)
    return flags


def _arc(b: Builder, i: int, line: str) -> bool:
    """A plain G17 arc line without the tokenizer; False to let the slow path handle it (and
    report its errors)."""
    s = b.s
    m = _ARC.fullmatch(line)
    if m is None or s.cycle or s.plane != 17 or not s.known():
        return False
    b.line_start(i)
    g, xs, ys, zs, is_, js, fs = m.groups()
    v = s.fast_value
    end = (v(xs), v(ys), s.z if zs is None else v(zs))
    try:
        geo = arc_geometry(s.xyz, end, 17, g == "2", (v(is_), v(js), 0.0), None)
    except ArcError:
        return False
    s.set_motion(int(g))
    if fs is not None:
        s.set_feed(float(fs))
    b.flag(i, _ARC_FLAGS)
    b.move_line(i, *end, arc=b.add_arc(geo.row()))
    return True


def _bulk(b: Builder, lines: list[str], first: int, run: tuple[int, int, int], run_axes) -> int:
    """A run of bare-coordinate lines. The first goes through ``_one`` (it may open an
    operation); when the rest are then all alike (holes of the open set, or moves keeping the
    role the first one got) they are appended in bulk, else line by line."""
    end, _start, e = run
    _one(b, first, lines[first])
    axes = run_axes[first + 1 : end]
    cols = _columns(b, b.text[b.line_starts[first + 1] : e], axes)
    s = b.s
    if cols is not None and s.fast_ok and not b.issues:
        xs, ys, zs = cols
        any_z = bool(axes[:, 2].any())
        if s.cycle and b.plain_holes and not any_z:
            b.flag_lines(first + 1, end, _bulk_flags(axes))
            b.add_holes(first + 1, xs, ys)
            return end
        if not s.cycle and s.motion <= 1 and _steady_move(b, zs if any_z else None):
            b.flag_lines(first + 1, end, _bulk_flags(axes))
            b.add_moves(first + 1, xs, ys, zs if any_z else None)
            return end
    for i in range(first + 1, end):
        _one(b, i, lines[i])
    return end


def _bulk_flags(axes: np.ndarray) -> np.ndarray:
    """Flags of bare-coordinate lines from which of X, Y, Z each holds."""
    xy = (axes[:, 0] > 0) & (axes[:, 1] > 0)
    z_only = (axes[:, 0] == 0) & (axes[:, 1] == 0)
    flags = np.full(len(axes), int(FAST_LINE_FLAGS), dtype=np.uint32)
    flags[xy] |= np.uint32(LineFlag.XY_WORDS)
    flags[z_only] |= np.uint32(LineFlag.Z_ONLY)
    return flags


def _steady_move(b: Builder, zs: np.ndarray | None) -> bool:
    """Moves keep the role the first line of the run gave them: body moves that stay below
    the clearance plane (none can be a retract), or travel at one Z."""
    if b.block_open:
        return bool((zs < b.group_clear).all()) if zs is not None else b.s.z < b.group_clear
    return zs is None and b.s.motion == 0 and b.prefix_line >= 0 and not b.holes_open


def _columns(
    b: Builder, text: str, axes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """X, Y, Z after each of the lines (``axes``: which words each holds, checked by
    ``_runs``); a missing word keeps the last value (modal). None when the numbers cannot be
    read in bulk: then the lines go one by one and report their own errors."""
    if "N" in text:
        text = _SEQUENCE.sub("", text)
    total = int(axes.sum())
    if not len(axes) or (b.s.increment and text.count(".") != total):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a malformed number shows as a wrong count below
        flat = text.replace("X", " ").replace("Y", " ").replace("Z", " ")
        values = np.fromstring(flat, sep=" ")
    if values.shape != (total,):
        return None
    index = (
        np.cumsum(axes, axis=1) - axes + (np.cumsum(axes.sum(axis=1)) - axes.sum(axis=1))[:, None]
    )
    out = []
    for axis, start in enumerate(b.s.xyz):
        have = axes[:, axis].astype(bool)
        col = np.where(have, values[np.minimum(index[:, axis], total - 1)], np.nan)
        out.append(col if have.all() else _forward_fill(col, have, start))
    return out[0], out[1], out[2]


def _forward_fill(col: np.ndarray, have: np.ndarray, start: float) -> np.ndarray:
    """Modal coordinates: where a line has no word, the value of the line before."""
    last = np.where(have, np.arange(1, len(col) + 1), 0)
    np.maximum.accumulate(last, out=last)
    return np.concatenate(([start], col))[last]
