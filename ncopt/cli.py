"""Command line of the engine: ``python -m ncopt stats IN.nc [--scenario DEPT/NAME]``.

JSON on stdout; exit 0 ok, 2 bad input (the NC errors with line and column on stderr, one per
line, and as JSON ``{"error", "issues"}`` on stdout).

The machine comes from ``--scenario`` (``$NCOPT_DATA_DIR/<dept>/scenario/<name>/``, default
data dir ``scenarios/``), else ``--machine FILE.json`` (the machine sheet's keys), else the
built-in default machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ncopt import cli_optimize
from ncopt.cycle_time import estimate_cycle_time
from ncopt.errors import GCodeError, NcError
from ncopt.interpreter import parse_program
from ncopt.machine import Machine

__all__ = ["machine_from_args", "main"]

EXIT_OK, EXIT_BAD_INPUT = 0, 2
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
)


class CliInputError(NcError):
    """A bad argument: unknown scenario, unreadable file, bad machine JSON."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ncopt", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    stats = sub.add_parser("stats", help="cycle-time breakdown of one NC program, as JSON")
    stats.add_argument("program", type=Path, help="the NC program (.nc)")
    where = stats.add_mutually_exclusive_group()
    where.add_argument("--scenario", help="DEPT/NAME: take the machine from this scenario")
    where.add_argument("--machine", type=Path, help="JSON file of machine sheet keys")
    cli_optimize.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "optimize":
        return cli_optimize.run(args)
    try:
        machine = machine_from_args(args.scenario, args.machine)
        data = _read(args.program)
        program = parse_program(data, machine, name=args.program.name)
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
    stats = estimate_cycle_time(program, machine).to_dict()
    print(json.dumps({key: stats[key] for key in _STATS_KEYS}))
    return EXIT_OK


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliInputError(f"cannot read {path}: {exc.strerror or exc}") from None


def machine_from_args(scenario: str | None, machine_json: Path | None) -> Machine:
    """The machine of ``--scenario DEPT/NAME``, of ``--machine FILE.json``, or the default."""
    if scenario:
        from ncopt.scenario import load_scenario  # lazy: pandas/openpyxl only when asked

        return load_scenario(scenario_folder(scenario)).machine
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
