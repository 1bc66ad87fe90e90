"""CLI contract: JSON on stdout, exit 0 ok, 1 job failed, 2 bad input; bad names touch nothing."""

from __future__ import annotations

import pytest

from tests.jobs.helpers import cli, make_scenario


def snapshot(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


def test_start_wait_status_result_list(scenario, job_env):
    env = {"NCOPT_ENTRY": "tests.jobs.entries:quick"}
    code, started, _ = cli("start", "dept", "scen", "--wait", env_extra=env, data_dir=job_env)
    assert code == 0
    assert set(started) == {"job_id", "state", "already_running"}
    assert started["state"] == "succeeded" and started["already_running"] is False
    code, status, _ = cli("status", "dept", "scen", data_dir=job_env)
    assert code == 0 and status["state"] == "succeeded" and status["job_id"] == started["job_id"]
    for key in (
        "pid",
        "pid_create_time",
        "host",
        "heartbeat_at",
        "progress",
        "limits",
        "config_hash",
        "created_at",
        "started_at",
        "finished_at",
        "backend",
    ):
        assert key in status
    code, result, _ = cli("result", "dept", "scen", data_dir=job_env)
    assert code == 0
    assert result["success"] is True and result["outdated"] is False
    assert result["programs"][0]["program"] == "P0.nc"
    code, rows, _ = cli("list", data_dir=job_env)
    assert code == 0 and rows[0]["scenario"] == "scen" and rows[0]["state"] == "succeeded"


def test_failed_job_exits_1(scenario, job_env):
    env = {"NCOPT_ENTRY": "tests.jobs.entries:raises"}
    code, started, _ = cli("start", "dept", "scen", "--wait", env_extra=env, data_dir=job_env)
    assert code == 1 and started["state"] == "failed"
    code, result, _ = cli("result", "dept", "scen", data_dir=job_env)
    assert code == 1 and result["success"] is False
    assert "T99" in result["error"]["message"]


def test_start_twice_reports_the_running_job(scenario, job_env):
    env = {"NCOPT_ENTRY": "tests.jobs.entries:sleepy"}
    _, first, _ = cli("start", "dept", "scen", env_extra=env, data_dir=job_env)
    _, second, _ = cli("start", "dept", "scen", env_extra=env, data_dir=job_env)
    assert second == {"job_id": first["job_id"], "state": second["state"], "already_running": True}
    code, cancelled, _ = cli("cancel", "dept", "scen", data_dir=job_env)
    assert code == 0 and cancelled["state"] == "cancelled"


@pytest.mark.parametrize(
    "department,scenario",
    [
        ("../x", "scen"),
        ("dept", "../../etc"),
        ("/etc", "scen"),
        ("dept", "/tmp/x"),
        ("dept", "a/b"),
        ("dept", "sc\0en"),
        ("dept", "x" * 101),
        ("dept", ".hidden"),
        ("dept", ".."),
        ("", "scen"),
        ("dept", "no-such-scenario"),
    ],
)
def test_unsafe_or_unknown_names_exit_2_and_touch_nothing(job_env, department, scenario):
    make_scenario(job_env)
    before = snapshot(job_env.parent)
    for command in ("start", "status", "cancel", "result"):
        if "\0" in scenario:  # argv cannot carry NUL: exercise the API directly
            import processing

            with pytest.raises(processing.InputError):
                processing.start_optimization_async(department, scenario)
            continue
        code, payload, stderr = cli(command, department, scenario, data_dir=job_env)
        assert code == 2, (command, payload, stderr)
        assert payload["error"] and "error:" in stderr
    assert snapshot(job_env.parent) == before


def test_cjk_names_are_accepted(job_env):
    make_scenario(job_env, department="加工課", scenario="模具-A.1")
    env = {"NCOPT_ENTRY": "tests.jobs.entries:quick"}
    code, started, _ = cli("start", "加工課", "模具-A.1", "--wait", env_extra=env, data_dir=job_env)
    assert code == 0 and started["state"] == "succeeded"
