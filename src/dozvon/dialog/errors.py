"""Errors a scenario author sees: each names the file, the line and the step, in Russian first."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario file that cannot run; the message says where and what was expected."""

    def __init__(self, file: str, line: int | None, message: str, step: str | None = None) -> None:
        self.file = file
        self.line = line
        self.step = step
        self.message = message
        where = f"{file}:{line}" if line is not None else file
        prefix = f"{where}: {step}: " if step else f"{where}: "
        super().__init__(prefix + message)


class ScenarioErrors(ValueError):
    """Every problem found in one file, so an author fixes them in one pass."""

    def __init__(self, errors: list[ScenarioError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class TemplateFailure(RuntimeError):
    """A template that failed while rendering (a missing value, a refused operation)."""


class NotAllowed(RuntimeError):
    """The core rules forbid running this scenario for this person on this channel."""


class DataError(ValueError):
    """The data given to a scenario lacks what the scenario requires."""
