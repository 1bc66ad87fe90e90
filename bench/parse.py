"""Benchmark: parse + cycle time of a generated 1,000,000-line program, and emit round trips.

Targets (issue 3): ≥ 250,000 lines/s for parse + cycle time, ≤ 600 MB peak memory. Also times
the verifier on a reordered output (every hole set drilled backwards), as the pipeline runs it.
The work runs in a child process so its peak RSS is measured alone. Prints a table, then one
JSON line.

    .venv/bin/python bench/parse.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Share of the lines in milling moves; the rest is drilling (modal hole lines), as in a
# plate with many holes and a few pockets.
MILL_SHARE = 0.1


def generate(n_lines: int, seed: int = 1) -> str:
    """A Fanuc-style program of about ``n_lines`` lines: 4 drilling tools, 1 milling tool."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = ["%", "O9000 (BENCH)", "G90 G54 G17 G21", "G40 G49 G80"]
    n_mill = int(n_lines * MILL_SHARE)
    n_holes = (n_lines - n_mill - 60) // 4
    cycles = ("G81 Z-3. R2. F300.", "G83 Z-20. R2. Q4. F200.", "G82 Z-2. R2. P300 F250.")
    for tool in range(1, 5):
        xy = rng.uniform(0, 1000, size=(n_holes, 2)).round(3)
        out += [f"(T{tool} DRILL)", f"T{tool} M6", "S2000 M3", "G0 G90 G54 X0. Y0."]
        out += [f"G43 H{tool} Z25. M8", f"G99 {cycles[tool % 3]} X{xy[0, 0]:.3f} Y{xy[0, 1]:.3f}"]
        out += [f"X{x:.3f} Y{y:.3f}" for x, y in xy[1:].tolist()]
        out += ["G80", "G0 Z25.", "M9"]
    out += ["T5 M6", "S3000 M3", "G0 G90 G54 X0. Y0.", "G43 H5 Z25. M8"]
    pockets = max(1, n_mill // 12)
    for k in range(pockets):
        x, y = (k % 100) * 10.0, (k // 100) % 100 * 10.0
        out += [f"G0 X{x:.1f} Y{y:.1f}", "Z2.", "G1 Z-2. F150.", f"G1 X{x + 6:.1f} F900."]
        out += [f"Y{y + 6:.1f}", f"G3 X{x + 4:.1f} Y{y + 8:.1f} I-2. J0.", f"G1 X{x:.1f}"]
        out += [f"Y{y:.1f}", f"X{x + 3:.1f} Y{y + 3:.1f}", f"G2 X{x + 3:.1f} Y{y + 3:.1f} I1. J0."]
        out += ["G1 Z0.", "G0 Z25."]
    out += ["M5", "M9", "G91 G28 Z0.", "G90", "M30", "%"]
    return "\n".join(out) + "\n"


def child(path: str) -> dict:
    """Parse, time, emit: run in a fresh process so ``ru_maxrss`` is this work's peak."""
    from ncopt import Machine, emit, estimate_cycle_time, parse_program, verify_equivalent
    from ncopt.plan import reorder
    from ncopt.program import Step

    machine = Machine()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    data = Path(path).read_bytes()
    program = parse_program(data, machine)
    t1 = time.perf_counter()
    cycle = estimate_cycle_time(program, machine)
    t2 = time.perf_counter()
    cpu2 = time.process_time()
    same = emit(program)
    t3 = time.perf_counter()
    plan = {
        g.index: [
            Step(i, tuple(range(len(program.ops[i].xy) - 1, -1, -1)))
            if hasattr(program.ops[i], "xy")
            else Step(i)
            for i in g.ops  # the pockets overlap: they keep their order
        ]
        for g in program.groups
        if g.movable
    }
    planned = reorder(program, plan)
    t4a = time.perf_counter()
    cpu4a = time.process_time()
    reordered = emit(planned)
    t4 = time.perf_counter()
    cpu4 = time.process_time()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    # The proof the pipeline runs on every output: re-read the reordered text and verify it.
    new = parse_program(reordered, machine)
    t5 = time.perf_counter()
    report = verify_equivalent(program, new)
    t6 = time.perf_counter()
    return {
        "lines": program.n_lines,
        "parse_s": t1 - t0,
        "cycle_time_s": t2 - t1,
        "parse_cycle_cpu_s": cpu2 - cpu0,
        "emit_same_s": t3 - t2,
        "reorder_s": t4a - t3,
        "emit_reordered_s": t4 - t4a,
        "emit_reordered_cpu_s": cpu4 - cpu4a,
        "identical": same.encode() == data,
        "reordered_lines": reordered.count("\n"),
        "holes": cycle.holes,
        "total_s": cycle.total_s,
        "peak_mb": peak_mb,
        "verify_s": t6 - t5,
        "verified": report.ok,
        "peak_with_verify_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.nc"
        path.write_text(generate(args.lines), encoding="utf-8")
        runs = [_run_child(path) for _ in range(args.repeat)]
    result = _summary(runs)
    _table(result)
    print(json.dumps(result))
    ok = result["lines_per_s"] >= 250_000 and result["peak_mb"] <= 600 and result["verified"]
    return 0 if ok else 1


def _run_child(path: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _summary(runs: list[dict]) -> dict:
    med = {
        k: statistics.median(r[k] for r in runs) for k in runs[0] if isinstance(runs[0][k], float)
    }
    lines = runs[0]["lines"]
    return {
        "lines": lines,
        "holes": runs[0]["holes"],
        "runs": len(runs),
        **{f"{k}_median": round(v, 4) for k, v in med.items()},
        "lines_per_s": round(lines / (med["parse_s"] + med["cycle_time_s"])),
        "lines_per_cpu_s": round(lines / med["parse_cycle_cpu_s"]),
        "peak_mb": round(max(r["peak_mb"] for r in runs), 1),
        "peak_with_verify_mb": round(max(r["peak_with_verify_mb"] for r in runs), 1),
        "identical": all(r["identical"] for r in runs),
        "verified": all(r["verified"] for r in runs),
    }


def _table(r: dict) -> None:
    rows = [
        ("lines", f"{r['lines']:,}"),
        ("holes", f"{r['holes']:,}"),
        ("parse (median)", f"{r['parse_s_median']:.3f} s"),
        ("cycle time (median)", f"{r['cycle_time_s_median']:.3f} s"),
        ("parse + cycle time", f"{r['lines_per_s']:,} lines/s (target ≥ 250,000)"),
        ("  per CPU second", f"{r['lines_per_cpu_s']:,} lines/s (shared cores: wall > CPU)"),
        ("peak memory", f"{r['peak_mb']:.0f} MB (target ≤ 600)"),
        ("emit unchanged", f"{r['emit_same_s_median']:.3f} s, byte-identical: {r['identical']}"),
        ("reorder plan (all holes)", f"{r['reorder_s_median']:.3f} s"),
        (
            "emit reordered",
            f"{r['emit_reordered_s_median']:.3f} s ({r['emit_reordered_cpu_s_median']:.3f} s CPU)",
        ),
        (
            "verify reordered",
            f"{r['verify_s_median']:.3f} s, ok: {r['verified']}, "
            f"peak with verify {r['peak_with_verify_mb']:.0f} MB",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
