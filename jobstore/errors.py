"""The job layer's errors: one small hierarchy, each a message a user can act on."""

from __future__ import annotations

__all__ = ["DamagedRecordError", "InputError", "JobError", "NoResultError", "ResultError"]


class JobError(Exception):
    """Base of the job layer's errors (CLI exit 1)."""


class InputError(JobError):
    """Bad input from the caller: an unsafe name, a missing scenario, a bad limit (CLI exit 2)."""


class ResultError(JobError):
    """A result that is missing, unsigned, tampered, foreign or another scenario's."""


class NoResultError(ResultError):
    """No run of the scenario has left a result yet."""


class DamagedRecordError(JobError):
    """A job file that cannot be read as its record: not JSON, the wrong shape, not a file."""
