"""Generate the demo scenarios in scenarios/ and the blank scenario template.

    python scripts/make_demo_data.py [--out scenarios] [--template ncopt/templates/...]
    python scripts/make_demo_data.py --refresh-points ../shared/bench/tsplib

Deterministic: the same run writes the same .nc bytes and the same sheet contents, and a file
whose content did not change is not rewritten (so a re-run leaves git clean). Hole positions of
the PCB scenarios come from TSPLIB drilling instances (scripts/demo_tsplib_points.txt), in the
instance's file order per tool, the way a CAM export hands them to the machine.

The programs are conservative Fanuc: %, O number, comments in parentheses, G90 G54 G17 G21,
T.. M6, S.. M3, M8, G43 H.. Z.., canned cycles with modal hole lines, G80, G91 G28 Z0., M30.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "scripts"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import pandas as pd  # noqa: E402
from demo_gcode import (  # noqa: E402
    CLEAR_Z,
    Cutter,
    Point,
    Program,
    bolt_circle,
    drill_program,
    facing,
    num,
    pocket,
    profile,
)

from ncopt.errors import ScenarioError  # noqa: E402
from ncopt.scenario import (  # noqa: E402
    TEMPLATE_XLSX,
    SheetName,
    read_sheets,
    template_sheets,
    write_sheets,
)

POINTS_FILE = Path(__file__).resolve().parent / "demo_tsplib_points.txt"


# ------------------------------------------------------------------------------ TSPLIB points


def load_points(path: Path = POINTS_FILE) -> dict[str, list[Point]]:
    points: dict[str, list[Point]] = {}
    current: list[Point] = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("["):
            current = points.setdefault(line.strip("[]"), [])
        else:
            x, y = line.split()
            current.append((float(x), float(y)))
    return points


def refresh_points(tsplib_dir: Path, names: Sequence[str] = ("fl1577", "pcb3038")) -> None:
    lines = [
        "# Node coordinates of two TSPLIB drilling instances (Reinelt, TSPLIB95), in file order,",
        "# copied from ../shared/bench/tsplib so scripts/make_demo_data.py runs in any checkout.",
        "# Regenerate: python scripts/make_demo_data.py --refresh-points ../shared/bench/tsplib",
    ]
    for name in names:
        body = (tsplib_dir / f"{name}.tsp").read_text().split("NODE_COORD_SECTION")[1]
        lines.append(f"[{name}]")
        for row in body.split("EOF")[0].splitlines():
            parts = row.split()
            if len(parts) == 3:
                lines.append(f"{float(parts[1]):g} {float(parts[2]):g}")
    POINTS_FILE.write_text("\n".join(lines) + "\n")


def to_board(points: list[Point], scale: float, margin_mm: float, min_gap_mm: float) -> list[Point]:
    """Scale instance units to mm, lower-left hole at ``margin_mm``; drop near-duplicates.

    A few TSPLIB nodes lie closer than two drills could (vias under pads); a board house
    would merge them, so a hole closer than ``min_gap_mm`` to a kept one is dropped.
    """
    x0 = min(p[0] for p in points)
    y0 = min(p[1] for p in points)
    kept: list[Point] = []
    cells: dict[tuple[int, int], list[Point]] = {}
    for x, y in points:
        p = (round((x - x0) * scale + margin_mm, 3), round((y - y0) * scale + margin_mm, 3))
        cx, cy = int(p[0] // min_gap_mm), int(p[1] // min_gap_mm)
        near = (q for i in (-1, 0, 1) for j in (-1, 0, 1) for q in cells.get((cx + i, cy + j), []))
        if any((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 < min_gap_mm**2 for q in near):
            continue
        kept.append(p)
        cells.setdefault((cx, cy), []).append(p)
    return kept


def size_class(point: Point, cell_mm: float, shares: Sequence[int]) -> int:
    """A hole's drill index from a hash of its neighbourhood, so sizes cluster like components."""
    cx, cy = int(point[0] // cell_mm), int(point[1] // cell_mm)
    bucket = ((cx * 73856093) ^ (cy * 19349663)) % 100
    total = 0
    for index, share in enumerate(shares):
        total += share
        if bucket < total:
            return index
    return len(shares) - 1


# --------------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class DemoScenario:
    department: str
    name: str
    tools: tuple[Cutter, ...]
    programs: dict[str, str]  # file name → NC text
    program_rows: tuple[tuple[str, bool, int, str], ...]
    machine: dict[str, object]
    settings: dict[str, object]


PCB_DRILLS = (
    Cutter(1, "DRILL 0.80 CARBIDE PCB", "drill", 0.8, 12000, 2, notes="vias"),
    Cutter(2, "DRILL 1.00 CARBIDE PCB", "drill", 1.0, 12000, 2, notes="IC and resistor pins"),
    Cutter(3, "DRILL 1.30 CARBIDE PCB", "drill", 1.3, 11000, 2, notes="connector pins"),
    Cutter(4, "DRILL 3.20 CARBIDE", "drill", 3.2, 6000, 2, notes="mounting holes"),
)
# Chip load 0.02-0.03 mm/rev for carbide micro drills in FR4 at the VMC's 12,000 rpm.
PCB_FEEDS = {1: 240.0, 2: 300.0, 3: 330.0, 4: 480.0}


def pcb_ops(holes: list[Point], drills: Sequence[Cutter], mounting: list[Point]) -> list:
    """Per drill size, the holes in file order; the mounting holes last, as CAM posts them."""
    groups: list[list[Point]] = [[] for _ in drills[:-1]]
    for p in holes:
        groups[size_class(p, 12.0, (55, 30, 15))].append(p)
    ops = []
    for cutter, points in zip(drills, [*groups, mounting], strict=True):
        depth = -2.5 if cutter.diameter_mm > 2.0 else -2.2
        cycle = f"G99 G81 Z{num(depth)} R0.5 F{num(PCB_FEEDS[cutter.number])}"
        ops.append((cutter, cycle, points))
    return ops


def pcb_drill(points: dict[str, list[Point]]) -> DemoScenario:
    holes = to_board(points["fl1577"], scale=0.2, margin_mm=15.0, min_gap_mm=0.5)
    mounting = [(6.0, 6.0), (374.0, 6.0), (374.0, 404.0), (6.0, 404.0)]
    notes = (
        "BACKPLANE 380 X 410, FR4 1.6 THK ON 2.0 BACKER BOARD",
        "HOLES FROM EXCELLON FILE, TOOL BY TOOL IN FILE ORDER",
        "G54 = LOWER LEFT CORNER OF BOARD, Z0 = TOP OF BOARD",
    )
    text = drill_program(1001, "PCB BACKPLANE REV C", notes, pcb_ops(holes, PCB_DRILLS, mounting))
    return DemoScenario(
        "demo",
        "pcb-drill",
        PCB_DRILLS,
        {"PCB-BACKPLANE.nc": text},
        (("PCB-BACKPLANE.nc", True, 1200, "backplane, 1 board per cycle"),),
        {},
        {"time_limit_s": 20},
    )


def large_panel(points: dict[str, list[Point]]) -> DemoScenario:
    """Eight copies of one board (pcb3038) step-and-repeated 4 x 2 on a 700 x 470 panel."""
    board = to_board(points["pcb3038"], scale=0.055, margin_mm=4.0, min_gap_mm=0.5)
    width = max(p[0] for p in board) + 4.0
    height = max(p[1] for p in board) + 4.0
    offsets = [
        (12.0 + i * (width + 8.0), 12.0 + j * (height + 8.0)) for j in (0, 1) for i in range(4)
    ]
    panel = [(round(x + ox, 3), round(y + oy, 3)) for ox, oy in offsets for x, y in board]
    right = offsets[-1][0] + width + 12.0
    top = offsets[-1][1] + height + 12.0
    tooling = [(5.0, 5.0), (right - 5.0, 5.0), (right - 5.0, top - 5.0), (5.0, top - 5.0)]
    drills = (
        Cutter(1, "DRILL 0.60 CARBIDE PCB", "drill", 0.6, 12000, 2, notes="vias"),
        Cutter(2, "DRILL 0.90 CARBIDE PCB", "drill", 0.9, 12000, 2, notes="component pins"),
        Cutter(3, "DRILL 1.20 CARBIDE PCB", "drill", 1.2, 11000, 2, notes="connector pins"),
        Cutter(4, "DRILL 3.20 CARBIDE", "drill", 3.2, 6000, 2, notes="panel tooling holes"),
    )
    notes = (
        f"PANEL {num(right)} X {num(top)}, 8 BOARDS 4 X 2, FR4 1.6 THK ON BACKER",
        "STEP AND REPEAT: PER TOOL BOARD BY BOARD, EACH BOARD IN EXCELLON FILE ORDER",
        "G54 = LOWER LEFT CORNER OF PANEL, Z0 = TOP OF PANEL",
    )
    text = drill_program(1002, "PCB PANEL 8-UP", notes, pcb_ops(panel, drills, tooling))
    return DemoScenario(
        "demo",
        "large-panel",
        drills,
        {"PANEL-8UP.nc": text},
        (("PANEL-8UP.nc", True, 300, "8 boards per panel"),),
        {},
        {},
    )


MOLD_TOOLS = (
    Cutter(1, "FACE MILL 63 5 INSERTS", "facemill", 63.0, 900, 5),
    Cutter(2, "END MILL 16 CARBIDE 4FL", "endmill", 16.0, 3000, 4, 0.5),
    Cutter(3, "SPOT DRILL 10 90DEG", "spot", 10.0, 1200, 2),
    Cutter(4, "DRILL 6.8 CARBIDE (M8 TAP DRILL)", "drill", 6.8, 2800, 2),
    Cutter(5, "DRILL 8.0 CARBIDE 8XD", "drill", 8.0, 2400, 2, notes="ejector pin holes"),
    Cutter(6, "TAP M8X1.25 SPIRAL POINT", "tap", 8.0, 300, 3, pitch_mm=1.25),
)


def mold_a() -> str:
    t = {c.number: c for c in MOLD_TOOLS}
    taps = [(-135.0, 100.0), (135.0, -100.0), (-135.0, -100.0), (135.0, 100.0)]
    taps += [(-135.0, 35.0), (135.0, -35.0), (-135.0, -35.0), (135.0, 35.0)]
    taps += [(0.0, 110.0), (60.0, -110.0), (-60.0, 110.0), (0.0, -110.0), (60.0, 110.0)]
    taps += [(-60.0, -110.0)]
    ejectors = [(40.0, y) for y in (90.0, 45.0, 0.0, -45.0, -90.0)]
    ejectors += [(-40.0, y) for y in (-90.0, 45.0, 0.0, 90.0, -45.0)]
    p = Program(
        2001,
        "MOLD PLATE A - B PLATE 300X250X50 P20",
        ("G54 = CENTRE OF PLATE, Z0 = TOP AFTER FACING", "SUB O1000 MUST BE IN CONTROL MEMORY"),
    )
    p.tool(t[1], (-190.0, -110.0), CLEAR_Z, "T1 FACE MILL 63")
    p.add(*facing(150.0, 125.0, 45.0, 0.0))
    p.end_tool()
    p.tool(t[2], (-90.0, 60.0), CLEAR_Z, "T2 END MILL 16 - POCKETS")
    p.add(*pocket(-90.0, 60.0, 60.0, 40.0, 12.0, 8.0), *pocket(90.0, -60.0, 60.0, 40.0, 12.0, 8.0))
    p.add("(LOCATING POCKET D40 AT X0 Y0 - SUBPROGRAM)", "M98 P1000", f"G0 Z{num(CLEAR_Z)}")
    p.add(*pocket(-90.0, -60.0, 60.0, 40.0, 12.0, 8.0), *pocket(90.0, 60.0, 60.0, 40.0, 12.0, 8.0))
    p.end_tool()
    _hole_ops(p, t, taps, ejectors)
    return p.text()


def _hole_ops(p: Program, t: dict[int, Cutter], taps: list[Point], ejectors: list[Point]) -> None:
    """Spot everything, drill tap holes, drill ejector holes deep, tap: the usual precedence."""
    p.tool(t[3], taps[0], CLEAR_Z, "T3 SPOT DRILL 10 - CHAMFER TAP HOLES, SPOT EJECTORS")
    p.holes("G99 G81 Z-4.3 R2. F100.", taps)
    if ejectors:
        p.add("G80")
        p.holes("G99 G81 Z-2. R2. F100.", ejectors)
    p.end_tool()
    p.tool(t[4], taps[0], CLEAR_Z, "T4 DRILL 6.8 - M8 TAP HOLES 22 DP")
    p.holes("G99 G83 Z-24. R2. Q4. F220.", taps)
    p.end_tool()
    if ejectors:
        p.tool(t[5], ejectors[0], CLEAR_Z, "T5 DRILL 8.0 - EJECTOR HOLES THROUGH")
        p.holes("G99 G83 Z-53. R2. Q5. F190.", ejectors)
        p.end_tool()
    p.tool(t[6], taps[0], CLEAR_Z, "T6 TAP M8X1.25 18 DP - FLOATING HOLDER, F = S X PITCH")
    p.holes("G99 G84 Z-18. R5. F375.", taps)
    p.end_tool()


def mold_b() -> str:
    t = {c.number: c for c in MOLD_TOOLS}
    taps = [(-85.0, 60.0), (85.0, 60.0), (85.0, -60.0), (-85.0, -60.0)]
    taps += [(0.0, 60.0), (0.0, -60.0)]
    p = Program(
        2002,
        "MOLD INSERT B 200X150X40 P20",
        ("G54 = CENTRE OF BLOCK, Z0 = TOP", "BLOCK CLAMPED ON 2 PARALLELS 10 HIGH"),
    )
    p.tool(t[2], (-118.0, 0.0), CLEAR_Z, "T2 END MILL 16 - OUTSIDE PROFILE")
    p.add(*profile(200.0, 150.0, 20.0, 8.0))
    p.end_tool()
    _hole_ops(p, t, taps, [])
    return p.text()


def subprogram_1000() -> str:
    lines = ["%", "O1000 (SUB - LOCATING POCKET D40 X 8 DP AT X0 Y0, T2 END MILL 16)"]
    lines += ["G90 G0 X0. Y0.", "Z2."]
    for z in (-4.0, -8.0):
        lines += [f"G1 Z{num(z)} F150.", "G1 X12. F600.", "G3 X-12. Y0. I-12. J0."]
        lines += ["G3 X12. Y0. I12. J0.", "G1 X0."]
    return "\n".join([*lines, f"G0 Z{num(CLEAR_Z)}", "M99", "%"]) + "\n"


def mold_plate() -> DemoScenario:
    return DemoScenario(
        "demo",
        "mold-plate",
        MOLD_TOOLS,
        {"MOLD-A.nc": mold_a(), "MOLD-B.nc": mold_b(), "O1000.nc": subprogram_1000()},
        (
            ("MOLD-A.nc", True, 40, "B plate; calls O1000"),
            ("MOLD-B.nc", True, 40, "cavity insert"),
            ("O1000.nc", False, 0, "subprogram of MOLD-A (M98 P1000), loaded in the control"),
        ),
        {},
        {"time_limit_s": 15},
    )


MANIFOLD_TOOLS = (
    Cutter(1, "SPOT DRILL 10 90DEG", "spot", 10.0, 2500, 2),
    Cutter(2, "DRILL 6.8 CARBIDE (M8 TAP DRILL)", "drill", 6.8, 4000, 2),
    Cutter(3, "DRILL 10.0 CARBIDE 5XD", "drill", 10.0, 3200, 2, notes="port holes"),
    Cutter(4, "TAP M8X1.25 SPIRAL POINT", "tap", 8.0, 600, 3, pitch_mm=1.25),
    Cutter(5, "END MILL 12 3FL", "endmill", 12.0, 5000, 3, notes="spot faces"),
)


def manifold() -> DemoScenario:
    """A hydraulic manifold face: 8 ports, each with a bolt circle of 4 M8 holes."""
    ports = [(-105.0, 45.0), (105.0, -45.0), (-35.0, 45.0), (35.0, -45.0)]
    ports += [(35.0, 45.0), (-35.0, -45.0), (105.0, 45.0), (-105.0, -45.0)]
    bolts = [p for cx, cy in ports for p in bolt_circle(cx, cy, 20.0, 4, 45.0)]
    t = {c.number: c for c in MANIFOLD_TOOLS}
    notes = ("MANIFOLD BLOCK 260 X 140 X 80 6061-T6", "G54 = CENTRE OF TOP FACE, Z0 = TOP")
    ops = [
        (t[1], "G99 G81 Z-4.3 R2. F250.", ports + bolts),
        (t[2], "G99 G83 Z-22. R2. Q6. F500.", bolts),
        (t[3], "G99 G83 Z-48. R2. Q8. F450.", ports),
        (t[4], "G99 G84 Z-16. R5. F750.", bolts),
    ]
    text = drill_program(3001, "MANIFOLD M1 TOP FACE", notes, ops)
    return DemoScenario(
        "machining-2",
        "manifold",
        MANIFOLD_TOOLS,
        {"MANIFOLD-M1.nc": text, "MANIFOLD-M2.nc": manifold_side()},
        (
            ("MANIFOLD-M1.nc", True, 2500, "top face"),
            ("MANIFOLD-M2.nc", True, 2500, "side face; CAM output feature by feature"),
        ),
        {
            "rapid_x_mm_min": 24000,
            "rapid_y_mm_min": 24000,
            "rapid_z_mm_min": 20000,
            "accel_x_mm_s2": 2500,
            "accel_y_mm_s2": 2500,
            "accel_z_mm_s2": 2000,
            "tool_change_s": 6.5,
        },
        {
            "time_limit_s": 10,
            "allow_tool_regroup": True,
            "air_cut_to_rapid": True,
            "air_cut_above_z_mm": 5.0,
        },
    )


def manifold_side() -> str:
    """The side face as a feature-by-feature CAM export: ports (spot, drill), then the bolt
    holes (spot again, drill, tap), then spot faces milled on the ports with feed moves at
    Z10 between them. The second spot-drill segment and those air moves are what the
    scenario's allow_tool_regroup and air_cut_to_rapid settings are for."""
    t = {c.number: c for c in MANIFOLD_TOOLS}
    ports = [(-90.0, 0.0), (-30.0, 0.0), (30.0, 0.0), (90.0, 0.0)]
    bolts = [p for cx, cy in ports for p in bolt_circle(cx, cy, 28.0, 4, 45.0)]
    p = Program(
        3002,
        "MANIFOLD M2 SIDE FACE",
        ("MANIFOLD BLOCK 260 X 140 X 80 6061-T6", "G54 = CENTRE OF SIDE FACE, Z0 = FACE"),
    )
    for cutter, cycle, points, what in (
        (t[1], "G99 G81 Z-4.3 R2. F250.", ports, "SPOT PORTS"),
        (t[3], "G99 G83 Z-48. R2. Q8. F450.", ports, "DRILL PORTS"),
        (t[1], "G99 G81 Z-4.3 R2. F250.", bolts, "SPOT BOLT HOLES"),
        (t[2], "G99 G83 Z-22. R2. Q6. F500.", bolts, "DRILL BOLT HOLES"),
        (t[4], "G99 G84 Z-16. R5. F750.", bolts, "TAP BOLT HOLES"),
    ):
        p.tool(cutter, points[0], 10.0, f"T{cutter.number} {cutter.name} - {what}")
        p.holes(cycle, points)
        p.end_tool()
    r = 8.0  # D28 spot face with the 12 mm cutter
    p.tool(t[5], (ports[0][0] + r, ports[0][1]), 10.0, "T5 END MILL 12 - SPOT FACE D28 X 1 DP")
    for k, (cx, cy) in enumerate(ports):
        if k:
            p.add(f"G1 X{num(cx + r)} Y{num(cy)} F2000.")
        p.add("G1 Z1. F2000.", "G1 Z-1. F150.")
        p.add(f"G3 X{num(cx - r)} Y{num(cy)} I{num(-r)} J0. F400.")
        p.add(f"G3 X{num(cx + r)} Y{num(cy)} I{num(r)} J0.", "G1 Z10. F2000.")
    p.end_tool()
    return p.text()


# ------------------------------------------------------------------------------------ sheets


def scenario_sheets(demo: DemoScenario) -> dict[str, pd.DataFrame]:
    sheets = template_sheets()
    for key, value in demo.machine.items():
        machine = sheets[SheetName.MACHINE]
        machine.loc[machine["key"] == key, "value"] = value
    for key, value in demo.settings.items():
        settings = sheets[SheetName.SETTINGS]
        settings.loc[settings["key"] == key, "value"] = value
    tools = [
        {
            "tool": c.number,
            "name": c.name,
            "type": c.type,
            "diameter_mm": c.diameter_mm,
            "corner_radius_mm": c.corner_radius_mm,
            "flutes": c.flutes,
            "length_offset": c.number,
            "diameter_offset": c.number if c.type.endswith("mill") else None,
            "pitch_mm": c.pitch_mm,
            "notes": c.notes or None,
        }
        for c in demo.tools
    ]
    sheets[SheetName.TOOLS] = pd.DataFrame(
        tools, columns=sheets[SheetName.TOOLS].columns, dtype=object
    )
    rows = [
        dict(zip(("file", "enabled", "quantity_per_year", "notes"), r, strict=True))
        for r in demo.program_rows
    ]
    sheets[SheetName.PROGRAMS] = pd.DataFrame(rows, dtype=object)
    return sheets


def same_sheets(path: Path, sheets: dict[str, pd.DataFrame]) -> bool:
    try:
        old = read_sheets(path)
    except ScenarioError:
        return False
    if list(old) != list(sheets):
        return False
    for name, frame in sheets.items():
        a = frame.astype(object).where(frame.notna(), None).values.tolist()
        b = old[name].astype(object).where(old[name].notna(), None).values.tolist()
        if list(old[name].columns) != list(frame.columns) or a != b:
            return False
    return True


def write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def write_scenario(out: Path, demo: DemoScenario) -> None:
    folder = out / demo.department / "scenario" / demo.name
    programs = folder / "programs"
    programs.mkdir(parents=True, exist_ok=True)
    for stale in set(p.name for p in programs.glob("*.nc")) - set(demo.programs):
        (programs / stale).unlink()
    for name, text in demo.programs.items():
        if write_if_changed(programs / name, text.encode("ascii")):
            print(f"wrote {programs / name}")
    xlsx = folder / f"{demo.name}.xlsx"
    sheets = scenario_sheets(demo)
    if not same_sheets(xlsx, sheets):
        write_sheets(xlsx, sheets)
        print(f"wrote {xlsx}")


def demo_scenarios() -> list[DemoScenario]:
    points = load_points()
    return [pcb_drill(points), mold_plate(), large_panel(points), manifold()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "scenarios")
    parser.add_argument("--template", type=Path, default=TEMPLATE_XLSX)
    parser.add_argument("--refresh-points", type=Path, metavar="TSPLIB_DIR")
    args = parser.parse_args(argv)
    if args.refresh_points:
        refresh_points(args.refresh_points)
        print(f"wrote {POINTS_FILE}")
    if not same_sheets(args.template, template_sheets()):
        args.template.parent.mkdir(parents=True, exist_ok=True)
        write_sheets(args.template, template_sheets())
        print(f"wrote {args.template}")
    for demo in demo_scenarios():
        write_scenario(args.out, demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
