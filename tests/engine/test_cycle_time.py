"""Cycle time: closed-form cases to the millisecond, and the model's invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ncopt import estimate_cycle_time, parse_program
from ncopt.cycle_time import rapid_times_s
from ncopt.machine import Machine, trapezoid_time_s

MS = 1e-3


def t(text: str, machine: Machine):
    return estimate_cycle_time(parse_program(text, machine), machine)


def test_one_feed_move_is_the_trapezoid_formula(machine):
    # 100 mm at F6000 = 100 mm/s, accel 4000 mm/s²: L/v + v/a
    assert t("G90 G0 X0 Y0 Z0\nG1 X100. F6000\n", machine).cutting_s == pytest.approx(1.025, abs=MS)


def test_long_rapid_cruises_and_short_rapid_is_a_triangle(machine):
    # 600 mm/s, 4000 mm/s²: v²/a = 90 mm
    assert t("G0 X0 Y0 Z0\nG0 X100.\n", machine).rapid_s == pytest.approx(
        100 / 600 + 600 / 4000, abs=MS
    )
    assert t("G0 X0 Y0 Z0\nG0 X10.\n", machine).rapid_s == pytest.approx(
        2 * math.sqrt(10 / 4000), abs=MS
    )


def test_diagonal_rapid_is_limited_by_the_projection_on_each_axis(machine):
    # u = (0.6, 0.8): v = min(600/0.6, 600/0.8) = 750, a = min(4000/0.6, 4000/0.8) = 5000
    result = t("G0 X0 Y0 Z0\nG0 X30. Y40.\n", machine)
    assert result.rapid_s == pytest.approx(2 * math.sqrt(50 / 5000), abs=MS)
    assert result.rapid_distance_mm == pytest.approx(50.0)


def test_vectorised_rapid_time_is_machine_rapid_time(machine):
    rng = np.random.default_rng(3)
    moves = rng.normal(scale=80.0, size=(200, 3))
    moves[::7, 2] = 0.0
    expected = [machine.rapid_time_s(*m) for m in moves]
    assert rapid_times_s(machine, moves) == pytest.approx(expected, rel=1e-12)


def test_collinear_feed_moves_blend_like_one_move(machine):
    split = t("G0 X0 Y0 Z0\nG1 X50. F6000\nX100.\n", machine).cutting_s
    assert split == pytest.approx(1.025, abs=MS)


def test_right_angle_corner_slows_to_the_junction_deviation_speed(machine):
    # grbl: v² = a·δ·sin(θ/2)/(1 − sin(θ/2)), θ = 90° → sin = √½
    s = math.sqrt(0.5)
    v_j = math.sqrt(4000 * 0.01 * s / (1 - s))
    v, a, length = 100.0, 4000.0, 100.0
    one = (v / a) + (v - v_j) / a + (length - (v * v) / (2 * a) - (v * v - v_j * v_j) / (2 * a)) / v
    result = t("G0 X0 Y0 Z0\nG1 X100. F6000\nY100.\n", machine)
    assert result.cutting_s == pytest.approx(2 * one, abs=MS)


def test_full_circle_is_limited_by_centripetal_acceleration(machine):
    # r = 1 mm: v ≤ √(a·r) = 63.2 mm/s < 100 mm/s programmed
    v = math.sqrt(4000 * 1.0)
    length = 2 * math.pi
    result = t("G0 X0 Y0 Z0\nG2 X0 Y0 I1. J0 F6000\n", machine)
    assert result.cutting_s == pytest.approx(length / v + v / 4000, abs=MS)


def test_dwell_tool_change_and_spindle_start(machine):
    text = "T1 M6\nS1000 M3\nG4 P1500\nG4 X2.5\nM5\nT2 M6\nM3\n"
    result = t(text, machine)
    assert result.dwell_s == pytest.approx(4.0, abs=MS)
    assert result.tool_change_s == pytest.approx(2 * machine.tool_change_s)
    assert result.spindle_s == pytest.approx(2 * machine.spindle_start_s)
    assert result.tool_changes == 2
    assert result.total_s == pytest.approx(4.0 + 8.0 + 2.0, abs=MS)


def _rz(d: float, m: Machine) -> float:
    return trapezoid_time_s(d, m.rapid_z_mm_min / 60, m.accel_z_mm_s2)


def _fz(d: float, feed: float, m: Machine) -> float:
    return trapezoid_time_s(d, feed / 60, m.accel_z_mm_s2)


def test_g81_hole_expanded(machine):
    text = "G90 G0 X0 Y0 Z10.\nG99 G81 X10. Y0 Z-5. R2. F600.\nG80\n"
    result = t(text, machine)
    xy = 2 * math.sqrt(10 / 4000)
    assert result.rapid_s == pytest.approx(xy + _rz(8, machine) + _rz(7, machine), abs=MS)
    assert result.cutting_s == pytest.approx(_fz(7, 600, machine), abs=MS)
    assert result.holes == 1


def test_g83_pecks_retract_to_r_and_come_back_to_the_clearance(machine):
    # depth 10, Q4, clearance 1: pecks to 4, 8, 10; cut 4 + 5 + 3
    text = "G90 G0 X0 Y0 Z0.\nG99 G83 X0 Y0 Z-10. R0. Q4. F600.\nG80\n"
    result = t(text, machine)
    feeds = sum(_fz(d, 600, machine) for d in (4, 5, 3))
    rapids = sum(_rz(d, machine) for d in (4, 3, 8, 7, 10))
    assert result.cutting_s == pytest.approx(feeds, abs=MS)
    assert result.rapid_s == pytest.approx(rapids, abs=MS)


def test_g82_dwell_and_g98_return_to_the_initial_level(machine):
    text = "G90 G0 X0 Y0 Z20.\nG98 G82 X0 Y0 Z-4. R2. P500 F600.\nG80\n"
    result = t(text, machine)
    assert result.dwell_s == pytest.approx(0.5, abs=MS)
    # down 18 to R, cut 6, out 6 to R and 18 more to the initial level: one 24 mm rapid
    assert result.rapid_s == pytest.approx(_rz(18, machine) + _rz(24, machine), abs=MS)


def test_hole_to_hole_cost_is_the_sequencers_cost(machine):
    text = "G90 G0 X0 Y0 Z5.\nG99 G81 X0 Y0 Z-1. R1. F600.\nX30. Y40.\nX-20. Y45.\nG80\n"
    result = t(text, machine)
    hops = machine.rapid_time_xy(np.array([30.0, -50.0]), np.array([40.0, 5.0])).sum()
    per_hole = _rz(1 + 1, machine) + _fz(2, 600, machine)
    assert result.rapid_s + result.cutting_s == pytest.approx(
        hops + _rz(4, machine) + 3 * per_hole, abs=MS
    )


def test_faster_machine_is_never_slower(mixed_program):
    slow = Machine(rapid_x_mm_min=12000, rapid_y_mm_min=12000, accel_x_mm_s2=1000)
    fast = Machine()
    assert t(mixed_program, fast).total_s < t(mixed_program, slow).total_s


def test_breakdown_adds_up(mixed_program, machine):
    r = t(mixed_program, machine)
    parts = r.rapid_s + r.cutting_s + r.tool_change_s + r.dwell_s + r.spindle_s
    assert r.total_s == pytest.approx(parts)
    assert r.holes == 6 and r.blocks == 3 and r.tool_changes == 2


def test_k_repeats_with_g98_come_back_down_before_each_repeat(machine):
    # K3 at one place: 3 × (down 18 to R, cut 6, out 24) less the first descent's repeat
    text = "G90 G0 X0 Y0 Z20.\nG98 G81 X0 Y0 Z-4. R2. F600. K3\nG80\n"
    result = t(text, machine)
    assert result.holes == 3
    assert result.cutting_s == pytest.approx(3 * _fz(6, 600, machine), abs=MS)
    assert result.rapid_s == pytest.approx(3 * _rz(18, machine) + 3 * _rz(24, machine), abs=MS)


def test_g73_backs_off_by_the_peck_clearance_only(machine):
    # depth 10, Q4, clearance 1: cut 4, 5, 3; back off 1 twice; out 10
    text = "G90 G0 X0 Y0 Z0.\nG99 G73 X0 Y0 Z-10. R0. Q4. F600.\nG80\n"
    result = t(text, machine)
    assert result.cutting_s == pytest.approx(sum(_fz(d, 600, machine) for d in (4, 5, 3)), abs=MS)
    assert result.rapid_s == pytest.approx(2 * _rz(1, machine) + _rz(10, machine), abs=MS)


def test_a_reordered_program_is_timed_as_the_text_it_emits(mixed_program, machine):
    from ncopt import emit
    from ncopt.plan import reorder
    from ncopt.program import HoleSet, Step

    p = parse_program(mixed_program, machine)
    i = next(k for k, op in enumerate(p.ops) if isinstance(op, HoleSet))
    q = reorder(p, {p.ops[i].group: [Step(i, (5, 0, 4, 1, 3, 2))]})
    direct = estimate_cycle_time(q, machine)
    assert direct == estimate_cycle_time(parse_program(emit(q), machine), machine)
    assert direct.holes == 6 and direct.rapid_distance_mm != pytest.approx(
        t(mixed_program, machine).rapid_distance_mm
    )
