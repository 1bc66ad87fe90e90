"""Cut blocks of one tool: reordered around work on the same material, at any group size,
and a stop request answered while thousands of them are ordered."""

from __future__ import annotations

import time

import numpy as np
import pytest

import ncopt.travel
from ncopt import Machine, emit, estimate_cycle_time, parse_program, verify_equivalent
from ncopt.footprint import same_material_pairs
from ncopt.optimize import optimize_program
from ncopt.pipeline import optimize_text
from tests.engine.programs import FOOTER, HEADER, mill_tool

MACHINE = Machine()


def _scattered(n: int, pitch: float = 40.0, seed: int = 1) -> list[tuple[float, float]]:
    """Pocket corners on a grid, in a random (CAM export) order, none overlapping."""
    side = int(np.ceil(np.sqrt(n)))
    cells = np.random.default_rng(seed).permutation(side * side)[:n]
    return [(float(c % side) * pitch, float(c // side) * pitch) for c in cells]


def _block_order(p) -> list[int]:
    group = next(g for g in p.groups if len(g.ops) > 1)
    return [s.op for s in p.plan.get(group.index, ())] or list(group.ops)


def test_other_blocks_move_past_a_roughing_and_its_finishing_pass():
    # The finishing pass (0, 0.5) overlaps the roughing (0, 0): those two keep their order;
    # the far pockets between and around them are free to move.
    corners = [(0.0, 0.0), (400.0, 300.0), (0.0, 300.0), (0.0, 0.5), (400.0, 0.0), (200.0, 0.0)]
    text = HEADER + mill_tool(1, corners) + FOOTER
    outcome = optimize_text("P", text, MACHINE, time_limit_s=2.0)
    assert outcome.row["status"] == "optimized", outcome.row["reason"]
    assert outcome.row["blocks_resequenced"] == len(corners)
    new = outcome.new_text
    assert new.index("(POCKET AT X0. Y0.)") < new.index("(POCKET AT X0. Y0.5)")
    order = [new.index(f"(POCKET AT X{x:g}. Y{y:g}") for x, y in corners if y != 0.5]
    assert order != sorted(order)  # something moved
    assert outcome.row["cycle_time_new_s"] < outcome.row["cycle_time_old_s"]


@pytest.mark.alone
@pytest.mark.slow
def test_a_stop_request_is_answered_within_half_a_second_on_thousands_of_blocks():
    old = parse_program(HEADER + mill_tool(1, _scattered(2500)) + FOOTER, MACHINE)
    asked: list[float] = []
    t0 = time.monotonic()

    def stop() -> bool:
        asked.append(time.monotonic())
        return asked[-1] - t0 > 1.5

    new, stats = optimize_program(old, MACHINE, time_limit_s=120.0, should_stop=stop)
    done = time.monotonic()
    gaps = np.diff([t0, *asked, done])
    assert stats.stopped
    assert gaps.max() < 0.5, f"should_stop not asked for {gaps.max():.2f} s"
    report = verify_equivalent(old, parse_program(emit(new), MACHINE))
    assert report.ok, report.first_difference


@pytest.mark.parametrize("reversal", [False, True])
def test_a_group_bigger_than_one_search_is_ordered_window_by_window(monkeypatch, reversal):
    corners = _scattered(60)
    corners[10:10] = [(corners[5][0], corners[5][1] + 0.5)]  # a finishing pass of pocket 5
    corners.append((corners[30][0] + 0.5, corners[30][1]))  # and one of pocket 30, far behind
    old = parse_program(HEADER + mill_tool(1, corners) + FOOTER, MACHINE)
    whole, _ = optimize_program(old, MACHINE, time_limit_s=5.0, allow_block_reversal=reversal)
    monkeypatch.setattr(ncopt.travel, "MAX_STATES", 24)  # windows of 24 or 12 pockets
    new, stats = optimize_program(old, MACHINE, time_limit_s=5.0, allow_block_reversal=reversal)
    assert stats.blocks_resequenced == len(corners)
    order = _block_order(new)
    position = {op: t for t, op in enumerate(order)}
    ops = [old.ops[i] for i in sorted(order)]
    for a, b in same_material_pairs(old, ops).tolist():
        assert position[ops[a].index] < position[ops[b].index]
    report = verify_equivalent(
        old, parse_program(emit(new), MACHINE), allow_block_reversal=reversal
    )
    assert report.ok, report.first_difference
    # Windows along a sweep lose little against one search over everything.
    rapid = [
        estimate_cycle_time(parse_program(emit(p), MACHINE), MACHINE).rapid_s
        for p in (old, whole, new)
    ]
    assert rapid[2] < 1.05 * rapid[1] and rapid[1] < 0.8 * rapid[0]
