"""The engine's error hierarchy: a user sees what is wrong and where, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GCodeError",
    "GCodeIssue",
    "MachineConfigError",
    "NcError",
    "ScenarioError",
    "ScenarioFolderError",
    "ScenarioIssue",
]


class NcError(Exception):
    """Base class of every error the engine raises on purpose."""


@dataclass(frozen=True)
class GCodeIssue:
    """One problem in an NC program: 1-based line and column, the offending text."""

    line_no: int
    column: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line_no}, column {self.column}: {self.message} ({self.text!r})"


class GCodeError(NcError):
    """An NC program could not be understood; ``issues`` lists every problem found."""

    def __init__(self, issues: list[GCodeIssue] | GCodeIssue, program: str = "") -> None:
        self.issues = [issues] if isinstance(issues, GCodeIssue) else list(issues)
        self.program = program
        first = self.issues[0] if self.issues else None
        self.line_no = first.line_no if first else 0
        self.column = first.column if first else 0
        self.text = first.text if first else ""
        prefix = f"{program}: " if program else ""
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(f"{prefix}{first}{more}" if first else f"{prefix}invalid NC program")


@dataclass(frozen=True)
class ScenarioIssue:
    """One problem in a scenario spreadsheet: sheet name, 1-based Excel row, column header."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"sheet {self.sheet!r}"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class ScenarioError(NcError):
    """A scenario spreadsheet is invalid; ``issues`` lists every problem with its place."""

    def __init__(self, issues: list[ScenarioIssue] | ScenarioIssue) -> None:
        self.issues = [issues] if isinstance(issues, ScenarioIssue) else list(issues)
        first = self.issues[0] if self.issues else None
        self.sheet = first.sheet if first else ""
        self.row = first.row if first else None
        self.column = first.column if first else None
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(f"{first}{more}" if first else "invalid scenario")


class MachineConfigError(NcError):
    """Machine parameters are invalid; ``problems`` maps each bad key to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{key}: {msg}" for key, msg in self.problems.items()))


class ScenarioFolderError(NcError):
    """A scenario folder cannot be created or used: a bad name, or it exists already."""
