"""Signed results, outdated detection, history, log capping."""

from __future__ import annotations

import json
import pickle

import pytest

import jobstore
import processing
from tests.jobs.helpers import start, wait_terminal


def _run_quick():
    start("quick")
    final = wait_terminal()
    assert final["state"] == "succeeded"
    return final


class _Bomb:
    """Unpickling this would create a file: proof that a refused result is never unpickled."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_tampered_result_is_refused(scenario):
    _run_quick()
    path = scenario / jobstore.RESULT_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(processing.ResultError, match="tampered"):
        processing.load_optimization_result("dept", "scen")


def test_replaced_result_is_never_unpickled(scenario, tmp_path):
    _run_quick()
    target = tmp_path / "pwned"
    (scenario / jobstore.RESULT_FILE).write_bytes(pickle.dumps(_Bomb(str(target))))
    with pytest.raises(processing.ResultError):
        processing.load_optimization_result("dept", "scen")
    assert not target.exists()


def test_missing_signature_is_refused(scenario):
    _run_quick()
    (scenario / jobstore.SIG_FILE).unlink()
    with pytest.raises(processing.ResultError, match="no signature"):
        processing.load_optimization_result("dept", "scen")


def test_foreign_signature_is_refused(scenario, monkeypatch):
    _run_quick()
    assert processing.load_optimization_result("dept", "scen")["success"]
    monkeypatch.setenv("NCOPT_SECRET", "another shop's key")
    with pytest.raises(processing.ResultError, match="another key"):
        processing.load_optimization_result("dept", "scen")


def test_signature_of_another_job_is_refused(scenario):
    _run_quick()
    sig = json.loads((scenario / jobstore.SIG_FILE).read_text())
    sig["job_id"] = "20200101T000000000Z-000000"
    (scenario / jobstore.SIG_FILE).write_text(json.dumps(sig))
    with pytest.raises(processing.ResultError):
        processing.load_optimization_result("dept", "scen")


def test_missing_result_is_a_clear_error(scenario):
    with pytest.raises(processing.ResultError, match="no optimization result"):
        processing.load_optimization_result("dept", "scen")


def test_secret_key_file_is_private(scenario, job_env):
    _run_quick()
    key = job_env / ".ncopt" / "secret"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes().strip()) == 64


def test_result_is_outdated_after_the_scenario_changes(scenario):
    _run_quick()
    assert processing.load_optimization_result("dept", "scen")["outdated"] is False
    assert processing.get_optimization_status("dept", "scen")["outdated"] is False
    (scenario / "programs" / "P1.nc").write_text("%\nO1000\nG0 X2. Y1.\nM30\n%\n")
    assert processing.load_optimization_result("dept", "scen")["outdated"] is True
    assert processing.get_optimization_status("dept", "scen")["outdated"] is True


def test_history_keeps_previous_runs_newest_n(scenario, monkeypatch):
    monkeypatch.setenv("NCOPT_HISTORY_KEEP", "3")
    ids = [_run_quick()["job_id"] for _ in range(5)]
    history = processing.list_history("dept", "scen")
    assert [h["job_id"] for h in history] == ids[-2::-1][:3]
    assert all(h["state"] == "succeeded" and h["has_result"] for h in history)
    current = processing.get_optimization_status("dept", "scen")
    assert current["job_id"] == ids[-1]
    run_dir = scenario / "history" / ids[-2]
    assert (run_dir / jobstore.STATUS_FILE).exists() and (run_dir / jobstore.LOG_FILE).exists()


def test_cap_log_keeps_the_newest_lines(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text("".join(f"line {i}\n" for i in range(100_000)))
    assert jobstore.cap_log(path, 100_000)
    text = path.read_text()
    assert len(text.encode()) <= 100_000
    assert text.endswith("line 99999\n")
    assert "log capped" in text.splitlines()[0]
    assert not jobstore.cap_log(path, 100_000)


def test_log_tail_through_the_api(scenario):
    start("raises")
    wait_terminal()
    tail = processing.read_log_tail("dept", "scen", max_bytes=4000)
    assert "ValueError: bad tool table" in tail
    assert "ended: failed" in tail


def test_a_failed_run_keeps_the_last_result_available(scenario):
    first = _run_quick()
    start("raises")
    assert wait_terminal()["state"] == "failed"
    result = processing.load_optimization_result("dept", "scen")
    assert result["job_id"] == first["job_id"] and result["from_history"] is True
    # A tampered earlier result is refused, not skipped for an even older one.
    run = scenario / jobstore.HISTORY_DIR / first["job_id"] / jobstore.RESULT_FILE
    run.write_bytes(run.read_bytes()[:-1] + b"\x00")
    with pytest.raises(processing.ResultError, match="tampered"):
        processing.load_optimization_result("dept", "scen")


def test_the_current_result_is_not_from_history(scenario):
    with pytest.raises(processing.NoResultError):
        processing.load_optimization_result("dept", "scen")
    _run_quick()
    assert processing.load_optimization_result("dept", "scen")["from_history"] is False
