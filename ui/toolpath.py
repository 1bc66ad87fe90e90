"""A program's toolpath reduced to what a plot can show: per tool, the route in visiting order,
its holes and cuts, decimated so tens of thousands of holes stay a few thousand points.

No streamlit here: ``ui.data`` caches ``path_view`` by the program's digest, ``ui.plots``
draws it. Decimation keeps every ``stride``-th point of a tool's route, in order, plus its
first and last, so the route's shape and direction survive; the counts shown are the real ones.

>>> from ncopt import Machine
>>> view = path_view("T1 M6\\nG0 X0 Y0 Z5\\nG81 X1 Y1 Z-2 R1 F100\\nX2 Y1\\nG80\\n", Machine())
>>> [(p.tool, p.n_holes, len(p.holes)) for p in view.tools]
[(1, 2, 2)]
>>> view.start
(0.0, 0.0, 5.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ncopt import Machine, parse_program
from ncopt.program import MoveKind, Program

__all__ = ["MAX_POINTS", "PathView", "ToolPath", "path_view"]

# Points per plot, all tools together: more makes the browser slow and the picture no clearer.
MAX_POINTS = 6000
MAX_CUT_SEGMENTS = 20_000


@dataclass(frozen=True, eq=False)
class ToolPath:
    """One tool's part of a program, in visiting order (arrays are (k, 3) mm, NaN-free)."""

    tool: int
    route: np.ndarray  # positions of rapids and holes, decimated
    holes: np.ndarray  # hole positions (x, y, return z), decimated
    hole_number: np.ndarray  # each kept hole's visiting number within the tool, from 1
    cuts: np.ndarray  # (m, 2, 3) start and end of cutting moves (lines; arcs as chords)
    profile: np.ndarray  # (k, 2) move number and Z along the program: down each hole and up
    n_holes: int  # before decimation
    n_moves: int


@dataclass(frozen=True, eq=False)
class PathView:
    tools: tuple[ToolPath, ...]
    start: tuple[float, float, float] | None
    end: tuple[float, float, float] | None
    n_moves: int
    decimated: bool


def path_view(text: str | bytes, machine: Machine, max_points: int = MAX_POINTS) -> PathView:
    """Parse ``text`` and reduce it for plotting (raises ``GCodeError`` like the parser)."""
    program = parse_program(text, machine)
    motion = program.motion
    ends = motion.end
    known = np.all(np.isfinite(ends), axis=1)
    tools = _tool_per_row(program)
    budget = max(50, max_points // max(1, len(set(tools.tolist()))))
    parts = []
    decimated = False
    for tool in dict.fromkeys(tools.tolist()):  # first-use order
        rows = np.flatnonzero((tools == tool) & known)
        if not len(rows):
            continue
        part = _tool_path(program, int(tool), rows, budget)
        decimated |= len(part.route) < part.n_moves or len(part.holes) < part.n_holes
        parts.append(part)
    first = np.flatnonzero(known)
    start = tuple(float(v) for v in ends[first[0]]) if len(first) else None
    end = tuple(float(v) for v in ends[first[-1]]) if len(first) else None
    return PathView(tuple(parts), start, end, len(motion), decimated)


def _tool_per_row(program: Program) -> np.ndarray:
    """The tool of every motion row: the last M6 at or before its line (0 before any)."""
    motion = program.motion
    if not program.tool_changes:
        tools = np.zeros(len(motion), dtype=np.int64)
    else:
        lines = np.array([line for line, _ in program.tool_changes])
        numbers = np.array([0] + [tool for _, tool in program.tool_changes])
        tools = numbers[np.searchsorted(lines, motion.line, side="right")]
    holes = motion.kind == MoveKind.HOLE
    if holes.any():  # a hole knows its tool for sure (T words without M6 included)
        hole_tools = np.array([p.tool for p in program.hole_params])
        tools = tools.copy()
        tools[holes] = hole_tools[motion.aux[holes]]
    return tools


def _tool_path(program: Program, tool: int, rows: np.ndarray, budget: int) -> ToolPath:
    motion = program.motion
    kind = motion.kind[rows]
    travel = rows[(kind == MoveKind.RAPID) | (kind == MoveKind.HOLE)]
    hole_rows = rows[kind == MoveKind.HOLE]
    cut_rows = rows[(kind == MoveKind.LINE) | (kind == MoveKind.ARC)]
    route = travel[_sample(len(travel), budget)]
    kept = _sample(len(hole_rows), budget)
    holes = hole_rows[kept]
    return ToolPath(
        tool=tool,
        route=motion.end[route],
        holes=motion.end[holes],
        hole_number=kept + 1,
        cuts=_cut_segments(motion.end, cut_rows),
        profile=_profile(program, rows[_sample(len(rows), budget)]),
        n_holes=len(hole_rows),
        n_moves=len(rows),
    )


def _sample(n: int, budget: int) -> np.ndarray:
    """Indices of every ``stride``-th of ``n`` points and the last: the route at lower detail.

    >>> _sample(10, 4).tolist()
    [0, 3, 6, 9]
    >>> _sample(3, 4).tolist()
    [0, 1, 2]
    """
    if n <= budget:
        return np.arange(n)
    stride = int(np.ceil(n / budget))
    kept = np.arange(0, n, stride)
    return kept if kept[-1] == n - 1 else np.append(kept, n - 1)


def _profile(program: Program, rows: np.ndarray) -> np.ndarray:
    """Z along the program: each row's end level; a hole also goes down to its bottom.

    A side view (X–Z) of a drilling program is a solid block of vertical lines; Z against
    the move number shows every depth and every travel level in the order they happen.
    """
    motion = program.motion
    z = motion.end[rows, 2]
    holes = motion.kind[rows] == MoveKind.HOLE
    depths = np.array([p.z_mm for p in program.hole_params] or [0.0])
    bottom = np.where(holes, depths[np.where(holes, motion.aux[rows], 0)], z)
    points = np.column_stack([rows, bottom, rows, z]).reshape(-1, 2)
    return points[np.isfinite(points[:, 1])]


def _cut_segments(ends: np.ndarray, rows: np.ndarray) -> np.ndarray:
    rows = rows[rows > 0][:MAX_CUT_SEGMENTS]
    starts, stops = ends[rows - 1], ends[rows]
    ok = np.all(np.isfinite(starts), axis=1) & np.all(np.isfinite(stops), axis=1)
    return np.stack([starts[ok], stops[ok]], axis=1) if ok.any() else np.zeros((0, 2, 3))
