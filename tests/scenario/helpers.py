"""Helpers for the scenario tests (imported as ``tests.scenario.helpers``)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ncopt.scenario import create_scenario, template_sheets, write_sheets

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = ROOT / "scenarios"
_WORD_RE = re.compile(r"([A-Z])([-+]?[0-9.]+)")
_CYCLES = {"G73", "G74", "G76", "G81", "G82", "G83", "G84", "G85", "G86", "G87", "G88", "G89"}


def demo_folders() -> list[Path]:
    return sorted(p for p in DEMO_DIR.glob("*/scenario/*") if p.is_dir())


def code_words(line: str) -> list[tuple[str, str]]:
    """The address words of one NC line, comments removed."""
    return _WORD_RE.findall(re.sub(r"\([^)]*\)", "", line).upper())


def count_holes(nc_text: str) -> dict[int, int]:
    """Holes drilled per tool: blocks with X or Y while a canned cycle is modal."""
    counts: dict[int, int] = {}
    tool, cycle = 0, False
    for line in nc_text.splitlines():
        words = code_words(line)
        codes = {f"G{int(float(v))}" for a, v in words if a == "G"}
        if codes & _CYCLES:
            cycle = True
        if "G80" in codes:
            cycle = False
        tool = next((int(v) for a, v in words if a == "T"), tool)
        if cycle and any(a in "XY" for a, _ in words):
            counts[tool] = counts.get(tool, 0) + 1
    return counts


def sample_sheets() -> dict[str, pd.DataFrame]:
    """Valid sheets with two tools and two programs (P1.nc uses T1, P2.nc uses T2)."""
    sheets = template_sheets()
    sheets["tools"] = pd.DataFrame(
        {
            "tool": [1, 2],
            "name": ["SPOT DRILL 10", "DRILL 6.8"],
            "type": ["spot", "drill"],
            "diameter_mm": [10.0, 6.8],
            "flutes": [2, 2],
            "notes": [None, "carbide"],
        },
        dtype=object,
    )
    sheets["programs"] = pd.DataFrame(
        {
            "file": ["P1.nc", "P2.nc"],
            "enabled": [True, False],
            "quantity_per_year": [100, 0],
            "notes": ["first", None],
        },
        dtype=object,
    )
    return sheets


PROGRAM_TEXT = {
    "P1.nc": "%\nO1\nT1 M6\nG81 X1. Y1. Z-1. R1. F100.\nG80\nM30\n%\n",
    "P2.nc": "%\nO2\n(T7 IN A COMMENT)\nT2 M6\nG0 X1. Y1.\nM30\n%\n",
}


def make_sample(data_dir: Path, name: str = "sample") -> Path:
    """A valid scenario ``dept/<name>`` holding ``sample_sheets`` and its programs."""
    folder = create_scenario(data_dir, "dept", name)
    for file, text in PROGRAM_TEXT.items():
        (folder / "programs" / file).write_text(text)
    write_sheets(folder / f"{name}.xlsx", sample_sheets())
    return folder


def places(issues) -> set[tuple[str, int | None, str | None]]:
    return {(i.sheet, i.row, i.column) for i in issues}
