"""The verifier's pairing of blocks with the holes and blocks they touch, against brute force."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ncopt.footprint import boxes_overlap, overlapping_boxes, points_in_box, points_in_boxes

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
