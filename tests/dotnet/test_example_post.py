"""The example C# post (examples/dotnet_post) on a real Mono runtime: byte-identical to the
built-in post, a post that drops a hole refused by the verifier, and whole background jobs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import processing
from ncopt import Machine, emit, parse_program, program_to_json, verify_air_cut, verify_equivalent
from ncopt.aircut import air_cut_to_rapid
from ncopt.dotnet_post import DotNetPost, PostSpec
from ncopt.optimize import optimize_program
from ncopt.pipeline import optimize_text
from ncopt.plan import reorder
from ncopt.program import HoleSet, Step
from ncopt.scenario import load_scenario, read_sheets, write_sheets
from tests.dotnet.conftest import EXAMPLE_CLASS, EXAMPLE_POST, compile_cs
from tests.engine.programs import FOOTER, HEADER, mixed_programs, num, shuffled_plan
from tests.jobs.helpers import wait_terminal

pytestmark = pytest.mark.dotnet

ROOT = Path(__file__).resolve().parents[2]
DEMO_PROGRAMS = [
    (folder, entry.file)
    for folder in sorted((ROOT / "scenarios").glob("*/scenario/*"))
    for entry in load_scenario(folder).enabled_programs
]
MACHINE = Machine()


@pytest.fixture(scope="module")
def example_post(example_post_dll) -> DotNetPost:
    return DotNetPost(PostSpec(example_post_dll, EXAMPLE_CLASS))


def _same_as_builtin(post: DotNetPost, program, machine=MACHINE) -> None:
    builtin = emit(program)
    dotnet = post.emit(program_to_json(program, machine))
    if dotnet != builtin:  # show the first line that differs, not two huge strings
        for k, (a, b) in enumerate(zip(builtin.splitlines(), dotnet.splitlines(), strict=False)):
            assert a == b, f"line {k + 1}"
    assert dotnet == builtin


@pytest.mark.parametrize(
    "folder,name", DEMO_PROGRAMS, ids=[f"{f.name}/{n}" for f, n in DEMO_PROGRAMS]
)
def test_same_output_as_the_builtin_post_on_the_demo_programs(example_post, folder, name):
    scenario = load_scenario(folder)
    program = parse_program((folder / "programs" / name).read_bytes(), scenario.machine)
    _same_as_builtin(example_post, program, scenario.machine)  # nothing reordered: a copy
    optimized, stats = optimize_program(program, scenario.machine, time_limit_s=0.5)
    assert stats.groups_changed > 0 and optimized.plan
    _same_as_builtin(example_post, optimized, scenario.machine)


def _numbered(text: str) -> str:
    """N words on every block, as some controls' programs have them."""
    lines = text.split("\n")
    out = [
        line if not line or line[0] in "%O(" else f"N{10 * (k + 1)} {line}"
        for k, line in enumerate(lines)
    ]
    return "\n".join(out)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=mixed_programs(),
    seed=st.integers(0, 2**32 - 1),
    crlf=st.booleans(),
    numbered=st.booleans(),
)
def test_same_output_on_random_reordered_programs(example_post, text, seed, crlf, numbered):
    # Inch or metric, G98/G99, peck Q, dwell P, K repeats, barriers, N words, CRLF.
    if numbered:
        text = _numbered(text)
    if crlf:
        text = text.replace("\n", "\r\n")
    program = parse_program(text)
    plan = shuffled_plan(program, np.random.default_rng(seed))
    _same_as_builtin(example_post, reorder(program, plan))


@pytest.mark.parametrize(
    "body",
    [
        # Incremental blocks (G91) after tiny, negative coordinates.
        "G0 X-0.0001 Y0.00001\nG91\nZ-23.\nG1 Z-4. F150.\nX10.\nY-0.5\nG0 Z27.\nX50.\n"
        "Z-27.\nG1 Z-1. F90.\nY3.\nG0 Z28.\nG90\n",
        # Dwell, peck and repeats in one cycle; then a block far away.
        "G0 X5. Y5.\nG98 G83 X5. Y5. Z-20. R2. Q3. P250 F120. K2\nX-5. Y5.\nX-5.5 Y8.\n"
        "G0 X300. Y300.\nZ2.\nG1 Z-1. F100.\nX310.\nG0 Z25.\n",
    ],
)
def test_same_output_on_edge_cases(example_post, body):
    text = HEADER + "T1 M6\nS1000 M3\nG0 G90 X0. Y0.\nG43 H1 Z25.\n" + body + FOOTER
    program = parse_program(text)
    group = next(g for g in program.groups if len(g.ops) >= 2 and g.movable)
    steps = [Step(i) for i in reversed(group.ops)]
    for k, step in enumerate(steps):
        op = program.ops[step.op]
        if isinstance(op, HoleSet):
            steps[k] = Step(step.op, tuple(range(len(op.xy) - 1, -1, -1)))
    _same_as_builtin(example_post, reorder(program, {group.index: steps}))


def test_same_output_for_blocks_cut_backwards(example_post):
    lines = ["T1 M6", "S3000 M3", "G0 G90 G54 X0. Y0.", "G43 H1 Z25. M8"]
    for k in range(5):
        y = num(30.0 * k)
        lines += [f"G0 X0. Y{y}", "Z2.", "G1 Z-2. F150.", "G1 X100. F800.", "G0 Z25."]
    program = parse_program(HEADER + "\n".join(lines) + "\n" + FOOTER)
    optimized, stats = optimize_program(
        program, MACHINE, time_limit_s=0.5, allow_block_reversal=True
    )
    assert stats.blocks_reversed == 2
    _same_as_builtin(example_post, optimized)


DROPS_A_HOLE = r"""
namespace Shop {
  public class DropsAHole {
    public string Emit(string json) {
      string text = new NcOptimizer.Examples.FanucPost().Emit(json);
      var lines = new System.Collections.Generic.List<string>(text.Split('\n'));
      var hole = new System.Text.RegularExpressions.Regex(@"^X-?[0-9.]+ Y-?[0-9.]+\r?$");
      lines.RemoveAt(lines.FindLastIndex(line => hole.IsMatch(line)));
      return string.Join("\n", lines);
    }
  }
}
"""


def test_a_post_that_drops_a_hole_is_refused_and_the_original_kept(tmp_path):
    dll = compile_cs(DROPS_A_HOLE, tmp_path / "DropsAHole.dll", with_files=(EXAMPLE_POST,))
    post = DotNetPost(PostSpec(dll, "Shop.DropsAHole"))
    path = ROOT / "scenarios" / "demo" / "scenario" / "pcb-drill" / "programs"
    text = (path / "PCB-BACKPLANE.nc").read_text()
    outcome = optimize_text("PCB-BACKPLANE.nc", text, MACHINE, post=post, time_limit_s=2)
    assert outcome.row["status"] == "rejected"
    assert outcome.row["reason"].startswith("verification failed: hole X")
    assert "is not drilled by the new program" in outcome.row["reason"]
    assert outcome.new_text == text


def test_a_background_job_runs_through_the_example_post(demo_with_post, example_post_dll):
    folder = demo_with_post(f"dotnet:{example_post_dll}:{EXAMPLE_CLASS}")
    processing.start_optimization_async("machining-2", "manifold", time_limit_s=10)
    final = wait_terminal(timeout_s=120, department="machining-2", scenario="manifold")
    assert final["state"] == "succeeded", final.get("error")
    log = processing.read_log_tail("machining-2", "manifold")
    assert f"post-processor: {EXAMPLE_CLASS} from {example_post_dll}" in log
    result = processing.load_optimization_result("machining-2", "manifold")
    scenario = load_scenario(folder)
    machine, above = scenario.machine, scenario.settings.air_cut_above_z_mm
    rows = result["out_df"].set_index("program")
    for name, new_text in result["new_codes"].items():
        assert rows.loc[name, "status"] == "optimized", rows.loc[name, "reason"]
        old = parse_program(result["old_codes"][name], machine)
        # The scenario allows air cutting and regrouping: prove the chain from the original.
        air = parse_program(air_cut_to_rapid(old, above)[0], machine)
        assert verify_air_cut(old, air, above).ok
        new = parse_program(new_text, machine)
        report = verify_equivalent(air, new, allow_tool_regroup=True)
        assert report.ok and report.holes == old.hole_count, report.first_difference


def test_a_wrong_runtime_fails_the_job_clearly_and_keeps_earlier_results(
    job_env, demo_with_post, example_post_dll, monkeypatch
):
    demo_with_post("fanuc")
    processing.start_optimization_async("machining-2", "manifold", time_limit_s=3)
    first = wait_terminal(timeout_s=90, department="machining-2", scenario="manifold")
    assert first["state"] == "succeeded", first.get("error")
    before = processing.load_optimization_result("machining-2", "manifold")
    xlsx = job_env / "machining-2" / "scenario" / "manifold" / "manifold.xlsx"
    sheets = read_sheets(xlsx)
    settings_sheet = sheets["settings"]
    post = f"dotnet:{example_post_dll}:{EXAMPLE_CLASS}"
    settings_sheet.loc[settings_sheet["key"] == "post", "value"] = post
    write_sheets(xlsx, sheets)
    monkeypatch.setenv("NCOPT_DOTNET_RUNTIME", "coreclr")  # no CoreCLR on this machine
    processing.start_optimization_async("machining-2", "manifold", time_limit_s=3)
    final = wait_terminal(timeout_s=90, department="machining-2", scenario="manifold")
    assert final["state"] == "failed"
    assert final["error"]["type"] == "PostProcessorError"
    assert "the .NET runtime 'coreclr' could not be loaded" in final["error"]["message"]
    after = processing.load_optimization_result("machining-2", "manifold")
    assert after["job_id"] == before["job_id"] and after["new_codes"] == before["new_codes"]
