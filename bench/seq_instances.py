"""Instances for bench/sequencing.py: TSPLIB files, seeded generators of drilling-like point
sets, and the reference length each gap is measured against.

Generated names are ``KIND-N-sSEED`` (``panel-2000-s1``, ``boards-15000-s1``,
``icrows-5000-s2``, ``grid-500-s3``, ``clustered-1500-s4``, ``uniform-40000-s5``), 0.01 mm
units, any n from a few hundred to 40,000 and more. Where no optimum is known the reference
is the shortest tour of a long run (``python bench/sequencing.py --make-reference NAME``, kept
in ``sequencing_references.json``), else the lower bound ½·Σ(two nearest neighbours); the
report says which.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = Path(__file__).resolve().parent / "sequencing_references.json"
GENERATED = {"panel15k": 15_000, "panel34k": 34_000}
# name -> (panel columns, holes across, holes down); two rows of panels
PROVEN = {"grid15k": (5, 38, 40), "grid34k": (10, 44, 40)}
_NAME = re.compile(r"^(panel|boards|icrows|grid|clustered|uniform)-(\d+)-s(\d+)$")


def tsplib_dir() -> Path:
    """The shared TSPLIB folder beside the checkout (or beside the main checkout of a git
    worktree, which sits deeper)."""
    for base in (ROOT, *ROOT.parents):
        folder = base / "shared" / "bench" / "tsplib"
        if folder.is_dir():
            return folder
    return ROOT.parent / "shared" / "bench" / "tsplib"


def load_tsp(path: Path) -> tuple[np.ndarray, str]:
    """Coordinates (n, 2) and the edge-weight type of a TSPLIB file."""
    pts, kind, in_coords = [], "EUC_2D", False
    for line in path.read_text().splitlines():
        s = line.strip()
        if s.startswith("EDGE_WEIGHT_TYPE"):
            kind = s.split(":", 1)[1].strip()
        elif s.startswith("NODE_COORD_SECTION"):
            in_coords = True
        elif s == "EOF":
            break
        elif in_coords and s:
            _, x, y = s.split()[:3]
            pts.append((float(x), float(y)))
    return np.array(pts), kind


def panel(n_target: int, seed: int = 7) -> np.ndarray:
    """A reproducible PCB panel: one board layout repeated on a grid, 0.01 mm units.

    Parts near a board's edge reach into the next board (a DIP drawn at x = 9,000 ends at up
    to 14,842, the next board starts at 10,500), so the boards' holes interleave there.
    """
    rng = np.random.default_rng(seed)
    boards = max(1, round(n_target / 1250))
    per_board = -(-n_target // boards)
    return _repeat(_layout(rng, per_board), boards, 10_500)[:n_target]


def boards(n: int, seed: int) -> np.ndarray:
    """A step-and-repeat panel as it is made: boards of about 1,250 holes, each inside its
    90 x 90 mm outline, routed 2.5 mm apart, every board drilled alike; shuffled."""
    rng = np.random.default_rng(seed)
    count = max(2, round(n / 1250))
    per_board = -(-n // count)
    pts = _repeat(_layout(rng, per_board, inside=9000), count, 9250)
    return pts[rng.permutation(len(pts))[:n]]


def _repeat(board: np.ndarray, count: int, pitch: int) -> np.ndarray:
    """``count`` copies of ``board`` on a grid ``pitch`` apart, rows of ~√(1.5·count) boards."""
    cols = int(np.ceil(np.sqrt(count * 1.5)))
    b = np.arange(count)
    return np.vstack([board + o for o in pitch * np.c_[b % cols, b // cols]])


def _layout(rng: np.random.Generator, holes: int, inside: float | None = None) -> np.ndarray:
    """One board's holes (DIP rows, pin headers, vias around a spot), whole 0.01 mm units; with
    ``inside``, only the holes within the square board outline of that side are kept."""
    parts: list[np.ndarray] = []
    count = 0
    while count < holes:
        x0, y0 = rng.uniform(0, 9000, 2)
        kind = rng.integers(3)
        k = int(rng.integers(4, 24))
        if kind == 0:  # DIP: two rows 7.62 mm apart, 2.54 mm pitch
            xs = x0 + 254 * np.arange(k)
            part = np.vstack([np.c_[xs, np.full(k, y0)], np.c_[xs, np.full(k, y0 + 762)]])
        elif kind == 1:  # pin header
            part = np.c_[np.full(k, x0), y0 + 254 * np.arange(k)]
        else:  # vias scattered around a spot
            part = np.c_[x0 + rng.normal(0, 300, k), y0 + rng.normal(0, 300, k)]
        if inside is not None:
            part = part[((part >= 0) & (part <= inside)).all(axis=1)]
        parts.append(part)
        count += len(part)
    return np.unique(np.rint(np.vstack(parts)), axis=0)[:holes]


def grid_panels(cols: int, across: int, down: int, pitch: int = 127, gap: int = 500):
    """2 x ``cols`` panels of ``across`` x ``down`` holes (0.01 mm), shuffled; and the optimum.

    Every edge is at least ``pitch``; a tour leaves each panel at least twice, and an edge between
    panels (at least ``gap`` long) leaves two, so it has at least P of them (P panels): no tour is
    shorter than ``(n - P)·pitch + P·gap``. With
    ``across`` even a column snake crosses each panel between two corners on one side, and the
    panels chain into a ring with ``gap`` edges, so that bound is reached: it is the optimum.
    """
    assert across % 2 == 0 and gap >= pitch
    xs, ys = np.meshgrid(np.arange(across) * pitch, np.arange(down) * pitch)
    board = np.c_[xs.ravel(), ys.ravel()]
    width, height = (across - 1) * pitch + gap, (down - 1) * pitch + gap
    shifts = [np.array([c * width, r * height]) for r in range(2) for c in range(cols)]
    pts = np.vstack([board + shift for shift in shifts])
    panels = 2 * cols
    optimum = (len(pts) - panels) * pitch + panels * gap
    return pts[np.random.default_rng(3).permutation(len(pts))].astype(float), optimum


def tour_length(pts: np.ndarray, tour: np.ndarray, kind: str) -> int:
    p = pts[np.asarray(tour)]
    d = np.hypot(*(p - np.roll(p, -1, axis=0)).T)
    return int((np.ceil(d) if kind == "CEIL_2D" else np.floor(d + 0.5)).sum())


def lower_bound(pts: np.ndarray) -> float:
    """Every node has two tour edges, each at least as long as its two nearest neighbours."""
    total = 0.0
    for i in range(0, len(pts), 512):
        d = np.hypot(
            pts[i : i + 512, None, 0] - pts[None, :, 0], pts[i : i + 512, None, 1] - pts[None, :, 1]
        )
        d[np.arange(len(d)), np.arange(i, i + len(d))] = np.inf
        two = np.partition(d, 1, axis=1)[:, :2]
        total += float(np.floor(two + 0.5).sum())
    return total / 2


def held_karp_bound(pts: np.ndarray, upper: float, iterations: int = 30) -> float:
    """Held-Karp 1-tree lower bound (subgradient on node penalties) in rounded EUC_2D lengths.

    O(n²) per 1-tree with O(n) memory (Prim, one row at a time): minutes at 34k points.
    """
    pi, best, step = np.zeros(len(pts)), 0.0, 2.0
    stale = 0
    for _ in range(iterations):
        value, degree = _one_tree(pts, pi)
        bound = value - 2.0 * pi.sum()
        if bound > best + 1e-9:
            best, stale = bound, 0
        else:
            stale += 1
            if stale >= 3:
                step, stale = step / 2, 0
        g = degree - 2.0
        if not g.any():
            break
        pi += step * (upper - bound) / float(g @ g) * g
    return best


def _one_tree(pts: np.ndarray, pi: np.ndarray) -> tuple[float, np.ndarray]:
    """Minimum spanning tree on nodes 1..n-1 plus node 0's two cheapest edges (costs + π)."""
    n = len(pts)
    done = np.zeros(n, dtype=bool)
    done[0] = done[1] = True
    degree = np.zeros(n)
    key = np.floor(np.hypot(*(pts - pts[1]).T) + 0.5) + pi[1] + pi
    parent = np.ones(n, dtype=np.int64)
    total = 0.0
    for _ in range(n - 2):
        cur = int(np.argmin(np.where(done, np.inf, key)))
        total += key[cur]
        degree[cur] += 1
        degree[parent[cur]] += 1
        done[cur] = True
        d = np.floor(np.hypot(*(pts - pts[cur]).T) + 0.5) + pi[cur] + pi
        better = d < key
        key[better] = d[better]
        parent[better] = cur
    d0 = np.floor(np.hypot(*(pts[1:] - pts[0]).T) + 0.5) + pi[0] + pi[1:]
    two = np.argpartition(d0, 1)[:2]
    degree[0] = 2
    degree[two + 1] += 1
    return total + float(d0[two].sum()), degree


def ic_rows(n: int, seed: int) -> np.ndarray:
    """Boards of IC rows: SOIC/QFP-like pin rows at 1.27 mm pitch, a few vias between."""
    rng = np.random.default_rng(seed)
    holes: list[np.ndarray] = []
    count = 0
    while count < n:
        x0, y0 = rng.uniform(0, _side(n), 2)
        pins = int(rng.integers(6, 40))
        xs = x0 + 127 * np.arange(pins)
        rows = np.vstack([np.c_[xs, np.full(pins, y0)], np.c_[xs, np.full(pins, y0 + 600)]])
        vias = np.c_[x0 + rng.uniform(-800, 127 * pins + 800, 3), y0 + rng.uniform(-800, 1400, 3)]
        holes += [rows, vias]
        count += len(rows) + len(vias)
    return _distinct(np.vstack(holes), n, rng)


def clustered(n: int, seed: int) -> np.ndarray:
    """Tight groups of holes far apart (fixture plates, connector fields): ~40 per group."""
    rng = np.random.default_rng(seed)
    side = _side(n)
    centres = rng.uniform(0, side, (max(2, n // 40), 2))
    pick = rng.integers(len(centres), size=2 * n)
    return _distinct(centres[pick] + rng.normal(0, 600, (2 * n, 2)), n, rng)


def uniform(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return _distinct(rng.uniform(0, _side(n), (2 * n, 2)), n, rng)


def grid(n: int, seed: int) -> np.ndarray:
    """A step-and-repeat of hole arrays (2.54 mm pitch) with a random share left out."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n / 0.8)))
    xs, ys = np.meshgrid(np.arange(side), np.arange(side))
    pts = np.c_[xs.ravel(), ys.ravel()] * 254 + (np.c_[xs.ravel(), ys.ravel()] // 20) * 600
    return _distinct(pts.astype(float), n, rng)


def _side(n: int) -> float:
    """Board side for n holes: up to 3,000 holes every TSPLIB distance fits fast_tsp's uint16."""
    return 20_000 * np.sqrt(n / 1_000)


def _distinct(pts: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct whole-unit points, shuffled (as CAM exports are not in a good order)."""
    pts = np.unique(np.rint(pts), axis=0)
    return pts[rng.permutation(len(pts))[:n]]


GENERATORS = {
    "boards": boards,
    "icrows": ic_rows,
    "grid": grid,
    "clustered": clustered,
    "uniform": uniform,
}


def instance(name: str) -> tuple[np.ndarray, str]:
    """Points and TSPLIB edge-weight type of a named or file instance."""
    if name in GENERATED:
        return panel(GENERATED[name]), "EUC_2D"
    if name in PROVEN:
        return grid_panels(*PROVEN[name])[0], "EUC_2D"
    found = _NAME.match(name)
    if found:
        kind, n, seed = found.group(1), int(found.group(2)), int(found.group(3))
        if kind == "panel":
            return panel(n, seed), "EUC_2D"
        return GENERATORS[kind](n, seed), "EUC_2D"
    path = Path(name) if name.endswith(".tsp") else tsplib_dir() / f"{name}.tsp"
    return load_tsp(path)


def known_optimum(name: str) -> float | None:
    """Proven optimum from ``optima.json`` beside the file (or in the shared TSPLIB folder)."""
    path = Path(name)
    folders = [path.parent] if name.endswith(".tsp") else []
    for folder in [*folders, tsplib_dir()]:
        table = folder / "optima.json"
        if table.exists():
            entry = json.loads(table.read_text()).get(path.stem)
            if entry:
                return float(entry["optimal_length"])
    return None


def reference(name: str, pts: np.ndarray) -> tuple[float, str]:
    optimum = known_optimum(name)
    if optimum is not None:
        return optimum, "proven optimum"
    if name in PROVEN:
        return grid_panels(*PROVEN[name])[1], "optimum proven by construction"
    stored = stored_references().get(name)
    if stored:
        return float(stored["length"]), f"best of long runs ({stored['how']})"
    return lower_bound(pts), "lower bound ½·Σ(two nearest neighbours)"


def stored_references() -> dict:
    return json.loads(REFERENCES.read_text()) if REFERENCES.exists() else {}


def store_reference(name: str, length: int, how: str) -> bool:
    """Keep ``length`` as the reference of ``name`` if it is shorter; True if it was."""
    table = stored_references()
    if name in table and table[name]["length"] <= length:
        return False
    table[name] = {"length": int(length), "how": how}
    REFERENCES.write_text(json.dumps(dict(sorted(table.items())), indent=1) + "\n")
    return True
