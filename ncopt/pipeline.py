"""``run_generate_nc_code``: what the background job computes for a scenario (DESIGN.md §5).

For every enabled program of the scenario: parse, time, apply the transformations the settings
allow (air cutting, tool regrouping; each re-parsed and proved on its own, and skipped with the
reason if its proof fails), re-sequence within the budget, emit through the scenario's post,
re-parse the output and prove it does the same machining as the transformed program. A
program whose output fails verification, or is not faster, is returned unchanged with the
reason in ``out_df``. A program that cannot be parsed gets status ``error`` with the
line-numbered message; the others still run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncopt.errors import GCodeError, NcError
from ncopt.machine import Machine

__all__ = ["OUT_COLUMNS", "Transforms", "optimize_text", "run_generate_nc_code"]

log = logging.getLogger(__name__)

OUT_COLUMNS = (
    "program", "status", "reason",
    "cycle_time_old_s", "cycle_time_new_s", "saving_s", "saving_pct",
    "rapid_s_old", "rapid_s_new", "cutting_s_old", "cutting_s_new",
    "tool_change_s_old", "tool_change_s_new", "dwell_s_old", "dwell_s_new",
    "rapid_distance_old_mm", "rapid_distance_new_mm",
    "tool_changes_old", "tool_changes_new",
    "holes", "blocks", "holes_resequenced", "blocks_resequenced",
    "air_moves_to_rapid", "tool_changes_saved", "blocks_reversed",
    "quantity_per_year", "hours_saved_per_year",
)  # fmt: skip


@dataclass(frozen=True)
class Transforms:
    """The optional transformations a scenario's settings allow (off by default)."""

    allow_tool_regroup: bool = False
    air_cut_above_z_mm: float | None = None  # None: air cutting off
    allow_block_reversal: bool = False

    @classmethod
    def from_settings(cls, settings) -> Transforms:
        air = settings.air_cut_above_z_mm if settings.air_cut_to_rapid else None
        return cls(bool(settings.allow_tool_regroup), air, bool(settings.allow_block_reversal))


@dataclass(frozen=True)
class ProgramOutcome:
    """One program's new text and its ``out_df`` row."""

    new_text: str
    row: dict[str, Any]


def run_generate_nc_code(
    conf: Mapping[str, Any],
    progress: Callable[..., None] | None = None,
    should_stop: Callable[[], bool] | None = None,
):
    """Optimize every enabled program of ``conf["scenario_dir"]``.

    Returns ``(new_codes, old_codes, out_df)``: ``{program: nc_text}`` twice and one row per
    program with the columns of ``OUT_COLUMNS``. ``conf["time_limit_s"]`` overrides the
    scenario's ``time_limit_s`` setting.
    """
    import pandas as pd

    from ncopt.scenario import load_scenario

    report = progress or (lambda **_: None)
    stop = should_stop or (lambda: False)
    report(fraction=0.0, stage="parse", message="reading the scenario")
    scenario = load_scenario(Path(conf["scenario_dir"]))
    budget_s = float(conf.get("time_limit_s") or scenario.settings.time_limit_s)
    post = make_post(scenario.settings.post)
    transforms = Transforms.from_settings(scenario.settings)
    entries = scenario.enabled_programs
    # time_limit_s tells the supervisor the budget that applies (see run_optimization_async).
    report(fraction=0.0, stage="parse", message=f"{len(entries)} programs", time_limit_s=budget_s)
    old_codes = {e.file: _read_program(scenario.program_path(e)) for e in entries}
    weights = {name: max(1, text.count("\n")) for name, text in old_codes.items()}
    deadline = time.monotonic() + budget_s
    new_codes: dict[str, str] = {}
    rows = []
    done = 0
    for entry in entries:
        name = entry.file
        share = (
            max(0.0, deadline - time.monotonic())
            * weights[name]
            / max(1, sum(weights[e.file] for e in entries if e.file not in new_codes))
        )
        base = done / sum(weights.values())
        frac = weights[name] / sum(weights.values())

        def sub_progress(fraction=None, message=None, _b=base, _f=frac, _n=name, **_):
            report(
                fraction=_b + _f * (fraction or 0.0),
                stage="sequence",
                message=f"{_n}: {message or ''}".strip(),
            )

        outcome = optimize_text(
            name,
            old_codes[name],
            scenario.machine,
            post=post,
            transforms=transforms,
            time_limit_s=share,
            should_stop=stop,
            progress=sub_progress,
        )
        outcome.row.update(_yearly(outcome.row, entry.quantity_per_year))
        new_codes[name] = outcome.new_text
        rows.append(outcome.row)
        done += weights[name]
        report(
            fraction=done / sum(weights.values()),
            stage="sequence",
            message=f"{name}: {outcome.row['status']}",
            best_cycle_time_s=_best_total(rows, old_codes, new_codes),
        )
    out_df = pd.DataFrame(rows, columns=list(OUT_COLUMNS))
    report(fraction=1.0, stage="done", message=f"{len(rows)} programs")
    return new_codes, old_codes, out_df


def _read_program(path: Path) -> str | bytes:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data  # the parser reports where the bad bytes are


def _best_total(rows, old_codes, new_codes) -> float | None:
    times = [r["cycle_time_new_s"] for r in rows if r["cycle_time_new_s"] is not None]
    return float(sum(times)) if times else None


def _yearly(row: dict[str, Any], quantity_per_year: int) -> dict[str, Any]:
    saving = row.get("saving_s") or 0.0
    return {
        "quantity_per_year": quantity_per_year,
        "hours_saved_per_year": saving * quantity_per_year / 3600.0,
    }


def make_post(setting: str):
    """The post for a scenario's ``post`` setting: the built-in Fanuc one or a .NET class."""
    from ncopt.dotnet_post import DotNetPost, PostSpec, preflight

    spec = PostSpec.parse(setting)
    if spec is None:
        return None  # ncopt.emit's built-in Fanuc-style post
    preflight(spec)  # in a child: a broken runtime must not abort the work horse
    post = DotNetPost(spec)
    log.info("post-processor: %s from %s", spec.class_name, spec.dll_path)
    return post


def optimize_text(
    name: str,
    text: str | bytes,
    machine: Machine,
    *,
    post=None,
    transforms: Transforms = Transforms(),
    time_limit_s: float,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[..., None] | None = None,
) -> ProgramOutcome:
    """Optimize one program's text; never returns output that failed verification."""
    from ncopt import emit, estimate_cycle_time, parse_program, verify_equivalent
    from ncopt.optimize import optimize_program

    row: dict[str, Any] = dict.fromkeys(OUT_COLUMNS)
    row["program"] = name
    original = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
    try:
        old = parse_program(text, machine, name=name)
    except GCodeError as exc:
        row.update(status="error", reason=str(exc))
        return ProgramOutcome(original, row)
    old_time = estimate_cycle_time(old, machine)
    _times(row, "old", old_time)
    _times(row, "new", old_time)
    row.update(
        holes=old.hole_count,
        blocks=sum(1 for op in old.ops if op.kind == "block"),
        holes_resequenced=0,
        blocks_resequenced=0,
        air_moves_to_rapid=0,
        tool_changes_saved=0,
        blocks_reversed=0,
        saving_s=0.0,
        saving_pct=0.0,
    )
    base, notes, changes = _transform(old, machine, name, transforms)

    def kept(status: str, reason: str) -> ProgramOutcome:
        row.update(status=status, reason="; ".join([reason, *notes]))
        return ProgramOutcome(original, row)

    candidate, stats = optimize_program(
        base,
        machine,
        time_limit_s=time_limit_s,
        should_stop=should_stop,
        progress=progress,
        allow_block_reversal=transforms.allow_block_reversal,
    )
    if candidate is old:
        return kept("unchanged", "no re-sequencing possible or needed")
    if progress is not None:  # a million-line program takes seconds to write and prove
        progress(fraction=1.0, message="writing and verifying the new program")
    try:
        new_text = emit(candidate, post, machine)
        new = parse_program(new_text, machine, name=name)
        verdict = verify_equivalent(
            base, new, machine, allow_block_reversal=transforms.allow_block_reversal
        )
    except NcError as exc:
        return kept("rejected", f"output refused: {exc}")
    if not verdict.ok:
        return kept("rejected", f"verification failed: {verdict.first_difference}")
    new_time = estimate_cycle_time(new, machine)
    if new_time.total_s >= old_time.total_s:
        return kept("unchanged", "no faster order found")
    _times(row, "new", new_time)
    saving = old_time.total_s - new_time.total_s
    note = " (stopped early: best found so far)" if stats.stopped else ""
    done = ["re-sequenced"] if stats.groups_changed else []
    if stats.blocks_reversed:
        done.append(_count(stats.blocks_reversed, "block") + " cut backwards")
    if changes.get("air_moves_to_rapid"):
        done.append(_count(changes["air_moves_to_rapid"], "air feed move") + " made rapid")
    if changes.get("tool_changes_saved"):
        done.append(_count(changes["tool_changes_saved"], "tool change") + " saved by regrouping")
    row.update(changes)
    row.update(
        status="optimized",
        reason="; ".join([f"{', '.join(done)} and verified{note}", *notes]),
        saving_s=saving,
        saving_pct=100.0 * saving / old_time.total_s if old_time.total_s else 0.0,
        holes_resequenced=stats.holes_resequenced,
        blocks_resequenced=stats.blocks_resequenced,
        blocks_reversed=stats.blocks_reversed,
    )
    return ProgramOutcome(new_text, row)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _transform(old, machine: Machine, name: str, transforms: Transforms):
    """Apply the allowed transformations one after the other, each proved on its own.

    Returns the program to re-sequence, notes on transformations that were refused, and the
    ``out_df`` counts of what was applied.
    """
    from ncopt import verify_air_cut, verify_equivalent
    from ncopt.aircut import air_cut_to_rapid
    from ncopt.regroup import regroup_tools

    base, notes, changes = old, [], {}
    if transforms.air_cut_above_z_mm is not None:
        above = transforms.air_cut_above_z_mm
        text, count = air_cut_to_rapid(base, above)
        if count:
            step, problem = _proved(
                text, machine, name, lambda new: verify_air_cut(base, new, above)
            )
            if step is None:
                notes.append(f"air cutting not applied: {problem}")
            else:
                base, changes["air_moves_to_rapid"] = step, count
    if transforms.allow_tool_regroup:
        text, saved = regroup_tools(base)
        if saved:
            prev = base
            step, problem = _proved(
                text,
                machine,
                name,
                lambda new: verify_equivalent(prev, new, machine, allow_tool_regroup=True),
            )
            if step is None:
                notes.append(f"tool regrouping not applied: {problem}")
            else:
                base = step
                changes["tool_changes_saved"] = len(prev.tool_changes) - len(step.tool_changes)
    return base, notes, changes


def _proved(text: str, machine: Machine, name: str, verify) -> tuple[Any, str]:
    """The parsed transformed program if ``verify`` accepts it, else None and why not."""
    from ncopt import parse_program

    try:
        new = parse_program(text, machine, name=name)
    except NcError as exc:
        log.warning("%s: transformed program does not parse: %s", name, exc)
        return None, str(exc)
    verdict = verify(new)
    if not verdict.ok:
        log.warning("%s: transformation refused: %s", name, verdict.first_difference)
        return None, verdict.first_difference
    return new, ""


def _times(row: dict[str, Any], which: str, t) -> None:
    row[f"cycle_time_{which}_s"] = t.total_s
    row[f"rapid_s_{which}"] = t.rapid_s
    row[f"cutting_s_{which}"] = t.cutting_s
    row[f"tool_change_s_{which}"] = t.tool_change_s
    row[f"dwell_s_{which}"] = t.dwell_s
    row[f"rapid_distance_{which}_mm"] = t.rapid_distance_mm
    row[f"tool_changes_{which}"] = t.tool_changes
