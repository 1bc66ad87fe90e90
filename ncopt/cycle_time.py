"""Cycle-time model: how long a parsed program runs on a machine, and where the time goes.

Every move is timed with the machine model of ``ncopt.machine`` (the sequencer's cost uses the
same functions, so it minimises what is reported here):

- G0: linear interpolation with exact stop at both ends (Fanuc's default G00 mode), path speed
  and acceleration the largest whose projection stays within every axis' limit, trapezoid
  profile (``Machine.rapid_time_s``; hole to hole ``Machine.rapid_time_xy``).
- G1/G2/G3: speed ``min(F, max_feed)`` projected on the axis limits the same way; consecutive
  feed moves blend at a junction speed from grbl's junction-deviation rule
  (``v² = a·δ·sin(θ/2)/(1 - sin(θ/2))``), capped so the speed change fits in either adjacent
  move (``v ≤ √(a·L)``); arcs are limited by the centripetal acceleration (``v ≤ √(a·r)``).
- Canned cycles are expanded: XY at the current level, rapid to R, then the cycle (G81 feed
  down, rapid out; G82 + dwell; G83 pecks of Q with full retracts to R and a rapid return to
  ``peck_clearance_mm`` above the last depth; G73 chip-breaking retracts of that clearance;
  G84/G74 feed in, dwell, feed out; G85/G89 feed out; G86/G76/G87/G88 rapid out), then to the
  return level (R for G99, the initial level for G98), repeated ``K`` times.
- G4 dwell, tool changes (chip to chip, ``tool_change_s``) and spindle starts
  (``spindle_start_s``).

>>> from ncopt.interpreter import parse_program
>>> from ncopt.machine import Machine
>>> m = Machine()
>>> p = parse_program("G90 G0 X0 Y0 Z0\\nG1 X100. F6000\\n", m)  # 100 mm at 100 mm/s
>>> round(estimate_cycle_time(p, m).cutting_s, 6)  # 100/100 + 100/4000
1.025
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ncopt.controllers import profile
from ncopt.machine import Machine, trapezoid_time_array, trapezoid_time_s
from ncopt.program import HoleParams, MoveKind, Program

__all__ = [
    "CycleTime",
    "estimate_cycle_time",
    "hole_cycle_time_s",
    "rapid_times_s",
    "travel_by_row",
]


@dataclass(frozen=True)
class CycleTime:
    """A cycle-time breakdown in seconds, with rapid distance and counts."""

    total_s: float
    rapid_s: float
    cutting_s: float
    tool_change_s: float
    dwell_s: float
    spindle_s: float
    rapid_distance_mm: float
    cutting_distance_mm: float
    rapid_moves: int
    feed_moves: int
    tool_changes: int
    holes: int
    blocks: int
    untimed_moves: int = 0  # moves from a position the program does not state: counted 0 s

    def to_dict(self) -> dict[str, float | int | None]:
        """Strict JSON values (the ``stats`` CLI output): anything not finite is None."""
        return {k: _json_number(v) for k, v in asdict(self).items()}


def _json_number(value):
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def estimate_cycle_time(program: Program, machine: Machine) -> CycleTime:
    """The cycle time of ``program`` on ``machine``.

    A reordered program (``program.plan`` set by ``reorder``) is timed as what ``emit`` writes
    for it, re-parsed, so the estimate always describes real NC text.
    """
    if program.plan:
        from ncopt.interpreter import parse_program
        from ncopt.writer import emit

        program = parse_program(emit(program), machine)
    m = program.motion
    kind = m.kind
    start = np.vstack([np.full((1, 3), np.nan), m.end[:-1]]) if len(m) else m.end
    delta = np.nan_to_num(m.end - start, nan=0.0)  # unknown start (first move, after G28): 0
    rapid = kind == MoveKind.RAPID
    rapid_t = rapid_times_s(machine, delta[rapid])
    rapid_d = float(np.linalg.norm(delta[rapid], axis=1).sum())
    feed_t, feed_d, n_feed = _feed_time(program, machine, delta)
    holes = _holes_time(program, machine, start)
    tool_change = _tool_change_s(program, machine)
    spindle = len(program.spindle_starts) * machine.spindle_start_s
    dwell = float(m.dwell_after.sum()) + holes["dwell"]
    rapid_s = float(rapid_t.sum()) + holes["rapid"]
    cutting_s = feed_t + holes["feed"]
    return CycleTime(
        total_s=rapid_s + cutting_s + tool_change + dwell + spindle,
        rapid_s=rapid_s,
        cutting_s=cutting_s,
        tool_change_s=tool_change,
        dwell_s=dwell,
        spindle_s=spindle,
        rapid_distance_mm=rapid_d + holes["rapid_mm"],
        cutting_distance_mm=feed_d + holes["feed_mm"],
        rapid_moves=int(rapid.sum()),
        feed_moves=n_feed,
        tool_changes=len(program.tool_changes),
        holes=program.hole_count,
        blocks=sum(1 for op in program.ops if op.kind == "block"),
        untimed_moves=len(untimed_rows(program)),
    )


def _tool_change_s(program: Program, machine: Machine) -> float:
    """Every M6 a full change, except one of the tool already in the spindle: what that costs
    depends on the control (``ncopt.controllers``: Haas ignores it, Mach3's macro runs)."""
    share = profile(program.controller).same_tool_change
    total, spindle = 0.0, None
    for _, tool in program.tool_changes:
        total += machine.tool_change_s * (share if tool == spindle else 1.0)
        spindle = tool
    return total


def untimed_rows(program: Program) -> np.ndarray:
    """Motion rows that move an axis from a position the program no longer states (after
    G28, a subprogram call, a macro): they are timed only by what is known of them. An axis's
    first positioning, from wherever the machine starts, is not counted."""
    m = program.motion
    if not len(m):
        return np.zeros(0, dtype=np.int64)
    start = np.vstack([np.full((1, 3), np.nan), m.end[:-1]])
    stated = np.vstack([np.zeros((1, 3), dtype=bool), np.isfinite(m.end[:-1])])
    lost = np.logical_or.accumulate(stated, axis=0)  # the axis was known once, then lost
    moves = np.isnan(start) & np.isfinite(m.end) & lost
    moves[m.kind == MoveKind.FRAME] = False  # a frame change is no motion
    moves[m.kind == MoveKind.HOLE, 2] = False  # a hole's Z goes to R from wherever it is
    untimed = moves.any(axis=1)
    arcs = np.flatnonzero(m.kind == MoveKind.ARC)
    if len(arcs):  # an arc from an unknown position has no geometry
        untimed[arcs] |= ~np.isfinite(m.arcs[m.aux[arcs], 0])
    return np.flatnonzero(untimed)


def travel_by_row(program: Program, machine: Machine) -> tuple[np.ndarray, np.ndarray]:
    """Rapid travel of each motion row, in seconds and mm: a rapid's whole move, a hole's
    move to it and down to R (what re-sequencing changes); 0 for the rest.

    >>> from ncopt.interpreter import parse_program
    >>> p = parse_program("G0 X0 Y0 Z10.\\nG0 X100.\\n")
    >>> travel_by_row(p, Machine())[1].round(3).tolist()
    [0.0, 100.0]
    """
    m = program.motion
    start = np.vstack([np.full((1, 3), np.nan), m.end[:-1]]) if len(m) else m.end
    delta = np.nan_to_num(m.end - start, nan=0.0)
    seconds, mm = np.zeros(len(m)), np.zeros(len(m))
    rapid = m.kind == MoveKind.RAPID
    seconds[rapid] = rapid_times_s(machine, delta[rapid])
    mm[rapid] = np.linalg.norm(delta[rapid], axis=1)
    holes = np.flatnonzero(m.kind == MoveKind.HOLE)
    if len(holes):
        dx, dy = delta[holes, 0], delta[holes, 1]
        r_plane = np.array([p.r_mm for p in program.hole_params])[m.aux[holes]]
        dz = np.abs(np.where(np.isnan(start[holes, 2]), r_plane, start[holes, 2]) - r_plane)
        vz, az = machine.rapid_z_mm_min / 60.0, machine.accel_z_mm_s2
        seconds[holes] = machine.rapid_time_xy(dx, dy) + trapezoid_time_array(dz, vz, az)
        mm[holes] = np.hypot(dx, dy) + dz
    return seconds, mm


def rapid_times_s(machine: Machine, delta: np.ndarray) -> np.ndarray:
    """Vectorised ``Machine.rapid_time_s`` for an (n, 3) array of moves (same formula)."""
    delta = np.abs(np.asarray(delta, dtype=float).reshape(-1, 3))
    length = np.linalg.norm(delta, axis=1)
    v, a = _projected_limits(delta, length, machine.rapid_mm_s, machine.accel_mm_s2)
    return trapezoid_time_array(length, v, a)


def _projected_limits(delta, length, rates, accels):
    """Largest path speed/acceleration whose projection stays within every axis' limit."""
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(length[:, None] > 0, np.abs(delta) / length[:, None], 0.0)
        v = np.min(np.where(u > 0, rates / u, np.inf), axis=1)
        a = np.min(np.where(u > 0, accels / u, np.inf), axis=1)
    return np.where(np.isfinite(v), v, 1.0), np.where(np.isfinite(a), a, 1.0)


def _feed_time(program: Program, machine: Machine, delta: np.ndarray):
    m = program.motion
    feed = (m.kind == MoveKind.LINE) | (m.kind == MoveKind.ARC)
    idx = np.flatnonzero(feed)
    if idx.size == 0:
        return 0.0, 0.0, 0
    d = delta[idx]
    length = np.linalg.norm(d, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_in = np.where(length[:, None] > 0, d / length[:, None], 0.0)
    t_out = t_in.copy()
    radius = np.full(idx.size, np.inf)
    arc = m.kind[idx] == MoveKind.ARC
    if arc.any():
        geo = m.arcs[m.aux[idx[arc]]]
        length[arc], radius[arc] = geo[:, 0], geo[:, 1]
        t_in[arc], t_out[arc] = geo[:, 2:5], geo[:, 5:8]
    direction = np.maximum(np.abs(t_in), np.abs(t_out))
    v, a = _projected_limits(direction, np.ones(idx.size), machine.rapid_mm_s, machine.accel_mm_s2)
    programmed = np.where(m.feed_mm_min[idx] > 0, m.feed_mm_min[idx], machine.max_feed_mm_min)
    v = np.minimum(v, np.minimum(programmed, machine.max_feed_mm_min) / 60.0)
    v = np.minimum(v, np.sqrt(a * radius))  # centripetal limit (inf for lines)
    untimed = ~np.isfinite(length)  # an arc from an unknown position (a program warning)
    if untimed.any():
        length[untimed], v[untimed], t_in[untimed], t_out[untimed] = 0.0, 1.0, 0.0, 0.0
    v_join = _junction_speeds(idx, m.dwell_after, t_in, t_out, v, a, length, machine)
    t = _profile_time(length, v, a, v_join[:-1], v_join[1:])
    return float(t.sum()), float(length.sum()), int(idx.size)


def _junction_speeds(idx, dwell_after, t_in, t_out, v, a, length, machine) -> np.ndarray:
    """Speed at the start of each feed move and at the end of the last (n + 1 values)."""
    n = idx.size
    join = np.zeros(n + 1)
    if n < 2:
        return join
    # Move k-1 and k blend only if they are consecutive rows with no dwell between them.
    linked = (idx[1:] == idx[:-1] + 1) & (dwell_after[idx[1:]] == 0.0)
    cos_theta = -np.sum(t_out[:-1] * t_in[1:], axis=1)
    a_j = np.minimum(a[:-1], a[1:])
    with np.errstate(divide="ignore", invalid="ignore"):
        sin_half = np.sqrt(np.clip(0.5 * (1.0 - cos_theta), 0.0, 1.0))
        v_dev = np.sqrt(a_j * machine.junction_deviation_mm * sin_half / (1.0 - sin_half))
    v_dev = np.where(cos_theta > 0.999999, 0.0, v_dev)
    v_dev = np.where(cos_theta < -0.999999, np.inf, v_dev)
    reach = np.sqrt(np.minimum(a[:-1] * length[:-1], a[1:] * length[1:]))
    v_j = np.minimum.reduce([v_dev, v[:-1], v[1:], reach])
    join[1:-1] = np.where(linked, v_j, 0.0)
    return join


def _profile_time(length, v, a, v0, v1) -> np.ndarray:
    """Time of a move entered at ``v0`` and left at ``v1`` with cruise ``v`` and accel ``a``.

    With ``v0 = v1 = 0`` this is exactly ``trapezoid_time_s``.
    """
    d_acc = (v * v - v0 * v0) / (2 * a)
    d_dec = (v * v - v1 * v1) / (2 * a)
    cruise = d_acc + d_dec <= length
    with np.errstate(invalid="ignore", divide="ignore"):
        t_cruise = (v - v0) / a + (v - v1) / a + (length - d_acc - d_dec) / v
        vp = np.sqrt(np.maximum((2 * a * length + v0 * v0 + v1 * v1) / 2, 0.0))
        t_peak = (vp - v0) / a + (vp - v1) / a
    t = np.where(cruise, t_cruise, t_peak)
    return np.where(length > 0, t, 0.0)


def _holes_time(program: Program, machine: Machine, start: np.ndarray) -> dict[str, float]:
    m = program.motion
    out = dict.fromkeys(("rapid", "feed", "dwell", "rapid_mm", "feed_mm"), 0.0)
    idx = np.flatnonzero(m.kind == MoveKind.HOLE)
    if idx.size == 0:
        return out
    s = np.nan_to_num(start[idx], nan=0.0)
    e = m.end[idx]
    dx, dy = e[:, 0] - s[:, 0], e[:, 1] - s[:, 1]
    xy_t = machine.rapid_time_xy(dx, dy)
    pid = m.aux[idx]
    r_plane = np.array([p.r_mm for p in program.hole_params])[pid]
    dz = np.abs(np.where(np.isnan(start[idx, 2]), r_plane, start[idx, 2]) - r_plane)
    z_t = trapezoid_time_array(dz, machine.rapid_z_mm_min / 60.0, machine.accel_z_mm_s2)
    out["rapid"] = float(xy_t.sum() + z_t.sum())
    out["rapid_mm"] = float(np.hypot(dx, dy).sum() + dz.sum())
    per_param = [hole_cycle_time_s(p, machine) for p in program.hole_params]
    counts = np.bincount(pid, minlength=len(per_param))
    for p, parts, count in zip(program.hole_params, per_param, counts.tolist(), strict=True):
        if not count:
            continue
        for key in ("rapid", "feed", "dwell", "rapid_mm", "feed_mm"):
            out[key] += count * parts[key] * p.repeats
        if p.return_mode == 98 and p.repeats > 1:
            # Each further repeat first comes back down from the initial level to R.
            down = _above(p.return_z_mm, p.r_mm)
            vz, az = machine.rapid_z_mm_min / 60.0, machine.accel_z_mm_s2
            out["rapid"] += count * (p.repeats - 1) * trapezoid_time_s(down, vz, az)
            out["rapid_mm"] += count * (p.repeats - 1) * down
    return out


def hole_cycle_time_s(p: HoleParams, machine: Machine) -> dict[str, float]:
    """One hole's cycle from arriving at R to leaving at the return level (per repeat).

    >>> from ncopt.program import HoleParams
    >>> p = HoleParams(81, -10.0, 2.0, 2.0, 99, 0.0, 0.0, 600.0, 1, 1000.0, 1, True)
    >>> round(hole_cycle_time_s(p, Machine())["feed"], 6)  # 12 mm at 10 mm/s: 1.2 + 10/3000
    1.203333
    """
    depth = _above(p.r_mm, p.z_mm)
    up = _above(p.return_z_mm, p.r_mm)  # G98 from an unknown initial level: not timed
    feed = [0.0]
    rapid = [0.0]
    dwell = p.dwell_s
    if p.cycle in (83, 73) and p.q_mm > 0:
        _pecks(depth, p, machine, feed, rapid)
    else:
        feed.append(depth)
        if p.cycle in (84, 74, 85, 89):
            feed.append(depth)  # out at feed (tapping reverses the spindle)
            rapid.append(up)
        else:
            rapid.append(depth + up)
    v_feed = min(p.feed_mm_min or machine.max_feed_mm_min, machine.max_feed_mm_min) / 60.0
    v_feed = min(v_feed, machine.rapid_z_mm_min / 60.0)
    az = machine.accel_z_mm_s2
    vz = machine.rapid_z_mm_min / 60.0
    return {
        "feed": sum(trapezoid_time_s(d, v_feed, az) for d in feed),
        "rapid": sum(trapezoid_time_s(d, vz, az) for d in rapid),
        "dwell": dwell,
        "feed_mm": sum(feed),
        "rapid_mm": sum(rapid),
    }


def _above(high: float, low: float) -> float:
    """How far ``high`` is above ``low``; 0 when it is not, or when either is unknown."""
    d = high - low
    return d if d > 0.0 else 0.0


def _pecks(depth: float, p: HoleParams, machine: Machine, feed: list, rapid: list) -> None:
    """G83 retracts to R after each peck and rapids back to ``clearance`` above the last depth;
    G73 only backs off by ``clearance``. Either way each later peck cuts ``Q + clearance``."""
    clearance = machine.peck_clearance_mm
    n = max(1, math.ceil(depth / p.q_mm - 1e-9))
    reached = 0.0
    for k in range(n):
        target = min(depth, (k + 1) * p.q_mm)
        feed.append(target - (max(reached - clearance, 0.0) if k else 0.0))
        if k < n - 1:
            if p.cycle == 83:
                rapid.extend([target, max(target - clearance, 0.0)])
            else:
                rapid.append(clearance)
        reached = target
    rapid.append(depth + _above(p.return_z_mm, p.r_mm))
