"""NC program builders for the engine tests (imported as ``tests.engine.programs``)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from ncopt.footprint import block_box, boxes_overlap, margin_mm, points_in_box
from ncopt.program import HoleSet, Step

HEADER = "%\nO1234 (TEST)\nG90 G54 G17 G21\nG40 G49 G80\n"
FOOTER = "M5\nM9\nG91 G28 Z0.\nG90\nM30\n%\n"


def num(value: float) -> str:
    """A coordinate as CAM output writes it: decimal point, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0")
    return "0." if text in ("-0.", "0.") else text


def drill_tool(
    tool: int,
    xy: Sequence[tuple[float, float]],
    cycle: str = "G81",
    extra: str = "Z-5. R2. F300.",
    clearance: float = 25.0,
) -> str:
    """A tool segment drilling ``xy`` with one canned cycle (modal hole lines)."""
    x0, y0 = xy[0]
    lines = [
        f"(T{tool} DRILL)",
        f"T{tool} M6",
        "S2000 M3",
        f"G0 G90 G54 X{num(x0)} Y{num(y0)}",
        f"G43 H{tool} Z{num(clearance)} M8",
        f"G99 {cycle} X{num(x0)} Y{num(y0)} {extra}",
    ]
    lines += [f"X{num(x)} Y{num(y)}" for x, y in xy[1:]]
    lines += ["G80", f"G0 Z{num(clearance)}", "M9"]
    return "\n".join(lines) + "\n"


def pocket(x: float, y: float, size: float = 10.0, depth: float = 3.0) -> str:
    """One cut block: travel at clearance, plunge, a square with a corner arc, retract."""
    s = size
    return (
        "\n".join(
            [
                f"(POCKET AT X{num(x)} Y{num(y)})",
                f"G0 X{num(x)} Y{num(y)}",
                "Z2.",
                f"G1 Z-{num(depth)} F150.",
                f"G1 X{num(x + s)} F600.",
                f"Y{num(y + s)}",
                f"G3 X{num(x + s - 2)} Y{num(y + s + 2)} I-2. J0.",
                f"G1 X{num(x)}",
                f"Y{num(y)}",
                "G0 Z25.",
            ]
        )
        + "\n"
    )


def mill_tool(tool: int, corners: Sequence[tuple[float, float]]) -> str:
    """A tool segment cutting one pocket per corner."""
    x0, y0 = corners[0]
    head = f"T{tool} M6\nS3000 M3\nG0 G90 G54 X{num(x0)} Y{num(y0)}\nG43 H{tool} Z25. M8\n"
    return head + "".join(pocket(x, y) for x, y in corners) + "M9\n"


def program(holes: Sequence[tuple[float, float]], corners: Sequence[tuple[float, float]]) -> str:
    """Header, a drilling tool (if holes), a milling tool (if corners), footer."""
    body = ""
    if holes:
        body += drill_tool(1, holes)
    if corners:
        body += mill_tool(2, corners)
    return HEADER + body + FOOTER


def one_tool(tool: int, parts: Sequence[tuple[str, object]]) -> str:
    """One tool segment mixing hole sets and pockets: ``("holes", [(x, y), ...])`` drills with
    G81, ``("pocket", (x, y))`` cuts ``pocket(x, y)``; all in one group."""
    lines = [f"T{tool} M6", "S2000 M3", "G0 G90 G54 X0. Y0.", f"G43 H{tool} Z25. M8"]
    for kind, what in parts:
        if kind == "holes":
            (x0, y0), *rest = what
            lines.append(f"G99 G81 X{num(x0)} Y{num(y0)} Z-5. R2. F300.")
            lines += [f"X{num(x)} Y{num(y)}" for x, y in rest]
            lines.append("G80 G0 Z25.")
        else:
            lines.append(pocket(*what).rstrip("\n"))
    return HEADER + "\n".join(lines) + "\nM9\n" + FOOTER


def touch(p, a, b) -> bool:
    """Operations ``a`` and ``b`` work the same material (``ncopt.footprint``'s rules, written
    out plainly: the brute force the fast versions are checked against)."""
    margin = margin_mm(p)
    if isinstance(a, HoleSet) and isinstance(b, HoleSet):
        return bool(
            set(map(tuple, a.xy.round(4).tolist())) & set(map(tuple, b.xy.round(4).tolist()))
        )
    if isinstance(a, HoleSet):
        a, b = b, a
    box = block_box(p, a, margin)
    if isinstance(b, HoleSet):
        return bool(points_in_box(b.xy, box).any())
    return boxes_overlap(box, block_box(p, b, margin))


def shuffled_plan(p, rng) -> dict[int, list[Step]]:
    """A random reordering of every group that keeps work on the same material in order."""
    plan = {}
    for g in p.groups:
        if not g.movable:
            continue
        before = {i: {j for j in g.ops if j < i and touch(p, p.ops[i], p.ops[j])} for i in g.ops}
        ops: list[int] = []
        while len(ops) < len(g.ops):
            ready = [i for i in g.ops if i not in ops and before[i] <= set(ops)]
            ops.append(ready[int(rng.integers(len(ready)))])
        steps = []
        for i in ops:
            op = p.ops[i]
            holes = tuple(rng.permutation(len(op.xy)).tolist()) if isinstance(op, HoleSet) else None
            steps.append(Step(i, holes))
        plan[g.index] = steps
    return plan


COORDS = st.tuples(
    st.integers(-20000, 20000).map(lambda v: v / 100), st.integers(0, 30000).map(lambda v: v / 100)
)


CYCLES = st.sampled_from(
    [
        ("G81", "Z-5. R2. F300."),
        ("G83", "Z-20. R1. Q3. F200."),
        ("G82", "Z-2. R2. P300 F250."),
        ("G84", "Z-10. R5. F125."),
    ]
)


@st.composite
def mixed_programs(draw):
    """Several tools (drilling with any cycle, G98 or G99, or milling), subprogram barriers
    between them, metric or inch."""
    body = ""
    for tool in range(1, draw(st.integers(1, 4)) + 1):
        if draw(st.booleans()):
            cycle, words = draw(CYCLES)
            holes = draw(st.lists(COORDS, min_size=1, max_size=12, unique=True))
            segment = drill_tool(tool, holes, cycle, words)
            body += segment.replace("G99 ", "G98 ") if draw(st.booleans()) else segment
        else:
            body += mill_tool(tool, draw(st.lists(COORDS, min_size=1, max_size=4, unique=True)))
        if draw(st.booleans()):
            body += "M98 P1000\n"
    text = HEADER + body + FOOTER
    return text.replace("G21", "G20") if draw(st.booleans()) else text
