"""Toolpath plots that show order: a top view (X–Y) and Z along the program of one program.

Each tool has its colour; its holes shade from light (visited first) to dark (visited last),
so a good order reads as smooth bands and a poor one as noise. The route between holes is a
thin line in the tool's colour, rapids dotted and cuts solid; a star marks where the program
starts and a square where it ends. Small programs also number their holes. The data comes
decimated from ``ui.toolpath`` (the page says so under the plot when it is).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.toolpath import PathView, ToolPath

__all__ = ["PALETTE", "toolpath_figure"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
NUMBERED_HOLES = 120  # up to this many holes in a program, each shows its visiting number


def toolpath_figure(view: PathView, labels: dict[str, str], height: int = 760) -> go.Figure:
    """``labels``: ``top``, ``side``, ``start``, ``end``, ``rapid``, ``cut``, ``holes``."""
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.78, 0.22],
        vertical_spacing=0.08,
        subplot_titles=(labels["top"], labels["side"]),
    )
    numbered = sum(p.n_holes for p in view.tools) <= NUMBERED_HOLES
    for index, part in enumerate(view.tools):
        colour = PALETTE[index % len(PALETTE)]
        _add_tool(fig, part, colour, labels, numbered)
    _add_markers(fig, view, labels)
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.05},
    )
    fig.update_yaxes(scaleanchor="x", scaleratio=1, row=1, col=1)
    fig.update_yaxes(title={"text": "Z"}, row=2, col=1)
    return fig


def _add_tool(fig: go.Figure, part: ToolPath, colour: str, labels: dict, numbered: bool) -> None:
    name = f"T{part.tool}"
    if len(part.route) > 1:
        fig.add_trace(
            go.Scattergl(
                x=part.route[:, 0],
                y=part.route[:, 1],
                mode="lines",
                name=f"{name} {labels['rapid']}",
                legendgroup=name,
                line={"color": colour, "width": 1, "dash": "dot"},
                opacity=0.6,
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    if len(part.cuts):
        xs, ys = _segments(part.cuts[:, :, 0], part.cuts[:, :, 1])
        fig.add_trace(
            go.Scattergl(
                x=xs,
                y=ys,
                mode="lines",
                name=f"{name} {labels['cut']}",
                legendgroup=name,
                line={"color": colour, "width": 2},
            ),
            row=1,
            col=1,
        )
    if len(part.holes):
        _add_holes(fig, part, colour, name, labels, numbered)
    if len(part.profile):
        fig.add_trace(
            go.Scattergl(
                x=part.profile[:, 0],
                y=part.profile[:, 1],
                mode="lines",
                legendgroup=name,
                showlegend=False,
                name=f"{name} Z",
                line={"color": colour, "width": 1},
                hovertemplate="#%{x} Z %{y:.3f}<extra></extra>",
            ),
            row=2,
            col=1,
        )


def _add_holes(
    fig: go.Figure, part: ToolPath, colour: str, name: str, labels: dict, numbered: bool
) -> None:
    order = part.hole_number
    fig.add_trace(
        go.Scattergl(
            x=part.holes[:, 0],
            y=part.holes[:, 1],
            mode="markers+text" if numbered else "markers",
            text=[str(n) for n in order] if numbered else None,
            textposition="top center",
            name=f"{name} {labels['holes']} ({part.n_holes:,})",
            legendgroup=name,
            marker={
                "size": 7 if numbered else 5,
                "color": order,
                "colorscale": [[0.0, _tint(colour, 0.75)], [1.0, _shade(colour, 0.45)]],
                "showscale": False,
            },
            hovertemplate=f"{name} #%{{marker.color}}<br>X %{{x:.3f}} Y %{{y:.3f}}<extra></extra>",
        ),
        row=1,
        col=1,
    )


def _add_markers(fig: go.Figure, view: PathView, labels: dict) -> None:
    for point, label, symbol in ((view.start, "start", "star"), (view.end, "end", "square")):
        if point is None:
            continue
        fig.add_trace(
            go.Scatter(
                x=[point[0]],
                y=[point[1]],
                mode="markers",
                name=labels[label],
                marker={"symbol": symbol, "size": 16, "color": "#111", "line": {"width": 1}},
            ),
            row=1,
            col=1,
        )


def _segments(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns (start, end) of x and y to one polyline with gaps between segments."""
    gap = np.full(len(a), np.nan)
    xs = np.column_stack([a[:, 0], a[:, 1], gap]).ravel()
    ys = np.column_stack([b[:, 0], b[:, 1], gap]).ravel()
    return xs, ys


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _tint(colour: str, amount: float) -> str:
    r, g, b = (round(c + (255 - c) * amount) for c in _rgb(colour))
    return f"rgb({r},{g},{b})"


def _shade(colour: str, amount: float) -> str:
    r, g, b = (round(c * (1 - amount)) for c in _rgb(colour))
    return f"rgb({r},{g},{b})"
