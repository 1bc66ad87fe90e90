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

from ncopt.errors import GCodeError
from ncopt.gcode import MAX_ISSUES, decode_program
from ncopt.machine import DecimalPointMode, Machine
from ncopt.program import Program
from ncopt.structure import Builder

__all__ = ["parse_program"]

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+))"
# Bare coordinates with an optional G0/G1 and F, in the order CAM systems write them.
_FAST = re.compile(
    rf"(?:N\d+ *)?(?:G(0?[01]) *)?(?:X{_NUM} *)?(?:Y{_NUM} *)?(?:Z{_NUM} *)?(?:F{_NUM} *)?\r?"
)


def parse_program(text: str | bytes, machine: Machine | None = None, name: str = "") -> Program:
    """Parse an NC program; every problem found raises one ``GCodeError`` listing them all.

    ``machine`` supplies the decimal-point convention (``X10`` = 10 mm or 0.010 mm).
    """
    machine = machine or Machine()
    text = decode_program(text, name)
    lines = text.split("\n")
    builder = Builder(text, lines, machine)
    _run(builder, lines, machine)
    if builder.issues:
        raise GCodeError(builder.issues[:MAX_ISSUES], name)
    return builder.finish()


def _run(b: Builder, lines: list[str], machine: Machine) -> None:
    """The line loop. The fast path handles modal holes and plain moves inline; everything
    else (and every case the fast path is not sure of) goes to ``Builder.line``."""
    fast = _FAST.fullmatch
    increment = machine.decimal_point_mode is DecimalPointMode.INCREMENT
    hole = b.rows.hole
    for i, line in enumerate(lines):
        m = fast(line) if b.fast_ok else None
        if m is None:
            b.line(i, line)
            if len(b.issues) >= MAX_ISSUES or b.ended:
                _rest_verbatim(b, i + 1, len(lines))
                return
            continue
        g, xs, ys, zs, fs = m.groups()
        if xs is None and ys is None and zs is None:
            b.line(i, line)
            continue
        x = b.x if xs is None else (_inc(xs) if increment else float(xs))
        y = b.y if ys is None else (_inc(ys) if increment else float(ys))
        if b.cycle:
            if g is None and zs is None and fs is None and b.holes_open:
                hole(i, x, y, b.return_z, b.param_id)
                b.hx.append(x)
                b.hy.append(y)
                b.hl.append(i)
                b.x, b.y, b.z = x, y, b.return_z
            else:
                b.line(i, line)
            continue
        if g is None and b.motion > 1:
            b.line(i, line)
            continue
        z = b.z if zs is None else (_inc(zs) if increment else float(zs))
        if g is not None:
            b.motion = int(g)
        if fs is not None:
            b.feed = float(fs)
        b.move_line(i, x, y, z)


def _rest_verbatim(b: Builder, first: int, end: int) -> None:
    """After M30 (or too many errors) nothing more is executed; the lines stay as they are."""
    if first < end:
        b.verbatim(first)


def _inc(text: str) -> float:
    """A coordinate in increment mode: without a decimal point it counts 0.001 mm steps."""
    return float(text) if "." in text else int(text) / 1000.0
