"""Data for the pages, read and reshaped here so the pages stay thin. No streamlit import."""

from __future__ import annotations

import difflib
import io
import zipfile
from typing import Any

import pandas as pd

import processing
from ncopt.gcode import encode_program

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
TOTAL_COLUMNS = ("cycle_time_old_s", "cycle_time_new_s", "saving_s", "hours_saved_per_year")


def scenario_rows() -> list[dict[str, Any]]:
    """Every scenario of the data dir with its latest job (``processing.list_jobs``)."""
    return processing.list_jobs()


def _openable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A folder the rules refuse (``Plate 2`` made on the share) is listed with its reason on
    # the Scenarios page but never offered: selecting it could only fail.
    return [r for r in rows if r.get("state") != processing.INVALID and r.get("scenario")]


def departments(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({r["department"] for r in _openable(rows)})


def scenarios_of(rows: list[dict[str, Any]], department: str) -> list[str]:
    return sorted(r["scenario"] for r in _openable(rows) if r["department"] == department)


def badge(row: dict[str, Any]) -> tuple[str, float | None]:
    """(state, progress fraction or None); ``outdated`` replaces a stale ``succeeded``."""
    state = row.get("state") or "idle"
    if state == "succeeded" and row.get("outdated"):
        return "outdated", None
    return state, row.get("progress") if state == "running" else None


def rename_scenario(department: str, scenario: str, new_name: str) -> None:
    """Rename within the department: under the scenario lock, refused while a job is active."""
    processing.rename_scenario(department, scenario, new_name)


def delete_scenario(department: str, scenario: str) -> None:
    processing.delete_scenario(department, scenario)


def totals(out_df: pd.DataFrame) -> dict[str, float]:
    """Sums over the programs: cycle time before/after, saving and its %, hours per year."""
    sums = {
        c: float(pd.to_numeric(out_df[c], errors="coerce").fillna(0).sum())
        for c in TOTAL_COLUMNS
        if c in out_df
    }
    old = sums.get("cycle_time_old_s", 0.0)
    sums["saving_pct"] = 100.0 * sums.get("saving_s", 0.0) / old if old else 0.0
    return sums


def programs_zip(new_codes: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(new_codes.items()):
            archive.writestr(name, encode_program(text))
    return buffer.getvalue()


def report_xlsx(out_df: pd.DataFrame, job_id: str | None) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        out_df.to_excel(writer, sheet_name="programs", index=False)
        pd.DataFrame([{"job_id": job_id, **totals(out_df)}]).to_excel(
            writer, sheet_name="totals", index=False
        )
    return buffer.getvalue()


def code_diff(old: str, new: str, name: str, max_lines: int = 400) -> str:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"{name} (old)", f"{name} (new)", lineterm="", n=1
    )
    out = []
    for i, line in enumerate(lines):
        if i >= max_lines:
            out.append(f"... (diff cut at {max_lines} lines)")
            break
        out.append(line)
    return "\n".join(out)
