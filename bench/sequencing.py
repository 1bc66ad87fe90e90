"""Sequencing benchmark: closed tours, every method side by side in one run.

Methods: ``nn`` (nearest neighbour: FlatCAM "TSA"/"Rtree", bCNC), ``2opt`` (NN + 2-opt:
pcb2gcode, vpype), ``ortools`` (guided local search, 3 s: FlatCAM "MetaHeuristic"),
``fast_tsp`` (the library we wrap, called with its defaults — one thread, its own candidate
choice, the whole budget — on the TSPLIB-rounded integer distances, scaled to fit its
uint16 where the longest does not, up to 16,000 points) and ``ours``
(``ncopt.sequencing.solve_tour`` on float coordinates, ``--threads`` threads). Each run is its
own process, so time and peak RSS belong to it alone; with ``--repeat N`` the time-limited
methods run in turn N times (ours, fast_tsp, ours, ...) so that load on a shared machine hits
them alike, and the report gives each one's mean and median gap. Lengths are TSPLIB integer
lengths (EUC_2D, or CEIL_2D where the file says so).

Instances (``seq_instances.py``): the shared TSPLIB drilling set, ``--instances DIR`` (every
``.tsp`` of a folder, with its ``optima.json`` if any), generated drilling-like sets
(``panel-2000-s1``, ``icrows-``, ``grid-``, ``clustered-``, ``uniform-``; ``--set tune`` is the
set the settings were tuned on) and the large panels (``--set large``).

    python bench/sequencing.py                                # TSPLIB + large panels (~15 min)
    python bench/sequencing.py --set tune --methods fast_tsp,ours --repeat 3
    python bench/sequencing.py --instances DIR --methods fast_tsp,ours --repeat 3
    python bench/sequencing.py --make-reference clustered-15000-s1 --time-limit 300
    python bench/sequencing.py --instance F.tsp --time-limit S --tour-out T.txt
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _sibling(name: str):
    """A module beside this script, loaded by path: the bench folder is not a package, and
    putting it on sys.path would let bench/ui.py shadow the app's ``ui`` package."""
    import importlib.util

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_sibling("seq_instances")
from seq_instances import (  # noqa: E402
    GENERATED,
    PROVEN,
    grid_panels,
    held_karp_bound,
    instance,
    load_tsp,
    reference,
    store_reference,
    tour_length,
    tsplib_dir,
)

__all__ = ["PROVEN", "grid_panels", "load_tsp", "tour_length"]

METHODS = ("nn", "2opt", "ortools", "fast_tsp", "ours")
TIMED = ("ortools", "fast_tsp", "ours")  # these vary with the CPU share: repeated, alternating
# Tuning set: generated, never a TSPLIB instance (those, and --instances folders, are reported).
TUNE = [
    "clustered-1000-s1",
    "clustered-2500-s2",
    "panel-1500-s3",
    "panel-3000-s4",
    "icrows-800-s5",
    "icrows-2000-s6",
    "grid-1200-s7",
    "uniform-2000-s8",
]
LARGE = ["grid15k", "panel15k", "clustered-15000-s1", "grid34k", "panel34k", "uniform-40000-s2"]
TWO_OPT_CAP_S = 60.0


def rounded_matrix(pts: np.ndarray, kind: str) -> np.ndarray:
    """The TSPLIB integer distances as uint16, fast_tsp's type, built in slices of rows.

    Where the points' bounding-box diagonal (the bound on every distance) does not fit in
    uint16 (clustered-15000-s1: 109,000), the distances are scaled by 65535 / diagonal before
    rounding, as a user calling the library would have to; the tour is still measured on the
    real coordinates.

    >>> rounded_matrix(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.4]]), "EUC_2D").tolist()
    [[0, 5, 1], [5, 0, 4], [1, 4, 0]]
    >>> rounded_matrix(np.array([[0.0, 0.0], [131070.0, 0.0]]), "EUC_2D").tolist()
    [[0, 65535], [65535, 0]]
    """
    scale = min(1.0, 65535 / max(1.0, float(np.hypot(*np.ptp(pts, axis=0)))))
    out = np.empty((len(pts), len(pts)), dtype=np.uint16)
    for i in range(0, len(pts), 512):
        d = np.hypot(*(pts[i : i + 512, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        d = np.ceil(d) if kind == "CEIL_2D" and scale == 1.0 else np.floor(d * scale + 0.5)
        out[i : i + 512] = np.minimum(d, 65535)
    return out


def nearest_neighbour(pts: np.ndarray) -> np.ndarray:
    left = np.ones(len(pts), dtype=bool)
    order = np.empty(len(pts), dtype=np.int64)
    cur = 0
    for i in range(len(pts)):
        order[i], left[cur] = cur, False
        cand = np.flatnonzero(left)
        if len(cand) == 0:
            break
        d = np.hypot(*(pts[cand] - pts[cur]).T)
        cur = int(cand[np.argmin(d)])
    return order


def two_opt(pts: np.ndarray, tour: np.ndarray, cap_s: float) -> np.ndarray:
    """Best-improvement 2-opt per position (vectorised over the second edge) to a local optimum."""
    tour, n, t_end = tour.copy(), len(tour), time.monotonic() + cap_s
    improved = True
    while improved and time.monotonic() < t_end:
        improved = False
        for i in range(n - 2):
            a, b = pts[tour[i]], pts[tour[i + 1]]
            c, d = pts[tour[i + 2 :]], pts[np.roll(tour, -1)[i + 2 :]]
            delta = (
                np.hypot(*(a - c).T)
                + np.hypot(*(b - d).T)
                - np.hypot(*(a - b))
                - np.hypot(*(c - d).T)
            )
            if i == 0:
                delta[-1] = 0.0  # edges sharing node 0
            j = int(np.argmin(delta))
            if delta[j] < -1e-9:
                tour[i + 1 : i + 3 + j] = tour[i + 1 : i + 3 + j][::-1]
                improved = True
    return tour


def ortools_gls(pts: np.ndarray, kind: str, limit_s: float) -> np.ndarray:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    d = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    d = (np.ceil(d) if kind == "CEIL_2D" else np.floor(d + 0.5)).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(len(pts), 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    transit = routing.RegisterTransitMatrix(d.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit_s * 1000))
    sol = routing.SolveWithParameters(params)
    idx, order = routing.Start(0), []
    while not routing.IsEnd(idx):
        order.append(manager.IndexToNode(idx))
        idx = sol.Value(routing.NextVar(idx))
    return np.array(order)


def budget_s(n: int) -> float:
    """Our time budget per the targets: 2 s to 3,000 holes, 30 s to ~15,000, 120 s above."""
    return 2.0 if n <= 3100 else 10.0 if n <= 8000 else 30.0 if n <= 16_000 else 120.0


def run_method(name: str, method: str, limit_s: float | None, threads: int) -> dict:
    """One (instance, method) measurement; runs inside the worker process."""
    pts, kind = instance(name)
    import fast_tsp

    from ncopt.sequencing import solve_tour  # imported before the clock starts

    limit = limit_s or budget_s(len(pts))
    matrix = rounded_matrix(pts, kind) if method == "fast_tsp" else None
    t0, cpu0 = time.monotonic(), time.process_time()
    curve = None
    if method == "nn":
        tour = nearest_neighbour(pts)
    elif method == "2opt":
        tour = two_opt(pts, nearest_neighbour(pts), TWO_OPT_CAP_S)
    elif method == "ortools":
        tour = ortools_gls(pts, kind, 3.0)
    elif method == "fast_tsp":
        tour = np.array(fast_tsp.find_tour(matrix, limit))  # the library's default call
    else:
        result = solve_tour(pts, time_limit_s=limit, threads=threads)
        tour, curve = result.order, [(round(t, 2), c) for t, c in result.curve]
    elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
    assert np.array_equal(np.sort(tour), np.arange(len(pts))), "invalid tour"
    status = Path("/proc/self/status").read_text()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024  # this process only
    # cpu_s / time_s shows how much of a core the method got on a shared machine.
    out = {"length": tour_length(pts, tour, kind), "time_s": elapsed, "cpu_s": cpu}
    out["peak_rss_mb"] = peak_mb
    if curve:
        out["curve"] = curve
    return out


def skip_reason(method: str, pts: np.ndarray) -> str | None:
    n = len(pts)
    if method == "ortools" and n > 3100:
        return "dense Python matrix too large"
    if method == "2opt" and n > 8000:
        return "numpy 2-opt too slow"
    if method == "fast_tsp" and n > 16_000:
        return "dense matrix above 1 GB"
    return None


def measure(name: str, method: str, limit_s: float | None, threads: int = 1) -> dict:
    cmd = [sys.executable, __file__, "--worker", name, "--methods", method]
    cmd += ["--threads", str(threads)]
    if limit_s:
        cmd += ["--time-limit", str(limit_s)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_instance(name, methods, limit_s, repeat, threads) -> dict:
    """Every method on one instance; the timed ones ``repeat`` times, taking turns."""
    pts, _ = instance(name)
    ref, ref_kind = reference(name, pts)
    row = {"n": len(pts), "reference": ref, "reference_kind": ref_kind, "methods": {}}
    runs: dict[str, list[dict]] = {}
    for r in range(repeat):
        for method in methods:
            why = skip_reason(method, pts)
            if why:
                row["methods"][method] = {"skipped": why}
            elif r == 0 or method in TIMED:
                runs.setdefault(method, []).append(measure(name, method, limit_s, threads))
    for method, got in runs.items():
        gaps = [100.0 * (g["length"] - ref) / ref for g in got]
        res = dict(got[int(np.argsort(gaps)[(len(gaps) - 1) // 2])])  # the median run
        res.update(gap_pct=statistics.median(gaps), mean_gap_pct=statistics.fmean(gaps))
        res.update(gaps_pct=gaps, max_peak_rss_mb=max(g["peak_rss_mb"] for g in got))
        row["methods"][method] = res
    return row


def main_bench(names, methods, limit_s, repeat: int = 1, threads: int = 1) -> dict:
    rows: dict[str, dict] = {}
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f} on {os.cpu_count()} cores; ours: {threads} thread(s)")
    print(
        f"{'instance':<20}{'n':>7}  " + "".join(f"{m + ' mean%':>15}{'med%':>8}" for m in methods)
    )
    for name in names:
        row = rows[name] = measure_instance(name, methods, limit_s, repeat, threads)
        cells = []
        for method in methods:
            res = row["methods"].get(method, {})
            if "gap_pct" not in res:
                cells.append(f"{'—':>15}{'':>8}")
                continue
            cells.append(f"{res['mean_gap_pct']:>15.3f}{res['gap_pct']:>8.3f}")
        print(f"{name:<20}{row['n']:>7}  " + "".join(cells), flush=True)
    summary = summarize(rows, methods)
    summary["load_average"] = {"start": load, "end": os.getloadavg()[0]}
    summary["repeat"], summary["threads"] = repeat, threads
    return {"instances": rows, "summary": summary}


def summarize(rows: dict, methods: list[str]) -> dict:
    out: dict[str, dict] = {}
    for group, pick in (("to_3000", lambda n: n <= 3100), ("larger", lambda n: n > 3100)):
        for method in methods:
            res = [r["methods"].get(method, {}) for r in rows.values() if pick(r["n"])]
            res = [r for r in res if "gap_pct" in r]
            if res:
                out.setdefault(method, {})[group] = {
                    "mean_gap_pct": statistics.fmean(r["mean_gap_pct"] for r in res),
                    "median_gap_pct": statistics.median(r["gap_pct"] for r in res),
                    "max_gap_pct": max(max(r["gaps_pct"]) for r in res),
                    "median_time_s": statistics.median(r["time_s"] for r in res),
                    "max_peak_rss_mb": max(r["max_peak_rss_mb"] for r in res),
                    "median_cpu_share": statistics.median(r["cpu_s"] / r["time_s"] for r in res),
                }
        ours, lib = out.get("ours", {}).get(group), out.get("fast_tsp", {}).get(group)
        if ours and lib and lib["mean_gap_pct"] > 0:
            both = [
                r["methods"]
                for r in rows.values()
                if pick(r["n"])
                and all("gaps_pct" in r["methods"].get(m, {}) for m in ("ours", "fast_tsp"))
            ]
            out.setdefault("ours_vs_fast_tsp", {})[group] = {
                "mean_gap_ratio": ours["mean_gap_pct"] / lib["mean_gap_pct"],
                "mean_gap_ratio_95": ratio_interval(
                    [m["ours"]["gaps_pct"] for m in both], [m["fast_tsp"]["gaps_pct"] for m in both]
                ),
                "max_gap_difference_pct": ours["max_gap_pct"] - lib["max_gap_pct"],
            }
    return out


def ratio_interval(ours: list[list[float]], lib: list[list[float]], draws: int = 4000):
    """95 % bootstrap interval of the mean-gap ratio (ours / library), or None with fewer than
    two runs per instance.

    Each instance's runs are resampled on their own (a stratified bootstrap), so the interval
    says how much the ratio of one bench run would move if the same runs were drawn again: with
    gaps of a few hundredths of a percent, ten runs each can put a ratio of 1.0 anywhere
    between about 0.7 and 1.4, and a target ratio inside the interval is not yet shown either way.

    >>> lo, hi = ratio_interval([[1.0, 1.0, 1.0]], [[2.0, 2.0, 2.0]])
    >>> round(lo, 6), round(hi, 6)
    (0.5, 0.5)
    >>> ratio_interval([[1.0]], [[2.0]]) is None
    True
    """
    if not ours or min(len(g) for g in ours + lib) < 2:
        return None
    rng = np.random.default_rng(0)

    def means(runs: list[list[float]]) -> np.ndarray:
        total = np.zeros(draws)
        for gaps in runs:
            g = np.asarray(gaps, dtype=float)
            total += g[rng.integers(len(g), size=(draws, len(g)))].mean(axis=1)
        return total / len(runs)

    mine, theirs = means(ours), means(lib)
    ratio = mine[theirs > 0] / theirs[theirs > 0]
    if not len(ratio):
        return None
    lo, hi = np.percentile(ratio, [2.5, 97.5])
    return [float(lo), float(hi)]


def default_instances() -> list[str]:
    table = json.loads((tsplib_dir() / "optima.json").read_text())
    names = sorted(table, key=lambda name: int(table[name]["n"]))
    return names + list(PROVEN) + list(GENERATED)


def folder_instances(folder: str) -> list[str]:
    return [str(p) for p in sorted(Path(folder).glob("*.tsp"), key=lambda p: load_tsp(p)[0].size)]


def make_reference(name: str, limit_s: float, threads: int) -> int:
    """Store the shorter of a long run of ours and of fast_tsp as ``name``'s reference."""
    pts, _ = instance(name)
    runs = {"ours": measure(name, "ours", limit_s, threads)}
    if skip_reason("fast_tsp", pts) is None:
        runs["fast_tsp"] = measure(name, "fast_tsp", limit_s, 1)
    who, res = min(runs.items(), key=lambda kv: kv[1]["length"])
    threads_used = threads if who == "ours" else 1
    how = f"{who}, {limit_s:g} s, {threads_used} thread(s), {time.strftime('%Y-%m-%d')}"
    kept = store_reference(name, res["length"], how)
    lengths = {k: v["length"] for k, v in runs.items()}
    print(f"{name}: {lengths} -> {'stored' if kept else 'kept the shorter stored reference'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", help="one .tsp file or generated name: solve with ours")
    ap.add_argument("--tour-out", help="where --instance writes the tour (0-based, one per line)")
    ap.add_argument("--time-limit", type=float, help="budget in seconds (default by size)")
    ap.add_argument("--only", help="comma-separated instance names")
    ap.add_argument("--set", choices=("default", "tune", "large"), default="default")
    ap.add_argument("--instances", help="a folder of .tsp files (optima.json beside them)")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    ap.add_argument("--threads", type=int, default=1, help="search threads of ours")
    ap.add_argument("--json-out", help="write the JSON report here as well")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each timed method, in turn")
    ap.add_argument("--make-reference", help="long runs of one instance: store the best length")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--bound", help="print the Held-Karp bound of one instance (slow)")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(run_method(args.worker, args.methods, args.time_limit, args.threads)))
        return 0
    if args.bound:
        pts, _ = instance(args.bound)
        upper, _ = reference(args.bound, pts)
        print(f"{args.bound}: Held-Karp bound {held_karp_bound(pts, upper):.0f}")
        return 0
    if args.make_reference:
        return make_reference(args.make_reference, args.time_limit or 300.0, args.threads)
    if args.instance:
        return solve_one(args.instance, args.time_limit, args.tour_out)
    names = {"default": default_instances, "tune": lambda: TUNE, "large": lambda: LARGE}
    names = names[args.set]()
    if args.instances:
        names = folder_instances(args.instances)
    if args.only:
        names = args.only.split(",")
    methods = args.methods.split(",")
    report = main_bench(names, methods, args.time_limit, args.repeat, args.threads)
    print(json.dumps(report["summary"], indent=1))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=1))
    return 0


def solve_one(name: str, limit_s: float | None, tour_out: str | None) -> int:
    from ncopt.sequencing import solve_tour

    pts, kind = instance(name)
    result = solve_tour(pts, time_limit_s=limit_s or budget_s(len(pts)), threads=1)
    length = tour_length(pts, result.order, kind)
    print(f"{Path(name).name}: n={len(pts)} length={length} time={result.elapsed_s:.2f}s")
    if tour_out:
        Path(tour_out).write_text("".join(f"{i}\n" for i in result.order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
