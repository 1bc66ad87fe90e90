"""Issue 13's four shop patterns: each is optimized and machines the same, or left as it was.

Every program here was offered as "re-sequenced and verified" by the engine before the safety
invariant, although it moved the machine differently (two of them could drive a tool into a
clamp). The tests check the motion of the output directly, so they do not trust the verifier
they are testing.
"""

from __future__ import annotations

import numpy as np

from ncopt import Machine, parse_program, verify_equivalent
from ncopt.pipeline import optimize_text
from ncopt.program import MoveKind
from ncopt.transforms import Transforms

MACHINE = Machine()

HEADER = "%\nO1300 (SAFETY)\nG90 G17 G21 G40 G49 G80\n"
FOOTER = "M5\nM9\nG91 G28 Z0.\nG90\nM30\n%\n"

# A G99 set near the origin, then a G98 set far away whose return to the initial level (50)
# clears a clamp between its holes. The program starts near the G98 set, so the optimizer
# wants it first.
G98_AFTER_G99 = (
    HEADER
    + "T1 M6\nS1500 M3\nG0 X200. Y10.\nG43 H1 Z50. M8\n"
    + "G99 G81 X10. Y10. Z-5. R2. F200.\nX20. Y10.\nX30. Y10.\n"
    + "G98 G81 X260. Y10. Z-5. R2. F200.\nX200. Y10.\nX230. Y10.\n"
    + "G80\n"
    + FOOTER
)

# A spot set, then a chamfer block; the cycle is cancelled by a G0 line, and the program
# leaves the block with G0 X0. Y0. at the block's retract level (25). Starting near the
# block, the optimizer wants the spot set last.
EXIT_AFTER_G00 = (
    HEADER
    + "T3 M6 (SPOT-CHAMFER)\nS3000 M3\nG0 X80. Y40.\nG43 H3 Z25. M8\n"
    + "(SPOT)\nG99 G81 X10. Y10. Z-2. R2. F150.\nX20. Y10.\nX30. Y10.\nG0 Z25.\n"
    + "(CHAMFER)\nG0 X80. Y40.\nZ2.\nG1 Z-1. F200.\nX100. F400.\nY60.\nX80.\nY40.\nG0 Z25.\n"
    + "G00 X0. Y0.\n"
    + FOOTER
)

# Fanuc: L2 in G91 drills twice, each a further increment; K/L are not modal.
G91_REPEATS = (
    HEADER
    + "T2 M6\nS2000 M3\nG0 X0. Y0.\nG43 H2 Z50.\n"
    + "G91\nG99 G81 X50. Y0. Z-8. R-45. F100. L2\nX-90. Y10.\nX80.\nX-70.\nG80\nG90\n"
    + FOOTER
)
G91_HOLES = {(50.0, 0.0), (100.0, 0.0), (10.0, 10.0), (90.0, 10.0), (20.0, 10.0)}


def _segment(tool: int, holes: list[tuple[float, float]], comment: str) -> str:
    first, *rest = holes
    lines = [
        f"T{tool} M6 ({comment})",
        "S2000 M3",
        f"G0 X{first[0]:.1f} Y{first[1]:.1f}",
        f"G43 H{tool} Z25.",
        f"G99 G81 X{first[0]:.1f} Y{first[1]:.1f} Z-5. R2. F200.",
        *(f"X{x:.1f} Y{y:.1f}" for x, y in rest),
        "G80",
        "G91 G28 Z0.",
        "G90",
    ]
    return "\n".join(lines) + "\n"


# Side 1 with T1 and T2, a stop to flip the part, side 2 with T1 again: regrouping T1 would
# drill side 2's holes before the flip.
ACROSS_M00 = (
    HEADER
    + _segment(1, [(10.0, 10.0), (20.0, 10.0)], "SIDE 1 SPOT")
    + _segment(2, [(10.0, 10.0), (20.0, 10.0)], "SIDE 1 DRILL")
    + "M00 (FLIP PART FOR SIDE 2)\n"
    + _segment(1, [(50.0, 50.0), (60.0, 50.0)], "SIDE 2 SPOT")
    + FOOTER
)


def _holes(text: str) -> tuple[np.ndarray, np.ndarray]:
    p = parse_program(text, MACHINE)
    rows = np.flatnonzero(p.motion.kind == MoveKind.HOLE)
    return p.motion.end[rows], p.motion.line[rows]


def test_a_g98_set_keeps_hopping_at_its_own_initial_level():
    out = optimize_text("P.nc", G98_AFTER_G99, MACHINE, time_limit_s=2)
    assert out.row["status"] in ("optimized", "unchanged"), out.row["reason"]
    ends, _ = _holes(out.new_text)
    g98 = ends[ends[:, 0] >= 200.0]
    assert len(g98) == 3
    # G98 returns to the initial level: 50, as in the original, whatever the order.
    assert np.allclose(g98[:, 2], 50.0), g98.tolist()


def test_the_traverse_after_the_group_keeps_the_original_exit_height():
    out = optimize_text("P.nc", EXIT_AFTER_G00, MACHINE, time_limit_s=2)
    assert out.row["status"] in ("optimized", "unchanged"), out.row["reason"]
    p = parse_program(out.new_text, MACHINE)
    line = out.new_text.splitlines().index("G00 X0. Y0.")
    row = int(np.flatnonzero(p.motion.line == line)[0])
    start_z = p.motion.end[row - 1, 2]
    assert start_z >= 25.0, f"G00 X0. Y0. runs at Z{start_z}, the original at Z25."


def test_l_repeats_in_g91_drill_every_hole_fanuc_drills():
    old = parse_program(G91_REPEATS, MACHINE)
    assert old.hole_count == 5
    out = optimize_text("P.nc", G91_REPEATS, MACHINE, time_limit_s=2)
    ends, _ = _holes(out.new_text)
    assert {(round(x, 3), round(y, 3)) for x, y in ends[:, :2].tolist()} == G91_HOLES
    assert len(ends) == 5
    assert verify_equivalent(old, parse_program(out.new_text, MACHINE)).ok


def test_regrouping_never_moves_work_across_a_program_stop():
    regroup = Transforms(allow_tool_regroup=True)
    out = optimize_text("P.nc", ACROSS_M00, MACHINE, transforms=regroup, time_limit_s=2)
    ends, lines = _holes(out.new_text)
    stop = out.new_text.splitlines().index("M00 (FLIP PART FOR SIDE 2)")
    side_2 = ends[:, 0] >= 50.0
    assert (lines[side_2] > stop).all() and (lines[~side_2] < stop).all()
    assert out.row["tool_changes_saved"] == 0
