"""Fault injection: every fault of issue 15 against a temporary data folder, one line each.

    python bench/faults.py [--only ITEM ...] [--json-out FILE]

Each fault gets a fresh data dir, real detached jobs (the stand-in engines of
``tests/jobs/entries.py``, the real engine where the fault is the engine's input) and real
file-system faults (a small tmpfs, read-only mounts: ``tests/jobs/sandbox.py``). A line says
the job's or the command's final state and what the user is told; ``ok`` is whether that is
what the issue asks for. Runs in about a minute on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(NCOPT_HEARTBEAT_S="0.2", NCOPT_GRACE_S="1", NCOPT_MAX_WORKERS="2")
for _name in ("NCOPT_SECRET", "NCOPT_BACKEND", "NCOPT_ENTRY", "NCOPT_HISTORY_KEEP"):
    os.environ.pop(_name, None)

import jobstore  # noqa: E402
import processing  # noqa: E402
from tests.jobs import helpers as jobs  # noqa: E402

Outcome = tuple[str, str, bool]  # final state, what the user is told, as the issue asks
FAULTS: list[tuple[str, str, Callable[[Path], Outcome]]] = []


def fault(item: str, title: str):
    def register(run: Callable[[Path], Outcome]) -> Callable[[Path], Outcome]:
        FAULTS.append((item, title, run))
        return run

    return register


def _result_or_error(department: str = "dept", scenario: str = "scen") -> str:
    try:
        return processing.load_optimization_result(department, scenario)["job_id"]
    except processing.ResultError as exc:
        return f"refused: {exc}"


@fault("1", "status file lost, a newer run, then a failure")
def status_lost(root: Path) -> Outcome:
    jobs.run_quick()
    (root / "dept/scenario/scen" / jobstore.STATUS_FILE).unlink()
    newer = jobs.run_quick()["job_id"]
    final = jobs.run_failing()
    shown = _result_or_error()
    return final["state"], f"result shown: {shown}", shown == newer


@fault("2", "one good run, then 21 failed runs")
def many_failures(root: Path) -> Outcome:
    good = jobs.run_quick()["job_id"]
    for _ in range(21):
        final = jobs.run_failing()
    shown = _result_or_error()
    return final["state"], f"result shown: {shown}", shown == good


@fault("3", "result + .sig copied from department B into A")
def copied_result(root: Path) -> Outcome:
    jobs.make_scenario(root, "B", "scen")
    jobs.run_quick()
    jobs.run_quick(department="B", params={"programs": 3})
    for name in (jobstore.RESULT_FILE, jobstore.SIG_FILE):
        shutil.copyfile(root / "B/scenario/scen" / name, root / "dept/scenario/scen" / name)
    code, payload, _ = jobs.cli("result", "dept", "scen", data_dir=root)
    told = payload["error"]["message"]
    return f"exit {code}", told, code == 1 and not payload["programs"]


@fault("4", "a non-UTF-8 program beside a valid one (engine: lead)")
def non_utf8(root: Path) -> Outcome:
    folder = root / "dept/scenario/manifold"
    shutil.copytree(ROOT / "scenarios/machining-2/scenario/manifold", folder)
    bad = folder / "programs" / "MANIFOLD-M2.nc"
    bad.write_bytes(bad.read_bytes().replace(b"(", "(Ü".encode("latin-1"), 1))
    entry = "ncopt.pipeline:run_generate_nc_code"
    processing.start_optimization_async("dept", "manifold", entry=entry, time_limit_s=5)
    final = jobs.wait_terminal(timeout_s=120, scenario="manifold")
    if final["state"] != "succeeded":
        return final["state"], (final.get("error") or {}).get("message", ""), False
    rows = processing.load_optimization_result("dept", "manifold")["out_df"]
    statuses = dict(zip(rows["program"], rows["status"], strict=True))
    ok = statuses.get("MANIFOLD-M2.nc") == "error" and statuses.get("MANIFOLD-M1.nc") != "error"
    return final["state"], f"programs: {statuses}", ok


@fault("5", "tool_change_s = 1e308 in the machine sheet")
def absurd_number(root: Path) -> Outcome:
    from ncopt.scenario import check_sheets
    from tests.scenario.helpers import sample_sheets

    sheets = sample_sheets()
    machine = sheets["machine"].astype(object)
    machine.loc[machine["key"] == "tool_change_s", "value"] = 1e308
    issues = check_sheets({**sheets, "machine": machine}).issues
    told = "; ".join(str(i) for i in issues)
    return "refused" if issues else "accepted", told, "at most 3600" in told


@fault("6a", "full disk: the result does not fit")
def disk_result(root: Path) -> Outcome:
    return _disk("result_does_not_fit", root)


@fault("6b", "full disk: the disk fills up during the run")
def disk_during(root: Path) -> Outcome:
    return _disk("disk_fills_during_run", root)


@fault("6c", "full disk: no space at all when start is pressed")
def disk_at_start(root: Path) -> Outcome:
    return _disk("disk_full_at_start", root)


def _disk(name: str, root: Path) -> Outcome:
    from tests.jobs.sandbox import run_fault

    report = run_fault(name, root, disk_bytes=3 * 2**20)
    told = report.get("refused") or report.get("error") or ""
    ok = (
        "No space left on device" in told
        and not report["temp_files"]
        and report["last_result"] == report["good_job"]
    )
    return report["state"], f"{told} | temp files: {len(report['temp_files'])}", ok


@fault("7", "upload over an existing program")
def upload_over(root: Path) -> Outcome:
    try:
        processing.upload_program("dept", "scen", "P1.nc", b"G0 X9.\n")
        return "overwritten", "no question asked", False
    except processing.InputError as exc:
        saved = processing.upload_program("dept", "scen", "P1.nc", b"G0 X9.\n", replace=True)
        return "refused", f"{exc}; with replace: old kept as {saved['replaced']}", True


@fault("8", "editor text =cmd|' /C calc'!A0 saved")
def formula(root: Path) -> Outcome:
    import openpyxl

    from ncopt.scenario import write_sheets
    from tests.scenario.helpers import sample_sheets

    sheets = sample_sheets()
    sheets["tools"] = sheets["tools"].astype(object)
    sheets["tools"].loc[0, "name"] = "=cmd|' /C calc'!A0"
    write_sheets(root / "f.xlsx", sheets)
    cell = openpyxl.load_workbook(root / "f.xlsx")["tools"]["B2"]
    kind = {"s": "text", "f": "formula"}.get(cell.data_type, cell.data_type)
    return f"stored as {kind}", repr(cell.value), kind == "text"


@fault("9", "start --time-limit nan")
def time_limit_nan(root: Path) -> Outcome:
    code, payload, _ = jobs.cli("start", "dept", "scen", "--time-limit", "nan", data_dir=root)
    return f"exit {code}", payload["error"], code == 2


@fault("10", "status file is [] / a directory / garbage")
def damaged(root: Path) -> Outcome:
    folder = root / "dept/scenario/scen"
    states = []
    for damage in ("[]", "directory", "garbage"):
        jobs.run_quick()
        (folder / jobstore.STATUS_FILE).unlink()
        if damage == "directory":
            (folder / jobstore.STATUS_FILE).mkdir()
        else:
            (folder / jobstore.STATUS_FILE).write_bytes(b"[]" if damage == "[]" else b"\xff{")
        code, rows, _ = jobs.cli("list", data_dir=root)
        states.append(f"list exit {code}: {rows[0]['state'] if rows else '-'}")
    started = jobs.run_quick()["state"]
    ok = all(s == "list exit 0: damaged" for s in states) and started == "succeeded"
    return started, "; ".join(states) + f"; next start {started}", ok


@fault("11", "a 100-character CJK name; a folder 'Plate 2' on the share")
def names(root: Path) -> Outcome:
    code, payload, _ = jobs.cli("status", "dept", "模" * 100, data_dir=root)
    (root / "dept/scenario/Plate 2").mkdir()
    plate = next(r for r in processing.list_jobs() if r["scenario"] == "Plate 2")
    told = f"{payload['error']} | Plate 2: {plate['state']}, {plate['error']}"
    return f"exit {code}", told, code == 2 and plate["state"] == "invalid"


@fault("12", "read-only folder; .sig of [1]; key file a directory")
def unreadable(root: Path) -> Outcome:
    from tests.jobs.sandbox import run_in_mounts

    jobs.run_quick()
    folder = root / "dept/scenario/scen"
    env = {"NCOPT_DATA_DIR": str(root), "NCOPT_ENTRY": "tests.jobs.entries:quick"}
    proc = run_in_mounts(["processing.py", "start", "dept", "scen"], read_only=[folder], env=env)
    told = [f"read-only start: exit {proc.returncode} {proc.stdout.strip()}"]
    (folder / jobstore.SIG_FILE).write_text("[1]")
    code, payload, _ = jobs.cli("result", "dept", "scen", data_dir=root)
    told.append(f"sig [1]: exit {code} {payload['error']['message']}")
    key = root / ".ncopt/secret"
    key.unlink()
    key.mkdir()
    code2, payload2, _ = jobs.cli("start", "dept", "scen", data_dir=root)
    told.append(f"key dir: exit {code2} {payload2['error']}")
    ok = proc.returncode == 1 and "Read-only" in proc.stdout and code == 1 and code2 == 1
    return "clear errors" if ok else "unclear", " | ".join(told), ok


@fault("13", "the signing key file is lost")
def key_lost(root: Path) -> Outcome:
    jobs.run_quick()
    (root / ".ncopt/secret").unlink()
    before = _result_or_error()
    jobs.run_failing()
    after = _result_or_error()
    return "refused", f"after a new run: {after} | before it: {before}", "key changed" in after


@fault("14", "rename while a job runs")
def rename_running(root: Path) -> Outcome:
    jobs.start("sleepy", params={"seconds": 30})
    jobs.wait_state("running")
    try:
        processing.rename_scenario("dept", "scen", "renamed")
        outcome: Outcome = ("renamed", "a running job lost its folder", False)
    except processing.JobActiveError as exc:
        outcome = ("refused", str(exc), True)
    processing.cancel_optimization("dept", "scen", wait=True)
    return outcome


@fault("15", "config frozen by an app that mounts the share elsewhere")
def frozen_elsewhere(root: Path) -> Outcome:
    from tests.jobs import test_request

    os.environ["NCOPT_MAX_WORKERS"] = "1"
    try:
        entry = "tests.jobs.entries:echo_request"
        folder = root / "dept/scenario/scen"
        final = test_request._run_with_config_frozen_elsewhere(root, folder, entry)
    finally:
        os.environ["NCOPT_MAX_WORKERS"] = "2"
    asked = processing.load_optimization_result("dept", "scen")["new_codes"]["scenario_dir"]
    return final["state"], f"engine asked about {asked}", asked == str(folder)


@fault("bomb", "zip-bomb workbook (60 MB of XML in 60 kB)")
def zip_bomb(root: Path) -> Outcome:
    from ncopt.errors import ScenarioError
    from ncopt.scenario import read_sheets
    from tests.scenario import test_bad_input

    bomb = test_bad_input._workbook_with_sheet(
        root, test_bad_input._HEAD + test_bad_input.BOMBS["unpacked size"]() + test_bad_input._TAIL
    )
    t0 = time.perf_counter()
    try:
        read_sheets(bomb)
        return "read", "parsed the whole bomb", False
    except ScenarioError as exc:
        ms = (time.perf_counter() - t0) * 1000
        return "refused", f"in {ms:.1f} ms: {exc}", ms < 1000


@contextlib.contextmanager
def _data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ncopt-faults-") as tmp:
        root = Path(tmp) / "data"
        root.mkdir()
        os.environ["NCOPT_DATA_DIR"] = str(root)
        jobs.make_scenario(root)
        try:
            yield root
        finally:
            jobs.kill_leftovers(root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="item numbers to run (default: all)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the faults' own warnings are the point, not noise
    t_all = time.perf_counter()
    rows = []
    for item, title, run in FAULTS:
        if args.only and item not in args.only:
            continue
        t0 = time.perf_counter()
        with _data_dir() as root:
            try:
                state, told, ok = run(root)
            except Exception as exc:  # a fault that crashes the job layer is a finding
                state, told, ok = "crashed", f"{type(exc).__name__}: {exc}", False
        seconds = time.perf_counter() - t0
        rows.append({"item": item, "fault": title, "state": state, "told": told, "ok": ok})
        told = " ".join(told.split())[:160]
        verdict = "ok" if ok else "NO"
        print(
            f"{item:>4} {verdict:3} {title:55.55} {state:14.14} {seconds:5.1f}s  {told}", flush=True
        )
    total_s = time.perf_counter() - t_all
    print(f"{sum(r['ok'] for r in rows)}/{len(rows)} as the issue asks, {total_s:.0f} s in all")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
