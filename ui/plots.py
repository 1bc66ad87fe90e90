"""Toolpath plots: rapids dashed, cutting solid, holes as dots (plotly, top view)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ncopt import Machine, parse_program
from ncopt.program import MoveKind

MAX_SEGMENTS = 60_000  # keeps the browser responsive on the 24k-hole panel


def toolpath_figure(text: str | bytes, machine: Machine, labels: dict[str, str]) -> go.Figure:
    """A top-view figure of one program; ``labels`` names the rapid/cut/holes traces."""
    program = parse_program(text, machine)
    kind = program.motion.kind
    ends = program.motion.end[:, :2]
    starts = np.vstack([[np.nan, np.nan], ends[:-1]])
    fig = go.Figure()
    for name, mask, style in (
        (labels["rapid"], kind == MoveKind.RAPID, {"color": "#d62728", "dash": "dot", "width": 1}),
        (
            labels["cut"],
            (kind == MoveKind.LINE) | (kind == MoveKind.ARC),
            {"color": "#1f77b4", "width": 2},
        ),
    ):
        xs, ys = _segments(starts[mask], ends[mask])
        fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", name=name, line=style))
    holes = ends[kind == MoveKind.HOLE]
    hole_path = ends[np.isin(kind, (MoveKind.HOLE, MoveKind.RAPID))]
    if len(holes):
        fig.add_trace(
            go.Scattergl(
                x=hole_path[:, 0],
                y=hole_path[:, 1],
                mode="lines",
                name=labels["rapid"] + " (holes)",
                showlegend=False,
                line={"color": "#d62728", "dash": "dot", "width": 1},
            )
        )
        fig.add_trace(
            go.Scattergl(
                x=holes[:, 0],
                y=holes[:, 1],
                mode="markers",
                name=labels["holes"],
                marker={"size": 4, "color": "#2ca02c"},
            )
        )
    fig.update_layout(
        height=480,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"scaleanchor": "x", "scaleratio": 1},
        legend={"orientation": "h"},
    )
    return fig


def _segments(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1)
    a, b = a[keep][:MAX_SEGMENTS], b[keep][:MAX_SEGMENTS]
    gap = np.full(len(a), np.nan)
    xs = np.column_stack([a[:, 0], b[:, 0], gap]).ravel()
    ys = np.column_stack([a[:, 1], b[:, 1], gap]).ravel()
    return xs, ys
