"""Who may do what: bearer tokens per department, names checked as the CLI checks them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.api.helpers import path, ws_connect
from tests.conftest import ROOT


def cli(*args: str) -> tuple[int, dict | list]:
    proc = subprocess.run(
        [sys.executable, "processing.py", *args], cwd=ROOT, capture_output=True, text=True
    )
    return proc.returncode, json.loads(proc.stdout)


def test_token_cli_creates_lists_and_revokes_hashed_tokens(server, new_scenario):
    new_scenario("cli-a", "plate")
    code, made = cli("token", "create", "cli-a", "cli-b", "--label", "MES line 3")
    assert code == 0 and made["departments"] == ["cli-a", "cli-b"]
    token, token_id = made["token"], made["token_id"]
    stored = server.data / ".ncopt" / "api_tokens.json"
    # ncopt_<id>_<secret>: the secret may hold "_" itself (token_urlsafe), so split twice only;
    # its last piece alone (once "68") can turn up in a hex digest by chance.
    secret = token.split("_", 2)[2]
    assert token not in stored.read_text() and secret not in stored.read_text()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    code, listed = cli("token", "list")
    mine = [row for row in listed if row["token_id"] == token_id]
    assert mine == [{k: made[k] for k in ("token_id", "departments", "created_at", "label")}]
    assert all("token" not in row and "sha256" not in row for row in listed)
    with server.client(token) as client:
        assert client.get(path("cli-a", "plate", "/jobs/current")).status_code == 200
        assert cli("token", "revoke", token_id) == (0, {"token_id": token_id, "revoked": True})
        revoked = client.get(path("cli-a", "plate", "/jobs/current"))
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    assert cli("token", "revoke", token_id)[0] == 2
    assert cli("token", "create", "../etc") == (
        2,
        {"error": "department name '../etc' must not start with '.' or contain '..'"},
    )


def test_401_without_a_valid_token(server, token_for, new_scenario):
    new_scenario("auth", "plate")
    url = f"/api/v1{path('auth', 'plate', '/jobs/current')}"
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "Bearer"}):
        answer = httpx.get(server.url + url, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["content-type"] == "application/problem+json"
    real = token_for("auth")
    for bogus in ("ncopt_00000000_x", real[:-2] + "xx", "not-a-token"):
        answer = httpx.get(server.url + url, headers={"Authorization": f"Bearer {bogus}"})
        assert answer.status_code == 401
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(server, None, "auth", "plate")
    assert refused.value.response.status_code == 401
    assert httpx.get(server.url + "/api/v1/scenarios").status_code == 401


def test_403_outside_the_token_departments(server, token_for, new_scenario):
    new_scenario("mine", "plate")
    new_scenario("theirs", "plate")
    token = token_for("mine", "also-mine")
    with server.client(token) as client:
        assert client.get(path("mine", "plate", "/jobs/current")).status_code == 200
        for method, tail in (
            ("GET", "/jobs/current"),
            ("POST", "/jobs"),
            ("GET", "/result"),
            ("GET", "/events"),
            ("GET", ""),
        ):
            answer = client.request(method, path("theirs", "plate", tail))
            assert answer.status_code == 403, (method, tail)
            assert "theirs" in answer.json()["detail"]
        # Whether a scenario exists is not told outside the token's departments.
        assert client.get(path("theirs", "nothing-here")).status_code == 403
        assert client.get(path("mine", "nothing-here")).status_code == 404
        listed = {row["department"] for row in client.get("/scenarios").json()}
        assert listed == {"mine"}
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(server, token, "theirs", "plate")
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["status"] == 403
    # The refused POST started nothing.
    assert not (server.data / "theirs" / "scenario" / "plate" / "optimization_config.json").exists()


@pytest.mark.parametrize(
    ("department", "scenario"),
    [(".hidden", "plate"), ("names", "a..b"), ("names", "bad name"), ("x$y", "plate")],
)
def test_unsafe_names_are_400_with_the_cli_message(server, token_for, department, scenario):
    token = token_for("names")
    env = {**os.environ, "NCOPT_DATA_DIR": str(server.data)}
    proc = subprocess.run(
        [sys.executable, "processing.py", "status", department, scenario],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2
    message = json.loads(proc.stdout)["error"]
    with server.client(token) as client:
        for method, tail in (("GET", "/jobs/current"), ("POST", "/jobs"), ("GET", "/events")):
            answer = client.request(method, path(department, scenario, tail))
            assert answer.status_code == 400, (method, tail, answer.text)
            assert answer.json()["detail"] == message
            assert answer.headers["content-type"] == "application/problem+json"
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(server, token, department, scenario)
    assert refused.value.response.status_code == 400


def test_unsafe_job_id_is_400(server, token_for, new_scenario):
    new_scenario("jobids", "plate")
    with server.client(token_for("jobids")) as client:
        answer = client.get(path("jobids", "plate", "/jobs/.secret"))
        assert answer.status_code == 400 and "job id" in answer.json()["detail"]
        unknown = client.post(path("jobids", "plate", "/jobs/20990101T000000000Z-abcdef/cancel"))
        assert unknown.status_code == 404
