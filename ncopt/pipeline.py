"""``run_generate_nc_code``: what the background job computes for a scenario (DESIGN.md §5).

For every enabled program of the scenario, in two passes so the job knows its whole cycle
time before it searches (``best_cycle_time_s`` in its progress):

1. *baseline*: read, parse and time the program; a program that cannot be parsed gets status
   ``error`` with the line-numbered message, and the others still run;
2. *improve*: apply the transformations the settings allow (``ncopt.transforms``, each proved
   on its own), re-sequence within the program's share of the budget (``ncopt.optimize``),
   then *write and prove*: emit through the scenario's post, re-parse the output and prove it
   does the same machining as the transformed program (``ncopt.verify``). A program whose
   output fails verification, or is not faster, is returned unchanged with the reason.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ncopt.budget import Budget
from ncopt.cycle_time import CycleTime
from ncopt.errors import GCodeError, NcError, ScenarioError, ScenarioIssue
from ncopt.interpreter import parse_program
from ncopt.machine import Machine
from ncopt.optimize import PlanStats, optimize_program
from ncopt.plan import reorder
from ncopt.post import write_program
from ncopt.program import Program
from ncopt.report import group_rows, program_warnings, verification_json
from ncopt.subprograms import cycle_time
from ncopt.transforms import Transformed, Transforms, apply_transforms
from ncopt.verify import VerifyReport, verify_equivalent
from ncopt.writer import emit_with_spans

__all__ = [
    "OUT_COLUMNS",
    "Baseline",
    "baseline",
    "improve",
    "optimize_text",
    "run_generate_nc_code",
]

log = logging.getLogger(__name__)

NO_TRANSFORMS = Transforms()

OUT_COLUMNS = (
    "program", "status", "reason",
    "cycle_time_old_s", "cycle_time_new_s", "saving_s", "saving_pct",
    "rapid_s_old", "rapid_s_new", "cutting_s_old", "cutting_s_new",
    "tool_change_s_old", "tool_change_s_new", "dwell_s_old", "dwell_s_new",
    "rapid_distance_old_mm", "rapid_distance_new_mm",
    "tool_changes_old", "tool_changes_new",
    "holes", "blocks", "holes_resequenced", "blocks_resequenced",
    "air_moves_to_rapid", "tool_changes_saved", "blocks_reversed",
    "quantity_per_year", "hours_saved_per_year", "groups", "verification", "warnings",
)  # fmt: skip


@dataclass(frozen=True)
class ProgramOutcome:
    """One program's new text and its ``out_df`` row."""

    new_text: str
    row: dict[str, Any]


@dataclass(frozen=True)
class Baseline:
    """A program as read: its text, the parsed program and its cycle time (None when it does
    not parse; ``row`` then says why), and the ``out_df`` row so far."""

    name: str
    text: str
    program: Program | None
    time: CycleTime | None
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return self.time.total_s if self.time is not None else 0.0


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
    report(fraction=0.0, stage="parse", message="reading the scenario")
    scenario = load_scenario(Path(conf["scenario_dir"]))
    budget_s = float(conf.get("time_limit_s") or scenario.settings.time_limit_s)
    post = make_post(scenario.settings.post)
    transforms = Transforms.from_settings(scenario.settings)
    entries = scenario.enabled_programs
    if not entries:  # a run that "succeeds" with 0 s -> 0 s and an empty zip says nothing
        issue = ScenarioIssue("programs", None, None, "no program is enabled: nothing to optimize")
        raise ScenarioError(issue)
    # time_limit_s tells the supervisor the budget that applies (see run_optimization_async).
    message = _count(len(entries), "program")
    report(fraction=0.0, stage="parse", message=message, time_limit_s=budget_s)
    bases = []
    for entry in entries:
        report(fraction=0.0, stage="parse", message=f"reading {entry.file}", program=entry.file)
        data = scenario.program_path(entry).read_bytes()
        bases.append(baseline(entry.file, data, scenario.machine))
    budget = Budget(budget_s, should_stop, progress, stage="sequence")
    job_id = conf.get("job_id")
    outcomes = _improve_all(bases, scenario.machine, post, transforms, budget, job_id)
    rows = []
    for entry, outcome in zip(entries, outcomes, strict=True):
        rows.append({**outcome.row, **_yearly(outcome.row, entry.quantity_per_year)})
    out_df = pd.DataFrame(rows, columns=list(OUT_COLUMNS))
    report(
        fraction=1.0,
        stage="done",
        message=_count(len(rows), "program"),
        best_cycle_time_s=sum(r["cycle_time_new_s"] or 0.0 for r in rows),
        original_cycle_time_s=sum(r["cycle_time_old_s"] or 0.0 for r in rows),
    )
    old_codes = {b.name: b.text for b in bases}
    new_codes = {b.name: o.new_text for b, o in zip(bases, outcomes, strict=True)}
    return new_codes, old_codes, out_df


def _improve_all(
    bases: list[Baseline],
    machine: Machine,
    post,
    transforms: Transforms,
    budget: Budget,
    job_id: str | None = None,
) -> list[ProgramOutcome]:
    """Each program in turn with its share of the budget (by its number of lines)."""
    weights = [max(1, b.text.count("\n")) if b.program else 0 for b in bases]
    todo = sum(weights)
    original_s = sum(b.total_s for b in bases)
    best_s = original_s
    budget.set_cycle_time(original_s, best_s)
    outcomes = []
    for base, weight in zip(bases, weights, strict=True):
        if base.program is None:
            outcomes.append(ProgramOutcome(base.text, base.row))
            continue
        part = budget.child(weight, todo, label=base.name, program=base.name)
        todo -= weight
        outcome = improve(
            base, machine, post=post, transforms=transforms, budget=part, job_id=job_id
        )
        best_s -= outcome.row["saving_s"]
        budget.set_cycle_time(original_s, best_s)
        part.report(1.0, outcome.row["status"])
        outcomes.append(outcome)
    return outcomes


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
        return None  # ncopt.writer's built-in Fanuc-style post
    preflight(spec)  # in a child: a broken runtime must not abort the work horse
    post = DotNetPost(spec)
    log.info("post-processor: %s from %s", spec.class_name, spec.dll_path)
    return post


def baseline(name: str, data: str | bytes, machine: Machine) -> Baseline:
    """Parse and time one program (its ``out_df`` row with the old figures)."""
    row: dict[str, Any] = dict.fromkeys(OUT_COLUMNS)
    row["program"] = name
    text = data if isinstance(data, str) else data.decode("utf-8", errors="surrogateescape")
    try:
        program = parse_program(data, machine, name=name)
    except GCodeError as exc:
        row.update(status="error", reason=str(exc))
        return Baseline(name, text, None, None, row)
    old_time = cycle_time(program, machine)
    row["warnings"] = program_warnings(program)
    _times(row, "old", old_time)
    _times(row, "new", old_time)
    row.update(
        holes=old_time.holes,
        blocks=sum(1 for op in program.ops if op.kind == "block"),
        holes_resequenced=0,
        blocks_resequenced=0,
        air_moves_to_rapid=0,
        tool_changes_saved=0,
        blocks_reversed=0,
        saving_s=0.0,
        saving_pct=0.0,
    )
    return Baseline(name, program.text, program, old_time, row)


def optimize_text(
    name: str,
    text: str | bytes,
    machine: Machine,
    *,
    post=None,
    transforms: Transforms = NO_TRANSFORMS,
    time_limit_s: float,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[..., None] | None = None,
) -> ProgramOutcome:
    """Optimize one program's text; never returns output that failed verification."""
    base = baseline(name, text, machine)
    if base.program is None:
        return ProgramOutcome(base.text, base.row)
    budget = Budget(time_limit_s, should_stop, progress)
    return improve(base, machine, post=post, transforms=transforms, budget=budget)


def improve(
    base: Baseline,
    machine: Machine,
    *,
    post,
    transforms: Transforms,
    budget: Budget,
    job_id: str | None = None,
) -> ProgramOutcome:
    """Transform, re-sequence, write and prove one parsed program."""
    assert base.program is not None and base.time is not None
    row = dict(base.row)
    budget.report(0.0, "transforming", stage="transform")
    done = apply_transforms(base.program, machine, base.name, transforms)
    budget.report(0.0, "sequencing", stage="sequence")
    candidate, stats = optimize_program(
        done.program,
        machine,
        allow_block_reversal=transforms.allow_block_reversal,
        budget=budget,
    )
    outcome: dict[int, tuple[str | None, str]] = {g: (None, "re-sequenced") for g in candidate.plan}

    def kept(status: str, reason: str, code: str | None = None) -> ProgramOutcome:
        for g in candidate.plan if code else ():
            outcome[g] = (code, reason)
        row.update(status=status, reason="; ".join([reason, *done.notes]))
        row.update(groups=group_rows(done.program, None, None, outcome, machine))
        return ProgramOutcome(base.text, row)

    if candidate is base.program:
        return kept("unchanged", "no re-sequencing possible or needed")
    # A million-line program takes seconds to write and prove.
    budget.report(1.0, "writing and verifying the new program", stage="verify", activity="write")
    header = program_header(base.name, job_id)
    proof = _prove_by_group(candidate, done.program, machine, post, transforms, outcome, header)
    if isinstance(proof, str):
        return kept("rejected", f"verification failed: {proof}")
    if proof.time.total_s >= base.time.total_s:
        return kept("unchanged", "no faster order found", "not_faster")
    saving = base.time.total_s - proof.time.total_s
    pct = 100.0 * saving / base.time.total_s
    if saving < transforms.min_saving_s or pct < transforms.min_saving_pct:
        below = (
            f"saves {saving:.3f} s ({pct:.2f} %), below the scenario's minimum of "
            f"{transforms.min_saving_s:g} s and {transforms.min_saving_pct:g} %"
        )
        return kept("unchanged", below, "below_threshold")
    _report_row(row, base.time, proof.time, stats, done, outcome)
    row["groups"] = group_rows(done.program, proof.figures, proof.spans, outcome, machine)
    row["verification"] = verification_json(proof.report, base.program, proof.program, machine)
    return ProgramOutcome(proof.text, row)


@dataclass(frozen=True)
class _Proof:
    """A written and proved program: its text, parsed form, cycle time and the verifier's
    report; ``figures`` and ``spans`` time each rewritten group (the built-in writer's)."""

    text: str
    program: Program
    time: CycleTime
    report: VerifyReport
    figures: Program
    spans: dict[int, tuple[int, int]]


def _prove_by_group(
    candidate, against, machine, post, transforms, outcome, header=None
) -> _Proof | str:
    """The candidate proved whole; failing that, each rewritten group on its own, and then
    the groups that passed together (those that did not are left as they were, with the
    verifier's reason in ``outcome``). The first problem when nothing can be kept."""
    proof = _write_and_prove(candidate, against, machine, post, transforms, header)
    if not isinstance(proof, str) or len(candidate.plan) <= 1:
        return proof
    good = {}
    for g, steps in candidate.plan.items():
        alone = _write_and_prove(
            reorder(against, {g: steps}), against, machine, post, transforms, header
        )
        if isinstance(alone, str):
            outcome[g] = ("verify_failed", f"verification failed: {alone}")
        else:
            good[g] = steps
    if not good:
        return proof
    both = _write_and_prove(reorder(against, good), against, machine, post, transforms, header)
    if isinstance(both, str):
        for g in good:
            outcome[g] = ("verify_failed", f"verification failed: {both}")
    return both


def _write_and_prove(
    candidate: Program,
    proved_against: Program,
    machine: Machine,
    post,
    transforms: Transforms,
    header: str | None = None,
) -> _Proof | str:
    """The new program written and proved, or why it is refused. The built-in writer's
    output gets ``header`` (a comment saying what it is) before it is proved."""
    try:
        figures_text, spans = emit_with_spans(candidate)
        if post is None and header:
            figures_text, spans = with_header(figures_text, header, spans, candidate.newline)
        text = figures_text if post is None else write_program(candidate, post, machine)
        new = parse_program(text, machine)
        report = verify_equivalent(
            proved_against, new, allow_block_reversal=transforms.allow_block_reversal
        )
    except NcError as exc:
        return f"output refused: {exc}"
    if not report.ok:
        return report.first_difference or "refused"
    figures = new if post is None else parse_program(figures_text, machine)
    return _Proof(text, new, cycle_time(new, machine), report, figures, spans)


def program_header(name: str, job_id: str | None = None) -> str:
    """The comment a new program starts with: what made it, when, and from which program.

    >>> program_header("plate (side 2).nc", "job-7").split(" 20")[0]
    '(NC OPTIMIZER 0.1.0 JOB JOB-7'
    >>> program_header("plate (side 2).nc").endswith(" FROM PLATE SIDE 2.NC)")
    True
    """
    from ncopt import __version__

    day = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    job = f" JOB {job_id}" if job_id else ""
    text = f"NC OPTIMIZER {__version__}{job} {day} FROM {name}"
    return "(" + re.sub(r"[()]", "", text).upper() + ")"


def with_header(
    text: str, header: str, spans: dict[int, tuple[int, int]], newline: str
) -> tuple[str, dict[int, tuple[int, int]]]:
    """``header`` as a line of its own after the tape mark and the program number (a Fanuc
    control reads nothing before ``O``), and the group spans moved below it."""
    lines = text.split(newline)
    bom = "\ufeff" if lines and lines[0].startswith("\ufeff") else ""
    if bom:  # the byte-order mark stays the file's first bytes
        lines[0] = lines[0][1:]
    at = 1 if lines and lines[0].strip().startswith("%") else 0
    if at < len(lines) and _PROGRAM_NUMBER.match(lines[at]):
        at += 1
    lines.insert(at, header)
    lines[0] = bom + lines[0]
    moved = {g: (a + (a >= at), b + (a >= at)) for g, (a, b) in spans.items()}
    return newline.join(lines), moved


_PROGRAM_NUMBER = re.compile(r"^\s*[Oo:]\d+")


def _report_row(
    row: dict[str, Any],
    old: CycleTime,
    new: CycleTime,
    stats: PlanStats,
    done: Transformed,
    outcome: dict[int, tuple[str | None, str]],
) -> None:
    """The ``out_df`` row of an optimized program: new figures and what was done."""
    _times(row, "new", new)
    saving = old.total_s - new.total_s
    note = " (stopped early: best found so far)" if stats.stopped else ""
    changed = sum(code is None for code, _ in outcome.values())
    what = ["re-sequenced"] if changed else []
    failed = len(outcome) - changed
    if failed:
        what.append(_count(failed, "group") + " left as they were (verification failed)")
    if stats.blocks_reversed:
        what.append(_count(stats.blocks_reversed, "block") + " cut backwards")
    if done.changes.get("air_moves_to_rapid"):
        what.append(_count(done.changes["air_moves_to_rapid"], "air feed move") + " made rapid")
    if done.changes.get("tool_changes_saved"):
        what.append(
            _count(done.changes["tool_changes_saved"], "tool change") + " saved by regrouping"
        )
    row.update(done.changes)
    row.update(
        status="optimized",
        reason="; ".join([f"{', '.join(what)} and verified{note}", *done.notes]),
        saving_s=saving,
        saving_pct=100.0 * saving / old.total_s if old.total_s else 0.0,
        holes_resequenced=stats.holes_resequenced,
        blocks_resequenced=stats.blocks_resequenced,
        blocks_reversed=stats.blocks_reversed,
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _times(row: dict[str, Any], which: str, t: CycleTime) -> None:
    row[f"cycle_time_{which}_s"] = t.total_s
    row[f"rapid_s_{which}"] = t.rapid_s
    row[f"cutting_s_{which}"] = t.cutting_s
    row[f"tool_change_s_{which}"] = t.tool_change_s
    row[f"dwell_s_{which}"] = t.dwell_s
    row[f"rapid_distance_{which}_mm"] = t.rapid_distance_mm
    row[f"tool_changes_{which}"] = t.tool_changes
