"""Damaged job files and bad input: reported with a reason, never a traceback
(issue 15, items 9, 10 and 12)."""

from __future__ import annotations

import json
import math

import pytest

import jobstore
import processing
from tests.jobs.helpers import cli, make_scenario, run_quick

QUICK = {"NCOPT_ENTRY": "tests.jobs.entries:quick"}


def _damage(path, how: str) -> None:
    path.unlink()
    if how == "directory":
        path.mkdir()
    else:
        data = {
            "list": b"[]",
            "truncated": b'{"schema": 1, "job_id": "2026',
            "garbage": b"\x00\xff\xfe garbage",
            "wrong types": json.dumps({"job_id": ["x"], "state": "running"}).encode(),
        }[how]
        path.write_bytes(data)


@pytest.mark.parametrize("how", ["list", "directory", "truncated", "garbage", "wrong types"])
def test_a_damaged_status_is_its_own_row_and_the_next_start_moves_it_aside(scenario, job_env, how):
    make_scenario(job_env, scenario="other")
    first = run_quick()
    _damage(scenario / jobstore.STATUS_FILE, how)
    code, rows, stderr = cli("list", data_dir=job_env)
    assert code == 0, stderr
    by_name = {row["scenario"]: row for row in rows}
    assert by_name["scen"]["state"] == "damaged" and by_name["scen"]["error"]
    assert by_name["other"]["state"] == "idle"
    code, status, _ = cli("status", "dept", "scen", data_dir=job_env)
    assert code == 0 and status["state"] == "damaged" and status["error"]["message"]
    code, started, stderr = cli(
        "start", "dept", "scen", "--wait", env_extra=QUICK, data_dir=job_env
    )
    assert code == 0 and started["state"] == "succeeded", stderr
    runs = {run["job_id"]: run for run in processing.list_history("dept", "scen")}
    assert runs[first["job_id"]]["state"] == "damaged" and runs[first["job_id"]]["error"]


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("frobnicate",),
        ("start",),
        ("start", "dept"),
        ("status", "dept", "scen", "extra"),
        ("start", "dept", "scen", "--time-limit"),
        ("start", "dept", "scen", "--bogus"),
    ],
)
def test_usage_errors_exit_2_with_json(job_env, argv):
    code, payload, stderr = cli(*argv, data_dir=job_env)
    assert code == 2 and isinstance(payload["error"], str) and payload["error"]
    assert "Traceback" not in stderr


@pytest.mark.parametrize("limit", ["nan", "inf", "-inf", "0", "-5", "1e300", "abc", "NaN"])
def test_time_limits_must_be_finite_and_in_range(scenario, job_env, limit):
    code, payload, _ = cli(
        "start", "dept", "scen", "--time-limit", limit, env_extra=QUICK, data_dir=job_env
    )
    assert code == 2 and "time-limit" in payload["error"], payload
    assert not (scenario / jobstore.STATUS_FILE).exists()  # nothing was started


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_limit_s": math.nan},
        {"time_limit_s": math.inf},
        {"time_limit_s": 1e12},
        {"time_limit_s": "60"},
        {"time_limit_s": True},
        {"hard_limit_s": math.nan},
        {"time_limit_s": 60, "hard_limit_s": 30},
        {"params": {"x": math.nan}},
        {"params": {"x": object()}},
    ],
)
def test_the_api_refuses_numbers_that_are_not_finite_and_in_range(scenario, kwargs):
    with pytest.raises(processing.InputError):
        processing.start_optimization_async("dept", "scen", **kwargs)
    assert not (scenario / jobstore.STATUS_FILE).exists()


def _strict_json(path) -> dict:
    def refuse(constant):
        raise AssertionError(f"{path.name} holds {constant}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_a_non_finite_environment_limit_is_ignored(scenario, monkeypatch):
    monkeypatch.setenv("NCOPT_TIME_LIMIT_S", "nan")
    final = run_quick()
    assert final["limits"] == {"soft_s": 1800.0, "hard_s": 2760.0}
    for name in (jobstore.STATUS_FILE, jobstore.CONFIG_FILE):
        _strict_json(scenario / name)


def test_a_folder_the_name_rules_refuse_is_listed_with_the_reason_and_never_offered(job_env):
    from ui import data as ui_data

    make_scenario(job_env)
    (job_env / "dept" / "scenario" / "Plate 2").mkdir(parents=True)  # made on the share
    (job_env / "dept" / "scenario" / ("模" * 70)).mkdir()  # 210 bytes: over the name limit
    code, rows, _ = cli("list", data_dir=job_env)
    assert code == 0
    refused = {row["scenario"]: row for row in rows if row["state"] == "invalid"}
    assert set(refused) == {"Plate 2", "模" * 70}
    assert "may only contain" in refused["Plate 2"]["error"]
    assert "bytes" in refused["模" * 70]["error"]
    assert ui_data.scenarios_of(rows, "dept") == ["scen"]
    code, payload, _ = cli("status", "dept", "Plate 2", data_dir=job_env)
    assert code == 2 and "may only contain" in payload["error"]
