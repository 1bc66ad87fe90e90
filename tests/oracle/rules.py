"""Rules 3 and 4 of the comparison: work on the same material keeps its order, and the
safety invariant of the travel between items.

Both need the new program's items matched to the old program's (``match_items``: by section
and identity, the k-th equal item of one program is the k-th of the other; with block
reversal allowed, an item left over may match an old one run backwards).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from tests.oracle.items import Item, Layout, Leg, level, reversed_key
from tests.oracle.trace import Segment, mm_text, rounded

__all__ = ["Matching", "match_items", "order_problems", "safety_problems"]

Z_TOLERANCE_MM = 1e-6


@dataclass(frozen=True)
class Matching:
    """``old_of_new[j]``: the old item new item ``j`` is; ``missing`` old items and ``extra``
    new items (indices) have no partner."""

    old_of_new: dict[int, int]
    missing: tuple[int, ...]
    extra: tuple[int, ...]


def match_items(old: Layout, new: Layout, allow_block_reversal: bool = False) -> Matching:
    queues: dict[tuple, deque[int]] = defaultdict(deque)
    for item in old.items:
        queues[(item.section, item.key)].append(item.index)
    old_of_new: dict[int, int] = {}
    extra = []
    for item in new.items:
        queue = queues.get((item.section, item.key))
        if queue:
            old_of_new[item.index] = queue.popleft()
        else:
            extra.append(item.index)
    if allow_block_reversal and extra:
        extra = _match_reversed(old, new, old_of_new, extra)
    used = set(old_of_new.values())
    missing = tuple(i for i in range(len(old.items)) if i not in used)
    return Matching(old_of_new, missing, tuple(extra))


def _match_reversed(old: Layout, new: Layout, old_of_new: dict[int, int], extra: list[int]):
    used = set(old_of_new.values())
    backwards: dict[tuple, deque[int]] = defaultdict(deque)
    for item in old.items:
        key = None if item.index in used else reversed_key(item)
        if key is not None:
            backwards[(item.section, key)].append(item.index)
    left = []
    for j in extra:
        queue = backwards.get((new.items[j].section, new.items[j].key))
        if queue:
            old_of_new[j] = queue.popleft()
        else:
            left.append(j)
    return left


def order_problems(old: Layout, matching: Matching, margin_mm: float) -> list[str]:
    """Rule 3: matched items on the same material keep their old order. Two holes are on the
    same material at the same XY; another item's XY extent (the start and end points of its
    segments) grown by ``margin_mm`` covers what it touches; an unknown point makes an item
    touch everything."""
    new_of_old = {o: n for n, o in matching.old_of_new.items()}
    done = sorted(new_of_old)
    items = [old.items[i] for i in done]
    where = np.array([new_of_old[i] for i in done])
    boxes = np.array([_box(item, margin_mm) for item in items]).reshape(-1, 4)
    pairs: set[tuple[int, int]] = set()
    # Holes against holes: only at the same point, so group them (20,000 holes are common).
    at_point: dict[tuple, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        if item.hole is not None and not np.isnan(boxes[k]).any():
            at_point[tuple(boxes[k, :2])].append(k)
    for ks in at_point.values():
        pairs.update((a, b) for a, b in pairwise(ks) if where[b] < where[a])
    # Everything else against everything (vectorised per item; such items are few).
    unknown = np.isnan(boxes).any(axis=1)
    index = np.arange(len(items))
    for k, item in enumerate(items):
        if item.hole is not None and not unknown[k]:
            continue
        overlap = (boxes[:, 0] <= boxes[k, 2]) & (boxes[k, 0] <= boxes[:, 2])
        overlap &= (boxes[:, 1] <= boxes[k, 3]) & (boxes[k, 1] <= boxes[:, 3])
        touch = overlap | unknown | unknown[k]
        swapped = ((index > k) & (where < where[k])) | ((index < k) & (where > where[k]))
        pairs.update((min(k, int(m)), max(k, int(m))) for m in np.nonzero(touch & swapped)[0])
    return [
        f"rule 3 (order): {items[a].describe('old')} and {items[b].describe('old')} work "
        "the same material, and the new program does them in the other order"
        for a, b in sorted(pairs)
    ]


def _box(item: Item, margin_mm: float) -> tuple[float, float, float, float]:
    points = [p[:2] for s in item.segments for p in (s.start, s.end)]
    xs = [rounded(p[0]) for p in points]
    ys = [rounded(p[1]) for p in points]
    if None in xs or None in ys:
        return (math.nan,) * 4
    grow = 0.0 if item.hole is not None else margin_mm
    return (min(xs) - grow, min(ys) - grow, max(xs) + grow, max(ys) + grow)


def safety_problems(old: Layout, new: Layout, matching: Matching) -> list[str]:
    """Rule 4: every XY move of the new program's travel between items ``a`` and ``b`` runs
    no lower than the old program left ``a``'s set and reached ``b``'s set, except a hop
    within one hole set at its return level and a move the old program made itself."""
    arrive, leave = _set_levels(old)
    made = {
        (leg.section, leg.segment.ends)
        for traverse in old.traverses
        for leg in traverse
        if leg.segment.moves_xy
    }
    out = []
    for k, traverse in enumerate(new.traverses):
        a = _old_item(old, new, matching, k - 1)
        b = _old_item(old, new, matching, k)
        levels = [leave[a.set_id] if a else None, arrive[b.set_id] if b else None]
        known = [z for z in levels if z is not None]
        if not known:
            continue
        bound = max(known)
        moves = [leg for leg in traverse if leg.segment.moves_xy]
        for leg in moves:
            z = _low_z(leg.segment)
            if (
                z >= bound - Z_TOLERANCE_MM
                or _hop(a, b, moves)
                or (leg.section, leg.segment.ends) in made
            ):
                continue
            out.append(_unsafe(leg.segment, z, bound, a, b, levels))
    return out


def _set_levels(old: Layout) -> tuple[dict[tuple, float | None], dict[tuple, float | None]]:
    """Each old set's arrive level (its first item's) and leave level (its last item's)."""
    arrive: dict[tuple, float | None] = {}
    leave: dict[tuple, float | None] = {}
    for item in old.items:
        if item.set_id not in arrive:
            arrive[item.set_id] = level(old.traverses[item.index])
        leave[item.set_id] = level(old.traverses[item.index + 1])
    return arrive, leave


def _old_item(old: Layout, new: Layout, matching: Matching, j: int) -> Item | None:
    if not 0 <= j < len(new.items) or j not in matching.old_of_new:
        return None
    return old.items[matching.old_of_new[j]]


def _low_z(s: Segment) -> float:
    """The lower end's Z; an unknown Z at the reference point is the top (+inf), another
    unknown Z is nan (never high enough)."""
    zs = [
        math.inf if math.isnan(z) and home else z
        for z, home in ((s.start[2], s.start_home), (s.end[2], s.end_home))
    ]
    return math.nan if any(map(math.isnan, zs)) else min(zs)


def _hop(a: Item | None, b: Item | None, moves: Sequence[Leg]) -> bool:
    """A single flat XY move between two holes of one old set at their return level."""
    if a is None or b is None or a.hole is None or a.set_id != b.set_id or len(moves) != 1:
        return False
    s = moves[0].segment
    return rounded(s.start[2]) == rounded(s.end[2]) == a.return_z == b.return_z


def _unsafe(
    s: Segment, z: float, bound: float, a: Item | None, b: Item | None, levels: list
) -> str:
    where = "at an unknown Z" if math.isnan(z) else f"at Z{mm_text(z)}"
    ends = " to ".join(f"X{mm_text(p[0])} Y{mm_text(p[1])}" for p in (s.start, s.end))
    after = f"after {a.describe('old')}" if a else "before any item"
    before = f"before {b.describe('old')}" if b else "after the last item"
    why = []
    if levels[0] is not None:
        why.append(f"it left that set at Z{mm_text(levels[0])}")
    if levels[1] is not None:
        why.append(f"it reached the next set at Z{mm_text(levels[1])}")
    return (
        f"rule 4 (safety): new line {s.line} moves {ends} {where}, {after} and {before}; "
        f"the old program travelled there no lower than Z{mm_text(bound)} ({', '.join(why)})"
    )
