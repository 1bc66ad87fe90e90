"""The shipped demo scenarios: valid, realistic Fanuc, and exactly what the generator writes."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from ncopt.scenario import list_program_files, load_scenario, read_sheets
from tests.scenario.helpers import DEMO_DIR, ROOT, code_words, count_holes, demo_folders

GENERATOR = ROOT / "scripts" / "make_demo_data.py"
DEMO_IDS = [f"{p.parent.parent.name}/{p.name}" for p in demo_folders()]


def _programs(folder: Path) -> dict[str, str]:
    return {name: (folder / "programs" / name).read_text() for name in list_program_files(folder)}


def _holes(folder: Path) -> dict[int, int]:
    totals: dict[int, int] = {}
    for text in _programs(folder).values():
        for tool, n in count_holes(text).items():
            totals[tool] = totals.get(tool, 0) + n
    return totals


def test_the_demo_departments_and_scenarios_exist():
    names = {(p.parent.parent.name, p.name) for p in demo_folders()}
    assert {("demo", "pcb-drill"), ("demo", "mold-plate"), ("demo", "large-panel")} <= names
    assert len({dept for dept, _ in names}) >= 2


@pytest.mark.parametrize("folder", demo_folders(), ids=DEMO_IDS)
def test_demo_scenario_loads_clean(folder):
    scenario = load_scenario(folder)
    assert scenario.enabled_programs
    assert {p.file for p in scenario.programs} == set(list_program_files(folder))


def test_pcb_drill_has_about_1500_holes_on_3_or_more_tools():
    holes = _holes(DEMO_DIR / "demo" / "scenario" / "pcb-drill")
    assert len(holes) >= 3 and 1400 <= sum(holes.values()) <= 1700
    points = (ROOT / "scripts" / "demo_tsplib_points.txt").read_text()
    fl1577 = points.split("[fl1577]")[1].split("[")[0].split("\n")
    assert sum(holes.values()) - holes[4] == len([p for p in fl1577 if p.strip()])


def test_large_panel_has_at_least_20000_holes():
    holes = _holes(DEMO_DIR / "demo" / "scenario" / "large-panel")
    assert len(holes) >= 3 and sum(holes.values()) >= 20_000


def test_mold_plate_mills_arcs_drills_deep_taps_and_calls_a_subprogram():
    scenario = load_scenario(DEMO_DIR / "demo" / "scenario" / "mold-plate")
    text = "\n".join(scenario.program_path(p).read_text() for p in scenario.enabled_programs)
    codes = {f"{a}{int(float(v))}" for line in text.splitlines() for a, v in code_words(line)}
    assert {"G1", "G2", "G3", "G54", "G83", "G84", "G81"} <= codes
    assert re.search(r"^M98 P1000\b", text, re.MULTILINE)
    assert len(scenario.tools) >= 5


@pytest.mark.parametrize("folder", demo_folders(), ids=DEMO_IDS)
def test_demo_programs_are_conservative_fanuc(folder):
    scenario = load_scenario(folder)
    for name, text in _programs(folder).items():
        lines = text.splitlines()
        assert lines[0] == "%" and re.fullmatch(r"O\d{4} \(.+\)", lines[1]), name
        assert lines[-1] == "%" and lines[-2] in {"M30", "M99"}, name
        for line in lines:
            for address, value in code_words(line):
                if address in "XYZIJRQF":
                    assert "." in value, f"{name}: {line!r} lacks a decimal point"
        if lines[-2] == "M30":
            assert "G90 G54 G17 G21" in lines and lines[-4:-2] == ["G91 G28 Z0.", "G90"], name
            _check_tool_changes(lines, {t.number for t in scenario.tools}, name)


def _check_tool_changes(lines: list[str], tools: set[int], name: str) -> None:
    for i, line in enumerate(lines):
        if m := re.fullmatch(r"T(\d+) M6", line):
            tool = int(m.group(1))
            assert tool in tools, name
            assert re.fullmatch(r"S\d+ M3", lines[i + 1]), name
            assert lines[i + 3] == f"G43 H{tool} Z{lines[i + 3].split('Z')[1]}", name
            assert lines[i + 3].endswith(" M8"), name


@pytest.mark.parametrize("folder", demo_folders(), ids=DEMO_IDS)
def test_every_hole_once_per_tool_and_within_an_800_x_500_table(folder):
    for name, text in _programs(folder).items():
        seen: set[tuple[int, str, str]] = set()
        xs, ys, tool, cycle = [], [], 0, False
        for line in text.splitlines():
            words = dict(code_words(line))
            tool = int(words.get("T", tool))
            cycle = (cycle or words.get("G") in {"81", "83", "84"}) and "G80" not in line
            xs += [float(words["X"])] if "X" in words else []
            ys += [float(words["Y"])] if "Y" in words else []
            if cycle and "X" in words:
                hole = (tool, words["X"], words["Y"])
                assert hole not in seen, f"{name}: {hole} drilled twice"
                seen.add(hole)
        assert max(xs) - min(xs) <= 800 and max(ys) - min(ys) <= 500, name


def _generator(monkeypatch):
    spec = importlib.util.spec_from_file_location("make_demo_data", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is built
    monkeypatch.setitem(sys.modules, "make_demo_data", module)
    spec.loader.exec_module(module)
    return module


def test_generator_is_deterministic_and_matches_the_committed_data(tmp_path, capsys, monkeypatch):
    generator = _generator(monkeypatch)
    for run in ("a", "b"):
        assert (
            generator.main(["--out", str(tmp_path / run), "--template", str(tmp_path / "t")]) == 0
        )
    capsys.readouterr()
    made = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.nc"))
    assert made == sorted(p.relative_to(DEMO_DIR) for p in DEMO_DIR.rglob("*.nc"))
    for rel in made:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
        assert (tmp_path / "a" / rel).read_bytes() == (DEMO_DIR / rel).read_bytes(), rel
    for xlsx in (tmp_path / "a").rglob("*.xlsx"):
        committed = read_sheets(DEMO_DIR / xlsx.relative_to(tmp_path / "a"))
        assert generator.same_sheets(xlsx, committed), xlsx


@pytest.mark.parametrize("folder", demo_folders(), ids=DEMO_IDS)
def test_every_demo_program_parses_with_its_scenario_machine(folder):
    from ncopt import parse_program

    scenario = load_scenario(folder)
    tools = {t.number for t in scenario.tools}
    for entry in scenario.programs:
        text = scenario.program_path(entry).read_text()
        program = parse_program(text, scenario.machine, name=entry.file)
        assert program.hole_count == sum(count_holes(text).values()), entry.file
        assert {tool for _, tool in program.tool_changes} <= tools, entry.file
        if entry.file == "MOLD-A.nc":
            assert [b.text for b in program.barriers] == ["M98 P1000"]
