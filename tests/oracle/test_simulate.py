"""The oracle's simulator on small programs whose motion is worked out by hand."""

from __future__ import annotations

import math

import pytest

from tests.oracle.simulate import simulate
from tests.oracle.trace import Coolant, EventKind, SegmentKind, SimulationError, Spindle

START = "G90 G17 G21 G54\nG0 X0. Y0.\nG43 H1 Z50.\n"


def path(text: str, skip: int = 2) -> list[tuple]:
    """(kind, end) of every segment after the first ``skip`` (START's two moves)."""
    return [(str(s.kind), s.end) for s in simulate(text).segments[skip:]]


def test_g81_in_g99_positions_at_the_initial_level_and_returns_to_r():
    assert path(START + "G99 G81 X10. Y5. Z-5. R2. F100.\nX20.\n") == [
        ("rapid", (10.0, 5.0, 50.0)),
        ("rapid", (10.0, 5.0, 2.0)),
        ("feed", (10.0, 5.0, -5.0)),
        ("rapid", (10.0, 5.0, 2.0)),
        ("rapid", (20.0, 5.0, 2.0)),
        ("feed", (20.0, 5.0, -5.0)),
        ("rapid", (20.0, 5.0, 2.0)),
    ]


def test_g98_returns_to_the_level_the_cycle_started_from_and_hops_there():
    assert path(START + "G98 G81 X10. Y5. Z-5. R2. F100.\nX20.\n")[3:] == [
        ("rapid", (10.0, 5.0, 2.0)),
        ("rapid", (10.0, 5.0, 50.0)),
        ("rapid", (20.0, 5.0, 50.0)),
        ("rapid", (20.0, 5.0, 2.0)),
        ("feed", (20.0, 5.0, -5.0)),
        ("rapid", (20.0, 5.0, 2.0)),
        ("rapid", (20.0, 5.0, 50.0)),
    ]


def test_the_initial_level_is_kept_when_the_cycle_code_changes_without_a_cancel():
    text = START + "G99 G81 X10. Z-5. R2. F100.\nG0 Z30.\n"  # G0 cancels: new initial
    text += "G98 G82 X20. P500\nG83 X30. Q2.\n"  # Z, R: cleared by the cancel
    with pytest.raises(SimulationError, match="line 6: G82 without Z and R"):
        simulate(text)
    text = START + "G99 G81 X10. Z-5. R2. F100.\nG98 G82 X20. P500\nX30.\n"
    trace = simulate(text)
    assert [s.end[2] for s in trace.segments if s.hole == 2][-1] == 50.0


def test_g82_dwells_p_milliseconds_at_the_bottom():
    trace = simulate(START + "G99 G82 X10. Y0. Z-5. R2. P500 F100.\n")
    dwell = [s for s in trace.segments if s.kind == SegmentKind.DWELL]
    assert [(d.end, d.dwell_s, d.hole) for d in dwell] == [((10.0, 0.0, -5.0), 0.5, 0)]


def test_g83_pecks_retract_to_r_and_come_back_one_mm_above_the_last_depth():
    feeds_and_rapids = path(START + "G99 G83 X0. Y0. Z-5. R2. Q3. F100.\n")
    assert [(k, e[2]) for k, e in feeds_and_rapids] == [
        ("rapid", 2.0),
        ("feed", -1.0),
        ("rapid", 2.0),
        ("rapid", 0.0),
        ("feed", -4.0),
        ("rapid", 2.0),
        ("rapid", -3.0),
        ("feed", -5.0),
        ("rapid", 2.0),
    ]


def test_g73_backs_off_one_mm_between_pecks():
    steps = path(START + "G98 G73 X0. Y0. Z-5. R2. Q3. F100.\n")
    assert [(k, e[2]) for k, e in steps] == [
        ("rapid", 2.0),
        ("feed", -1.0),
        ("rapid", 0.0),
        ("feed", -4.0),
        ("rapid", -3.0),
        ("feed", -5.0),
        ("rapid", 2.0),
        ("rapid", 50.0),
    ]


@pytest.mark.parametrize(
    ("cycle", "body"),
    [
        ("G84", [("feed", -5.0), ("dwell", -5.0), ("feed", 2.0)]),
        ("G74", [("feed", -5.0), ("dwell", -5.0), ("feed", 2.0)]),
        ("G85", [("feed", -5.0), ("feed", 2.0)]),
        ("G89", [("feed", -5.0), ("dwell", -5.0), ("feed", 2.0)]),
        ("G86", [("feed", -5.0), ("rapid", 2.0)]),
        ("G76", [("feed", -5.0), ("dwell", -5.0), ("rapid", 2.0)]),
        ("G88", [("feed", -5.0), ("dwell", -5.0), ("rapid", 2.0)]),
        ("G87", [("feed", -5.0), ("dwell", -5.0), ("rapid", 2.0)]),
        ("G81", [("feed", -5.0), ("rapid", 2.0)]),
    ],
)
def test_each_cycle_feeds_in_dwells_and_retracts_its_own_way(cycle, body):
    steps = path(START + f"G98 {cycle} X0. Y0. Z-5. R2. P200 F100.\n")
    assert [(k, e[2]) for k, e in steps] == [("rapid", 2.0), *body, ("rapid", 50.0)]
    hole = [s for s in simulate(START + f"G98 {cycle} X0 Y0 Z-5 R2 P200 F100").segments]
    assert all(s.in_cycle for s in hole[2:])
    assert [s.hole for s in hole[2:]] == [None] + [0] * (len(body) + 1)


def test_k_repeats_in_g90_drill_the_same_place_and_in_g91_step_on():
    g90 = simulate(START + "G99 G81 X10. Y0. Z-5. R2. F100. K3\n")
    assert g90.hole_bottoms() == [(10.0, 0.0, -5.0)] * 3
    g91 = simulate(START + "G91 G99 G81 X10. Y5. Z-7. R-48. F100. K3\n")
    assert g91.hole_bottoms() == [(10.0, 5.0, -5.0), (20.0, 10.0, -5.0), (30.0, 15.0, -5.0)]


def test_l_repeats_in_g91_drill_five_holes_where_a_fanuc_control_does():
    text = START + "G91\nG99 G81 X50. Y0. Z-8. R-45. F100. L2\nX-90. Y10.\nX80.\nX-70.\nG80\n"
    trace = simulate(text)
    assert trace.hole_bottoms() == [
        (50.0, 0.0, -3.0),
        (100.0, 0.0, -3.0),
        (10.0, 10.0, -3.0),
        (90.0, 10.0, -3.0),
        (20.0, 10.0, -3.0),
    ]
    # G99 in G91: R is 45 below the initial level, every hole returns there.
    assert {s.end[2] for s in trace.segments if s.hole is not None and s.kind == "rapid"} == {5.0}


def test_repeats_are_not_modal():
    trace = simulate(START + "G99 G81 X10. Y0. Z-5. R2. F100. K2\nX20.\n")
    assert [p[0] for p in trace.hole_bottoms()] == [10.0, 10.0, 20.0]


def test_a_cycle_is_cancelled_by_g80_g0_and_g1_and_its_data_cleared():
    base = START + "G99 G81 X10. Y0. Z-5. R2. F100.\n"
    after_g0 = simulate(base + "G00 X0. Y0.\nX5.\n")
    assert after_g0.holes == 1
    assert [(s.kind, s.end, s.in_cycle) for s in after_g0.segments[-2:]] == [
        (SegmentKind.RAPID, (0.0, 0.0, 2.0), False),
        (SegmentKind.RAPID, (5.0, 0.0, 2.0), False),
    ]
    after_g1 = simulate(base + "G01 Z10. F500.\n")
    assert after_g1.segments[-1].kind == SegmentKind.FEED
    assert after_g1.segments[-1].feed_mm_min == 500.0
    after_g80 = simulate(base + "G80\nX5.\n")  # G80 leaves group 01 as it was: G0
    assert (after_g80.holes, after_g80.segments[-1].kind) == (1, SegmentKind.RAPID)
    with pytest.raises(SimulationError, match="without Z and R"):
        simulate(base + "G80\nG81 X5.\n")


def test_cycle_sets_start_at_every_line_stating_a_cycle_code():
    text = START + "G99 G81 X10. Z-5. R2. F100.\nX20.\nG81 X30.\nG83 X40. Q1.\nX50.\n"
    sets = [s.cycle_set for s in simulate(text).segments if s.hole is not None]
    assert sorted(set(sets)) == [1, 2, 3]
    holes = [(s.hole, s.cycle_set) for s in simulate(text).segments if s.hole is not None]
    assert dict(holes) == {0: 1, 1: 1, 2: 2, 3: 3, 4: 3}


def test_arcs_by_radius_and_by_centre_offsets():
    text = START + "G1 Z-1. F100.\nG2 X10. Y10. R10.\nG3 X0. Y20. I-10. J0.\nG2 I0. J-5.\n"
    arcs = [s for s in simulate(text).segments if s.kind == SegmentKind.ARC]
    got = [(a.start[:2], a.end[:2], a.arc.centre, a.arc.clockwise, a.arc.radius) for a in arcs]
    assert [(s, e, tuple(round(c, 9) + 0.0 for c in ctr), cw, r) for s, e, ctr, cw, r in got] == [
        ((0.0, 0.0), (10.0, 10.0), (10.0, 0.0), True, 10.0),
        ((10.0, 10.0), (0.0, 20.0), (0.0, 10.0), False, 10.0),
        ((0.0, 20.0), (0.0, 20.0), (0.0, 15.0), True, 5.0),  # a full circle
    ]
    major = simulate(START + "G1 Z-1. F100.\nG2 X10. Y10. R-10.\n").segments[-1]
    assert tuple(round(c, 9) + 0.0 for c in major.arc.centre) == (0.0, 10.0)


def test_arcs_in_g18_use_z_and_x_and_helices_move_the_third_axis():
    text = START + "G1 Z0. F100.\nG18 G3 X10. Z10. I10. K0.\nG17 G2 X20. Y0. Z5. R5.\n"
    g18, helix = simulate(text).segments[-2:]
    assert (g18.arc.plane, g18.arc.centre, g18.arc.clockwise) == (18, (0.0, 10.0), False)
    assert (helix.start[2], helix.end[2], helix.arc.centre) == (10.0, 5.0, (15.0, 0.0))


def test_arcs_a_control_refuses_are_errors():
    with pytest.raises(SimulationError, match="line 5: arc radius differs"):
        simulate(START + "G1 Z-1. F100.\nG2 X10. Y0. I3. J0.\n")
    with pytest.raises(SimulationError, match="shorter than half the chord"):
        simulate(START + "G1 Z-1. F100.\nG2 X10. Y0. R4.\n")


def test_decimal_point_optional_inch_and_lower_case():
    trace = simulate("g20 g90\ng0 x1 y.5 z2.\ng1 x2 f10\n")
    ends = [s.end for s in trace.segments]
    assert ends == [(25.4, 12.7, 50.8), (50.8, 12.7, 50.8)]
    assert trace.segments[-1].feed_mm_min == 254.0
    assert simulate("G0 X10 Y-3\n").segments[0].end[:2] == (10.0, -3.0)


def test_comments_sequence_numbers_and_percent_lines_are_not_code():
    text = "%\nO0001 (PART 7)\nN10 G0 X1. (X99.) Y2. ; Z5.\n(G1 X50.)\nN20 Z3.\n%\n"
    trace = simulate(text)
    assert [str(s.end) for s in trace.segments] == ["(1.0, 2.0, nan)", "(1.0, 2.0, 3.0)"]
    assert [e.kind for e in trace.events] == [EventKind.END]


@pytest.mark.parametrize(
    "line",
    [
        "M98 P1000",
        "G65 P9010 A1.",
        "#100=5.",
        "IF[#1GT0]GOTO10",
        "WHILE[#1LT3]DO1",
        "END1",
        "G55",
        "G10 L2 P1 X0.",
        "/G0 X5.",
        "M19",
        "G0 A90.",
        "O2000",
        "G99 G81 X5. Z-1. R2. F100. K0",
    ],
)
def test_what_the_oracle_does_not_understand_is_an_opaque_barrier(line):
    trace = simulate(START + line + "\nG0 X1.\n")
    (barrier,) = [e for e in trace.events if e.kind == EventKind.BARRIER]
    assert (barrier.text, barrier.line, barrier.state.z) == (line, 4, 50.0)
    assert trace.holes == 0
    last = trace.segments[-1]
    assert math.isnan(last.start[0]) and math.isnan(last.end[2]) and last.end[0] == 1.0


def test_g28_goes_through_its_intermediate_point_and_leaves_the_axes_unknown():
    trace = simulate(START + "G91 G28 Z0.\nG90 G0 X5. Y5.\nG28 X0. Y0.\n")
    up, xy, via, home = trace.segments[2:]
    assert (math.isnan(up.end[2]), up.end_home) == (True, True)
    assert (xy.start_home, xy.end_home, xy.end[:2]) == (True, True, (5.0, 5.0))
    assert via.end[:2] == (0.0, 0.0) and math.isnan(home.end[0]) and math.isnan(home.end[1])
    g53 = simulate(START + "G53 Z0.\n").segments[-1]
    assert g53.end_home and math.isnan(g53.end[2])
    g53_low = simulate(START + "G53 Z-100.\n").segments[-1]
    assert not g53_low.end_home


def test_events_carry_the_state_before_them():
    text = (
        START
        + "T2 M6\nS1200 M3\nM8\nG1 Z10. F300.\nM01\nM00 (TURN PART)\nM60\nM5 M9\nM30\nG0 X9.\n"
    )
    trace = simulate(text)
    kinds = [(str(e.kind), e.code, e.line) for e in trace.events]
    assert kinds == [
        ("tool_change", 2, 4),
        ("stop", 1, 8),
        ("stop", 0, 9),
        ("stop", 60, 10),
        ("end", 30, 12),
    ]
    stop = trace.events[2]
    assert stop.text == "M00 (TURN PART)"
    s = stop.state
    assert (s.tool, s.spindle, s.spindle_rpm, s.coolant, s.motion, s.z) == (
        2,
        Spindle.CW,
        1200.0,
        Coolant.FLOOD,
        1,
        10.0,
    )
    end = trace.events[-1].state
    assert (end.spindle, end.coolant) == (Spindle.OFF, Coolant.OFF)
    assert trace.segments[-1].end == (0.0, 0.0, 10.0)  # nothing runs after M30


def test_segments_carry_tool_spindle_and_coolant():
    text = "T3 M6\nS800 M4\nG0 X0 Y0 Z5. M7\nM8\nG1 Z-1. F50.\n"
    feed = simulate(text).segments[-1]
    assert (feed.tool, feed.spindle, feed.spindle_rpm, feed.coolant) == (
        3,
        Spindle.CCW,
        800.0,
        Coolant.BOTH,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("G1 X5.\n", "line 4: feed move without a feed rate F"),
        ("G99 G81 X5. Z-1. F100.\n", "G81 without Z and R"),
        ("G99 G83 X5. Z-1. R2. F100.\n", "G83 without a peck depth Q"),
        ("G99 G82 X5. Z-1. R2. P0.5 F100.\n", "P takes a whole number"),
        ("G0 G1 X5.\n", "two G codes of group motion"),
        ("G0 X5. X6.\n", "address X twice"),
        ("G99 G81 X5. Z-1. R2. F100. K2 L2\n", "both K and L"),
    ],
)
def test_programs_a_control_refuses_are_errors(body, message):
    with pytest.raises(SimulationError, match=message):
        simulate(START + body)
