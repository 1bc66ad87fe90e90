"""Tool regrouping: a later segment of a tool joins an earlier one, saving tool changes.

A program that uses a tool, changes to others, and comes back to it (spot T1, drill T2, spot T1
again on other holes) changes tools more often than it needs to. With the scenario setting
``allow_tool_regroup``, a later segment of a tool moves up to follow the nearest earlier
segment of the same tool, and its tool change is dropped — but only when it does not jump over
work on the same material (``ncopt.footprint``: a tap never moves ahead of its drill).

A *segment* runs from the line after the previous segment's last operation (so it starts with
the previous tool's retract and stop lines, which every tool change has before it) through its
tool-change line and set-up to its own last operation; the lines after the last operation of
the program stay at the end. A segment is not moved, and nothing jumps over it, when it holds a
barrier (subprogram call, macro: whatever it does is unknown), no operation, or feed moves
outside operations. The tool-change line dropped must hold nothing but ``T``, ``M6`` and an
``N`` number, and no other line may select a tool (a ``T`` word elsewhere, a preselection,
would make the tool loaded by a later M6 depend on where segments are).

``ncopt.verify.verify_equivalent(..., allow_tool_regroup=True)`` proves the result.

>>> from ncopt.interpreter import parse_program
>>> seg = "T{t} M6\\nS1000 M3\\nG0 X{x}. Y0. Z5.\\nG81 X{x}. Y0. Z-2. R1. F100.\\nG80\\n"
>>> text = "G90\\n" + seg.format(t=1, x=0) + seg.format(t=2, x=0) + seg.format(t=1, x=9) + "M30\\n"
>>> new, saved = regroup_tools(parse_program(text))
>>> print(new, end=""); saved
G90
T1 M6
S1000 M3
G0 X0. Y0. Z5.
G81 X0. Y0. Z-2. R1. F100.
G80
S1000 M3
G0 X9. Y0. Z5.
G81 X9. Y0. Z-2. R1. F100.
G80
T2 M6
S1000 M3
G0 X0. Y0. Z5.
G81 X0. Y0. Z-2. R1. F100.
G80
M30
1
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ncopt.footprint import (
    XY_DECIMALS,
    block_boxes,
    margin_mm,
    overlapping_boxes,
    points_in_boxes,
)
from ncopt.gcode import LineFlag
from ncopt.program import CutBlock, MoveKind, Program

__all__ = ["regroup_tools"]


@dataclass
class _Segment:
    tool: int
    change_line: int
    first: int  # lines [first, end)
    end: int
    wall: bool  # not moved, nothing jumps over it
    droppable: bool  # its tool-change line holds only T, M6, N
    holes: np.ndarray  # (n, 2) XY
    boxes: np.ndarray  # (m, 4) the cut blocks' boxes

    def touches(self, other: _Segment) -> bool:
        """Works the same material as ``other`` (``ncopt.footprint``'s rules), in numpy:
        segments of thousands of holes and blocks are compared in milliseconds."""
        mine = {tuple(p) for p in self.holes.round(XY_DECIMALS).tolist()}
        if any(tuple(p) in mine for p in other.holes.round(XY_DECIMALS).tolist()):
            return True
        for a, b in ((self, other), (other, self)):
            if len(points_in_boxes(b.holes, a.boxes)[0]):
                return True
        first, second = overlapping_boxes(np.vstack([self.boxes, other.boxes]))
        mixed = (first < len(self.boxes)) & (second >= len(self.boxes))
        return bool(mixed.any())


def regroup_tools(program: Program) -> tuple[str, int]:
    """The program's text with later segments of a tool joined to earlier ones, and how many
    tool changes that saves (0 and the text unchanged when nothing can be joined)."""
    tools = [t for _, t in program.tool_changes]
    if len(set(tools)) == len(tools) or not _tools_selected_only_at_changes(program):
        return program.text, 0
    segments = _segments(program)
    clusters: list[list[_Segment]] = []
    saved = 0
    for seg in segments:
        target = None if seg.wall or not seg.droppable else _target(clusters, seg)
        if target is None:
            clusters.append([seg])
        else:
            target.append(seg)
            saved += 1
    if not saved:
        return program.text, 0
    out = [program.lines_text(0, segments[0].first)]
    for cluster in clusters:
        for k, seg in enumerate(cluster):
            if k == 0:
                out.append(program.lines_text(seg.first, seg.end))
            else:  # same tool already in the spindle: no tool change
                out.append(program.lines_text(seg.first, seg.change_line))
                out.append(program.lines_text(seg.change_line + 1, seg.end))
    out.append(program.lines_text(segments[-1].end, program.n_lines))
    return "".join(out), saved


def _target(clusters: list[list[_Segment]], seg: _Segment) -> list[_Segment] | None:
    """The nearest earlier cluster of the same tool that ``seg`` may move up to."""
    for back in range(len(clusters) - 1, -1, -1):
        cluster = clusters[back]
        if cluster[0].tool == seg.tool:
            return cluster
        if any(other.wall or other.touches(seg) for other in cluster):
            return None
    return None


def _tools_selected_only_at_changes(program: Program) -> bool:
    """Every tool-change line names its tool and no other line selects one."""
    changes = np.zeros(program.n_lines, dtype=bool)
    changes[[line for line, _ in program.tool_changes]] = True
    has_t = (program.line_flags & LineFlag.T_WORD).astype(bool)
    return bool(np.array_equal(has_t, changes))


def _segments(program: Program) -> list[_Segment]:
    m = program.motion
    changes = [line for line, _ in program.tool_changes]
    bounds = [*changes, program.n_lines]
    # Barriers and program stops: whatever happens there is unknown (a subprogram) or up to
    # the operator (M0/M1/M60: the part may be refixtured). Nothing moves across them.
    walls = [b.line for b in program.barriers] + [s.line for s in program.stops]
    barriers = np.array(sorted(walls), dtype=np.int64)
    inside = np.zeros(len(m), dtype=bool)
    for op in program.ops:
        inside[op.rows[0] : op.rows[1]] = True
    loose_feed = ~inside & ((m.kind == MoveKind.LINE) | (m.kind == MoveKind.ARC))
    margin = margin_mm(program)
    segments: list[_Segment] = []
    first = changes[0]
    for k, (line, tool) in enumerate(program.tool_changes):
        ops = [op for op in program.ops if line <= op.body_line < bounds[k + 1]]
        end = max(op.end_line for op in ops) if ops else bounds[k + 1]
        if k == len(changes) - 1 and not ops:
            end = line + 1  # a last change without work: the rest is the program's end
        rows = (m.line >= first) & (m.line < end)
        has_barrier = bool(((barriers >= first) & (barriers < end)).any())
        boxes = block_boxes(program, [op for op in ops if isinstance(op, CutBlock)], margin)
        holes = m.end[rows & (m.kind == MoveKind.HOLE), :2]
        segments.append(
            _Segment(
                tool=tool,
                change_line=line,
                first=first,
                end=end,
                wall=(
                    has_barrier
                    or not ops
                    or bool(loose_feed[rows].any())
                    or not np.all(np.isfinite(holes))
                    # a position is unknown: it may touch anything
                    or not np.all(np.isfinite(boxes))
                ),
                droppable=bool(program.line_flags[line] & LineFlag.TOOL_CHANGE_ONLY),
                holes=holes,
                boxes=boxes,
            )
        )
        first = end
    return segments
