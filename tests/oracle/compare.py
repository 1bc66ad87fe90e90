"""``compare(old, new) -> Report``: does ``new`` move the machine like ``old``?

Both programs are simulated (``tests.oracle.simulate``) and compared by five rules; each
problem names its rule and the lines:

1. events: the same barriers (text) and stops (code and text) in the same order; the same
   sequence of tool changes (with ``allow_tool_regroup``: the same set of tools, no more
   changes);
2. items (``tests.oracle.items``): per section (between barriers and stops) and tool, the
   same multiset of items;
3. order: items on the same material keep their relative order (``tests.oracle.rules``);
4. safety: the travel between items runs no lower than the old program's did there;
5. hand-over: at every barrier and stop the full state before it is the same; at tool
   changes (unless regrouping) and at the end the same without X and Y.

With ``allow_block_reversal`` an item may equal an old one run backwards; with
``air_cut_above_z_mm`` straight feed moves at or above that level count as rapids in both.

>>> old = "G0 X0 Y0 Z50.\\nG99 G81 X10. Z-5. R2. F100.\\nX20.\\nG80\\nG0 Z50.\\nM30\\n"
>>> compare(old, old)
Report(ok=True, problems=[])
>>> compare(old, old.replace("X20.", "X20. Z-6."))
Report(ok=False, problems=['rule 2 (items): hole X20. Y0. (R2. Z-5. back to 2., old line 3) \
is not in the new program', 'rule 2 (items): hole X20. Y0. (R2. Z-6. back to 2., new line 3) \
is not in the old program'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.oracle.items import WALLS, layout
from tests.oracle.rules import match_items, order_problems, safety_problems
from tests.oracle.simulate import simulate
from tests.oracle.trace import EventKind, SimulationError, Trace

__all__ = ["MARGIN_MM", "Report", "compare"]

# Same material: an item's XY extent grown by this plus the program's largest arc radius (no
# tool radius is known from the program; an arc may bulge past its end points by its radius).
MARGIN_MM = 10.0
_N_WORD = re.compile(r"^N\d+\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Report:
    ok: bool
    problems: list[str] = field(default_factory=list)


def compare(
    old: str,
    new: str,
    *,
    allow_tool_regroup: bool = False,
    allow_block_reversal: bool = False,
    air_cut_above_z_mm: float | None = None,
) -> Report:
    """Whether ``new`` does the same work as ``old`` by the oracle's rules (module doc)."""
    traces = []
    for name, text in (("old", old), ("new", new)):
        try:
            traces.append(simulate(text))
        except SimulationError as exc:
            return Report(False, [f"simulate: the {name} program cannot be simulated: {exc}"])
    a, b = traces
    problems = event_problems(a, b, allow_tool_regroup)
    la, lb = layout(a, air_cut_above_z_mm), layout(b, air_cut_above_z_mm)
    matching = match_items(la, lb, allow_block_reversal)
    problems += [
        f"rule 2 (items): {la.items[i].describe('old')} is not in the new program"
        for i in matching.missing
    ]
    problems += [
        f"rule 2 (items): {lb.items[j].describe('new')} is not in the old program"
        for j in matching.extra
    ]
    margin = MARGIN_MM + max(a.max_arc_radius, b.max_arc_radius)
    problems += order_problems(la, matching, margin)
    problems += safety_problems(la, lb, matching)
    problems += handover_problems(a, b, allow_tool_regroup, air_cut_above_z_mm is not None)
    return Report(not problems, problems)


def event_problems(a: Trace, b: Trace, allow_tool_regroup: bool) -> list[str]:
    """Rule 1."""
    out = []
    walls = [[e for e in t.events if e.kind in WALLS] for t in (a, b)]
    for ea, eb in zip(*walls, strict=False):
        if (ea.kind, ea.code, _plain(ea.text)) != (eb.kind, eb.code, _plain(eb.text)):
            out.append(
                f"rule 1 (events): old line {ea.line} {ea.kind} {ea.text!r} is new line "
                f"{eb.line} {eb.kind} {eb.text!r}"
            )
            break
    if len(walls[0]) != len(walls[1]):
        out.append(
            f"rule 1 (events): {len(walls[0])} barriers and stops in the old program, "
            f"{len(walls[1])} in the new"
        )
    tools = [[e.code for e in t.events if e.kind == EventKind.TOOL_CHANGE] for t in (a, b)]
    if allow_tool_regroup:
        if set(tools[0]) != set(tools[1]) or len(tools[1]) > len(tools[0]):
            out.append(f"rule 1 (events): tool changes {tools[0]} became {tools[1]}")
    elif tools[0] != tools[1]:
        out.append(f"rule 1 (events): tool changes {tools[0]} became {tools[1]}")
    return out


def handover_problems(a: Trace, b: Trace, allow_tool_regroup: bool, air_cut: bool) -> list[str]:
    """Rule 5. With air cutting a move before a stop may have become G0: the motion mode is
    compared at barriers only (what follows a stop is in the trace itself). With regrouping
    the tool at the end (and its spindle speed) may differ."""
    pairs = []
    walls = [[e for e in t.events if e.kind in WALLS] for t in (a, b)]
    pairs += [(ea, eb, True) for ea, eb in zip(*walls, strict=False)]
    if not allow_tool_regroup:
        changes = [[e for e in t.events if e.kind == EventKind.TOOL_CHANGE] for t in (a, b)]
        pairs += [(ea, eb, False) for ea, eb in zip(*changes, strict=False)]
    pairs.append((a.events[-1], b.events[-1], False))
    out = []
    for ea, eb, with_xy in pairs:
        motion = not (air_cut and ea.kind != EventKind.BARRIER)
        sa = ea.state.handover(with_xy, motion)
        sb = eb.state.handover(with_xy, motion)
        if allow_tool_regroup and ea.kind == EventKind.END:
            # Regrouping may change which tool works last, and so its speed.
            for state in (sa, sb):
                state.pop("tool")
                state["spindle"] = state["spindle"][1]
        if sa != sb:
            diff = ", ".join(f"{k} {sa[k]} became {sb[k]}" for k in sa if sa[k] != sb[k])
            out.append(
                f"rule 5 (hand-over): before the {ea.kind} at old line {ea.line} "
                f"(new line {eb.line}): {diff}"
            )
    return out


def _plain(text: str) -> str:
    """An event's text without its sequence number and outer blanks."""
    return _N_WORD.sub("", text.strip())
