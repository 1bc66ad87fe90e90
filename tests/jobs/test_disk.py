"""A full disk and a read-only folder, for real (tmpfs and read-only bind mounts in a private
mount namespace): the job ends with the OS error, no temp file is left, the last good result
survives (issue 15, items 6 and 12)."""

from __future__ import annotations

import pytest

import jobstore
from tests.jobs.helpers import cli, run_quick
from tests.jobs.sandbox import run_fault, run_in_mounts

SMALL_DISK = 3 * 2**20  # room for the scenario and a small result, not for a 4 MB one


@pytest.fixture
def disk(job_env):
    return job_env  # run_fault mounts a tmpfs over it inside the namespace


@pytest.mark.parametrize("fault", ["result_does_not_fit", "disk_fills_during_run"])
def test_a_full_disk_fails_the_job_with_the_os_error(disk, fault):
    report = run_fault(fault, disk, disk_bytes=SMALL_DISK)
    assert report["state"] == "failed", report
    assert "No space left on device" in report["error"] and report["errno"] == report["enospc"]
    assert report["temp_files"] == []
    assert report["last_result"] == report["good_job"]
    assert report.get("next_start", "succeeded") == "succeeded"


def test_a_full_disk_refuses_a_start_and_keeps_the_last_result(disk):
    report = run_fault("disk_full_at_start", disk, disk_bytes=SMALL_DISK)
    assert "No space left on device" in report["refused"], report
    assert report["state"] == "succeeded" and report["temp_files"] == []
    assert report["last_result"] == report["good_job"]
    assert report["next_start"] == "succeeded"


def test_a_read_only_scenario_folder_is_a_clear_error(scenario, job_env):
    good = run_quick()
    env = {"NCOPT_DATA_DIR": str(job_env), "NCOPT_ENTRY": "tests.jobs.entries:quick"}
    for command, expected in (("start", 1), ("status", 0), ("result", 0), ("list", 0)):
        args = ["processing.py", command] + ([] if command == "list" else ["dept", "scen"])
        proc = run_in_mounts(args, read_only=[scenario], env=env)
        assert proc.returncode == expected, (command, proc.stdout, proc.stderr)
        assert proc.stdout.strip() and "Traceback" not in proc.stderr, command
        if command == "start":
            assert "Read-only file system" in proc.stdout
    assert (scenario / jobstore.STATUS_FILE).exists()
    code, result, _ = cli("result", "dept", "scen", data_dir=job_env)
    assert code == 0 and result["job_id"] == good["job_id"]
