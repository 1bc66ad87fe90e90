"""Emitter and verifier: byte-identical round trips, reordered programs that verify, and
every single dropped, duplicated or altered hole or move caught."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncopt import GCodeError, emit, parse_program, program_to_json, verify_equivalent
from ncopt.plan import reorder
from ncopt.program import CutBlock, HoleSet, Step
from tests.engine.programs import COORDS, mixed_programs, program, shuffled_plan

SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_round_trip_is_byte_identical(demo_program, machine):
    data = demo_program.read_bytes()
    assert emit(parse_program(data, machine)).encode("utf-8") == data


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("last_newline", [True, False])
def test_round_trip_keeps_line_ends(mixed_program, machine, newline, last_newline):
    text = mixed_program.replace("\n", newline)
    if not last_newline:
        text = text[: -len(newline)]
    assert emit(parse_program(text, machine)) == text


def _reordered_text(text: str, machine, seed: int) -> str:
    p = parse_program(text, machine)
    return emit(reorder(p, shuffled_plan(p, np.random.default_rng(seed))))


def test_reordered_demo_programs_verify(demo_program, machine):
    old = parse_program(demo_program.read_bytes(), machine)
    new_text = _reordered_text(demo_program.read_text(encoding="utf-8"), machine, 7)
    report = verify_equivalent(old, parse_program(new_text, machine))
    assert report.ok, report.first_difference
    assert report.first_difference is None


def test_reordered_holes_are_written_with_explicit_cycle_and_coordinates(mixed_program, machine):
    p = parse_program(mixed_program, machine)
    holes = next(i for i, op in enumerate(p.ops) if isinstance(op, HoleSet))
    text = emit(reorder(p, {p.ops[holes].group: [Step(holes, (5, 4, 3, 2, 1, 0))]}))
    assert "G99 G81 X60. Y60. Z-5. R2. F300." in text
    assert text.index("\nX10. Y10.\n") > text.index("X60. Y60.")
    new = parse_program(text, machine)
    assert new.ops[holes].xy.tolist() == p.ops[holes].xy[::-1].tolist()


@st.composite
def programs(draw):
    holes = draw(st.lists(COORDS, min_size=1, max_size=25, unique=True))
    corners = draw(st.lists(COORDS, min_size=0, max_size=4, unique=True))
    return program(holes, corners)


@SETTINGS
@given(text=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_reorderings_verify(machine, text, seed):
    old = parse_program(text, machine)
    new = parse_program(_reordered_text(text, machine, seed), machine)
    report = verify_equivalent(old, new)
    assert report.ok, report.first_difference
    assert new.hole_count == old.hole_count


def test_swapping_work_on_the_same_material_is_refused(machine):
    # Two overlapping pockets (roughing, then a pass 0.5 mm over): same tool, one group.
    old = parse_program(program([], [(0.0, 0.0), (0.0, 0.5)]), machine)
    group = next(g for g in old.groups if len(g.ops) == 2)
    swapped = emit(reorder(old, {group.index: [Step(group.ops[1]), Step(group.ops[0])]}))
    report = verify_equivalent(old, parse_program(swapped, machine))
    assert not report.ok
    assert "work the same material and must keep their order" in report.first_difference


def _hole_lines(text: str) -> list[int]:
    lines = text.split("\n")
    return [i for i, line in enumerate(lines) if line.startswith(("X", "G99 G81"))]


def _move_lines(text: str) -> list[int]:
    lines = text.split("\n")
    return [i for i, line in enumerate(lines) if line.startswith(("G1 X", "Y", "G3"))]


def _mutate(text: str, index: int, how: str) -> str:
    lines = text.split("\n")
    line = lines[index]
    if how == "drop":
        del lines[index]
    elif how == "duplicate":
        lines.insert(index, line)
    else:
        letter = "Y" if "Y" in line else "X"
        at = line.index(letter) + 1
        lines[index] = f"{line[:at]}1{line[at:]}"  # Y12.5 -> Y112.5, X-3. -> X1-3. is bad
        if f"{letter}1-" in lines[index]:
            lines[index] = line.replace(f"{letter}-", f"{letter}-1", 1)
    return "\n".join(lines)


@SETTINGS
@given(
    text=programs(),
    seed=st.integers(0, 2**32 - 1),
    how=st.sampled_from(["drop", "duplicate", "alter"]),
    pick=st.integers(0, 10**6),
)
def test_any_single_hole_change_is_caught(machine, text, seed, how, pick):
    old = parse_program(text, machine)
    new_text = _reordered_text(text, machine, seed)
    candidates = _hole_lines(new_text)
    bad = _mutate(new_text, candidates[pick % len(candidates)], how)
    report = verify_equivalent(old, parse_program(bad, machine))
    assert not report.ok
    assert "hole" in report.first_difference


@SETTINGS
@given(
    text=programs().filter(lambda t: "G3" in t),
    seed=st.integers(0, 2**32 - 1),
    how=st.sampled_from(["drop", "duplicate", "alter"]),
    pick=st.integers(0, 10**6),
)
def test_any_single_move_change_is_caught(machine, text, seed, how, pick):
    old = parse_program(text, machine)
    new_text = _reordered_text(text, machine, seed)
    candidates = _move_lines(new_text)
    bad = _mutate(new_text, candidates[pick % len(candidates)], how)
    try:
        new = parse_program(bad, machine)
    except GCodeError:
        return  # e.g. a dropped line leaves a G3 without I/J: refused at parse time, caught too
    assert not verify_equivalent(old, new).ok


def test_barrier_order_and_tools_are_checked(machine):
    base = "T1 M6\nG0 X0 Y0 Z5.\nM98 P100\nT2 M6\nM98 P200\n"
    old = parse_program(base, machine)
    swapped = parse_program(
        base.replace("P100", "PX").replace("P200", "P100").replace("PX", "P200"), machine
    )
    assert "barrier" in verify_equivalent(old, swapped).first_difference
    tools = parse_program(base.replace("T1", "T9"), machine)
    assert "tool" in verify_equivalent(old, tools).first_difference


def test_travel_below_the_old_clearance_is_refused(machine):
    # Same holes, but G99 makes the tool travel between them at R2 instead of Z25.
    text = "T1 M6\nG0 X0 Y0 Z25.\nG98 G81 X0 Y0 Z-5. R2. F300.\nX50.\nG80\n"
    old = parse_program(text, machine)
    low = parse_program(text.replace("G98", "G99"), machine)
    report = verify_equivalent(old, low)
    # Each hole keeps its own return level: the first to differ is named with it.
    assert not report.ok and "returning to Z25." in report.first_difference


def test_a_rapid_plunge_outside_the_old_blocks_is_refused(machine):
    old = parse_program("T1 M6\nG0 X0 Y0 Z25.\nG0 X50.\nG0 X0\n", machine)
    low = parse_program("T1 M6\nG0 X0 Y0 Z25.\nG0 Z1.\nG0 X50.\nG0 X0\nG0 Z25.\n", machine)
    assert not verify_equivalent(old, low).ok


def test_program_json_lists_operations_in_emitted_order(mixed_program, machine):
    p = parse_program(mixed_program, machine)
    blocks = [i for i, op in enumerate(p.ops) if isinstance(op, CutBlock)]
    group = p.ops[blocks[0]].group
    q = reorder(p, {group: [Step(i) for i in reversed(blocks)]})
    doc = json.loads(program_to_json(q, machine))
    assert [piece["type"] for piece in doc["pieces"]] == ["text", "group", "text"]
    # The untouched drilling group is copied as text; the reordered group lists its steps.
    assert mixed_program.startswith(doc["pieces"][0]["text"]) and "G81" in doc["pieces"][0]["text"]
    ops = doc["pieces"][1]["steps"]
    assert [op["type"] for op in ops] == ["block", "block", "block"]
    assert [op["entry_xyz"][:2] for op in ops] == [[40.0, 80.0], [100.0, 0.0], [0.0, 0.0]]
    assert ops[0]["comments"] == ["(POCKET AT X40. Y80.)"] and ops[0]["lines"][0] == "Z2."
    assert doc["machine"]["rapid_x_mm_min"] == 36000.0 and doc["tools"] == [1, 2]
    assert doc["newline"] == "\n"
    # Nothing reordered: the whole program is one text piece.
    whole = json.loads(program_to_json(p, machine))["pieces"]
    assert whole == [{"type": "text", "text": mixed_program}]


def test_write_program_hands_a_dotnet_style_post_the_json(mixed_program, machine):
    from ncopt.post import write_program

    class Post:
        def emit(self, program_json: str) -> str:
            return f"({len(json.loads(program_json)['pieces'])} PIECES)\n"

    assert write_program(parse_program(mixed_program, machine), Post(), machine).startswith("(")


def test_an_unknown_post_name_is_refused(mixed_program, machine):
    from ncopt.dotnet_post import PostProcessorError
    from ncopt.post import write_program

    p = parse_program(mixed_program, machine)
    assert write_program(p, "FANUC", machine) == mixed_program
    with pytest.raises(PostProcessorError):
        write_program(p, "heidenhain", machine)


def test_a_dropped_spindle_start_is_caught(mixed_program, machine):
    old = parse_program(mixed_program, machine)
    new = parse_program(mixed_program.replace("S3000 M3\n", "S3000\n"), machine)
    assert "spindle" in verify_equivalent(old, new).first_difference


@SETTINGS
@given(text=mixed_programs(), seed=st.integers(0, 2**32 - 1))
def test_random_reorderings_of_mixed_programs_verify(machine, text, seed):
    old = parse_program(text, machine)
    assert emit(old) == text
    new = parse_program(_reordered_text(text, machine, seed), machine)
    report = verify_equivalent(old, new)
    assert report.ok, report.first_difference


def test_the_modal_feed_does_not_make_rapids_differ(machine):
    # A block moved to the front meets F unset where it used to meet F600 before its G0.
    text = program([], [(0.0, 0.0), (100.0, 0.0)])  # far apart: free to swap
    old = parse_program(text, machine)
    blocks = [i for i, op in enumerate(old.ops) if isinstance(op, CutBlock)]
    new_text = emit(reorder(old, {old.ops[blocks[0]].group: [Step(i) for i in blocks[::-1]]}))
    assert verify_equivalent(old, parse_program(new_text, machine)).ok


@pytest.mark.parametrize(
    "arc,mirror",
    [
        ("G3 X10. Y0. I5. J0.", "G2 X10. Y0. I5. J0."),  # the other half of the same circle
        ("G2 X5. Y5. I5. J0.", "G3 X5. Y5. I0. J5."),  # a quarter bulging the other way
    ],
)
def test_a_mirrored_arc_is_caught(machine, arc, mirror):
    # Same ends, radius and length: only the centre or the direction tells them apart.
    text = "G90 G17 G0 X0. Y0. Z5.\nG1 Z-1. F100.\n{}\nG0 Z5.\n"
    old = parse_program(text.format(arc), machine)
    new = parse_program(text.format(mirror), machine)
    assert old.motion.arcs[0, :2] == pytest.approx(new.motion.arcs[0, :2])
    report = verify_equivalent(old, new)
    assert not report.ok and "is not cut the same way" in report.first_difference
