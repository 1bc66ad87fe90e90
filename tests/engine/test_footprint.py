"""Which operations work the same material: the fast pairings the optimizer and the verifier
use, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncopt import parse_program
from ncopt.footprint import (
    block_box,
    block_boxes,
    boxes_overlap,
    margin_mm,
    overlapping_boxes,
    points_in_box,
    points_in_boxes,
    same_material_pairs,
)
from ncopt.program import CutBlock
from tests.engine.programs import one_tool, touch

_coord = st.integers(-50, 50).map(float)
_box = st.one_of(
    st.tuples(_coord, _coord, st.integers(0, 40), st.integers(0, 40)).map(
        lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3])
    ),
    st.just((-np.inf, -np.inf, np.inf, np.inf)),  # a block whose position is unknown
)
_point = st.one_of(st.tuples(_coord, _coord), st.just((np.nan, np.nan)))


@settings(max_examples=300, deadline=None)
@given(boxes=st.lists(_box, max_size=12), points=st.lists(_point, max_size=30))
def test_box_pairs_match_brute_force(boxes, points):
    b = np.array(boxes, dtype=float).reshape(-1, 4)
    p = np.array(points, dtype=float).reshape(-1, 2)
    i, k = points_in_boxes(p, b)
    got = set(zip(i.tolist(), k.tolist(), strict=True))
    want = {
        (h, j)
        for j in range(len(b))
        for h in np.flatnonzero(points_in_box(p, tuple(b[j]))).tolist()
    }
    assert got == want and len(got) == len(i)
    i, k = overlapping_boxes(b)
    got = set(zip(i.tolist(), k.tolist(), strict=True))
    want = {
        (x, y)
        for x in range(len(b))
        for y in range(x + 1, len(b))
        if boxes_overlap(tuple(b[x]), tuple(b[y]))
    }
    assert got == want and len(got) == len(i)


def _closure(pairs, n: int) -> set[tuple[int, int]]:
    """Every (a, b) implied by the pairs: the orders they allow are the same."""
    reach = np.zeros((n, n), dtype=bool)
    for a, b in pairs:
        reach[a, b] = True
    for k in range(n):
        reach |= reach[:, k, None] & reach[None, k, :]
    return {(int(a), int(b)) for a, b in zip(*np.nonzero(reach), strict=True)}


_grid = st.tuples(st.integers(0, 8), st.integers(0, 8)).map(lambda c: (c[0] * 12.0, c[1] * 12.0))
_part = st.one_of(
    st.tuples(st.just("holes"), st.lists(_grid, min_size=1, max_size=6)),
    st.tuples(st.just("pocket"), _grid),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(_part, min_size=1, max_size=10))
def test_same_material_pairs_allow_exactly_the_orders_the_rules_allow(machine, parts):
    p = parse_program(one_tool(1, parts), machine)
    ops = list(p.ops)
    got = same_material_pairs(p, ops)
    assert np.all(got[:, 0] < got[:, 1])
    want = [
        (a, b) for a, b in itertools.combinations(range(len(ops)), 2) if touch(p, ops[a], ops[b])
    ]
    assert _closure(got.tolist(), len(ops)) == _closure(want, len(ops))


def test_block_boxes_are_block_box_of_each_block(demo_program, machine):
    p = parse_program(demo_program.read_bytes(), machine)
    blocks = [op for op in p.ops if isinstance(op, CutBlock)]
    margin = margin_mm(p)
    want = np.array([block_box(p, op, margin) for op in blocks], dtype=float).reshape(-1, 4)
    assert np.array_equal(block_boxes(p, blocks, margin), want)
