"""The interpreter: modal words, comments, barriers, units, structure and the bulk path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ncopt.interpreter as interpreter
from ncopt.interpreter import parse_program
from ncopt.machine import DecimalPointMode, Machine
from ncopt.plan import ReorderError, reorder
from ncopt.program import CutBlock, HoleSet, MoveKind, Step

SETUP = "%\nO1000\nG90 G54 G17 G21\nT1 M6\nS1000 M3\nG0 G90 G54 X0. Y0.\nG43 H1 Z25. M8\n"


def holes_of(p) -> list[tuple[float, float]]:
    rows = p.motion.kind == MoveKind.HOLE
    return [tuple(xy) for xy in p.motion.end[rows, :2].round(6).tolist()]


def test_modal_hole_lines_drill_with_the_active_cycle():
    p = parse_program(SETUP + "G99 G81 X1. Y2. Z-3. R2. F100.\nX5.\nY7.\nX9. Y9.\nG80\nX20.\n")
    assert holes_of(p) == [(1, 2), (5, 2), (5, 7), (9, 9)]
    (op,) = p.ops
    assert isinstance(op, HoleSet)
    assert op.params.cycle == 81 and op.params.z_mm == -3 and op.params.r_mm == 2
    assert op.params.return_z_mm == 2 and op.params.tool == 1 and op.params.spindle_rpm == 1000
    assert op.entry_xyz == (1.0, 2.0, 25.0) and op.exit_xyz == (9.0, 9.0, 2.0)
    assert op.hole_lines.tolist() == [7, 8, 9, 10]


def test_g98_returns_to_the_initial_level_and_k_repeats():
    p = parse_program(SETUP + "G98 G83 X1. Y1. Z-20. R1. Q5. F200. K3\nG80\n")
    params = p.hole_params[0]
    assert params.return_z_mm == 25 and params.q_mm == 5 and params.repeats == 3
    assert p.hole_count == 3


def test_comments_are_not_code():
    text = (
        SETUP
        + "(T9 M6 IN A COMMENT)\nG0 X1. (NESTED (T8) COMMENT) Y2.\nX3. ; T7 M6 after semicolon\n"
    )
    p = parse_program(text)
    assert p.tool_changes == ((3, 1),)
    assert p.motion.end[-1].tolist() == [3.0, 2.0, 25.0]


def test_block_delete_and_unknown_words_are_barriers_in_order():
    text = SETUP + "/M1\nG68 X0 Y0 R45.\nM98 P100\n#1=2\nG10 L2 P1 X0\nG55\nG0 A90.\nG54.1 P1\n"
    p = parse_program(text)
    reasons = [b.reason for b in p.barriers]
    assert reasons == [
        "block delete",
        "frame: coordinate rotation (G68)",
        "subprogram call",
        "macro statement",
        "G10 is not interpreted",
        "work offset change",
        "unknown address A",
        "G54.1 is not interpreted",
    ]
    assert [b.text for b in p.barriers][:3] == ["/M1", "G68 X0 Y0 R45.", "M98 P100"]


def test_a_barrier_splits_groups_and_nothing_crosses_it():
    block = "G0 X{x}. Y0.\nZ2.\nG1 Z-1. F100.\nG1 X{x2}.\nG0 Z25.\n"
    text = SETUP + block.format(x=0, x2=5) + "M98 P100\n" + block.format(x=10, x2=15)
    p = parse_program(text)
    assert len(p.groups) == 2 and all(len(g.ops) == 1 for g in p.groups)
    assert all(isinstance(op, CutBlock) for op in p.ops)
    assert p.barriers[0].line < p.groups[1].first_line


@pytest.mark.parametrize(
    ("mode", "word", "mm"),
    [("mm", "X10", 10.0), ("increment", "X10", 0.010), ("increment", "X10.", 10.0)],
)
def test_decimal_point_mode(mode, word, mm):
    machine = Machine(decimal_point_mode=DecimalPointMode(mode))
    p = parse_program(SETUP + f"G1 {word} F100.\n", machine)
    assert p.motion.end[-1, 0] == pytest.approx(mm)


def test_increment_mode_in_bulk_runs_matches_line_by_line():
    body = "".join(f"X{i * 7} Y{i * 3}\n" for i in range(1, 30))
    text = SETUP + "G99 G81 X0 Y0 Z-3 R2 F100\n" + body + "G80\n"
    machine = Machine(decimal_point_mode=DecimalPointMode.INCREMENT)
    p = parse_program(text, machine)
    assert holes_of(p)[-1] == pytest.approx((29 * 0.007, 29 * 0.003))


def test_inch_and_incremental_moves():
    p = parse_program(SETUP + "G20\nG1 X1. F10.\nG91\nX1. Y-0.5\nG90 G21\n")
    assert p.motion.end[-2].tolist() == pytest.approx([25.4, 0.0, 25.0])
    assert p.motion.end[-1].tolist() == pytest.approx([50.8, -12.7, 25.0])
    assert p.motion.feed_mm_min[-1] == pytest.approx(254.0)


def test_incremental_cycle_with_repeats_drills_a_row():
    p = parse_program(SETUP + "G91 G99 G81 X10. Y0. Z-5. R-23. F100. K4\nG80 G90\n")
    assert holes_of(p) == [(10, 0), (20, 0), (30, 0), (40, 0)]
    assert p.hole_params[0].r_mm == pytest.approx(2.0)
    assert p.hole_params[0].z_mm == pytest.approx(-3.0)


def test_arcs_by_centre_and_by_radius():
    p = parse_program(SETUP + "G1 Z0 F100.\nG2 X10. Y0 I5. J0\nG3 X0 Y0 R5.\nG2 X0 Y0 I5. J0\n")
    arcs = p.motion.arcs
    assert arcs[:, 0] == pytest.approx([5 * math.pi, 5 * math.pi, 10 * math.pi])
    assert arcs[:, 1] == pytest.approx([5, 5, 5])


def test_g28_makes_the_axes_unknown():
    p = parse_program(SETUP + "G91 G28 Z0.\nG90\nG0 X1. Y1.\n")
    assert math.isnan(p.motion.end[-1, 2])


def test_nothing_after_m30_is_interpreted():
    p = parse_program(SETUP + "M30\nTHIS IS NOT CODE @@@\n%\n")
    assert p.lines_text(0, p.n_lines) == SETUP + "M30\nTHIS IS NOT CODE @@@\n%\n"


def test_blocks_have_entry_exit_prefix_and_modal_state():
    text = SETUP + (
        "(FIRST)\nG0 X10. Y10.\nZ2.\nG1 Z-1. F150.\nG1 X20. F600.\nG0 Z25.\n"
        "(SECOND)\nG0 X50. Y50.\nZ2.\nG1 Z-1.\nX60.\nG0 Z25.\nM5\n"
    )
    p = parse_program(text)
    (group,) = p.groups
    first, second = (p.ops[i] for i in group.ops)
    assert group.clearance_z_mm == 25 and group.start_xyz == (0.0, 0.0, 25.0)
    assert p.line_text(first.first_line) == "(FIRST)"
    assert p.line_text(first.body_line) == "Z2."
    assert first.entry_xyz == (10.0, 10.0, 25.0) and first.exit_xyz == (20.0, 10.0, 25.0)
    assert second.modal_in.motion == 0 and second.modal_in.feed_mm_min == 600
    assert p.line_text(second.end_line - 1) == "G0 Z25."


def test_line_table_reproduces_the_text_with_crlf():
    text = SETUP.replace("\n", "\r\n") + "G1 X1. F100.\r\nX2."
    p = parse_program(text)
    assert p.lines_text(0, p.n_lines) == text
    assert p.line_text(p.n_lines - 2) == "G1 X1. F100."
    assert p.newline == "\r\n"


def test_reorder_refuses_plans_that_lose_or_repeat_holes():
    p = parse_program(SETUP + "G99 G81 X1. Y1. Z-3. R2. F100.\nX2.\nX3.\nG80\n")
    (op,) = p.ops
    assert reorder(p, {0: [Step(op.index, (2, 0, 1))]}).plan[0] == (Step(0, (2, 0, 1)),)
    with pytest.raises(ReorderError):
        reorder(p, {0: [Step(op.index, (2, 0))]})
    with pytest.raises(ReorderError):
        reorder(p, {0: [Step(op.index, (2, 0, 1, 1))]})


def _lines(rows, with_z: bool, numbered: bool) -> str:
    out = []
    for i, (x, y, z, keep) in enumerate(rows):
        words = [f"X{x}" if "x" in keep else "", f"Y{y}" if "y" in keep else ""]
        words.append(f"Z{z}" if with_z and ("z" in keep or keep == "") else "")
        line = " ".join(w for w in words if w) or f"X{x}"
        out.append((f"N{100 + i} " if numbered else "") + line + "\n")
    return "".join(out)


coords = st.decimals(min_value=-999, max_value=999, places=3, allow_nan=False).map(str)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(coords, coords, coords, st.sampled_from(["xy", "xyz", "x", "y", "z", ""])),
        min_size=9,
        max_size=30,
    ),
    with_z=st.booleans(),
    cycle=st.booleans(),
    numbered=st.booleans(),
)
def test_bulk_path_equals_line_by_line(rows, with_z, cycle, numbered):
    start = "G99 G81 X0 Y0 Z-3. R2. F100.\n" if cycle else "G0 X0 Y0\nZ2.\nG1 Z-30. F100.\n"
    text = SETUP + start + _lines(rows, with_z and not cycle, numbered) + "G80\nG0 Z25.\nM5\n"
    bulk = parse_program(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(interpreter, "_MIN_RUN", 10**9)
        single = parse_program(text)
    for name in ("kind", "line", "end", "feed_mm_min", "aux"):
        np.testing.assert_array_equal(getattr(bulk.motion, name), getattr(single.motion, name))
    assert [(o.first_line, o.body_line, o.end_line) for o in bulk.ops] == [
        (o.first_line, o.body_line, o.end_line) for o in single.ops
    ]


def test_after_a_subprogram_call_the_position_is_unknown_until_set():
    block = "G0 X{x}. Y0.\nZ2.\nG1 Z-1. F100.\nG1 X{x2}.\nG0 Z25.\n"
    text = SETUP + block.format(x=0, x2=5) + "M98 P100\nG0 Z25.\n" + block.format(x=10, x2=15)
    p = parse_program(text)
    after = p.motion.end[p.motion.line == 13]  # the G0 Z25. right after M98
    assert np.isnan(after[0, :2]).all() and after[0, 2] == 25
    assert p.groups[1].start_xyz == (10.0, 0.0, 25.0)


def test_an_unknown_m_code_is_a_barrier_that_keeps_the_position():
    p = parse_program(SETUP + "G0 X5. Y5.\nM19\nG0 X6.\n")
    assert p.barriers[0].reason == "M19 is not interpreted"
    assert p.motion.end[-1].tolist() == [6.0, 5.0, 25.0]


def test_arc_fast_path_equals_the_tokenizer():
    text = SETUP + (
        "G0 X10. Y10.\nZ2.\nG1 Z-1. F150.\nG3 X14. Y14. I0. J4. F500.\nN7 G02 X14. Y14. I-2. J-2.\n"
        "G2 X20. Y14. Z-2. I3. J0.\nG1 X30.\nG0 Z25.\n"
    )
    fast = parse_program(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(interpreter, "_ARC", interpreter.re.compile("(?!)"))
        slow = parse_program(text)
    np.testing.assert_array_equal(fast.motion.arcs, slow.motion.arcs)
    np.testing.assert_array_equal(fast.motion.end, slow.motion.end)
    np.testing.assert_array_equal(fast.motion.feed_mm_min, slow.motion.feed_mm_min)
    assert len(fast.motion.arcs) == 3
