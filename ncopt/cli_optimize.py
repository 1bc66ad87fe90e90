"""``python -m ncopt optimize IN.nc -o OUT.nc``: one program, headless (issue 4).

Machine, post and settings (air cutting, tool regrouping) from ``--scenario DEPT/NAME``, else
``--machine FILE.json``, else the built-in default machine. OUT.nc receives the optimized
program, or the original when no verified faster order was found; stdout (and ``--report``)
gets the program's ``out_df`` row as JSON.
Exit 0 ok, 2 bad input (an NC error, with line and column, or a bad argument).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ncopt.errors import NcError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser("optimize", help="re-sequence one NC program, verified, headless")
    cmd.add_argument("program", type=Path, help="the NC program (.nc)")
    cmd.add_argument("-o", "--output", type=Path, required=True, help="where to write it")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--scenario", help="DEPT/NAME: machine and post from this scenario")
    where.add_argument("--machine", type=Path, help="JSON file of machine sheet keys")
    cmd.add_argument("--time-limit", type=float, default=None, help="search budget, seconds")
    cmd.add_argument("--report", type=Path, help="write the program's report row as JSON")


def run(args: argparse.Namespace) -> int:
    from ncopt.cli import machine_from_args, scenario_folder
    from ncopt.pipeline import Transforms, make_post, optimize_text

    try:
        machine = machine_from_args(args.scenario, args.machine)
        budget, post, transforms = 10.0, None, Transforms()
        if args.scenario:
            from ncopt.scenario import load_scenario

            settings = load_scenario(scenario_folder(args.scenario)).settings
            budget, post = settings.time_limit_s, make_post(settings.post)
            transforms = Transforms.from_settings(settings)
        if args.time_limit is not None:
            if not args.time_limit > 0:
                raise NcError(f"--time-limit must be positive, got {args.time_limit}")
            budget = args.time_limit
        data = args.program.read_bytes()
    except (NcError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 2
    outcome = optimize_text(
        args.program.name, data, machine, post=post, transforms=transforms, time_limit_s=budget
    )
    row = {k: _plain(v) for k, v in outcome.row.items()}
    if args.report:
        args.report.write_text(json.dumps(row, indent=1, ensure_ascii=False))
    print(json.dumps(row, ensure_ascii=False))
    if row["status"] == "error":
        print(f"{args.program}: {row['reason']}", file=sys.stderr)
        return 2
    args.output.write_text(outcome.new_text)
    return 0


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
