"""History is ordered by the time in its records and never loses the last good result
(issue 15, items 1 and 2)."""

from __future__ import annotations

import json

import jobstore
import processing
from tests.jobs.helpers import run_failing, run_quick


def test_a_run_filed_without_its_status_does_not_pass_for_the_newest(scenario):
    older = run_quick()
    (scenario / jobstore.STATUS_FILE).unlink()  # lost: the next start files the run blind
    newer = run_quick()
    run_failing()  # the current run has no result: the page shows the newest earlier one
    result = processing.load_optimization_result("dept", "scen")
    assert result["job_id"] == newer["job_id"] and result["from_history"] is True
    listed = [run["job_id"] for run in processing.list_history("dept", "scen")]
    assert listed == [newer["job_id"], older["job_id"]]


def test_history_follows_the_recorded_time_not_the_folder_name(scenario):
    newest = run_quick()
    run_failing()
    # A run filed under a name that sorts after every job id, but created long ago.
    odd = scenario / jobstore.HISTORY_DIR / "zzz-restored-by-hand"
    odd.mkdir()
    newest_dir = scenario / jobstore.HISTORY_DIR / newest["job_id"]
    status = json.loads((newest_dir / jobstore.STATUS_FILE).read_text())
    status.update(job_id="zzz-restored-by-hand", created_at="2020-01-01T00:00:00+00:00")
    (odd / jobstore.STATUS_FILE).write_text(json.dumps(status))
    listed = [run["job_id"] for run in processing.list_history("dept", "scen")]
    assert listed == [newest["job_id"], "zzz-restored-by-hand"]
    assert processing.load_optimization_result("dept", "scen")["job_id"] == newest["job_id"]


def test_failed_runs_never_prune_the_last_good_result(scenario, monkeypatch):
    monkeypatch.setenv("NCOPT_HISTORY_KEEP", "2")
    good = run_quick()
    failed = [run_failing()["job_id"] for _ in range(4)]
    run_failing()  # files the fourth failure; history now holds more failures than it keeps
    history = processing.list_history("dept", "scen")
    assert [run["job_id"] for run in history] == [failed[-1], failed[-2], good["job_id"]]
    result = processing.load_optimization_result("dept", "scen")
    assert result["job_id"] == good["job_id"] and result["success"] is True
