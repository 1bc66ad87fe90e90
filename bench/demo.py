"""The demo scenarios through ``run_generate_nc_code``: cycle time and rapid distance before and
after, per program, as the README's demo table shows them.

Each scenario runs in a fresh child process (so its wall time and peak memory are its own) with
its own settings; every output is re-parsed and verified by the pipeline itself.

    python bench/demo.py                      # every demo scenario, its own time limit
    python bench/demo.py demo/pcb-drill --time-limit 5 --json out.json
    python bench/demo.py --skip demo/large-panel

Prints a table; ``--json`` also writes the rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "scenarios"


def _all_scenarios() -> list[str]:
    return sorted(
        f"{p.parent.parent.name}/{p.name}" for p in DATA.glob("*/scenario/*") if p.is_dir()
    )


def _one(spec: str, time_limit_s: float | None) -> dict:
    """Run one scenario in this process and return its rows (called in the child)."""
    sys.path.insert(0, str(ROOT))
    from ncopt.pipeline import run_generate_nc_code

    dept, name = spec.split("/")
    conf = {"scenario_dir": str(DATA / dept / "scenario" / name)}
    if time_limit_s:
        conf["time_limit_s"] = time_limit_s
    start = time.monotonic()
    _new, _old, out_df = run_generate_nc_code(conf)
    wall = time.monotonic() - start
    rows = []
    for row in out_df.to_dict("records"):
        rows.append(
            {
                "scenario": spec,
                "program": row["program"],
                "status": row["status"],
                "reason": row["reason"],
                "old_s": row["cycle_time_old_s"],
                "new_s": row["cycle_time_new_s"],
                "saving_pct": row["saving_pct"],
                "rapid_old_m": (row["rapid_distance_old_mm"] or 0.0) / 1000.0,
                "rapid_new_m": (row["rapid_distance_new_mm"] or 0.0) / 1000.0,
            }
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"scenario": spec, "wall_s": wall, "peak_mb": peak_mb, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help="DEPT/NAME (default: every demo scenario)")
    parser.add_argument("--skip", action="append", default=[], help="DEPT/NAME to leave out")
    parser.add_argument("--time-limit", type=float, default=None, help="override, seconds")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one, args.time_limit)))
        return 0
    specs = [s for s in (args.scenarios or _all_scenarios()) if s not in args.skip]
    results = []
    for spec in specs:
        cmd = [sys.executable, __file__, "--one", spec]
        if args.time_limit:
            cmd += ["--time-limit", str(args.time_limit)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'scenario / program':44} {'cycle time':>24} {'rapid distance':>18}  status")
    for res in results:
        for r in res["rows"]:
            times = f"{r['old_s']:.1f} → {r['new_s']:.1f} s ({-r['saving_pct']:+.1f} %)"
            rapid = f"{r['rapid_old_m']:.1f} → {r['rapid_new_m']:.1f} m"
            print(
                f"{res['scenario'] + ' ' + r['program']:44} {times:>24} {rapid:>18}  {r['status']}"
            )
        print(f"{'':44} wall {res['wall_s']:.1f} s, peak {res['peak_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
