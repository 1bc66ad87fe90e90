"""Cut-block ordering benchmark: one milling tool with N pockets, as a CAM export lists them.

For each size, in one run: the pockets' travel time as programmed, after our ordering
(``optimize_program``: ``ncopt.travel`` + ``ncopt.op_order``) and, as a reference, after
``fast_tsp`` on the same pockets treated as points (a pocket here starts and ends at one
corner, so the asymmetric problem is a symmetric one and the hole sequencer's LK search is a
fair yardstick). Also the wall time, the longest wait between two ``should_stop`` calls (the
anytime contract: at most 0.5 s), and peak RSS. A second table adds finishing passes over a
fifth of the pockets: those pairs must keep their order, everything else may still move.

    python bench/blocks.py                      # 100, 1000, 3000, 10000 pockets
    python bench/blocks.py --sizes 300 --time-limit 5 --json-out R.json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (100, 1000, 3000, 10000)
PITCH_MM = 40.0


def corners(n: int, finishing: bool, seed: int = 1) -> list[tuple[float, float]]:
    """Pocket corners on a grid in a random order; with ``finishing`` every fifth pocket gets
    a finishing pass 0.5 mm over it, later in the program."""
    side = int(np.ceil(np.sqrt(n)))
    cells = np.random.default_rng(seed).permutation(side * side)[:n]
    out = [(float(c % side) * PITCH_MM, float(c // side) * PITCH_MM) for c in cells]
    if finishing:
        out += [(x, y + 0.5) for x, y in out[::5]]
    return out


def measure(n: int, finishing: bool, limit_s: float) -> dict:
    """One measurement; runs in its own process so the peak RSS is this size's alone."""
    from ncopt import Machine, emit, estimate_cycle_time, parse_program
    from ncopt.optimize import optimize_program
    from ncopt.sequencing import solve_open_path
    from tests.engine.programs import FOOTER, HEADER, mill_tool

    machine = Machine()
    xy = corners(n, finishing)
    old = parse_program(HEADER + mill_tool(1, xy) + FOOTER, machine)
    asked: list[float] = []

    def should_stop() -> bool:
        asked.append(time.monotonic())
        return False

    t0 = time.monotonic()
    new, stats = optimize_program(old, machine, time_limit_s=limit_s, should_stop=should_stop)
    elapsed = time.monotonic() - t0
    gaps = np.diff([t0, *asked, time.monotonic()])
    before = estimate_cycle_time(old, machine).rapid_s
    after = estimate_cycle_time(parse_program(emit(new), machine), machine).rapid_s
    row = {
        "pockets": len(xy),
        "finishing_pairs": len(xy) - n,
        "rapid_s_program": before,
        "rapid_s_ours": after,
        "time_s": elapsed,
        "max_stop_gap_s": float(gaps.max()),
        "blocks_resequenced": stats.blocks_resequenced,
    }
    if not finishing:
        # The same pockets as points: the programmed travel minus the XY part is the fixed
        # retract/descend time, the XY part is what a TSP path would change.
        pts = np.array(xy)
        start = np.array(old.groups[0].start_xyz[:2]) if old.groups else np.zeros(2)
        order = solve_open_path(pts, machine, start=start, time_limit_s=limit_s).order
        row["rapid_s_fast_tsp"] = (
            before - _xy_time(pts, None, start, machine) + _xy_time(pts, order, start, machine)
        )
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def _xy_time(pts, order, start, machine) -> float:
    seq = pts if order is None else pts[order]
    seq = np.vstack([start[None, :], seq])
    d = np.diff(seq, axis=0)
    return float(machine.rapid_time_xy(d[:, 0], d[:, 1]).sum())


def budget_s(n: int) -> float:
    return 5.0 if n <= 1000 else 10.0 if n <= 3000 else 30.0


def run_child(n: int, finishing: bool, limit_s: float | None) -> dict:
    """``measure`` in a fresh process, with the size's default budget unless one is given."""
    limit_s = limit_s or budget_s(n)
    cmd = [sys.executable, __file__, "--child", str(n), str(int(finishing)), str(limit_s)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "budget_s": limit_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated pocket counts")
    parser.add_argument("--time-limit", type=float, help="budget per size (default by size)")
    parser.add_argument("--json-out")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        n, finishing, limit = args.child
        print(json.dumps(measure(int(n), finishing == "1", float(limit))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
    rows = []
    print(
        "| pockets | budget s | travel as programmed s | ours s | fast_tsp on points s "
        "| ours vs fast_tsp | time s | max stop gap s | peak RSS MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sizes:
        r = run_child(n, False, args.time_limit)
        rows.append(r)
        ratio = 100.0 * (r["rapid_s_ours"] / r["rapid_s_fast_tsp"] - 1.0)
        print(
            f"| {r['pockets']} | {r['budget_s']:g} | {r['rapid_s_program']:.1f}"
            f" | {r['rapid_s_ours']:.1f} | {r['rapid_s_fast_tsp']:.1f} | {ratio:+.2f} %"
            f" | {r['time_s']:.2f} | {r['max_stop_gap_s']:.2f} | {r['peak_rss_mb']:.0f} |",
            flush=True,
        )
    print()
    print("With finishing passes over every fifth pocket (pairs that must keep their order):")
    print("| pockets | pairs | travel as programmed s | ours s | time s | max stop gap s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sizes:
        r = run_child(n, True, args.time_limit)
        rows.append(r)
        print(
            f"| {r['pockets']} | {r['finishing_pairs']} | {r['rapid_s_program']:.1f}"
            f" | {r['rapid_s_ours']:.1f} | {r['time_s']:.2f} | {r['max_stop_gap_s']:.2f} |",
            flush=True,
        )
    plain = [r for r in rows if not r["finishing_pairs"]]
    summary = {
        "median_vs_fast_tsp_pct": statistics.median(
            100.0 * (r["rapid_s_ours"] / r["rapid_s_fast_tsp"] - 1.0) for r in plain
        ),
        "max_stop_gap_s": max(r["max_stop_gap_s"] for r in rows),
    }
    print()
    print(json.dumps(summary))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
