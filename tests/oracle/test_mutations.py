"""The comparison is sensitive where it must be and blind where it must be, on drawn programs:
any drilling line dropped or drilled deeper is caught, and writing the same program otherwise
(no sequence numbers, no comment lines, decimal points everywhere) is not a difference."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.oracle.compare import compare
from tests.oracle.generate import programs
from tests.oracle.simulate import simulate

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hole_lines(text: str) -> list[int]:
    return sorted({s.line for s in simulate(text).segments if s.hole is not None})


def without_line(text: str, line: int) -> str:
    return "".join(t for i, t in enumerate(text.splitlines(True), start=1) if i != line)


@SETTINGS
@given(programs(), st.data())
def test_dropping_any_line_that_drills_is_caught(text, data):
    lines = hole_lines(text)
    assume(lines)
    line = data.draw(st.sampled_from(lines))
    report = compare(text, without_line(text, line))
    assert not report.ok
    assert any(p.startswith(("rule 2", "simulate")) for p in report.problems)


@SETTINGS
@given(programs(), st.data())
def test_drilling_any_cycle_line_deeper_is_caught(text, data):
    cycle_lines = [i for i, t in enumerate(text.splitlines(), 1) if re.search(r"G8\d.* Z", t)]
    assume(cycle_lines)
    line = data.draw(st.sampled_from(cycle_lines))
    rows = text.splitlines(True)
    rows[line - 1] = re.sub(r" Z(-?[\d.]+)", lambda m: f" Z{float(m[1]) - 0.5:.3f}", rows[line - 1])
    report = compare(text, "".join(rows))
    assert "rule 2 (items)" in {p.split(":")[0] for p in report.problems}


def rewritten(text: str) -> str:
    """The same program without N numbers and comment-only lines, every integer coordinate
    with its decimal point."""
    out = []
    for row in text.splitlines():
        row = re.sub(r"^N\d+ ", "", row)
        if re.fullmatch(r"\(.*\)", row):
            continue
        out.append(re.sub(r"\b([XYZIJRQ]-?\d+)(?=[ \n]|$)", r"\1.", row))
    return "\n".join(out) + "\n"


@SETTINGS
@given(programs())
def test_the_same_program_written_otherwise_is_the_same(text):
    new = rewritten(text)
    report = compare(text, new)
    assert report.ok, report.problems
