"""The pipeline's output against an independent oracle (issue 13).

For every drawn program (G98/G99 sets with different initial levels, G91 with K/L repeats,
cycles cancelled by G00/G01/G80, M00/M01 between tools, G28, several tools, milling blocks)
and drawn settings (regrouping, air cutting, block reversal), the program the pipeline offers
must pass its own verifier — it does by construction — and the motion oracle in
``tests/oracle``, which shares no code with the engine. A program the verifier accepts and the
oracle rejects is exactly the failure this issue is about: the test fails on it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from ncopt import Machine
from ncopt.pipeline import optimize_text
from ncopt.transforms import Transforms
from tests.oracle.compare import compare
from tests.oracle.generate import programs
from tests.oracle.generate import settings as drawn_settings

MACHINE = Machine()


def _transforms(drawn) -> Transforms:
    return Transforms(
        allow_tool_regroup=drawn.allow_tool_regroup,
        air_cut_above_z_mm=drawn.air_cut_above_z_mm,
        allow_block_reversal=drawn.allow_block_reversal,
    )


def _check(text: str, drawn) -> None:
    out = optimize_text("P.nc", text, MACHINE, transforms=_transforms(drawn), time_limit_s=0.05)
    assert out.row["status"] != "error", out.row["reason"]
    if out.row["status"] != "optimized":
        assert out.new_text == text  # left as it was, with a reason
        assert out.row["reason"]
        return
    report = compare(text, out.new_text, **drawn.compare_options())
    assert report.ok, (
        "the verifier accepted a program the oracle rejects:\n"
        + "\n".join(report.problems)
        + f"\n--- old\n{text}--- new\n{out.new_text}"
    )


_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@settings(max_examples=500, derandomize=True, **_COMMON)
@given(text=programs(), drawn=drawn_settings())
def test_offered_programs_move_the_machine_as_the_oracle_allows(text, drawn):
    _check(text, drawn)


@pytest.mark.slow
@settings(max_examples=3000, **_COMMON)
@given(text=programs(), drawn=drawn_settings())
def test_many_more_offered_programs_move_the_machine_as_the_oracle_allows(text, drawn):
    _check(text, drawn)
