"""Completion hooks: a real receiver gets a signed summary after the final state, with retries."""

from __future__ import annotations

import json
import time
from datetime import datetime

import job_hooks
from ncopt.scenario import scenario_xlsx_path, template_sheets, validate_sheets, write_sheets
from tests.api.helpers import SECRET, start, verify, wait_state


def with_webhook_setting(folder, url: str) -> None:
    sheets = template_sheets()
    settings = sheets["settings"]
    settings.loc[len(settings)] = ["webhook_urls", url, "completion hooks"]
    write_sheets(scenario_xlsx_path(folder), sheets)


def log_text(folder) -> str:
    return (folder / "optimization_log.txt").read_text()


def wait_log(folder, text: str, timeout_s: float = 20.0) -> str:
    deadline = time.monotonic() + timeout_s
    while text not in log_text(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in log_text(folder), log_text(folder)
    return log_text(folder)


def test_webhook_is_signed_sent_after_the_final_state_and_retried(
    server, token_for, new_scenario, receiver
):
    receiver.answers = [500]
    folder = new_scenario("hooks", "plate", seconds=0.5, handler_failures=1)
    with_webhook_setting(folder, receiver.url)
    with server.client(token_for("hooks")) as client:
        job_id = start(client, "hooks", "plate").json()["job_id"]
        status = wait_state(client, "hooks", "plate", {"succeeded", "failed"})
    assert status["state"] == "succeeded"
    first, second = receiver.wait(2)[:2]
    payloads = [verify(first), verify(second)]
    assert payloads[0] == payloads[1]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == f"job_{job_id}"
    summary = payloads[0]
    assert summary["type"] == "job.finished" and summary["job_id"] == job_id
    assert (summary["department"], summary["scenario"], summary["state"]) == (
        "hooks",
        "plate",
        "succeeded",
    )
    assert summary["error"] is None
    assert summary["saving"] == {
        "cycle_time_old_s": 10.0,
        "cycle_time_new_s": 8.0,
        "saving_s": 2.0,
        "saving_pct": 20.0,
        "programs": 2,
        "programs_optimized": 1,
    }
    assert summary["api_path"] == f"/api/v1/scenarios/hooks/plate/jobs/{job_id}"
    # The outcome was on disk before the first request left.
    finished = datetime.fromisoformat(status["finished_at"]).timestamp()
    assert finished <= first["at"]
    assert_attempts_logged(folder, receiver.url)
    # The in-process handler got the same summary, after one failure of its own.
    handled = [json.loads(line) for line in (folder / "handled.jsonl").read_text().splitlines()]
    assert handled == [summary]


def assert_attempts_logged(folder, url: str) -> None:
    text = wait_log(folder, f"hook POST {url} attempt 2 delivered")
    assert f"hook POST {url} attempt 1 failed" in text
    assert "HTTP 500; retrying in 0.2 s" in text
    text = wait_log(folder, "handler tests.api.entries:record_completion attempt 2 delivered")
    assert "attempt 1 failed" in text and "RuntimeError: handler failure 1" in text


def test_data_folder_hooks_report_a_failed_job(server, token_for, new_scenario, receiver):
    hooks_file = server.data / ".ncopt" / "webhooks.json"
    hooks_file.write_text(json.dumps({"urls": [receiver.url]}))
    try:
        folder = new_scenario("hooks-dd", "plate", fail="bad tool table: T99 is not defined")
        with server.client(token_for("hooks-dd")) as client:
            job_id = start(client, "hooks-dd", "plate").json()["job_id"]
            wait_state(client, "hooks-dd", "plate", "failed")
        summary = verify(receiver.wait(1)[0])
        assert summary["job_id"] == job_id and summary["state"] == "failed"
        assert summary["error"] == {
            "type": "ValueError",
            "message": "bad tool table: T99 is not defined",
        }
        assert summary["saving"] is None
        wait_log(folder, "attempt 1 delivered")
    finally:
        hooks_file.unlink()


def test_a_refusing_receiver_is_not_retried(server, token_for, new_scenario, receiver):
    receiver.answers = [410]
    folder = new_scenario("hooks-410", "plate", seconds=0.1)
    with_webhook_setting(folder, receiver.url + "?token=abc")
    with server.client(token_for("hooks-410")) as client:
        start(client, "hooks-410", "plate")
        wait_state(client, "hooks-410", "plate", "succeeded")
    text = wait_log(folder, "giving up")
    assert "attempt 1 failed" in text and "HTTP 410; giving up" in text
    assert "token=abc" not in text  # query strings may hold the receiver's secrets
    assert len(receiver.requests) == 1  # "giving up" is logged after the last attempt


def test_delivery_is_bounded_in_time(receiver, monkeypatch):
    """A receiver that always fails is tried with back-off until the deadline, then dropped;
    a handler that hangs is abandoned at its timeout."""
    monkeypatch.setenv("NCOPT_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("NCOPT_HOOK_BACKOFF_S", "0.1")
    monkeypatch.setenv("NCOPT_HOOK_TIMEOUT_S", "0.5")
    receiver.answers = [503] * 100
    targets = [
        job_hooks.Target("receiver", job_hooks._webhook(receiver.url)),
        job_hooks.Target("handler", job_hooks._handler("tests.api.entries:hangs")),
    ]
    started = time.monotonic()
    job_hooks.deliver(targets, {"job_id": "j1", "state": "failed"}, started + 1.5)
    assert time.monotonic() - started < 2.0
    # Attempts at 0, 0.1, 0.3 and 0.7 s; the next (1.5 s) would be past the deadline.
    assert len(receiver.requests) == 4


def test_webhook_urls_in_the_settings_sheet_are_checked_where_they_are():
    sheets = template_sheets()
    settings = sheets["settings"]
    settings.loc[len(settings)] = ["webhook_urls", "https://mes.local/a, http://10.0.0.5:81/b", ""]
    assert validate_sheets(sheets) == []
    settings.loc[len(settings) - 1, "value"] = "https://mes.local/a ftp://files.local/x"
    issues = validate_sheets(sheets)
    row = len(settings) + 1  # Excel row: headers are row 1
    assert [(i.sheet, i.row, i.column) for i in issues] == [("settings", row, "value")]
    assert "'ftp://files.local/x' is not an http:// or https:// URL" in issues[0].message
