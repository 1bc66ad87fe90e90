"""Controller profiles: what differs between the controls a shop's programs are written for.

The machine sheet's ``controller`` key picks one (``fanuc`` by default). A profile says how
the interpreter reads and the emitter writes what the controls disagree on; everything else
is the common ISO/Fanuc dialect. Sources, as docs/engine.md lists them: the Fanuc 0i-MF
operator's manual (B-64604EN), the Haas mill operator's manual (96-8000), the LinuxCNC G-code
reference (linuxcnc.org/docs/html/gcode), "Using Mach3Mill" (ArtSoft, ch. 10) and the grbl
1.1 wiki (commands).

>>> profile("haas").dwell_s("0.5", "G4"), profile("haas").dwell_s("500", "G4")
(0.5, 0.5)
>>> profile("fanuc").dwell_s("500", "G82"), profile("linuxcnc").dwell_s("0.5", "G82")
(0.5, 0.5)
>>> profile("haas").dwell_word(0.5), profile("fanuc").dwell_word(0.5)
('P0.5', 'P500')
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Controller", "ControllerProfile", "DwellUnit", "profile"]


class Controller(StrEnum):
    FANUC = "fanuc"
    HAAS = "haas"
    LINUXCNC = "linuxcnc"
    MACH3 = "mach3"
    GRBL = "grbl"


class DwellUnit(StrEnum):
    """How a dwell's P word counts."""

    MS = "ms"  # milliseconds (Fanuc: P500 is half a second)
    S = "s"  # seconds (LinuxCNC, Mach3, grbl: P0.5 is half a second)
    DECIMAL_S = "decimal"  # seconds with a decimal point, else milliseconds (Haas)


# Modal words every profile reads as harmless: they change nothing the engine models, or
# change it in a way it follows (G40-G42 cutter compensation, G43/G49 tool length).
_COMMON_G = frozenset({15, 17, 18, 19, 20, 21, 40, 41, 42, 43, 44, 49, 50, 61, 64, 69, 80, 94})


@dataclass(frozen=True)
class ControllerProfile:
    """One control's rules (see the module docstring).

    ``harmless_g``/``harmless_m``: codes on a line that do not make it a barrier, beyond the
    common set; ``harmless_g_decimal``: G codes with a decimal (``G5.1``) likewise;
    ``same_tool_change_s``: what an M6 of the tool already in the spindle costs, as a share of
    ``tool_change_s`` (0: the control skips it, 1: it runs the whole change).
    """

    name: Controller
    dwell: DwellUnit
    same_tool_change: float
    harmless_g: frozenset[int] = frozenset()
    harmless_g_decimal: frozenset[str] = frozenset()
    harmless_m: frozenset[int] = frozenset()

    def dwell_s(self, text: str, code: str) -> float:
        """A dwell word's P value in seconds (``code``: the G code it belongs to)."""
        value = float(text)
        if self.dwell is DwellUnit.MS or (self.dwell is DwellUnit.DECIMAL_S and "." not in text):
            return value / 1000.0
        return value

    def dwell_word(self, seconds: float) -> str:
        """The P word that dwells ``seconds`` on this control."""
        if self.dwell is DwellUnit.MS:
            ms = round(seconds * 1000.0, 6)
            return f"P{int(ms)}" if ms == int(ms) else f"P{ms:g}"
        text = f"{round(seconds, 6):.6f}".rstrip("0")
        return f"P{text}"

    def harmless(self, g: int) -> bool:
        return g in _COMMON_G or g in self.harmless_g


_PROFILES = {
    # Fanuc 0i-MF: G04 P in ms (X in s), G82/G89 P in ms; G05.1 Q AI contour control and G08
    # look-ahead are smoothing modes. A same-tool M6 is skipped by the usual tool-change
    # macro (O9020 style); builders differ, so the machine's tool_change_s is the full change.
    Controller.FANUC: ControllerProfile(
        Controller.FANUC,
        DwellUnit.MS,
        same_tool_change=0.0,
        harmless_g=frozenset({8}),
        harmless_g_decimal=frozenset({"5.1"}),
    ),
    # Haas: P with a decimal point is seconds, without milliseconds; G187 (smoothness) and
    # G103 (look-ahead) are modal settings; M6 of the tool in the spindle is ignored.
    Controller.HAAS: ControllerProfile(
        Controller.HAAS,
        DwellUnit.DECIMAL_S,
        same_tool_change=0.0,
        harmless_g=frozenset({103, 187}),
        harmless_m=frozenset({88, 89}),
    ),
    # LinuxCNC: G4 P and the cycles' P in seconds; G64 P Q path blending, G61.1; M6 of the
    # loaded tool does nothing.
    Controller.LINUXCNC: ControllerProfile(
        Controller.LINUXCNC,
        DwellUnit.S,
        same_tool_change=0.0,
        harmless_g_decimal=frozenset({"61.1"}),
    ),
    # Mach3 (with its "G4 dwell param in milliseconds" option off, the default): P in
    # seconds; the M6 macro runs whatever the tool.
    Controller.MACH3: ControllerProfile(Controller.MACH3, DwellUnit.S, same_tool_change=1.0),
    # grbl 1.1: G4 P in seconds; M6 is a manual change.
    Controller.GRBL: ControllerProfile(Controller.GRBL, DwellUnit.S, same_tool_change=1.0),
}


def profile(name: str | Controller) -> ControllerProfile:
    """The profile of a controller name (``ValueError`` for an unknown one)."""
    return _PROFILES[Controller(str(name).strip().lower())]
