"""A result belongs to one scenario and one job, and a lost key is said to be one
(issue 15, items 3 and 13)."""

from __future__ import annotations

import shutil

import pytest

import jobstore
import processing
from tests.jobs.helpers import cli, make_scenario, run_failing, run_quick


def _copy_result(source, target) -> None:
    for name in (jobstore.RESULT_FILE, jobstore.SIG_FILE):
        shutil.copyfile(source / name, target / name)


def test_a_result_copied_from_another_departments_scenario_is_refused(job_env):
    mine = make_scenario(job_env, department="A", scenario="plate")
    theirs = make_scenario(job_env, department="B", scenario="plate")
    run_quick(department="A", scenario="plate", params={"programs": 1})
    run_quick(department="B", scenario="plate", params={"programs": 3})
    _copy_result(theirs, mine)
    code, payload, _ = cli("result", "A", "plate", data_dir=job_env)
    assert code == 1 and payload["success"] is False and payload["programs"] == []
    assert "B/plate" in payload["error"]["message"]
    with pytest.raises(processing.ResultError, match="another folder"):
        processing.load_optimization_result("A", "plate")


def test_a_result_of_another_job_of_the_same_scenario_is_refused(scenario, job_env):
    older = run_quick(params={"programs": 1})
    newer = run_quick(params={"programs": 2})
    _copy_result(scenario / jobstore.HISTORY_DIR / older["job_id"], scenario)
    code, payload, _ = cli("result", "dept", "scen", data_dir=job_env)
    assert code == 1 and payload["programs"] == []
    assert older["job_id"] in payload["error"]["message"]
    assert newer["job_id"] in payload["error"]["message"]


def test_results_stay_valid_after_a_rename(scenario):
    first = run_quick()
    run_failing()
    processing.rename_scenario("dept", "scen", "renamed")
    result = processing.load_optimization_result("dept", "renamed")
    assert result["job_id"] == first["job_id"] and result["success"] is True


def test_a_lost_signing_key_is_reported_as_a_key_change(scenario, job_env):
    run_quick()
    (job_env / ".ncopt" / "secret").unlink()
    with pytest.raises(processing.ResultError, match=r"signing key .* is missing"):
        processing.load_optimization_result("dept", "scen")
    assert not (job_env / ".ncopt" / "secret").exists()  # reading never makes a new key
    run_failing()  # a new run makes a new key
    with pytest.raises(processing.ResultError, match="signing key changed"):
        processing.load_optimization_result("dept", "scen")


def _message(payload: dict) -> str:
    error = payload["error"]
    return error["message"] if isinstance(error, dict) else error


def test_an_unreadable_key_or_signature_is_a_clear_error(scenario, job_env):
    run_quick()
    sig = scenario / jobstore.SIG_FILE
    valid = sig.read_bytes()
    sig.write_text("[1]")
    code, payload, stderr = cli("result", "dept", "scen", data_dir=job_env)
    assert code == 1 and "signature file is damaged" in _message(payload)
    assert "Traceback" not in stderr
    sig.write_bytes(valid)
    key = job_env / ".ncopt" / "secret"
    key.unlink()
    key.mkdir()
    for command in ("result", "start"):
        code, payload, stderr = cli(command, "dept", "scen", data_dir=job_env)
        assert code == 1 and "signing key cannot be read" in _message(payload), payload
        assert "Is a directory" in _message(payload) and "Traceback" not in stderr
