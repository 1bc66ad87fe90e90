"""A program on its way out: the built-in writer or a shop's own post-processor.

``write_program(program, post, machine)`` is what the pipeline calls: ``post`` None or
``"fanuc"`` is the built-in Fanuc-style writer (``ncopt.writer``); a ``dotnet:<dll>:<Class>``
setting or an object with ``emit(json) -> str`` (a ``DotNetPost``) gets
``program_to_json(program, machine)``, the same content as data (schema ``ncopt.program/1``,
docs/dotnet-post.md).
"""

from __future__ import annotations

import json

import numpy as np

from ncopt.controllers import profile
from ncopt.gcode import LineFlag
from ncopt.machine import Machine
from ncopt.program import Group, HoleSet, Modal, Program, Step
from ncopt.traverse import op_levels
from ncopt.writer import emit, group_script, prefix_comments, reversed_view

__all__ = ["program_to_json", "write_program"]


def write_program(program: Program, post: object | None, machine: Machine) -> str:
    """NC text for ``program`` through ``post`` (see the module docstring)."""
    if isinstance(post, str) and post.strip().lower() not in ("", "fanuc"):
        from ncopt.dotnet_post import DotNetPost, PostProcessorError, PostSpec

        spec = PostSpec.parse(post)
        if spec is None:
            raise PostProcessorError(f"unknown post {post!r}: use fanuc or dotnet:<dll>:<Class>")
        post = DotNetPost(spec)
    if post is not None and not isinstance(post, str):
        return post.emit(program_to_json(program, machine))  # type: ignore[attr-defined]
    return emit(program)


def program_to_json(program: Program, machine: Machine) -> str:
    """The program as JSON for a .NET post (schema ``ncopt.program/2``, docs/dotnet-post.md).

    ``pieces`` in emitted order: ``{"type": "text", "text"}`` for lines to copy as they are
    (everything outside reordered groups, line endings included) and ``{"type": "group"}`` for
    each reordered group with its ``steps`` (hole sets and cut blocks in their new order) and
    its ``script``: the built-in writer's instructions, one line each (travel, modal words,
    cycle cancels, and where each step's lines go), so a post formats them in its own dialect
    and keeps the travel the safety proof relies on; formatted like ``ncopt.writer`` they give
    its output byte for byte (``examples/dotnet_post/FanucPost.cs``). Coordinates are
    absolute work coordinates in mm; unknown ones are null.
    """
    pieces: list[dict] = []
    line = 0
    levels = op_levels(program) if program.plan else ()
    for index in sorted(program.plan, key=lambda g: program.groups[g].first_line):
        g = program.groups[index]
        pieces.append({"type": "text", "text": program.lines_text(line, g.first_line)})
        pieces.append(_group_json(program, g, program.plan[index], levels))
        line = g.end_line
    pieces.append({"type": "text", "text": program.lines_text(line, program.n_lines)})
    doc = {
        "schema": "ncopt.program/2",
        "units": "mm",
        "newline": program.newline,
        "machine": machine.to_mapping(),
        "tools": [tool for _, tool in program.tool_changes],
        "barriers": [
            {"line": b.line + 1, "text": b.text, "reason": b.reason} for b in program.barriers
        ],
        "pieces": [p for p in pieces if p.get("text", True)],
    }
    return json.dumps(doc, allow_nan=False, default=_nan_null)


def _nan_null(value):
    raise TypeError(f"not JSON-able: {value!r}")


def _xyz(v) -> list[float | None]:
    return [None if c != c else float(c) for c in v]


def _modal_json(m: Modal) -> dict:
    return {
        "motion": m.motion,
        "feed_mm_min": float(m.feed_mm_min),
        "plane": m.plane,
        "absolute": m.absolute,
        "inch": m.inch,
    }


def _group_json(
    program: Program, group: Group, steps: tuple[Step, ...], levels: tuple[np.ndarray, ...]
) -> dict:
    script = group_script(program, group, steps, levels)
    return {
        "type": "group",
        "index": group.index,
        "tool": group.tool,
        "inch": group.modal_out.inch,
        "start_xyz": _xyz(group.start_xyz),
        "modal_out": _modal_json(group.modal_out),
        "steps": [_op_json(program, step, group.tool) for step in steps],
        "script": [_instruction_json(item) for item in script],
    }


def _instruction_json(item: dict) -> dict:
    """One ``ncopt.writer.group_script`` instruction; floats as floats, absent words null."""
    out = dict(item)
    if item["type"] == "modal":
        for key in ("g90", "plane", "motion", "return_mode", "feed_mm_min"):
            out.setdefault(key, None)
    for key, value in out.items():
        if isinstance(value, np.floating):
            out[key] = float(value)
    return out


def _op_json(program: Program, step: Step, tool: int) -> dict:
    op = program.ops[step.op]
    comments = list(prefix_comments(program, op.first_line, op.body_line))
    if isinstance(op, HoleSet):
        return _holes_json(program, op, step, tool, comments)
    return _block_json(program, op, step, tool, comments)


def _holes_json(program: Program, op: HoleSet, step: Step, tool: int, comments: list[str]) -> dict:
    order = range(len(op.xy)) if step.holes is None else step.holes
    p = op.params
    return {
        "type": "holes",
        "tool": tool,
        "comments": comments,
        "cycle": p.cycle,
        "params": {
            "z_mm": p.z_mm,
            "r_mm": p.r_mm,
            "return_mode": p.return_mode,
            "return_z_mm": p.return_z_mm,
            "q_mm": p.q_mm,
            "dwell_s": p.dwell_s,
            "feed_mm_min": p.feed_mm_min,
            "repeats": p.repeats,
            "spindle_rpm": p.spindle_rpm,
            "coolant": p.coolant,
        },
        # The dwell as this program's control reads it (ncopt.controllers): "" for none.
        "dwell_word": profile(program.controller).dwell_word(p.dwell_s) if p.dwell_s else "",
        "initial_z_mm": _xyz(op.before_xyz)[2],
        "holes": op.xy[list(order)].tolist(),
    }


def _block_json(program: Program, op, step: Step, tool: int, comments: list[str]) -> dict:
    if step.reversed:  # cut backwards: the moves and lines of the reversed block
        view = reversed_view(program, op)
        rows, lines = view.rows, list(view.lines)
        kinds, ends, feeds = rows.kind.tolist(), rows.end, rows.feed.tolist()
        ends_and_modes = (view.entry_xyz, view.exit_xyz, view.modal_in, view.modal_out)
    else:
        m, r0, r1 = program.motion, op.rows[0], op.rows[1]
        kinds, ends, feeds = m.kind[r0:r1].tolist(), m.end[r0:r1], m.feed_mm_min[r0:r1].tolist()
        ends_and_modes = (op.entry_xyz, op.exit_xyz, op.modal_in, op.modal_out)
        lines = [program.line_text(i) for i in range(op.body_line, op.end_line)]
    entry, exit_, modal_in, modal_out = ends_and_modes
    has_motion = bool(program.line_flags[op.body_line] & LineFlag.MOTION_WORD)
    return {
        "type": "block",
        "tool": tool,
        "comments": comments,
        "reversed": step.reversed,
        "entry_xyz": _xyz(entry),
        "exit_xyz": _xyz(exit_),
        "modal_in": _modal_json(modal_in),
        "modal_out": _modal_json(modal_out),
        "lines": lines,
        "first_line_has_motion": step.reversed or has_motion,
        "moves": [
            {"kind": int(k), "end": _xyz(e), "feed_mm_min": float(f)}
            for k, e, f in zip(kinds, ends, feeds, strict=True)
        ],
    }
