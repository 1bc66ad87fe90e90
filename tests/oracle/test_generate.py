"""The program generator: every draw is a valid, small program the oracle can simulate, and
the generator reaches every pattern issue 13 asks for."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, Phase, find, given, settings

from tests.oracle.compare import compare
from tests.oracle.generate import MAX_LINES, Settings, programs
from tests.oracle.generate import settings as settings_strategy
from tests.oracle.simulate import simulate
from tests.oracle.trace import EventKind


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_every_drawn_program_simulates_and_equals_itself(text):
    lines = text.splitlines()
    assert len(lines) <= MAX_LINES
    trace = simulate(text)
    assert trace.events[-1].kind == EventKind.END and trace.events[-1].code == 30
    assert not [e for e in trace.events if e.kind == EventKind.BARRIER]
    assert trace.holes >= 1 or any(s.kind == "arc" or s.kind == "feed" for s in trace.segments)
    assert compare(text, text).ok


PATTERNS = {
    "G98 set": r"G98 G8[1-4]",
    "G99 set": r"G99 G8[1-4]",
    "G82 with P": r"G82 .*P\d+",
    "G83 with Q": r"G83 .*Q",
    "G84": r"G84",
    "G91 set with K": r"G91 G9[89] G8\d .* K\d",
    "G91 set with L": r"G91 G9[89] G8\d .* L\d",
    "cancel by G80": r"\nG80\n",
    "cancel by G00 X Y": r"G8\d .*\n(?:[XY].*\n)*G00 X",
    "cancel by G01": r"G8\d .*\n(?:[XY].*\n)*G01 Z",
    "M00 between tools": r"M00.*\n(?:\(.*\)\n)?T\d M6",
    "M01 between tools": r"M01\n(?:\(.*\)\n)?T\d M6",
    "G28 between tools": r"G91 G28 Z0\.\nG90\n(?:M0[01].*\n)?(?:\(.*\)\n)?T\d M6",
    "three tools": r"(?s)T\d M6.*T\d M6.*T\d M6",
    "a tool used twice": r"(?s)(T\d) M6.*\1 M6",
    "arc by R": r"G[23] .*R\d",
    "arc by I J": r"G[23] .*I.*J",
    "air move": r"G1 X.* F3000",
    "comments": r"\(T\d ",
    "N numbers": r"\nN\d+ ",
    "no decimal point": r"X-?\d+ ",
    "decimal point": r"X-?\d+\.\d* ",
}


def test_the_generator_reaches_every_pattern():
    """300 draws (derandomized, no shrinking: the same draws every run) hold every pattern."""
    seen: set[str] = set()

    @settings(max_examples=300, database=None, derandomize=True, phases=[Phase.generate])
    @given(programs())
    def collect(text):
        seen.update(name for name, pattern in PATTERNS.items() if re.search(pattern, text))

    collect()
    assert sorted(set(PATTERNS) - seen) == []


@settings(max_examples=50, deadline=None)
@given(settings_strategy())
def test_settings_draws_give_compare_options_and_scenario_keys(drawn):
    assert isinstance(drawn, Settings)
    options = drawn.compare_options()
    assert compare("G0 X0 Y0 Z5.\n", "G0 X0 Y0 Z5.\n", **options).ok
    sheet = drawn.scenario_settings()
    assert sheet["air_cut_to_rapid"] == (drawn.air_cut_above_z_mm is not None)


def test_settings_reach_every_combination():
    seen = set()
    for flags in ((False, False), (True, False), (False, True), (True, True)):
        for air in (True, False):
            found = find(
                settings_strategy(),
                lambda s, f=flags, a=air: (
                    (s.allow_tool_regroup, s.allow_block_reversal) == f
                    and (s.air_cut_above_z_mm is not None) == a
                ),
                settings=settings(database=None),
            )
            seen.add((found.allow_tool_regroup, found.allow_block_reversal, air))
    assert len(seen) == 8
