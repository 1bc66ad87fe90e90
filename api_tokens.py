"""Bearer tokens of the HTTP API: created, listed and revoked from the CLI, checked per request.

A token reads ``ncopt_<id>_<secret>``. Only a SHA-256 digest of the whole token is stored, in
``<data>/.ncopt/api_tokens.json`` (mode 0600), beside the id, its departments and a label: the
file cannot give a token back. A plain hash is enough (as GitHub stores its tokens) because the
secret is 32 random bytes, not a password a slow hash would have to protect against guessing.

    >>> token = ApiToken("ab12cd34", ("demo", "machining-2"), "2026-01-01T00:00:00+00:00", "")
    >>> token.covers("demo"), token.covers("other")
    (True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobstore import InputError, data_dir, flocked, read_json, utc_now, validate_name

__all__ = ["ApiToken", "authenticate", "create_token", "list_tokens", "revoke_token"]

TOKENS_FILE = "api_tokens.json"
_PREFIX = "ncopt_"
_DOMAIN = b"ncopt-api-token-v1\0"


@dataclass(frozen=True)
class ApiToken:
    """One token's record; the token itself is never kept."""

    token_id: str
    departments: tuple[str, ...]
    created_at: str
    label: str

    def covers(self, department: str) -> bool:
        return department in self.departments

    def to_dict(self) -> dict[str, Any]:
        return {
            "token_id": self.token_id,
            "departments": list(self.departments),
            "created_at": self.created_at,
            "label": self.label,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ApiToken:
        return cls(
            token_id=str(row["token_id"]),
            departments=tuple(row.get("departments") or ()),
            created_at=str(row.get("created_at") or ""),
            label=str(row.get("label") or ""),
        )


def _path() -> Path:
    folder = data_dir() / ".ncopt"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / TOKENS_FILE


def _digest(token: str) -> str:
    return hashlib.sha256(_DOMAIN + token.encode()).hexdigest()


def _read_rows(path: Path) -> list[dict[str, Any]]:
    payload = read_json(path) or {}
    return list(payload.get("tokens") or [])


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    # Written in place of jobstore.write_json_atomic because the file must be 0600 from its
    # first byte: digests are not tokens, but nobody else on the host needs to read them.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(json.dumps({"tokens": rows}, indent=1, ensure_ascii=False).encode())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def create_token(departments: list[str], label: str = "") -> tuple[str, ApiToken]:
    """A new token for ``departments`` (validated like the CLI's names); returns it once."""
    if not departments:
        raise InputError("a token needs at least one department")
    depts = tuple(dict.fromkeys(validate_name("department", d) for d in departments))
    path = _path()
    with flocked(path.with_name(f".{TOKENS_FILE}.lock")):
        rows = _read_rows(path)
        taken = {row["token_id"] for row in rows}
        token_id = secrets.token_hex(4)
        while token_id in taken:
            token_id = secrets.token_hex(4)
        token = f"{_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        record = ApiToken(token_id, depts, utc_now(), label)
        rows.append({**record.to_dict(), "sha256": _digest(token)})
        _write_rows(path, rows)
    _CACHE.clear()
    return token, record


def list_tokens() -> list[ApiToken]:
    return [ApiToken.from_dict(row) for row in _read_rows(_path())]


def revoke_token(token_id: str) -> bool:
    """Remove the token; False if there was none with that id."""
    path = _path()
    with flocked(path.with_name(f".{TOKENS_FILE}.lock")):
        rows = _read_rows(path)
        kept = [row for row in rows if row.get("token_id") != token_id]
        if len(kept) == len(rows):
            return False
        _write_rows(path, kept)
    _CACHE.clear()
    return True


# (path, mtime_ns, size, inode) -> {token_id: row}. A revoke from the CLI in another process
# replaces the file, which changes the inode, so the next request sees it.
_CACHE: dict[tuple[str, int, int, int], dict[str, dict[str, Any]]] = {}


def _rows_by_id() -> dict[str, dict[str, Any]]:
    path = _path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    rows = _CACHE.get(key)
    if rows is None:
        rows = {str(row.get("token_id")): row for row in _read_rows(path)}
        _CACHE.clear()
        _CACHE[key] = rows
    return rows


def authenticate(token: str) -> ApiToken | None:
    """The token's record if ``token`` is a valid, unrevoked token, else None."""
    if not token.startswith(_PREFIX):
        return None
    token_id, _, secret = token[len(_PREFIX) :].partition("_")
    row = _rows_by_id().get(token_id)
    if row is None or not secret:
        return None
    if not hmac.compare_digest(str(row.get("sha256")), _digest(token)):
        return None
    return ApiToken.from_dict(row)
