"""Command line of the engine, JSON on stdout:

- ``python -m ncopt stats IN.nc [--scenario DEPT/NAME | --machine FILE.json]``: the cycle-time
  breakdown of one program;
- ``python -m ncopt optimize IN.nc -o OUT.nc [--scenario … | --machine …] [--time-limit S]
  [--report FILE.json]``: one program re-sequenced and verified, headless. OUT.nc receives the
  optimized program, or the original when no verified faster order was found; stdout (and
  ``--report``) gets the program's ``out_df`` row.

The machine (and for ``optimize`` the post and the settings) comes from ``--scenario``
(``$NCOPT_DATA_DIR/<dept>/scenario/<name>/``), else ``--machine`` (the machine sheet's keys),
else the built-in default machine. Exit 0 ok, 2 bad input: the NC errors with line and column
on stderr, one per line, and ``{"error", "issues"}`` (or the ``optimize`` row) on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncopt.errors import GCodeError, NcError
from ncopt.gcode import encode_program
from ncopt.interpreter import parse_program
from ncopt.machine import Machine
from ncopt.report import program_warnings
from ncopt.subprograms import cycle_time

__all__ = ["main", "scenario_folder"]

EXIT_OK, EXIT_BAD_INPUT = 0, 2
DEFAULT_TIME_LIMIT_S = 10.0
_STATS_KEYS = (
    "total_s",
    "rapid_s",
    "cutting_s",
    "tool_change_s",
    "dwell_s",
    "spindle_s",
    "rapid_distance_mm",
    "cutting_distance_mm",
    "tool_changes",
    "holes",
    "blocks",
    "rapid_moves",
    "feed_moves",
    "untimed_moves",
)


class CliInputError(NcError):
    """A bad argument: unknown scenario, unreadable file, bad machine JSON."""


@dataclass(frozen=True)
class _Setup:
    """What the arguments select: the machine, and the scenario's settings if one is named."""

    machine: Machine
    settings: Any = None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ncopt", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    stats = sub.add_parser("stats", help="cycle-time breakdown of one NC program, as JSON")
    cmd = sub.add_parser("optimize", help="re-sequence one NC program, verified, headless")
    for each in (stats, cmd):
        each.add_argument("program", type=Path, help="the NC program (.nc)")
        where = each.add_mutually_exclusive_group()
        where.add_argument("--scenario", help="DEPT/NAME: machine (and post) of this scenario")
        where.add_argument("--machine", type=Path, help="JSON file of machine sheet keys")
    cmd.add_argument("-o", "--output", type=Path, required=True, help="where to write it")
    cmd.add_argument("--time-limit", type=float, default=None, help="search budget, seconds")
    cmd.add_argument("--report", type=Path, help="write the program's report row as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        setup = _setup(args.scenario, args.machine)
        data = _read(args.program)
        if args.command == "optimize":
            return _optimize(args, setup, data)
        program = parse_program(data, setup.machine, name=args.program.name)
    except GCodeError as exc:
        for issue in exc.issues:
            print(f"{args.program}: {issue}", file=sys.stderr)
        issues = [
            {"line": i.line_no, "column": i.column, "text": i.text, "message": i.message}
            for i in exc.issues
        ]
        print(json.dumps({"error": str(exc), "issues": issues}, ensure_ascii=False))
        return EXIT_BAD_INPUT
    except NcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return EXIT_BAD_INPUT
    stats = cycle_time(program, setup.machine).to_dict()
    out = {key: stats[key] for key in _STATS_KEYS}
    out["warnings"] = program_warnings(program)
    moves = (stats["rapid_moves"] or 0) + (stats["feed_moves"] or 0)
    out["untimed_share"] = round(stats["untimed_moves"] / moves, 6) if moves else 0.0
    print(json.dumps(out, allow_nan=False))
    return EXIT_OK


def _optimize(args: argparse.Namespace, setup: _Setup, data: bytes) -> int:
    from ncopt.pipeline import make_post, optimize_text
    from ncopt.transforms import Transforms

    budget, post, transforms = DEFAULT_TIME_LIMIT_S, None, Transforms()
    if setup.settings is not None:
        budget, post = setup.settings.time_limit_s, make_post(setup.settings.post)
        transforms = Transforms.from_settings(setup.settings)
    if args.time_limit is not None:
        if not (math.isfinite(args.time_limit) and args.time_limit > 0):
            raise CliInputError(f"--time-limit must be a positive number, got {args.time_limit}")
        budget = args.time_limit
    outcome = optimize_text(
        args.program.name,
        data,
        setup.machine,
        post=post,
        transforms=transforms,
        time_limit_s=budget,
    )
    row = {k: _json_value(v) for k, v in outcome.row.items()}
    if args.report:
        args.report.write_text(json.dumps(row, indent=1, ensure_ascii=False))
    print(json.dumps(row, ensure_ascii=False))
    if row["status"] == "error":
        print(f"{args.program}: {row['reason']}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args.output.write_bytes(encode_program(outcome.new_text))
    return EXIT_OK


def _json_value(value: Any) -> Any:
    """A report value as strict JSON: numpy scalars as Python, NaN and infinities as null."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliInputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _setup(scenario: str | None, machine_json: Path | None) -> _Setup:
    """The scenario is loaded once, for its machine and its settings."""
    if scenario:
        from ncopt.scenario import load_scenario  # lazy: pandas/openpyxl only when asked

        loaded = load_scenario(scenario_folder(scenario))
        return _Setup(loaded.machine, loaded.settings)
    return _Setup(_machine(machine_json))


def _machine(machine_json: Path | None) -> Machine:
    """The machine of ``--machine FILE.json``, or the default."""
    if machine_json is not None:
        try:
            values = json.loads(machine_json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CliInputError(f"cannot read machine file {machine_json}: {exc}") from None
        if not isinstance(values, dict):
            raise CliInputError(f"machine file {machine_json} must hold a JSON object")
        return Machine.from_mapping(values)
    return Machine()


def scenario_folder(spec: str) -> Path:
    """``DEPT/NAME`` → ``<data dir>/DEPT/scenario/NAME``, checked to stay inside the data dir."""
    from ncopt.errors import ScenarioFolderError
    from ncopt.paths import data_dir
    from ncopt.paths import scenario_folder as folder_of

    dept, sep, name = spec.partition("/")
    if not sep:
        raise CliInputError(f"--scenario must be DEPT/NAME, got {spec!r}")
    try:
        return folder_of(dept, name)
    except ScenarioFolderError as exc:
        raise CliInputError(f"--scenario {spec!r}: {exc} (data dir {data_dir()})") from None
