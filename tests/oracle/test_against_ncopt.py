"""The oracle against the engine (the one module under tests/oracle that imports ``ncopt``):
the two independent readers see the same holes in drawn and shipped programs, and what the
pipeline offers for the shipped programs passes the oracle, with and without regrouping.

The 24,000-line panel takes half a minute here: it runs under the ``slow`` marker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from ncopt.interpreter import parse_program
from ncopt.machine import Machine
from ncopt.pipeline import optimize_text
from ncopt.program import MoveKind
from ncopt.transforms import Transforms
from tests.oracle.compare import compare
from tests.oracle.generate import programs
from tests.oracle.items import layout
from tests.oracle.simulate import simulate
from tests.oracle.trace import rounded

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = sorted((ROOT / "scenarios").glob("*/scenario/*/programs/*.nc"))
LARGE_BYTES = 200_000


def shipped(path: Path):
    marks = [pytest.mark.slow] if path.stat().st_size > LARGE_BYTES else []
    return pytest.param(path, id=path.name, marks=marks)


def engine_holes(text: str) -> list[tuple]:
    """(X, Y, bottom, return level) of every hole the engine reads, repeats expanded."""
    program = parse_program(text)
    out = []
    for row in np.nonzero(program.motion.kind == MoveKind.HOLE)[0]:
        params = program.hole_params[program.motion.aux[row]]
        x, y = (rounded(float(v)) for v in program.motion.end[row, :2])
        hole = (x, y, rounded(params.z_mm), rounded(params.return_z_mm))
        out += [hole] * params.repeats
    return sorted(out)


def oracle_holes(text: str) -> list[tuple]:
    out = []
    for item in layout(simulate(text)).items:
        if item.hole is not None:
            first = item.segments[0]
            bottom = min(s.end[2] for s in item.segments)
            out.append(
                (rounded(first.start[0]), rounded(first.start[1]), rounded(bottom), item.return_z)
            )
    return sorted(out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_the_oracle_and_the_engine_read_the_same_holes_in_drawn_programs(text):
    """G91 sets with K/L repeats, K only in its own block, G98 levels after G01 cancels..."""
    assert oracle_holes(text) == engine_holes(text)


def test_the_shipped_programs_are_found():
    assert len(PROGRAMS) >= 5


@pytest.mark.parametrize("path", [shipped(p) for p in PROGRAMS])
def test_the_oracle_and_the_engine_read_the_same_holes(path):
    text = path.read_text()
    assert oracle_holes(text) == engine_holes(text)


@pytest.mark.parametrize("regroup", [False, True], ids=["in-order", "regroup"])
@pytest.mark.parametrize("path", [shipped(p) for p in PROGRAMS])
def test_what_the_pipeline_offers_for_a_shipped_program_passes_the_oracle(path, regroup):
    text = path.read_text()
    outcome = optimize_text(
        path.name,
        text,
        Machine(),
        transforms=Transforms(allow_tool_regroup=regroup),
        time_limit_s=0.5,
    )
    report = compare(text, outcome.new_text, allow_tool_regroup=regroup)
    assert report.ok, (outcome.row["status"], report.problems[:5])
