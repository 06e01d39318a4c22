"""Errors of the evaluation layer.

Each one also subclasses the matching builtin (house rule 8), so `except ValueError` / `except KeyError`
in callers keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from knowledge.errors import ClinicalAssistantError


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`"; did you mean `x`?"` for the closest of `choices`, or `""` when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean `{close[0]}`?" if close else ""


class EvalError(ClinicalAssistantError):
    """Something is wrong with an evaluation task, its data or a run."""


class TaskConfigError(EvalError, ValueError):
    """A task file cannot be used: unreadable YAML, unknown fields, unknown loader/target/metric.

    `str()` is one line per problem, each `<file>: `<field path>`: <message>`.
    """

    def __init__(self, message: str, *, path: str | None = None, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.path = path
        self.problems: list[tuple[str, str]] = problems or []

    @classmethod
    def from_problems(cls, path: str, problems: list[tuple[str, str]]) -> TaskConfigError:
        """Build the error from `(field path, message)` pairs found in one file."""
        lines = [f"{path}: `{field}`: {message}" if field else f"{path}: {message}" for field, message in problems]
        return cls("\n".join(lines), path=path, problems=problems)


class UnknownTaskError(EvalError, KeyError):
    """A task name that is neither a shipped task nor a task file."""

    def __init__(self, name: str, known: Iterable[str]):
        known = sorted(known)
        hint = did_you_mean(name, known) or "."
        msg = (
            f"unknown task `{name}`{hint} Run `clinicalgpt eval ls` for the shipped tasks, or pass the path of "
            "your own task YAML."
        )
        super().__init__(msg)
        self.name = name
        self.known = known

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DatasetError(EvalError, ValueError):
    """A task's data cannot be read at all (missing folder or file, unreadable format, no usable record).

    Single bad records never raise: they are skipped and counted in the load report.
    """


class LeakageError(EvalError, ValueError):
    """The knowledge base holds a source that contains the task's own gold answers or contexts."""
