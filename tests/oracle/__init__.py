"""An independent motion oracle for the tests (issue 13): ``simulate`` reads a Fanuc-style
program into the tool's motion, ``compare`` checks that a new program machines like an old
one and keeps the safety invariant, ``tests.oracle.generate`` draws programs for property
tests. Shares no code with ``ncopt``; see README.md in this folder."""

from tests.oracle.compare import Report, compare
from tests.oracle.simulate import simulate
from tests.oracle.trace import SimulationError, Trace

__all__ = ["Report", "SimulationError", "Trace", "compare", "simulate"]
