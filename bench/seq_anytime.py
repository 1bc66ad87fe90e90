"""Anytime curve of the 24k-hole demo panel: the best cycle-time so far, second by second.

    python bench/seq_anytime.py [--budget 60] [--threads N] [--json-out F]
    python bench/seq_anytime.py --pipeline [--budget 60] [--finish-at 10]

Each hole set of ``scenarios/demo/scenario/large-panel`` (13,131 + 7,410 + 3,619 + 4 holes) is
sequenced in machine time from where the machine is, with the scenario's budget split as
``ncopt/optimize.py`` splits it (by holes, at most 0.25 s + 5 ms per hole). The curve is what
the job shows as "best cycle time so far": the ``best_cost_s`` the solver passes to
``progress``, summed over the sets (a set not reached yet counts at its programmed order).

``--pipeline`` measures what the job itself reports instead: ``run_generate_nc_code`` on the
scenario, the ``best_cycle_time_s`` of its progress over time (the whole cycle time, with the
quick first order every group gets before the long searches, ``ncopt/optimize.py``), and a
second run asked to stop at ``--finish-at`` seconds (the UI's "finish now"): the cycle time of
the program it delivers, written and proved, against the full run's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PANEL = ROOT / "scenarios" / "demo" / "scenario" / "large-panel"


def hole_sets():
    """(machine, [(start xyz, xy) per hole set]) of the demo panel, in program order."""
    from ncopt.interpreter import parse_program
    from ncopt.program import HoleSet
    from ncopt.scenario import load_scenario

    scenario = load_scenario(PANEL)
    entry = scenario.enabled_programs[0]
    program = parse_program(scenario.program_path(entry).read_text(), scenario.machine)
    sets = []
    for group in program.groups:
        for i in group.ops:
            op = program.ops[i]
            if isinstance(op, HoleSet):
                sets.append((np.asarray(group.start_xyz[:2], dtype=float), op.xy))
    return scenario, sets


def programmed_time(machine, start, xy) -> float:
    seq = np.vstack([start, xy])
    d = np.diff(seq, axis=0)
    return float(machine.rapid_time_xy(d[:, 0], d[:, 1]).sum())


def run(budget_s: float, threads: int | None) -> dict:
    from ncopt.sequencing import solve_open_path

    scenario, sets = hole_sets()
    machine = scenario.machine
    best = [programmed_time(machine, start, xy) for start, xy in sets]
    curve: list[tuple[float, float]] = [(0.0, sum(best))]
    t0 = time.monotonic()
    holes_left = sum(len(xy) for _, xy in sets)
    finals = []
    for k, (start, xy) in enumerate(sets):

        def progress(k=k, **kw) -> None:
            if kw.get("best_cost_s") is not None and kw["best_cost_s"] < best[k]:
                best[k] = kw["best_cost_s"]
                curve.append((time.monotonic() - t0, sum(best)))

        left = max(0.0, budget_s - (time.monotonic() - t0))
        share = min(left * len(xy) / holes_left, 0.25 + 0.005 * len(xy))
        holes_left -= len(xy)
        r = solve_open_path(
            xy, machine, start=start, time_limit_s=share, progress=progress, threads=threads
        )
        progress(best_cost_s=r.cost)
        finals.append({"holes": len(xy), "budget_s": share, "cost_s": r.cost, "parts": r.parts})
    final = sum(best)
    within = next(t for t, c in curve if c <= final * 1.01)
    return {"curve": curve, "final_s": final, "within_1pct_s": within, "sets": finals}


def pipeline(budget_s: float, finish_at: float | None = None) -> dict:
    """One job's computation on the panel: its best-cycle-time curve and the delivered time."""
    from ncopt.pipeline import run_generate_nc_code

    curve: list[tuple[float, float]] = []
    t0 = time.monotonic()

    def progress(**kw) -> None:
        best = kw.get("best_cycle_time_s")
        if best is not None and (not curve or best < curve[-1][1]):
            curve.append((time.monotonic() - t0, float(best)))

    def should_stop() -> bool:
        return finish_at is not None and time.monotonic() - t0 >= finish_at

    conf = {"scenario_dir": str(PANEL), "time_limit_s": budget_s}
    _, _, out = run_generate_nc_code(conf, progress=progress, should_stop=should_stop)
    delivered = float(out["cycle_time_new_s"].sum())
    return {"curve": curve, "delivered_s": delivered, "wall_s": time.monotonic() - t0}


def main_pipeline(budget_s: float, finish_at: float) -> dict:
    full = pipeline(budget_s)
    final = full["delivered_s"]
    within = next(t for t, c in full["curve"] if c <= final * 1.01)
    early = pipeline(budget_s, finish_at)
    print(f"{'t (s)':>7} {'best cycle time so far (s)':>27} {'vs delivered':>13}")
    for t, c in full["curve"]:
        print(f"{t:7.2f} {c:27.1f} {100 * (c / final - 1):12.2f}%")
    print(
        f"full run: {final:.1f} s delivered after {full['wall_s']:.1f} s;"
        f" within 1 % after {within:.1f} s"
    )
    gap = 100 * (early["delivered_s"] / final - 1)
    print(
        f"finish now at {finish_at:g} s: {early['delivered_s']:.1f} s delivered"
        f" ({gap:+.2f} %) after {early['wall_s']:.1f} s"
    )
    return {"full": full, "finish_now": {**early, "at_s": finish_at}, "within_1pct_s": within}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=60.0, help="the job's budget (scenario: 60)")
    ap.add_argument("--threads", type=int, help="search threads (default: the job's share)")
    ap.add_argument("--json-out")
    ap.add_argument("--pipeline", action="store_true", help="the job's own curve, and finish now")
    ap.add_argument("--finish-at", type=float, default=10.0, help="when --pipeline finishes early")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    res = (
        main_pipeline(args.budget, args.finish_at)
        if args.pipeline
        else run(args.budget, args.threads)
    )
    res["load_average"] = {"start": load, "end": os.getloadavg()[0]}
    print(f"load average {load:.2f} → {res['load_average']['end']:.2f} on {os.cpu_count()} cores")
    if not args.pipeline:  # main_pipeline printed its own curve
        for s in res["sets"]:
            print(f"  {s['holes']:>6} holes  {s['budget_s']:5.1f} s  → {s['cost_s']:8.2f} s rapid")
        print(f"{'t (s)':>7} {'best rapid time (s)':>20} {'vs final':>9}")
        for t, c in res["curve"]:
            print(f"{t:7.2f} {c:20.2f} {100 * (c / res['final_s'] - 1):8.2f}%")
        final, within = res["final_s"], res["within_1pct_s"]
        print(f"within 1 % of the final {final:.2f} s after {within:.1f} s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
