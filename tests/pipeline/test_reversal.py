"""Block reversal: only with the setting, only simple one-depth blocks, proved by reversing back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ncopt import Machine, emit, estimate_cycle_time, parse_program, verify_equivalent
from ncopt.optimize import optimize_program
from ncopt.pipeline import optimize_text
from ncopt.plan import reorder
from ncopt.program import CutBlock, Step
from ncopt.reverse import block_rows, reverse_block, reverse_rows
from ncopt.transforms import Transforms
from tests.engine.programs import FOOTER, HEADER, mill_tool, num

MACHINE = Machine()


def slots(n: int = 6, length: float = 100.0, pitch: float = 30.0) -> str:
    """Slots all cut left to right, as a CAM system that keeps climb milling writes them."""
    lines = ["T1 M6", "S3000 M3", "G0 G90 G54 X0. Y0.", "G43 H1 Z25. M8"]
    for k in range(n):
        y = num(pitch * k)
        lines += [f"G0 X0. Y{y}", "Z2.", "G1 Z-2. F150.", f"G1 X{num(length)} F800.", "G0 Z25."]
    return HEADER + "\n".join([*lines, "M9"]) + "\n" + FOOTER


def _blocks(p):
    return [op for op in p.ops if isinstance(op, CutBlock)]


def test_slots_become_a_zigzag_only_with_the_setting():
    old = parse_program(slots())
    _, stats = optimize_program(old, MACHINE, time_limit_s=1)
    assert stats.blocks_reversed == 0
    cand, stats = optimize_program(old, MACHINE, time_limit_s=1, allow_block_reversal=True)
    assert stats.blocks_reversed == 3  # every other slot
    new = parse_program(emit(cand))
    assert verify_equivalent(old, new, allow_block_reversal=True).ok
    report = verify_equivalent(old, new)
    assert not report.ok and "is not cut the same way" in report.first_difference
    t_old, t_new = (estimate_cycle_time(p, MACHINE) for p in (old, new))
    assert t_new.rapid_distance_mm < 0.6 * t_old.rapid_distance_mm  # 822 -> 450 mm
    assert t_new.total_s < t_old.total_s
    assert t_new.cutting_s == pytest.approx(t_old.cutting_s)


def test_pocket_with_arcs_reversed_and_back_is_the_same_block():
    p = parse_program(HEADER + mill_tool(2, [(0.0, 0.0)]) + FOOTER)
    (op,) = _blocks(p)
    rows = block_rows(p, op)
    back = reverse_rows(reverse_rows(rows))
    for field in ("start", "kind", "end", "feed", "arcs"):
        np.testing.assert_allclose(getattr(back, field), getattr(rows, field), atol=1e-12)
    # The pocket is closed (it ends where it starts): backwards it is the other lap.
    assert reverse_block(p, op).lines == (
        "G0 Z2.",
        "G1 Z-3. F150.",
        "G1 Y12. F600.",
        "G1 X8.",
        "G2 X10. Y10. I0. J-2.",  # the G3 corner, turning the other way round its centre
        "G1 Y0.",
        "G1 X0.",
        "G0 Z25.",
    )


@pytest.mark.parametrize(
    "body,why",
    [
        ("Z2.\nG1 Z-2. F150.\nX50. F800.\nZ-4.\nX0.\nG0 Z25.\n", "two depths"),
        ("Z2.\nG1 X5. Z-2. F150.\nX50. F800.\nG0 Z25.\n", "ramped entry"),
        ("Z2.\nG1 Z-2. F150.\nX50. F800. M8\nG0 Z25.\n", "an M-code on a body line"),
        ("Z2.\nG1 Z-2. F150.\nG2 X50. Z-3. I25. J0. F800.\nG0 Z25.\n", "a helix"),
        ("Z2.\nG1 Z-2. F150.\nX50. F800.\nG4 P500\nX60.\nG0 Z25.\n", "a dwell"),
    ],
)
def test_only_one_depth_plain_blocks_are_reversible(body, why):
    p = parse_program("G90 G17 G0 X0. Y0. Z25.\n" + body)
    assert _blocks(p), why
    assert not any(reverse_block(p, op) is not None for op in _blocks(p)), why


def test_cutter_compensation_forbids_reversal():
    text = slots().replace("G43 H1 Z25. M8", "G43 H1 Z25. M8\nG41 D1")
    p = parse_program(text)
    assert _blocks(p) and not any(reverse_block(p, op) is not None for op in _blocks(p))
    assert reverse_block(parse_program(slots()), _blocks(parse_program(slots()))[0]) is not None


@pytest.mark.parametrize(
    "edit",
    [
        ("G1 X0. F800.", "G1 X0. F900."),  # other feed
        ("G1 X0. F800.", "G1 X0.1 F800."),  # other end
        ("G1 Z-2. F150.", "G1 Z-2.1 F150."),  # other depth
    ],
)
def test_a_reversed_block_that_is_not_the_same_path_is_refused(edit):
    old = parse_program(slots(n=2, pitch=200.0))
    group = next(g for g in old.groups if len(g.ops) == 2)
    plan = {group.index: [Step(group.ops[0]), Step(group.ops[1], reversed=True)]}
    text = emit(reorder(old, plan))
    assert verify_equivalent(old, parse_program(text), allow_block_reversal=True).ok
    head, tail = text.rsplit("G0 X100. Y200.", 1)
    bad = head + "G0 X100. Y200." + tail.replace(edit[0], edit[1], 1)
    assert bad != text
    report = verify_equivalent(old, parse_program(bad), allow_block_reversal=True)
    assert not report.ok


@settings(max_examples=25, deadline=None)
@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from(["G1", "G2", "G3"]),
            st.integers(-40, 40),
            st.integers(-40, 40),
            st.sampled_from([300, 600, 900]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_random_contours_reverse_to_the_same_path(moves):
    lines = ["G90 G17 G0 X0. Y0. Z25.", "Z2.", "G1 Z-1. F100."]
    x = y = 0.0
    for g, dx, dy, feed in moves:
        if (dx, dy) == (0, 0):
            continue
        nx, ny = x + dx, y + dy
        if g == "G1":
            lines.append(f"G1 X{num(nx)} Y{num(ny)} F{feed}.")
        else:  # a half circle over the chord: centre at its middle
            lines.append(f"{g} X{num(nx)} Y{num(ny)} I{num(dx / 2)} J{num(dy / 2)} F{feed}.")
        x, y = nx, ny
    assume(len(lines) > 3)
    text = "\n".join([*lines, "G0 Z25."]) + "\n"
    old = parse_program(text)
    (op,) = _blocks(old)
    assert reverse_block(old, op) is not None
    new = parse_program(emit(reorder(old, {op.group: [Step(op.index, reversed=True)]})))
    assert verify_equivalent(old, new, allow_block_reversal=True).ok
    assert estimate_cycle_time(new, MACHINE).cutting_distance_mm == pytest.approx(
        estimate_cycle_time(old, MACHINE).cutting_distance_mm
    )


def test_pipeline_reverses_blocks_when_the_setting_allows():
    text = slots()
    plain = optimize_text("S.nc", text, MACHINE, time_limit_s=1)
    assert plain.row["blocks_reversed"] == 0
    out = optimize_text(
        "S.nc", text, MACHINE, transforms=Transforms(allow_block_reversal=True), time_limit_s=1
    )
    assert out.row["status"] == "optimized", out.row["reason"]
    assert out.row["blocks_reversed"] == 3
    assert "3 blocks cut backwards" in out.row["reason"]
    new = parse_program(out.new_text)
    assert verify_equivalent(parse_program(text), new, allow_block_reversal=True).ok
