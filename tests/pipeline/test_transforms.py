"""Air cutting and tool regrouping: applied only when allowed, proved, refused when unsafe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncopt import (
    Machine,
    emit,
    estimate_cycle_time,
    parse_program,
    verify_air_cut,
    verify_equivalent,
)
from ncopt.aircut import air_cut_to_rapid
from ncopt.pipeline import optimize_text, run_generate_nc_code
from ncopt.regroup import regroup_tools
from ncopt.transforms import Transforms
from tests.engine.programs import FOOTER, HEADER, num

MACHINE = Machine()
ROOT = Path(__file__).resolve().parents[2]


def spot_faces(points, z_air: float = 10.0, z_cut: float = -1.0, tool: int = 5) -> str:
    """A tool segment milling a small circle at each point, moving at feed at ``z_air``
    between them (as some CAM posts write it)."""
    x0, y0 = points[0]
    lines = [f"T{tool} M6", "S5000 M3", f"G0 G90 G54 X{num(x0 + 4)} Y{num(y0)}"]
    lines += [f"G43 H{tool} Z{num(z_air)} M8"]
    for k, (x, y) in enumerate(points):
        if k:
            lines.append(f"G1 X{num(x + 4)} Y{num(y)} F2000.")
        lines += ["G1 Z1. F2000.", f"G1 Z{num(z_cut)} F150."]
        lines += [
            f"G3 X{num(x - 4)} Y{num(y)} I-4. J0. F400.",
            f"G3 X{num(x + 4)} Y{num(y)} I4. J0.",
        ]
        lines.append(f"G1 Z{num(z_air)} F2000.")
    return "\n".join([*lines, "M5", "M9", "G91 G28 Z0.", "G90"]) + "\n"


def drilling(tool: int, points, cycle: str = "G81 Z-3. R2. F200.") -> str:
    x0, y0 = points[0]
    lines = [f"(T{tool})", f"T{tool} M6", "S2000 M3", f"G0 G90 G54 X{num(x0)} Y{num(y0)}"]
    lines += [f"G43 H{tool} Z10. M8", f"G99 {cycle.split()[0]} X{num(x0)} Y{num(y0)} "]
    lines[-1] += " ".join(cycle.split()[1:])
    lines += [f"X{num(x)} Y{num(y)}" for x, y in points[1:]]
    return "\n".join([*lines, "G80", "M5", "M9", "G91 G28 Z0.", "G90"]) + "\n"


FACES = [(0.0, 0.0), (100.0, 0.0), (100.0, 80.0), (0.0, 80.0)]
PORTS = [(0.0, 0.0), (60.0, 0.0), (120.0, 0.0)]
BOLTS = [(20.0, 20.0), (80.0, 20.0), (140.0, 20.0)]


# ------------------------------------------------------------------------------ air cutting


def test_feed_moves_above_the_level_become_rapids_and_are_proved():
    old = parse_program(HEADER + spot_faces(FACES) + FOOTER)
    text, count = air_cut_to_rapid(old, above_z_mm=5.0)
    assert count == 3  # the XY moves at Z10 between the four faces
    assert text.count("G0 X") == 3 and "G1 Z1. F2000." in text  # the descents still feed
    new = parse_program(text)
    assert verify_air_cut(old, new, 5.0).ok
    saved = estimate_cycle_time(old, MACHINE).total_s - estimate_cycle_time(new, MACHINE).total_s
    assert saved > 3 * (80 / 2000 * 60) * 0.8  # most of 3 moves of >= 80 mm at F2000


def test_moves_below_the_level_are_kept():
    old = parse_program(HEADER + spot_faces(FACES, z_air=4.0) + FOOTER)
    assert air_cut_to_rapid(old, above_z_mm=5.0) == (old.text, 0)


def test_modal_g1_is_restored_on_the_next_moving_line():
    text = "G0 X0 Y0 Z20.\nG1 X10. F900.\nM8\n(COMMENT)\nN40 Z-1.\nX20.\n"
    new, count = air_cut_to_rapid(parse_program(text), above_z_mm=5.0)
    assert new == "G0 X0 Y0 Z20.\nG0 X10. F900.\nM8\n(COMMENT)\nN40 G1 Z-1.\nX20.\n"
    assert count == 1
    assert verify_air_cut(parse_program(text), parse_program(new), 5.0).ok


def test_a_barrier_after_the_air_moves_leaves_them_as_they_were():
    # The subprogram could rely on modal G1: nothing is changed before it.
    text = "G0 X0 Y0 Z20.\nG1 X10. F900.\nM98 P100\nG1 X30.\nZ-1.\n"
    assert air_cut_to_rapid(parse_program(text), above_z_mm=5.0) == (text, 0)


@pytest.mark.parametrize(
    "changed,message",
    [
        ("G0 Z20.\nG1 X10. F900.\nG0 Z3.\nG1 Z-1.\n", "move 3 at old line 3 differs"),
        ("G0 Z20.\nG0 X10. F900.\nG0 Z3.\nG1 Z-1.\n", "move 3 at old line 3 differs"),
        ("G0 Z20.\nG0 X11. F900.\nG1 Z3.\nG1 Z-1.\n", "move 2 at old line 2 differs"),
        ("G0 Z20.\nG0 X10. F900.\nG1 Z3.\nG1 Z-1.\nG1 Z-2.\n", "4 moves, the new one 5"),
    ],
)
def test_verify_air_cut_refuses_anything_else(changed, message):
    old = parse_program("G0 Z20.\nG1 X10. F900.\nG1 Z3.\nG1 Z-1.\n")
    report = verify_air_cut(old, parse_program(changed), above_z_mm=5.0)
    assert not report.ok and message in report.first_difference


@settings(max_examples=30, deadline=None)
@given(
    zs=st.lists(st.sampled_from([-2.0, 1.0, 5.0, 8.0, 20.0]), min_size=2, max_size=12),
    rapid=st.lists(st.booleans(), min_size=12, max_size=12),
    above=st.sampled_from([4.0, 5.0, 10.0]),
)
def test_air_cut_output_always_proves_and_never_converts_below(zs, rapid, above):
    lines = ["G90 G0 X0 Y0 Z20."]
    for k, z in enumerate(zs):
        lines.append(f"{'G0' if rapid[k] else 'G1'} X{k * 10}. Z{num(z)} F500.")
    old = parse_program("\n".join(lines) + "\n")
    text, count = air_cut_to_rapid(old, above)
    new = parse_program(text)
    assert verify_air_cut(old, new, above).ok
    converted = (old.motion.kind == 1) & (new.motion.kind == 0)
    assert int(converted.sum()) == count
    start_z = [20.0, *old.motion.end[:-1, 2]]
    for row in converted.nonzero()[0]:
        assert start_z[row] >= above and old.motion.end[row, 2] >= above


# --------------------------------------------------------------------------- tool regrouping


def test_later_segment_of_a_tool_joins_the_earlier_one():
    # Spot ports, drill ports, spot bolt holes (other holes), drill bolt holes.
    text = HEADER + drilling(1, PORTS) + drilling(3, PORTS, "G83 Z-30. R2. Q5. F300.")
    text += drilling(1, BOLTS) + drilling(2, BOLTS, "G83 Z-20. R2. Q5. F300.") + FOOTER
    old = parse_program(text)
    new_text, saved = regroup_tools(old)
    assert saved == 1
    new = parse_program(new_text)
    assert [t for _, t in new.tool_changes] == [1, 3, 2]
    assert verify_equivalent(old, new, allow_tool_regroup=True).ok
    assert not verify_equivalent(old, new).ok  # only with the setting
    t_old, t_new = (estimate_cycle_time(p, MACHINE).total_s for p in (old, new))
    assert t_old - t_new >= MACHINE.tool_change_s


def test_a_tap_never_moves_ahead_of_its_drill():
    # Drill A, tap A, drill B, tap B: both later segments join, each after its own drill.
    text = HEADER + drilling(1, PORTS) + drilling(2, PORTS, "G84 Z-10. R5. F750.")
    text += drilling(1, BOLTS) + drilling(2, BOLTS, "G84 Z-10. R5. F750.") + FOOTER
    old = parse_program(text)
    new_text, saved = regroup_tools(old)
    new = parse_program(new_text)
    assert saved == 2 and [t for _, t in new.tool_changes] == [1, 2]
    assert verify_equivalent(old, new, allow_tool_regroup=True).ok
    # Chamfering the same holes again after the tap: the spot drill must not move up.
    text = HEADER + drilling(1, PORTS) + drilling(2, PORTS, "G84 Z-10. R5. F750.")
    text += drilling(1, PORTS, "G81 Z-1. R2. F200.") + FOOTER
    assert regroup_tools(parse_program(text)) == (text, 0)


def test_the_verifier_refuses_a_tap_moved_ahead_of_its_drill():
    drill = drilling(1, PORTS)
    tap = drilling(2, PORTS, "G84 Z-10. R5. F750.")
    old = parse_program(HEADER + drill + tap + FOOTER)
    new = parse_program(HEADER + tap + drill + FOOTER)
    report = verify_equivalent(old, new, allow_tool_regroup=True)
    assert not report.ok
    assert "same place and must keep their order" in report.first_difference


def test_segments_with_a_subprogram_call_or_a_preselected_tool_stay():
    base = HEADER + drilling(1, PORTS) + drilling(3, PORTS, "G83 Z-30. R2. Q5. F300.")
    called = base + drilling(2, BOLTS).replace("G80\n", "G80\nM98 P200\n", 1)
    called += drilling(1, BOLTS) + FOOTER
    assert regroup_tools(parse_program(called))[1] == 0  # T1 may not jump the call
    preselect = base.replace("T1 M6\n", "T1 M6\nT3\n", 1) + drilling(1, BOLTS) + FOOTER
    assert regroup_tools(parse_program(preselect))[1] == 0


# ------------------------------------------------------------------------------- pipeline


def _program() -> str:
    text = HEADER + drilling(1, PORTS) + drilling(3, PORTS, "G83 Z-30. R2. Q5. F300.")
    return text + drilling(1, BOLTS) + spot_faces(FACES) + FOOTER


def test_pipeline_applies_only_what_the_settings_allow():
    text = _program()
    plain = optimize_text("P.nc", text, MACHINE, time_limit_s=2)
    assert plain.row["air_moves_to_rapid"] == 0 and plain.row["tool_changes_saved"] == 0
    both = Transforms(allow_tool_regroup=True, air_cut_above_z_mm=5.0)
    out = optimize_text("P.nc", text, MACHINE, transforms=both, time_limit_s=2)
    row = out.row
    assert row["status"] == "optimized", row["reason"]
    assert row["air_moves_to_rapid"] == 3 and row["tool_changes_saved"] == 1
    assert "3 air feed moves made rapid" in row["reason"]
    assert "1 tool change saved by regrouping" in row["reason"]
    assert row["tool_changes_new"] == row["tool_changes_old"] - 1
    assert row["cycle_time_new_s"] < plain.row["cycle_time_new_s"]
    # The chain of proofs, redone from the original text.
    old = parse_program(text)
    air = parse_program(air_cut_to_rapid(old, 5.0)[0])
    assert verify_air_cut(old, air, 5.0).ok
    new = parse_program(out.new_text)
    assert verify_equivalent(air, new, allow_tool_regroup=True).ok
    assert estimate_cycle_time(new, MACHINE).total_s == pytest.approx(row["cycle_time_new_s"])


def test_pipeline_skips_a_refused_transformation_and_still_applies_the_others(monkeypatch):
    import ncopt.transforms

    def broken(program, above_z_mm):  # "converts" a move and lowers it into the part
        return program.text.replace("G1 X104. Y0. F2000.", "G0 X104. Y0. Z0.5 F2000.", 1), 1

    monkeypatch.setattr(ncopt.transforms, "air_cut_to_rapid", broken)
    both = Transforms(allow_tool_regroup=True, air_cut_above_z_mm=5.0)
    out = optimize_text("P.nc", _program(), MACHINE, transforms=both, time_limit_s=2)
    row = out.row
    assert row["status"] == "optimized"
    assert row["air_moves_to_rapid"] == 0 and row["tool_changes_saved"] == 1
    assert row["reason"].endswith(
        "air cutting not applied: move 26 at old line 53 differs: "
        "old G1 to X104. Y0. Z10., new G0 to X104. Y0. Z0.5"
    )
    new = parse_program(out.new_text)
    assert verify_equivalent(parse_program(_program()), new, allow_tool_regroup=True).ok


def test_manifold_demo_uses_both_settings(tmp_path):
    src = ROOT / "scenarios" / "machining-2" / "scenario" / "manifold"
    folder = tmp_path / "machining-2" / "scenario" / "manifold"
    shutil.copytree(src, folder)
    new_codes, old_codes, out_df = run_generate_nc_code(
        {"scenario_dir": str(folder), "time_limit_s": 6}
    )
    row = out_df.set_index("program").loc["MANIFOLD-M2.nc"]
    assert row["status"] == "optimized", row["reason"]
    assert row["air_moves_to_rapid"] == 3 and row["tool_changes_saved"] == 1
    new = parse_program(new_codes["MANIFOLD-M2.nc"])
    assert len(new.tool_changes) == len(parse_program(old_codes["MANIFOLD-M2.nc"]).tool_changes) - 1
    assert emit(new) == new_codes["MANIFOLD-M2.nc"]
