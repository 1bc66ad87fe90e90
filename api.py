"""The HTTP API, mounted at ``/api/v1`` on the Streamlit server by ``streamlit_app.py``.

Every route calls ``processing`` as the pages do: there is no second job layer. Routes that
touch files are plain ``def`` functions, which Starlette runs in its thread pool, so a slow disk
never stalls the event loop the pages' WebSockets share. docs/api.md has the whole cycle with
curl.
"""

from __future__ import annotations

import io
import json
import os
import socket
import zipfile
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

import api_events
import api_idempotency
import processing
from api_access import Problem, ScenarioRef, caller_token, check_job_id, jsonable, scenario_ref
from jobstore import ACTIVE_STATES, JobError, JobState, NoResultError, ResultError
from ncopt.gcode import encode_program

__all__ = ["PREFIX", "create_app", "nodelay_listeners"]

PREFIX = "/api/v1"
VERSION = "1.0"
SCENARIO_PATH = "/scenarios/{department}/{scenario}"
_SUMMARY_KEYS = ("job_id", "state", "backend", "host", "created_at", "started_at", "finished_at")


class StartRequest(BaseModel):
    """Body of a job start; every field optional."""

    model_config = ConfigDict(extra="forbid")
    time_limit_s: float | None = Field(
        default=None,
        gt=0,
        le=7 * 86400,
        allow_inf_nan=False,
        description="soft time limit in seconds; default: the scenario's time_limit_s setting",
    )


_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `python processing.py token create DEPT [DEPT ...]`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _header(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return None if credentials is None else f"Bearer {credentials.credentials}"


def scenario_access(department: str, scenario: str, credentials: Credentials) -> ScenarioRef:
    return scenario_ref(_header(credentials), department, scenario)


Scenario = Annotated[ScenarioRef, Depends(scenario_access)]


def create_app() -> FastAPI:
    app = FastAPI(
        title="NC Optimizer API",
        version=VERSION,
        description="Start, watch, stop and read background optimizations. See docs/api.md.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    _install_error_handlers(app)
    app.add_api_route("/health", health, methods=["GET"])
    app.add_api_route("/scenarios", list_scenarios, methods=["GET"])
    app.add_api_route(SCENARIO_PATH, get_scenario, methods=["GET"])
    jobs = SCENARIO_PATH + "/jobs"
    app.add_api_route(jobs, start_job, methods=["POST"], status_code=202)
    app.add_api_route(jobs, list_scenario_jobs, methods=["GET"])
    app.add_api_route(jobs + "/current", current_job, methods=["GET"])
    app.add_api_route(jobs + "/{job_id}", get_job, methods=["GET"])
    app.add_api_route(jobs + "/{job_id}/cancel", cancel_job, methods=["POST"], status_code=202)
    app.add_api_route(jobs + "/{job_id}/finish", finish_job, methods=["POST"], status_code=202)
    app.add_api_route(SCENARIO_PATH + "/result", get_result, methods=["GET"])
    app.add_api_route(SCENARIO_PATH + "/result/programs.zip", get_programs_zip, methods=["GET"])
    api_events.add_routes(app, SCENARIO_PATH + "/events", Scenario)
    return app


def nodelay_listeners() -> int:
    """Turn on ``TCP_NODELAY`` for this process's listening TCP sockets; returns how many.

    ``streamlit run`` binds its listener with ``proto=0``, and asyncio sets ``TCP_NODELAY`` on
    accepted sockets only when ``proto == IPPROTO_TCP`` (uvicorn issue #3149 has the same cause).
    With Nagle on, the body of every response after the first on a kept-alive connection waits
    for the client's delayed ACK: 40 ms per request. Linux copies the option from the listener
    to each accepted socket, so setting it once on the listener, before the first accept, is
    enough. Call it while the server starts; elsewhere than Linux it finds nothing.
    """
    fds = os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []
    count = 0
    for name in fds:
        try:
            sock = socket.socket(fileno=int(name))
        except OSError:
            continue  # not a socket
        try:
            listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            if listening and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                count += 1
        except OSError:
            pass
        finally:
            sock.detach()  # the descriptor stays its owner's
    return count


def _install_error_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(instance=request.url.path)

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        problem = Problem(422, "invalid-request", "Invalid request", detail, errors=errors)
        return problem.response(instance=request.url.path)

    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(exc.status_code, "http", str(exc.detail), str(exc.detail))
        problem.headers = dict(exc.headers or {})
        return problem.response(instance=request.url.path)

    async def on_job_error(request: Request, exc: JobError) -> JSONResponse:
        status = 400 if isinstance(exc, processing.InputError) else 500
        problem = Problem(status, "job-error", type(exc).__name__, str(exc))
        return problem.response(instance=request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(JobError, on_job_error)


def _job_url(ref: ScenarioRef, job_id: str) -> str:
    names = "/".join(quote(n, safe="") for n in (ref.department, ref.scenario))
    return f"{PREFIX}/scenarios/{names}/jobs/{quote(job_id, safe='')}"


# ------------------------------------------------------------------------------------ scenarios


async def health(request: Request) -> dict[str, Any]:
    """No token needed: the API answers, and how many clients follow job events now."""
    feeds = request.app.state.feeds
    return {"status": "ok", "version": VERSION, "event_clients": feeds.client_count()}


def list_scenarios(credentials: Credentials) -> list[dict[str, Any]]:
    """Every scenario in the token's departments, each with its latest job."""
    token = caller_token(_header(credentials))
    return jsonable([row for row in processing.list_jobs() if token.covers(row["department"])])


def get_scenario(ref: Scenario) -> dict[str, Any]:
    """One scenario with a summary of its latest job (the same row as in the list)."""
    status = processing.get_optimization_status(ref.department, ref.scenario)
    row = {"department": ref.department, "scenario": ref.scenario}
    row.update({key: status.get(key) for key in _SUMMARY_KEYS})
    progress = status.get("progress") or {}
    row.update(
        progress=progress.get("fraction"),
        stage=progress.get("stage"),
        elapsed_s=status.get("elapsed_s"),
        outdated=bool(status.get("outdated")),
    )
    return jsonable(row)


# ----------------------------------------------------------------------------------------- jobs


def start_job(
    ref: Scenario,
    response: Response,
    body: StartRequest | None = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Start an optimization: 202 with its ``job_id``; 409 with the running job's id.

    With an ``Idempotency-Key`` header a retried request returns the job the first one
    started (``Idempotent-Replayed: true``); the same key with another body is a 422.
    """
    payload = (body or StartRequest()).model_dump()
    if idempotency_key is None:
        started = _start(ref, payload)
    else:
        if not api_idempotency.valid_key(idempotency_key):
            raise Problem(
                400,
                "bad-idempotency-key",
                "Invalid Idempotency-Key",
                "the key must be 1 to 255 printable ASCII characters",
            )
        started = _start_idempotent(ref, payload, idempotency_key, response)
    response.headers["Location"] = _job_url(ref, started["job_id"])
    return jsonable(
        {
            **started,
            "department": ref.department,
            "scenario": ref.scenario,
            "url": _job_url(ref, started["job_id"]),
        }
    )


def _start(ref: ScenarioRef, payload: dict[str, Any]) -> dict[str, Any]:
    started = processing.start_optimization_async(
        ref.department, ref.scenario, time_limit_s=payload["time_limit_s"]
    )
    if started["already_running"]:
        raise Problem(
            409,
            "job-running",
            "A job is already running",
            f"job {started['job_id']} is {started['state']} on {ref.department}/{ref.scenario}",
            headers={"Location": _job_url(ref, started["job_id"])},
            job_id=started["job_id"],
            state=started["state"],
        )
    return {"job_id": started["job_id"], "state": started["state"]}


def _start_idempotent(
    ref: ScenarioRef, payload: dict[str, Any], key: str, response: Response
) -> dict[str, Any]:
    digest = api_idempotency.fingerprint(payload)
    with api_idempotency.claim(ref.token.token_id, ref.department, ref.scenario, key) as held:
        if held.replay is None:
            started = _start(ref, payload)
            held.record(started["job_id"], digest)
            return started
    if held.replay.fingerprint != digest:
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "this key was used for a request with another body",
            job_id=held.replay.job_id,
        )
    response.headers["Idempotent-Replayed"] = "true"
    return {"job_id": held.replay.job_id, "state": _job_state(ref, held.replay.job_id)}


def _job_state(ref: ScenarioRef, job_id: str) -> str | None:
    status = processing.get_optimization_status(ref.department, ref.scenario)
    if status.get("job_id") == job_id:
        return status["state"]
    earlier = _history_entry(ref, job_id)
    return earlier["state"] if earlier else None


def _history_entry(ref: ScenarioRef, job_id: str) -> dict[str, Any] | None:
    runs = processing.list_history(ref.department, ref.scenario)
    return next((_public(ref, run) for run in runs if run["job_id"] == job_id), None)


def _public(ref: ScenarioRef, run: dict[str, Any]) -> dict[str, Any]:
    run = {k: v for k, v in run.items() if k != "path"}  # no server paths to clients
    return {**run, "department": ref.department, "scenario": ref.scenario}


def current_job(ref: Scenario) -> dict[str, Any]:
    """The scenario's latest job as ``processing.py status`` prints it (``idle``: none yet)."""
    return jsonable(processing.get_optimization_status(ref.department, ref.scenario))


def list_scenario_jobs(ref: Scenario) -> list[dict[str, Any]]:
    """The latest job, then the earlier runs kept in history, newest first."""
    status = processing.get_optimization_status(ref.department, ref.scenario)
    rows = [] if status.get("job_id") is None else [status]
    for run in processing.list_history(ref.department, ref.scenario):
        if run["job_id"] != status.get("job_id"):
            rows.append(_public(ref, run))
    return jsonable(rows)


def get_job(ref: Scenario, job_id: str) -> dict[str, Any]:
    """The job's full status while it is the latest, its history summary after."""
    check_job_id(job_id)
    status = processing.get_optimization_status(ref.department, ref.scenario)
    if status.get("job_id") == job_id:
        return jsonable(status)
    earlier = _history_entry(ref, job_id)
    if earlier is None:
        raise Problem(
            404,
            "no-job",
            "No such job",
            f"no job {job_id!r} on {ref.department}/{ref.scenario} (history keeps the newest runs)",
        )
    return jsonable(earlier)


def cancel_job(ref: Scenario, job_id: str) -> dict[str, Any]:
    """Cancel: the job stops and its partial work is discarded (state ``cancelled``)."""
    return _stop(ref, job_id, finish=False)


def finish_job(ref: Scenario, job_id: str) -> dict[str, Any]:
    """Finish now: the engine stops early and the best result so far is kept (``succeeded``)."""
    return _stop(ref, job_id, finish=True)


def _stop(ref: ScenarioRef, job_id: str, *, finish: bool) -> dict[str, Any]:
    job = get_job(ref, job_id)  # 400 / 404 as for a GET
    if job.get("state") not in ACTIVE_STATES:
        raise Problem(
            409,
            "job-not-running",
            "The job is not running",
            f"job {job_id} is {job.get('state')}: nothing to {'finish' if finish else 'cancel'}",
            job_id=job_id,
            state=job.get("state"),
        )
    answer = processing.cancel_optimization(ref.department, ref.scenario, finish=finish)
    if answer.get("job_id") != job_id or not answer.get("requested"):
        # It ended (or another job took its place) between the check and the request.
        raise Problem(
            409,
            "job-not-running",
            "The job is not running",
            f"job {job_id} ended before the request reached it",
            job_id=job_id,
            state=_job_state(ref, job_id),
        )
    return jsonable(answer)


# -------------------------------------------------------------------------------------- results


def _succeeded_result(ref: ScenarioRef) -> dict[str, Any]:
    """The latest job's verified result, as ``processing.py result`` gives it, or a 404."""
    status = processing.get_optimization_status(ref.department, ref.scenario)
    if status["state"] != JobState.SUCCEEDED:
        error = status.get("error") or {}
        raise Problem(
            404,
            "no-result",
            "No result",
            error.get("message") or f"no result: job state is {status['state']}",
            job_id=status.get("job_id"),
            state=status["state"],
            error=error or None,
        )
    try:
        result = processing.load_optimization_result(ref.department, ref.scenario)
    except NoResultError as exc:
        raise Problem(404, "no-result", "No result", str(exc)) from None
    except ResultError as exc:
        raise Problem(500, "result-refused", "Result refused", str(exc)) from None
    return result


def get_result(ref: Scenario) -> dict[str, Any]:
    """The result table: one row per program with its status, reason and times."""
    result = _succeeded_result(ref)
    out_df = result.get("out_df")
    # pandas writes NaN as null and numpy numbers as JSON numbers: strict JSON out.
    rows = [] if out_df is None else json.loads(out_df.to_json(orient="records", force_ascii=False))
    return jsonable(
        {
            "success": bool(result.get("success")),
            "error": result.get("error"),
            "job_id": result.get("job_id"),
            "outdated": result["outdated"],
            "programs": rows,
        }
    )


def get_programs_zip(ref: Scenario) -> Response:
    """The new programs, one file per program, as a zip."""
    result = _succeeded_result(ref)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted((result.get("new_codes") or {}).items()):
            archive.writestr(name, encode_program(text))  # untouched bytes as they were
    filename = f"{ref.scenario}-{result.get('job_id')}.zip"
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
            "X-Job-Id": str(result.get("job_id")),
        },
    )
