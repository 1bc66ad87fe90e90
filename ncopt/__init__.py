"""NC Optimizer engine: parse, time, sequence, emit and verify NC programs (no streamlit).

>>> from ncopt import Machine, estimate_cycle_time, parse_program
>>> round(estimate_cycle_time(parse_program("G0 X0 Y0 Z0\\nG4 P500\\n"), Machine()).dwell_s, 3)
0.5
"""

from ncopt.cycle_time import CycleTime, estimate_cycle_time
from ncopt.emit import emit
from ncopt.errors import GCodeError, MachineConfigError, NcError, ScenarioError
from ncopt.interpreter import parse_program
from ncopt.machine import Machine
from ncopt.post import program_to_json
from ncopt.verify import VerifyReport, verify_air_cut, verify_equivalent

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
