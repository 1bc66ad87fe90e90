"""The job cycle over HTTP against a real ``streamlit run``: start, watch, stop, read back."""

from __future__ import annotations

import io
import json
import math
import statistics
import threading
import time
import zipfile

import httpx
import pytest

from tests.api.helpers import path, start, wait_state, ws_events


def test_pages_and_api_share_one_server(server):
    assert httpx.get(f"{server.url}/_stcore/health").text == "ok"
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    spec = httpx.get(f"{server.url}/api/v1/openapi.json").json()
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert "/scenarios/{department}/{scenario}/jobs" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    docs = httpx.get(f"{server.url}/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text


@pytest.mark.alone
def test_kept_alive_requests_are_not_held_by_nagle(server, token_for, new_scenario):
    """Without TCP_NODELAY on the listener every response after the first on a connection
    waits ~40 ms for the client's delayed ACK; a status read takes a few ms."""
    new_scenario("fast", "plate")
    with server.client(token_for("fast")) as client:
        times = []
        for _ in range(21):
            started = time.perf_counter()
            assert client.get(path("fast", "plate", "/jobs/current")).status_code == 200
            times.append(time.perf_counter() - started)
    assert statistics.median(times[1:]) < 0.030, times


def test_full_cycle_start_events_result_zip(server, token_for, new_scenario):
    new_scenario("cycle", "plate", seconds=2.0)
    token = token_for("cycle")
    with server.client(token) as client:
        answer = start(client, "cycle", "plate", time_limit_s=30)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        assert answer.headers["location"] == f"/api/v1{path('cycle', 'plate')}/jobs/{job_id}"
        assert_live_stream(*ws_events(server, token, "cycle", "plate"), job_id)

        result = client.get(path("cycle", "plate", "/result"))
        assert result.status_code == 200
        body = result.json()  # strict JSON: NaN came back as null
        assert body["success"] is True and body["job_id"] == job_id and body["outdated"] is False
        assert [row["program"] for row in body["programs"]] == ["P1.nc", "P2.nc"]
        assert body["programs"][0]["saving_s"] == 2.0 and body["programs"][1]["saving_s"] is None
        assert "NaN" not in result.text

        archive = client.get(path("cycle", "plate", "/result/programs.zip"))
        assert archive.status_code == 200 and archive.headers["x-job-id"] == job_id
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
            assert zipped.namelist() == ["P1.nc", "P2.nc"]
            assert zipped.read("P1.nc").decode() == "%\nO1000\nG0 X1. Y1.\nM30\n%\n"

        job = client.get(path("cycle", "plate", f"/jobs/{job_id}")).json()
        assert job["state"] == "succeeded" and job["job_id"] == job_id
        scenario = client.get(path("cycle", "plate")).json()
        assert scenario["job_id"] == job_id and scenario["state"] == "succeeded"
        listed = client.get("/scenarios").json()
        assert [(r["department"], r["scenario"], r["job_id"]) for r in listed] == [
            ("cycle", "plate", job_id)
        ]


def assert_live_stream(events: list[dict], close_code: int | None, job_id: str) -> None:
    """Status first, progress while running, log lines, the final state, ``end``, close."""
    kinds = [e["event"] for e in events]
    assert kinds[0] == "status" and kinds[-1] == "end" and close_code == 1000
    statuses = [e["data"] for e in events if e["event"] == "status"]
    assert {s["job_id"] for s in statuses} == {job_id}
    assert statuses[-1]["state"] == "succeeded" == events[-1]["data"]["state"]
    running = [
        s for s in statuses if s["state"] == "running" and s["progress"]["stage"] == "search"
    ]
    assert len(running) >= 3, "progress arrives while the job runs"
    fractions = [s["progress"]["fraction"] for s in running]
    assert fractions == sorted(fractions)
    assert all(s["progress"]["best_cycle_time_s"] < 100 for s in running)
    assert running[-1]["progress"]["program"] == "P1.nc"  # engine keys are forwarded
    assert running[-1]["limits"]["soft_s"] == 30
    lines = [line for e in events if e["event"] == "log" for line in e["data"]["lines"]]
    assert any("searching" in line for line in lines)
    assert any(f"job {job_id} ended: succeeded" in line for line in lines)


def test_history_keeps_earlier_jobs(server, token_for, new_scenario):
    new_scenario("hist", "plate", seconds=0.2)
    with server.client(token_for("hist")) as client:
        first = start(client, "hist", "plate").json()["job_id"]
        wait_state(client, "hist", "plate", "succeeded")
        second = start(client, "hist", "plate").json()["job_id"]
        wait_state(client, "hist", "plate", "succeeded")
        jobs = client.get(path("hist", "plate", "/jobs")).json()
        assert [j["job_id"] for j in jobs] == [second, first]
        earlier = client.get(path("hist", "plate", f"/jobs/{first}")).json()
        assert earlier["state"] == "succeeded" and earlier["has_result"] is True
        assert "path" not in earlier  # no server paths for clients
        missing = client.get(path("hist", "plate", "/jobs/20990101T000000000Z-000000"))
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


def test_second_start_is_409_with_the_running_job_id(server, token_for, new_scenario):
    new_scenario("busy", "plate", seconds=3.0)
    with server.client(token_for("busy")) as client:
        job_id = start(client, "busy", "plate").json()["job_id"]
        again = start(client, "busy", "plate")
        assert again.status_code == 409
        problem = again.json()
        assert problem["job_id"] == job_id and problem["status"] == 409
        assert problem["state"] in {"queued", "running"}
        assert job_id in problem["detail"]
        assert again.headers["location"].endswith(f"/jobs/{job_id}")
        client.post(path("busy", "plate", f"/jobs/{job_id}/cancel"))
        wait_state(client, "busy", "plate", "cancelled")


def test_idempotency_key_returns_the_same_job(server, token_for, new_scenario):
    new_scenario("idem", "plate", seconds=1.0)
    headers = {"Idempotency-Key": "order-4711"}
    with server.client(token_for("idem")) as client:
        # Five clients retrying the same request at once: one job, five times its id.
        answers: list[httpx.Response] = []

        def post() -> None:
            answers.append(client.post(path("idem", "plate", "/jobs"), headers=headers))

        threads = [threading.Thread(target=post) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [202] * 5
        assert len({a.json()["job_id"] for a in answers}) == 1
        job_id = answers[0].json()["job_id"]
        assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 4
        wait_state(client, "idem", "plate", "succeeded")
        # A retry after the job ended still gets that job, not a new one.
        late = client.post(path("idem", "plate", "/jobs"), headers=headers)
        assert late.status_code == 202 and late.json() == {
            "job_id": job_id,
            "state": "succeeded",
            "department": "idem",
            "scenario": "plate",
            "url": f"/api/v1/scenarios/idem/plate/jobs/{job_id}",
        }
        other_body = client.post(
            path("idem", "plate", "/jobs"), headers=headers, json={"time_limit_s": 5}
        )
        assert other_body.status_code == 422 and other_body.json()["job_id"] == job_id
        fresh = client.post(path("idem", "plate", "/jobs"), headers={"Idempotency-Key": "next"})
        assert fresh.status_code == 202 and fresh.json()["job_id"] != job_id
        wait_state(client, "idem", "plate", "succeeded")


def test_cancel_and_finish_now(server, token_for, new_scenario):
    new_scenario("stop", "cancel-me", seconds=30.0)
    new_scenario("stop", "finish-me", seconds=30.0)
    with server.client(token_for("stop")) as client:
        cancelled = start(client, "stop", "cancel-me").json()["job_id"]
        finished = start(client, "stop", "finish-me").json()["job_id"]
        for name in ("cancel-me", "finish-me"):
            wait_state(client, "stop", name, "running")
        answer = client.post(path("stop", "cancel-me", f"/jobs/{cancelled}/cancel"))
        assert answer.status_code == 202 and answer.json()["action"] == "cancel"
        answer = client.post(path("stop", "finish-me", f"/jobs/{finished}/finish"))
        assert answer.status_code == 202 and answer.json()["action"] == "finish"
        status = wait_state(client, "stop", "cancel-me", {"cancelled", "succeeded", "failed"}, 20)
        assert status["state"] == "cancelled"
        status = wait_state(client, "stop", "finish-me", {"cancelled", "succeeded", "failed"}, 20)
        assert status["state"] == "succeeded" and "finished early" in status["note"]
        result = client.get(path("stop", "finish-me", "/result")).json()
        assert "stopped early" in result["programs"][0]["reason"]  # the best so far, kept
        assert client.get(path("stop", "cancel-me", "/result")).status_code == 404
        again = client.post(path("stop", "cancel-me", f"/jobs/{cancelled}/cancel"))
        assert again.status_code == 409 and again.json()["state"] == "cancelled"


def test_result_of_a_failed_job_is_a_404_with_its_error(server, token_for, new_scenario):
    new_scenario("fail", "plate", fail="bad tool table: T99 is not defined")
    with server.client(token_for("fail")) as client:
        job_id = start(client, "fail", "plate").json()["job_id"]
        wait_state(client, "fail", "plate", "failed")
        answer = client.get(path("fail", "plate", "/result"))
        assert answer.status_code == 404
        problem = answer.json()
        assert problem["job_id"] == job_id and problem["state"] == "failed"
        assert problem["detail"] == "bad tool table: T99 is not defined"
        assert client.get(path("fail", "plate", "/result/programs.zip")).status_code == 404


def test_bad_time_limits_are_refused(server, token_for, new_scenario):
    new_scenario("limits", "plate")
    with server.client(token_for("limits")) as client:
        for body in ({"time_limit_s": 0}, {"time_limit_s": -5}, {"time_limit_s": 1e9}):
            answer = client.post(path("limits", "plate", "/jobs"), json=body)
            assert answer.status_code == 422, body
            assert answer.headers["content-type"] == "application/problem+json"
            assert "time_limit_s" in answer.json()["detail"]
        raw = client.post(
            path("limits", "plate", "/jobs"),
            content=json.dumps({"time_limit_s": math.nan}),
            headers={"content-type": "application/json"},
        )
        assert raw.status_code == 422
        unknown = client.post(path("limits", "plate", "/jobs"), json={"time_limit": 5})
        assert unknown.status_code == 422
        assert client.get(path("limits", "plate", "/jobs/current")).json()["state"] == "idle"


def test_server_restart_mid_job_finds_the_job_again(server, token_for, new_scenario):
    new_scenario("restart", "plate", seconds=6.0)
    token = token_for("restart")
    with server.client(token) as client:
        job_id = start(client, "restart", "plate").json()["job_id"]
        wait_state(client, "restart", "plate", "running")
    server.stop()
    server.start()
    with server.client(token) as client:
        status = client.get(path("restart", "plate", "/jobs/current")).json()
        assert status["job_id"] == job_id and status["state"] == "running"
        events, _ = ws_events(server, token, "restart", "plate")
        assert events[-2]["data"]["state"] == "succeeded"
        assert events[-2]["data"]["job_id"] == job_id
        assert client.get(path("restart", "plate", "/result")).json()["job_id"] == job_id
