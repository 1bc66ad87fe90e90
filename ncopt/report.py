"""The evidence a program's result row carries: each group with what happened to it and why,
per tool the work and the travel before and after, and the verifier's checklist.

- ``group_rows``: one dict per group of the program that was re-sequenced — its tool and first
  line, holes and blocks, ``changed``, a ``reason_code`` when it was left alone
  (``REASONS``) with a sentence, and its rapid time and distance before and after;
- ``tool_rows``: per tool, holes, blocks, rapid time and distance and tool changes, old and new;
- ``verification_json``: the checklist of ``ncopt.verify`` with the per-tool table.

All values are plain JSON (no NaN): a figure that is not known is None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ncopt.cycle_time import travel_by_row, untimed_rows
from ncopt.machine import Machine
from ncopt.program import CutBlock, Group, HoleSet, MoveKind, Program
from ncopt.subprograms import expanded_text
from ncopt.verify import VerifyReport

__all__ = ["REASONS", "group_rows", "program_warnings", "tool_rows", "verification_json"]

# Why a group was left as it was: the code the UI translates, and the sentence of the report.
REASONS = {
    "entry_unknown": "where the tool comes from is not known (after a subprogram call, a "
    "macro or G28), so the group's first move cannot change",
    "cycle_continues": "a canned cycle goes on after the group on a line that relies on it",
    "block_unfinished": "a cut block ends on a line with other words on it",
    "nothing_to_order": "one operation with at most two holes: nothing to re-sequence",
    "already_best": "the program's own order is the fastest found",
    "verify_failed": "the new order failed verification",
    "not_faster": "the new program as a whole is not faster",
    "below_threshold": "the saving is below the scenario's minimum",
    "cutter_comp": "it is entered with cutter compensation on: its travel is compensated",
}


def group_rows(
    old: Program,
    new: Program | None,
    spans: Mapping[int, tuple[int, int]] | None,
    outcome: Mapping[int, tuple[str | None, str]],
    machine: Machine,
) -> list[dict[str, Any]]:
    """One row per group of ``old``; ``outcome`` maps a group to ``(reason_code or None,
    sentence)`` (default: why it could not move, or that there was nothing to do);
    ``spans`` gives the new program's lines of each rewritten group."""
    own = {g.index: (g.first_line, g.end_line) for g in old.groups}
    old_s, old_mm = _by_span(old, machine, own)
    new_s, new_mm = _by_span(new, machine, spans) if new is not None and spans else ({}, {})
    rows = []
    for g in old.groups:
        code, sentence = outcome.get(g.index, _default(old, g))
        changed = code is None and g.index in new_s
        rows.append(
            {
                "index": g.index,
                "tool": g.tool,
                "first_line": g.first_line + 1,
                "holes": _holes(old, g),
                "blocks": sum(isinstance(old.ops[i], CutBlock) for i in g.ops),
                "changed": changed,
                "reason_code": code,
                "reason": sentence,
                "rapid_s_old": old_s[g.index],
                "rapid_s_new": new_s.get(g.index, old_s[g.index]) if changed else old_s[g.index],
                "rapid_distance_old_mm": old_mm[g.index],
                "rapid_distance_new_mm": new_mm.get(g.index) if changed else old_mm[g.index],
            }
        )
    return rows


def _default(program: Program, group: Group) -> tuple[str, str]:
    if not group.movable:
        code = group.fixed or "entry_unknown"
    elif len(group.ops) <= 1 and _holes(program, group) <= 2:
        code = "nothing_to_order"
    else:
        code = "already_best"
    return code, REASONS[code]


def _holes(program: Program, group: Group) -> int:
    return sum(len(op.xy) for op in (program.ops[i] for i in group.ops) if isinstance(op, HoleSet))


def _by_span(program: Program, machine: Machine, spans) -> tuple[dict, dict]:
    """Rapid seconds and mm of the motion rows on each span's lines."""
    seconds, mm = travel_by_row(program, machine)
    lines = program.motion.line
    cum_s = np.concatenate([[0.0], np.cumsum(seconds)])
    cum_mm = np.concatenate([[0.0], np.cumsum(mm)])
    out_s, out_mm = {}, {}
    for key, (first, end) in spans.items():
        a, b = np.searchsorted(lines, first), np.searchsorted(lines, end)
        out_s[key] = _finite(cum_s[b] - cum_s[a])
        out_mm[key] = _finite(cum_mm[b] - cum_mm[a])
    return out_s, out_mm


def tool_rows(old: Program, new: Program | None, machine: Machine) -> list[dict[str, Any]]:
    """Per tool, in the order the old program first uses them: the work and the travel."""
    a = _per_tool(old, machine)
    b = _per_tool(new, machine) if new is not None else a
    rows = []
    for tool in a:
        mine, theirs = a[tool], b.get(tool, {})
        row: dict[str, Any] = {"tool": tool}
        for key in mine:
            unit = "_mm" if key == "rapid_distance" else ""
            row[f"{key}_old{unit}"] = mine[key]
            row[f"{key}_new{unit}"] = theirs.get(key)
        rows.append(row)
    return rows


def _per_tool(program: Program, machine: Machine) -> dict[int, dict[str, Any]]:
    m = program.motion
    tools = program.tools_at(m.line.astype(np.int64))
    seconds, mm = travel_by_row(program, machine)
    hole = m.kind == MoveKind.HOLE
    repeats = np.array([p.repeats for p in program.hole_params] or [0], dtype=np.int64)
    changes = [t for _, t in program.tool_changes]
    block_tools = program.tools_at(
        np.array([op.body_line for op in program.ops if isinstance(op, CutBlock)])
    )
    order = list(dict.fromkeys([*changes, *tools.tolist()]))
    out = {}
    for tool in order:
        mine = tools == tool
        out[tool] = {
            "holes": int(repeats[m.aux[hole & mine]].sum()) if (hole & mine).any() else 0,
            "blocks": int((block_tools == tool).sum()),
            "rapid_s": _finite(seconds[mine].sum()),
            "rapid_distance": _finite(mm[mine].sum()),
            "tool_changes": changes.count(tool),
        }
    return out


def verification_json(
    report: VerifyReport, old: Program, new: Program | None, machine: Machine
) -> dict[str, Any]:
    """The verifier's checklist and the per-tool table, as the result row stores them."""
    return {
        "ok": report.ok,
        "checks": [{"rule": r, "ok": ok, "detail": detail} for r, ok, detail in report.checks],
        "tools": tool_rows(old, new, machine),
    }


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def program_warnings(program: Program) -> list[dict[str, Any]]:
    """What the figures leave out, with the lines: moves from a position the program does
    not state, arcs that cannot be timed, subprograms not in the file."""
    out = [{"line": line + 1, "message": message} for line, message in program.warnings]
    rows = untimed_rows(program)
    lines = sorted({int(program.motion.line[r]) + 1 for r in rows})
    if lines:
        shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
        many = "moves start" if len(rows) > 1 else "move starts"
        message = f"{len(rows)} {many} where the program does not say (lines {shown})"
        out.append({"line": lines[0], "message": message + ": they are timed only in part"})
    for b in program.barriers:
        if b.reason == "subprogram call" and expanded_text(program.text) is None:
            out.append({"line": b.line + 1, "message": f"{b.text.strip()}: not timed"})
    return out
