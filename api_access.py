"""What every API route shares: problem responses (RFC 9457), bearer-token access, safe JSON.

No streamlit and no FastAPI app here, so the events module and the routes module both use it
without importing each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import JSONResponse

import api_tokens
from jobstore import InputError, scenario_dir, validate_name

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://ncopt.invalid/problems/"  # a namespace, not a page (RFC 9457 §3.1.1)


class Problem(Exception):
    """An error the API answers with ``application/problem+json``."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    def response(self, instance: str | None = None) -> JSONResponse:
        body = {
            "type": PROBLEM_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **jsonable(self.extensions),
        }
        if instance:
            body["instance"] = instance
        return JSONResponse(
            body, status_code=self.status, headers=self.headers, media_type=PROBLEM_MEDIA_TYPE
        )


@dataclass(frozen=True)
class ScenarioRef:
    """A scenario the caller may use: names valid, inside the token's departments, existing."""

    department: str
    scenario: str
    folder: Path
    token: api_tokens.ApiToken


def caller_token(authorization: str | None) -> api_tokens.ApiToken:
    """The token of an ``Authorization: Bearer …`` header, or a 401 problem."""
    challenge = {"WWW-Authenticate": 'Bearer realm="ncopt"'}
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Problem(
            401,
            "unauthorized",
            "Missing token",
            "send 'Authorization: Bearer <token>'; create one with "
            "'python processing.py token create DEPT'",
            headers=challenge,
        )
    token = api_tokens.authenticate(value.strip())
    if token is None:
        raise Problem(
            401,
            "unauthorized",
            "Invalid token",
            "the token is unknown or was revoked",
            # RFC 6750 §3: the error code tells a client not to retry with the same token.
            headers={"WWW-Authenticate": 'Bearer realm="ncopt", error="invalid_token"'},
        )
    return token


def check_department(token: api_tokens.ApiToken, department: str) -> None:
    """400 for an unsafe name (the CLI's message), 403 outside the token's departments."""
    try:
        validate_name("department", department)
    except InputError as exc:
        raise Problem(400, "bad-name", "Invalid name", str(exc)) from None
    if not token.covers(department):
        raise Problem(
            403,
            "forbidden",
            "Department not covered by this token",
            f"token {token.token_id} covers {', '.join(token.departments)}, not {department!r}",
        )


def scenario_ref(authorization: str | None, department: str, scenario: str) -> ScenarioRef:
    """Check the token, the names and the scenario in this order: 401, 400, 403, 404.

    Names are checked before access so a bad name gets its own message; existence last, so a
    token sees nothing of departments outside its own, not even which scenarios exist.
    """
    token = caller_token(authorization)
    check_department(token, department)
    try:
        validate_name("scenario", scenario)
    except InputError as exc:
        raise Problem(400, "bad-name", "Invalid name", str(exc)) from None
    try:
        folder = scenario_dir(department, scenario)
    except InputError as exc:
        raise Problem(404, "no-scenario", "No such scenario", str(exc)) from None
    return ScenarioRef(department, scenario, folder, token)


def check_job_id(job_id: str) -> str:
    try:
        return validate_name("job id", job_id)
    except InputError as exc:
        raise Problem(400, "bad-name", "Invalid job id", str(exc)) from None


def jsonable(value: Any) -> Any:
    """``value`` with NaN/±inf as null and numpy scalars as Python numbers (strict JSON).

    >>> jsonable({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
