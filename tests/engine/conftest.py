"""Fixtures of the engine tests: machines and small NC programs with known answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ncopt.machine import DecimalPointMode, Machine
from tests.engine.programs import program

ROOT = Path(__file__).resolve().parents[2]
DEMO_PROGRAMS = sorted((ROOT / "scenarios").glob("*/scenario/*/programs/*.nc"))


@pytest.fixture
def machine() -> Machine:
    """The built-in default machine (rates and accelerations in the docstrings' examples)."""
    return Machine()


@pytest.fixture
def increment_machine() -> Machine:
    """A machine where ``X10`` means 10 increments of 0.001 mm."""
    return Machine(decimal_point_mode=DecimalPointMode.INCREMENT)


@pytest.fixture
def mixed_program() -> str:
    """Drilling (6 holes, G81) then milling (3 pockets with arcs), Fanuc style."""
    holes = [(10.0, 10.0), (50.0, 12.5), (20.0, 40.0), (80.0, 5.0), (5.0, 70.0), (60.0, 60.0)]
    return program(holes, [(0.0, 0.0), (100.0, 0.0), (40.0, 80.0)])


@pytest.fixture(params=DEMO_PROGRAMS, ids=lambda p: p.name)
def demo_program(request) -> Path:
    """Each NC program shipped in scenarios/."""
    return request.param
