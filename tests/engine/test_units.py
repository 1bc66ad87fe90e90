"""Units and decimal-point modes through timing, emit and verify."""

from __future__ import annotations

import numpy as np
import pytest

from ncopt import emit, estimate_cycle_time, parse_program, verify_equivalent
from ncopt.plan import reorder
from ncopt.program import HoleSet, Step

INCH = "G20 G90 G17\nT1 M6\nS1000 M3\nG0 X0 Y0 Z1.\nG99 G81 X0.5 Y0.25 Z-0.1 R0.1 F10.\n"
INCH += "X1.2345 Y0.25\nX2. Y-0.5\nG80\nG0 Z1.\nM30\n"


def test_increment_mode_reads_integers_as_thousandths(increment_machine, machine):
    text = "G90 G0 X0 Y0 Z0\nG1 X100000 F6000\n"  # 100 mm in increment mode
    assert estimate_cycle_time(
        parse_program(text, increment_machine), increment_machine
    ).cutting_s == (pytest.approx(1.025, abs=1e-3))
    # the same text on a calculator-type machine is 100 m: refused by nothing, just long
    assert estimate_cycle_time(parse_program(text, machine), machine).cutting_s > 900


def test_emitted_coordinates_mean_the_same_in_either_decimal_mode(increment_machine, machine):
    text = "G90 G0 X0 Y0 Z10.\nG99 G81 X5000 Y0 Z-3000 R2000 F100.\nX1000\nX3000\nG80\n"
    old = parse_program(text, increment_machine)
    assert old.ops[0].xy.tolist() == [[5.0, 0.0], [1.0, 0.0], [3.0, 0.0]]
    new_text = emit(reorder(old, {0: [Step(0, (1, 2, 0))]}))
    for m in (increment_machine, machine):  # decimal points everywhere: one meaning
        assert verify_equivalent(old, parse_program(new_text, m)).ok


def test_inch_program_is_timed_in_mm_and_written_back_in_inch(machine):
    old = parse_program(INCH, machine)
    holes = next(op for op in old.ops if isinstance(op, HoleSet))
    assert holes.xy[1].tolist() == pytest.approx([1.2345 * 25.4, 0.25 * 25.4])
    new_text = emit(reorder(old, {holes.group: [Step(holes.index, (2, 1, 0))]}))
    assert "X1.2345 Y0.25" in new_text and "X2. Y-0.5 Z-0.1 R0.1 F10." in new_text
    report = verify_equivalent(old, parse_program(new_text, machine))
    assert report.ok, report.first_difference


def test_four_decimal_coordinates_survive_a_reorder(machine):
    xy = np.round(np.random.default_rng(5).uniform(0, 100, size=(30, 2)), 4)
    body = "".join(f"X{x:.4f} Y{y:.4f}\n" for x, y in xy[1:])
    text = f"G90 G0 X0 Y0 Z5.\nG99 G81 X{xy[0, 0]:.4f} Y{xy[0, 1]:.4f} Z-1. R1. F100.\n{body}G80\n"
    old = parse_program(text, machine)
    order = tuple(np.random.default_rng(6).permutation(30).tolist())
    new = parse_program(emit(reorder(old, {0: [Step(0, order)]})), machine)
    assert verify_equivalent(old, new).ok
