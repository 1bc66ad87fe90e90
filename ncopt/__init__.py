"""NC Optimizer engine: parse, time, sequence, emit and verify NC programs (no streamlit).

>>> from ncopt import Machine, estimate_cycle_time, parse_program
>>> round(estimate_cycle_time(parse_program("G0 X0 Y0 Z0\\nG4 P500\\n"), Machine()).dwell_s, 3)
0.5

The exports load on first use (PEP 562): the job supervisor imports ``ncopt.paths`` at start,
and importing the package must not cost it numpy.
"""

from __future__ import annotations

__version__ = "0.1.0"  # pyproject.toml's; written into every program the optimizer offers

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ncopt.cycle_time import CycleTime, estimate_cycle_time
    from ncopt.errors import GCodeError, MachineConfigError, NcError, ScenarioError
    from ncopt.interpreter import parse_program
    from ncopt.machine import Machine
    from ncopt.post import program_to_json
    from ncopt.verify import VerifyReport, verify_air_cut, verify_equivalent
    from ncopt.writer import emit

_EXPORTS = {
    "CycleTime": "ncopt.cycle_time",
    "GCodeError": "ncopt.errors",
    "Machine": "ncopt.machine",
    "MachineConfigError": "ncopt.errors",
    "NcError": "ncopt.errors",
    "ScenarioError": "ncopt.errors",
    "VerifyReport": "ncopt.verify",
    "emit": "ncopt.writer",
    "estimate_cycle_time": "ncopt.cycle_time",
    "parse_program": "ncopt.interpreter",
    "program_to_json": "ncopt.post",
    "verify_air_cut": "ncopt.verify",
    "verify_equivalent": "ncopt.verify",
}

__all__ = [
    "CycleTime",
    "GCodeError",
    "Machine",
    "MachineConfigError",
    "NcError",
    "ScenarioError",
    "VerifyReport",
    "emit",
    "estimate_cycle_time",
    "parse_program",
    "program_to_json",
    "verify_air_cut",
    "verify_equivalent",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ncopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
