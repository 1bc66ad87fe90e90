"""G-code building blocks for scripts/make_demo_data.py: conservative Fanuc, decimal points.

>>> num(10), num(2.5), num(-0.0001)
('10.', '2.5', '0.')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Point = tuple[float, float]


def num(value: float) -> str:
    """A Fanuc coordinate with a decimal point: 10 → '10.', 2.5 → '2.5', -0.0001 → '0.'."""
    text = f"{value:.3f}".rstrip("0")
    return "0." if text in ("-0.", "0.") else text


@dataclass(frozen=True)
class Cutter:
    number: int
    name: str
    type: str
    diameter_mm: float
    rpm: int
    flutes: int | None = None
    corner_radius_mm: float | None = None
    pitch_mm: float | None = None
    notes: str = ""


class Program:
    """Accumulates the lines of one program."""

    def __init__(self, number: int, title: str, notes: Sequence[str]) -> None:
        self.lines = ["%", f"O{number} ({title})", *(f"({n})" for n in notes)]
        self.lines += ["G90 G54 G17 G21", "G40 G49 G80"]

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def tool(self, t: Cutter, first_xy: Point, clearance_z: float, comment: str) -> None:
        self.add(
            f"({comment})",
            f"T{t.number} M6",
            f"S{t.rpm} M3",
            f"G0 G90 G54 X{num(first_xy[0])} Y{num(first_xy[1])}",
            f"G43 H{t.number} Z{num(clearance_z)} M8",
        )

    def end_tool(self) -> None:
        self.add("G80", "M5", "M9", "G91 G28 Z0.", "G90")

    def holes(self, cycle: str, points: Sequence[Point]) -> None:
        """The cycle block at the first hole, then one modal ``X.. Y..`` line per hole."""
        words = cycle.split()
        codes = " ".join(w for w in words if w.startswith("G"))
        params = " ".join(w for w in words if not w.startswith("G"))
        x, y = points[0]
        self.add(f"{codes} X{num(x)} Y{num(y)} {params}")
        self.add(*(f"X{num(x)} Y{num(y)}" for x, y in points[1:]))

    def text(self) -> str:
        return "\n".join([*self.lines, "M30", "%"]) + "\n"


def drill_program(
    number: int, title: str, notes: Sequence[str], ops: Iterable[tuple[Cutter, str, list[Point]]]
) -> str:
    """A drilling-only program: per operation a tool change and one canned cycle."""
    program = Program(number, title, notes)
    for cutter, cycle, points in ops:
        comment = f"T{cutter.number} {cutter.name} - {len(points)} HOLES"
        program.tool(cutter, points[0], 10.0, comment)
        program.holes(cycle, points)
        program.end_tool()
    return program.text()


CLEAR_Z = 25.0


def pocket(cx: float, cy: float, w: float, h: float, depth: float, tool_r: float) -> list[str]:
    """A rectangular pocket (corner radius 10) in 4 mm steps: plunge at the centre, one CCW
    (climb) lap along the walls, then across the middle to clear what the lap leaves."""
    a, b, r = w / 2 - tool_r, h / 2 - tool_r, 10.0 - tool_r
    lines = [f"(POCKET {num(w)} X {num(h)} X {num(depth)} DP AT X{num(cx)} Y{num(cy)})"]
    lines += [f"G0 X{num(cx)} Y{num(cy)}", "Z2."]
    z = 0.0
    while z > -depth + 1e-9:
        z = max(z - 4.0, -depth)
        lines += [
            f"G1 Z{num(z)} F150.",
            f"G1 X{num(cx + a)} F600.",
            f"G1 Y{num(cy + b - r)}",
            f"G3 X{num(cx + a - r)} Y{num(cy + b)} I{num(-r)} J0.",
            f"G1 X{num(cx - a + r)}",
            f"G3 X{num(cx - a)} Y{num(cy + b - r)} I0. J{num(-r)}",
            f"G1 Y{num(cy - b + r)}",
            f"G3 X{num(cx - a + r)} Y{num(cy - b)} I{num(r)} J0.",
            f"G1 X{num(cx + a - r)}",
            f"G3 X{num(cx + a)} Y{num(cy - b + r)} I0. J{num(r)}",
            f"G1 Y{num(cy)}",
            f"G1 X{num(cx - a)}",
            f"G1 X{num(cx)}",
        ]
    return [*lines, f"G0 Z{num(CLEAR_Z)}"]


def profile(w: float, h: float, depth: float, tool_r: float) -> list[str]:
    """The outside of a w x h block centred on X0 Y0, CW (climb), corner radius 6."""
    a, b, r = w / 2 + tool_r, h / 2 + tool_r, 6.0 + tool_r
    lines = [f"(OUTSIDE PROFILE {num(w)} X {num(h)} X {num(depth)} DP)"]
    lines += [f"G0 X{num(-a - 10.0)} Y0.", "Z2."]
    for z in (-depth / 2, -depth):
        lines += [
            f"G1 Z{num(z)} F300.",
            f"G1 X{num(-a)} F800.",
            f"G1 Y{num(b - r)}",
            f"G2 X{num(-a + r)} Y{num(b)} I{num(r)} J0.",
            f"G1 X{num(a - r)}",
            f"G2 X{num(a)} Y{num(b - r)} I0. J{num(-r)}",
            f"G1 Y{num(-b + r)}",
            f"G2 X{num(a - r)} Y{num(-b)} I{num(-r)} J0.",
            f"G1 X{num(-a + r)}",
            f"G2 X{num(-a)} Y{num(-b + r)} I0. J{num(r)}",
            "G1 Y0.",
            f"G1 X{num(-a - 10.0)}",
        ]
    return [*lines, f"G0 Z{num(CLEAR_Z)}"]


def facing(x_half: float, y_half: float, step: float, z: float) -> list[str]:
    """Zig-zag face passes in X with the 63 mm cutter, starting off the part."""
    lines = [f"(FACE Z{num(z)})", f"G0 X{num(-x_half - 40.0)} Y{num(-y_half + 15.0)}", "Z2."]
    lines.append(f"G1 Z{num(z)} F300.")
    y, going_right = -y_half + 15.0, True
    while True:
        x = x_half + 40.0 if going_right else -x_half - 40.0
        lines.append(f"G1 X{num(x)} F650.")
        if y >= y_half - 15.0:
            break
        y = min(y + step, y_half - 15.0)
        lines.append(f"G1 Y{num(y)}")
        going_right = not going_right
    return [*lines, f"G0 Z{num(CLEAR_Z)}"]


def bolt_circle(cx: float, cy: float, radius: float, count: int, start_deg: float) -> list[Point]:
    step = 2 * math.pi / count
    angles = (math.radians(start_deg) + i * step for i in range(count))
    return [
        (round(cx + radius * math.cos(a), 3), round(cy + radius * math.sin(a), 3)) for a in angles
    ]
