"""Engine entries the UI tests run in real work horses (``entry`` in the job config).

``with_evidence`` runs the real engine and, where its ``out_df`` rows lack the report columns
of DESIGN.md §5 (``groups``, ``verification``), adds them, built here from the old and new
programs: the UI is tested against the contract whatever the engine of the day writes.
``progressing`` reports the progress fields the panel shows (stage, activity, tool, program,
best and original cycle time) until it is stopped or its time is up.
"""

from __future__ import annotations

import time

from ncopt.program import HoleSet

RULES = ("barriers", "tools", "holes", "blocks", "loose_feeds", "order", "safety", "stops")


def with_evidence(conf, progress=None, should_stop=None):
    from ncopt.pipeline import run_generate_nc_code
    from ncopt.scenario import load_scenario

    new_codes, old_codes, out_df = run_generate_nc_code(conf, progress, should_stop)
    machine = load_scenario(conf["scenario_dir"]).machine
    if "groups" not in out_df:
        out_df["groups"] = [
            groups_of(old_codes[name], new_codes[name], machine) for name in out_df["program"]
        ]
    if "verification" not in out_df:
        out_df["verification"] = [
            verification_of(old_codes[name], new_codes[name], machine) for name in out_df["program"]
        ]
    return new_codes, old_codes, out_df


def groups_of(old: str, new: str, machine) -> list[dict]:
    """One dict per group of the old program; a group is "changed" when the new program is
    different and the group has more than one thing to order."""
    from ncopt import parse_program

    program = parse_program(old, machine)
    out = []
    for group in program.groups:
        ops = [program.ops[i] for i in group.ops]
        holes = sum(len(op.xy) for op in ops if isinstance(op, HoleSet))
        blocks = sum(1 for op in ops if not isinstance(op, HoleSet))
        changed = old != new and holes + blocks > 1
        out.append(
            {
                "index": group.index,
                "tool": group.tool,
                "first_line": group.first_line + 1,
                "holes": holes,
                "blocks": blocks,
                "changed": changed,
                "reason_code": None if changed else "nothing_to_order",
                "reason": "" if changed else "a single operation",
                "rapid_s_old": 10.0 * (holes + blocks),
                "rapid_s_new": (6.0 if changed else 10.0) * (holes + blocks),
                "rapid_distance_old_mm": 100.0 * (holes + blocks),
                "rapid_distance_new_mm": (60.0 if changed else 100.0) * (holes + blocks),
            }
        )
    return out


def verification_of(old: str, new: str, machine) -> dict:
    """The verifier's verdict in the report's shape, per tool from both programs' parses."""
    from ncopt import estimate_cycle_time, parse_program, verify_equivalent

    before, after = parse_program(old, machine), parse_program(new, machine)
    verdict = verify_equivalent(before, after)
    old_time, new_time = estimate_cycle_time(before, machine), estimate_cycle_time(after, machine)
    tools = sorted({g.tool for g in before.groups})
    return {
        "ok": bool(verdict.ok),
        "checks": [{"rule": rule, "ok": bool(verdict.ok), "detail": ""} for rule in RULES],
        "tools": [
            {
                "tool": tool,
                "holes_old": _holes(before, tool),
                "holes_new": _holes(after, tool),
                "blocks_old": 0,
                "blocks_new": 0,
                "rapid_s_old": old_time.rapid_s / len(tools),
                "rapid_s_new": new_time.rapid_s / len(tools),
                "rapid_distance_old_mm": old_time.rapid_distance_mm / len(tools),
                "rapid_distance_new_mm": new_time.rapid_distance_mm / len(tools),
                "tool_changes_old": 1,
                "tool_changes_new": 1,
            }
            for tool in tools
        ],
    }


def _holes(program, tool: int) -> int:
    return sum(
        len(op.xy) for op in program.ops if isinstance(op, HoleSet) and op.params.tool == tool
    )


def progressing(conf, progress=None, should_stop=None):
    """Report a sequencing run's progress for ``seconds``, then return the real result."""
    seconds = float(conf["params"].get("seconds", 30.0))
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds and not should_stop():
        progress(
            fraction=min(0.99, elapsed / seconds),
            stage="sequence",
            message=f"T1 holes {elapsed:.1f} s",
            best_cycle_time_s=1204.5 - elapsed,
            original_cycle_time_s=1204.5,
            program="PCB-BACKPLANE.nc",
            tool=1,
            activity="holes",
        )
        time.sleep(0.1)
    return with_evidence(conf, progress, should_stop)
