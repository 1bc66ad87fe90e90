"""The engine is asked about the folder the job runs in, not the path frozen at start: a Celery
worker may mount the share elsewhere than the app that started the job (issue 15, item 15)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil

import pytest

import jobstore
import processing
from tests.jobs.helpers import ROOT, wait_for, wait_terminal

ELSEWHERE = "/mnt/ncopt-on-the-app-host"


def _freeze_elsewhere(folder) -> None:
    """Rewrite the frozen paths as an app that mounts the share at ELSEWHERE wrote them."""
    path = folder / jobstore.CONFIG_FILE
    config = json.loads(path.read_text())
    config["data_dir"] = ELSEWHERE
    config["scenario_dir"] = f"{ELSEWHERE}/dept/scenario/{folder.name}"
    path.write_text(json.dumps(config))


def _run_with_config_frozen_elsewhere(job_env, folder, entry: str, **kwargs) -> dict:
    # Hold the only host slot so the job waits, queued, after its supervisor read the config.
    slots = job_env / ".ncopt" / "hosts" / jobstore.HOST
    slots.mkdir(parents=True, exist_ok=True)
    fd = os.open(slots / "slot-0.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        processing.start_optimization_async("dept", folder.name, entry=entry, **kwargs)
        wait_for(lambda: any((slots / "tickets").glob("*.ticket")), what="the job's ticket")
        _freeze_elsewhere(folder)
    finally:
        os.close(fd)  # the slot is free: the job runs with the config as it now reads
    return wait_terminal(timeout_s=120, scenario=folder.name)


@pytest.fixture
def one_slot(job_env, monkeypatch):
    monkeypatch.setenv("NCOPT_MAX_WORKERS", "1")
    return job_env


def test_the_engine_gets_the_folder_the_job_runs_in(scenario, one_slot):
    entry = "tests.jobs.entries:echo_request"
    final = _run_with_config_frozen_elsewhere(one_slot, scenario, entry)
    assert final["state"] == "succeeded", final.get("error")
    asked = processing.load_optimization_result("dept", "scen")["new_codes"]
    assert asked["scenario_dir"] == str(scenario)
    assert asked["data_dir"] == str(one_slot)
    assert asked["programs"] == "P1.nc"


def test_the_real_engine_runs_a_scenario_whose_config_was_frozen_elsewhere(one_slot):
    source = ROOT / "scenarios" / "machining-2" / "scenario" / "manifold"
    folder = one_slot / "dept" / "scenario" / "manifold"
    shutil.copytree(source, folder)
    entry = "ncopt.pipeline:run_generate_nc_code"
    final = _run_with_config_frozen_elsewhere(
        one_slot, folder, entry, time_limit_s=5, hard_limit_s=120
    )
    assert final["state"] == "succeeded", final.get("error")
    result = processing.load_optimization_result("dept", "manifold")
    assert set(result["out_df"]["program"]) == {"MANIFOLD-M1.nc", "MANIFOLD-M2.nc"}
