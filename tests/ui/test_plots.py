"""Toolpath data and figures: order survives decimation, counts stay real, each tool its
colour, start and end marked, small programs numbered."""

from __future__ import annotations

import numpy as np

from ncopt import Machine, parse_program
from tests.ui.helpers import ROOT
from ui.plots import toolpath_figure
from ui.toolpath import MAX_POINTS, path_view

PANEL = ROOT / "scenarios" / "demo" / "scenario" / "large-panel" / "programs" / "PANEL-8UP.nc"
LABELS = {k: k for k in ("top", "side", "start", "end", "rapid", "cut", "holes")}
SMALL = (
    "T1 M6\nG0 X0 Y0 Z5\nG81 X1 Y1 Z-2 R1 F100\nX5 Y1\nX5 Y5\nG80\n"
    "T2 M6\nG0 X0 Y0\nG1 Z-1 F50\nG1 X10\nG0 Z5\nM30\n"
)


def test_the_panel_is_decimated_but_keeps_order_counts_and_ends():
    text = PANEL.read_text()
    view = path_view(text, Machine())
    program = parse_program(text, Machine())
    assert view.decimated
    assert sum(p.n_holes for p in view.tools) == program.hole_count == 24_164
    kept = sum(len(p.holes) + len(p.route) for p in view.tools)
    assert kept <= 2 * MAX_POINTS + 4 * len(view.tools)
    for part in view.tools:
        numbers = part.hole_number
        assert numbers[0] == 1 and numbers[-1] == part.n_holes  # first and last hole kept
        assert np.all(np.diff(numbers) > 0)  # in visiting order
        assert np.all(np.isfinite(part.holes)) and np.all(np.isfinite(part.profile))
    assert [p.tool for p in view.tools] == [1, 2, 3, 4]


def test_a_reordered_program_draws_its_holes_in_the_new_order():
    old = "T1 M6\nG0 X0 Y0 Z5\nG81 X0 Y0 Z-2 R1 F100\nX10 Y0\nX20 Y0\nG80\nM30\n"
    new = "T1 M6\nG0 X0 Y0 Z5\nG81 X20 Y0 Z-2 R1 F100\nX10 Y0\nX0 Y0\nG80\nM30\n"
    first = path_view(old, Machine()).tools[0]
    second = path_view(new, Machine()).tools[0]
    number_at = {
        tuple(xy): n for xy, n in zip(second.holes[:, :2], second.hole_number, strict=True)
    }
    assert number_at[(20.0, 0.0)] == 1 and number_at[(0.0, 0.0)] == 3
    assert first.holes[0, 0] == 0.0 and second.holes[0, 0] == 20.0


def test_the_figure_has_a_colour_per_tool_markers_numbers_and_a_z_profile():
    fig = toolpath_figure(path_view(SMALL, Machine()), LABELS)
    names = [trace.name for trace in fig.data]
    assert "T1 holes (3)" in names and "T2 cut" in names
    assert {"start", "end"} <= set(names)
    holes = next(t for t in fig.data if t.name == "T1 holes (3)")
    assert list(holes.text) == ["1", "2", "3"]  # a small program numbers its holes
    cut = next(t for t in fig.data if t.name == "T2 cut")
    assert holes.marker.colorscale[1][1] != cut.line.color  # shades of the tool colour
    profiles = [t for t in fig.data if t.name and t.name.endswith(" Z")]
    assert {t.name for t in profiles} == {"T1 Z", "T2 Z"}
    assert min(min(t.y) for t in profiles) == -2.0  # the hole bottom is in the profile


def test_the_panel_figure_stays_small():
    fig = toolpath_figure(path_view(PANEL.read_text(), Machine()), LABELS)
    points = sum(len(t.x) for t in fig.data if t.x is not None)
    assert points < 6 * MAX_POINTS
    assert all(t.text is None for t in fig.data if t.name and "holes" in t.name)
