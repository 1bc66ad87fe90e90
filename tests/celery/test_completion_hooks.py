"""Completion hooks from a job run by a real Celery worker: the supervisor runs inside the
worker, where the project folder is on sys.path only while ``celery_app`` loads."""

from __future__ import annotations

import pytest

import jobstore
from ncopt.scenario import scenario_xlsx_path, template_sheets, write_sheets
from tests.api.helpers import SECRET, receiving, verify
from tests.jobs.helpers import make_scenario, start, wait_terminal

pytestmark = pytest.mark.celery


@pytest.fixture
def receiver():
    with receiving() as state:
        yield state


def test_a_celery_job_calls_its_scenario_webhook(start_worker, receiver, monkeypatch):
    monkeypatch.setenv("NCOPT_WEBHOOK_SECRET", SECRET)  # the worker inherits it
    worker = start_worker()
    folder = make_scenario(jobstore.data_dir())
    sheets = template_sheets()
    sheets["settings"].loc[len(sheets["settings"])] = ["webhook_urls", receiver.url, ""]
    write_sheets(scenario_xlsx_path(folder), sheets)
    job_id = start("quick")["job_id"]
    assert wait_terminal()["state"] == "succeeded"
    summary = verify(receiver.wait(1)[0])
    assert (summary["job_id"], summary["state"]) == (job_id, "succeeded")
    assert summary["saving"]["cycle_time_old_s"] == 2.0
    assert "ModuleNotFoundError" not in worker.log_path.read_text()
