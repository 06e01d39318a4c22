"""Evaluation layer: measures the assistant; nothing below imports it.

    from eval import load_task, run, build_report
    result = run("mirage-medqa", mode="closed", limit=5)
    print(result.summary["metrics"]["accuracy"])
    build_report([result.run_dir], result.run_dir)

Names are imported on first use, so `import eval…` loads no model library (house rule 6).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.errors import EvalError, LeakageError, TaskConfigError, UnknownTaskError
    from eval.report import Report, build_report
    from eval.runner import RunHeader, RunResult, run
    from eval.schema import Item, ItemResult
    from eval.tasks import list_tasks, load_task
    from eval.tasks.config import TaskConfig

_LAZY = {
    "EvalError": "eval.errors",
    "Item": "eval.schema",
    "ItemResult": "eval.schema",
    "LeakageError": "eval.errors",
    "Report": "eval.report",
    "RunHeader": "eval.runner",
    "RunResult": "eval.runner",
    "TaskConfig": "eval.tasks.config",
    "TaskConfigError": "eval.errors",
    "UnknownTaskError": "eval.errors",
    "build_report": "eval.report",
    "list_tasks": "eval.tasks",
    "load_task": "eval.tasks",
    "run": "eval.runner",
}

__all__ = [
    "EvalError",
    "Item",
    "ItemResult",
    "LeakageError",
    "Report",
    "RunHeader",
    "RunResult",
    "TaskConfig",
    "TaskConfigError",
    "UnknownTaskError",
    "build_report",
    "list_tasks",
    "load_task",
    "run",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'eval' has no attribute {name!r}"
    raise AttributeError(msg)
