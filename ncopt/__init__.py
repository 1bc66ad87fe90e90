"""NC Optimizer engine: parse, time, sequence, emit and verify NC programs (no streamlit)."""

from ncopt.errors import GCodeError, MachineConfigError, NcError, ScenarioError
from ncopt.machine import Machine

__all__ = ["GCodeError", "Machine", "MachineConfigError", "NcError", "ScenarioError"]
