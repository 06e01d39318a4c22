"""Shipped evaluation tasks (one YAML per task, package data) and the validation of task files.

`list_tasks()` validates and returns every shipped task; `load_task(name_or_path)` takes a shipped task
name or the path of your own YAML; `validate_task_file(path)` checks a file without running anything.
Beyond the schema (`TaskConfig`, `extra="forbid"`), validation checks that the loader exists and produces
the task's family, that the loader's options are known, that `target` is a field of the family's item, that
the prompt uses only the placeholders the runner fills (never a gold field), that the modes fit the family,
and (once `eval.metrics` exists) that every metric is registered and applies to the family.
"""

from __future__ import annotations

import importlib.util
import string
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eval.errors import TaskConfigError, UnknownTaskError, did_you_mean
from eval.schema import ITEM_TYPES, Family
from eval.tasks.config import DatasetConfig, LeakageConfig, TaskConfig

__all__ = [
    "DatasetConfig",
    "LeakageConfig",
    "TaskConfig",
    "list_tasks",
    "load_task",
    "shipped_task_names",
    "validate_task",
    "validate_task_file",
]

#: Item fields that hold the gold answer: a prompt must never show them.
GOLD_FIELDS = frozenset(
    {"answer", "reference", "reference_urls", "diagnosis", "icd10", "differential", "relevant_ids", "relevant_urls"}
)
#: Placeholders a prompt may use per family: what `eval.modes.render_prompt` fills (`{context}`: the retrieved
#: passages, empty in closed mode; a prompt without it gets them in front in RAG mode).
PROMPT_FIELDS: dict[Family, frozenset[str]] = {
    "exam": frozenset({"question", "options", "context"}),
    "qa": frozenset({"question", "context"}),
    "consultation": frozenset({"dialogue", "target", "context"}),
    "diagnosis": frozenset({"record", "context"}),
    "retrieval": frozenset({"question", "context"}),
}


def _shipped_files() -> dict[str, Traversable]:
    folder = resources.files(__name__)
    return {f.name.removesuffix(".yaml"): f for f in folder.iterdir() if f.name.endswith(".yaml") and f.is_file()}


def shipped_task_names() -> list[str]:
    """Names of the shipped tasks (file stems), sorted; cheap (no validation)."""
    return sorted(_shipped_files())


def _unique_key_loader() -> Any:
    """A safe YAML loader that refuses duplicate keys (PyYAML would silently keep the last one)."""
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - the eval extra brings it
        msg = "task files are YAML: install the eval extra (`pip install 'clinicalgpt[eval]'`)"
        raise ImportError(msg) from exc

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in keys:
                msg = f"duplicate key `{key}` (keep one)"
                raise yaml.constructor.ConstructorError(None, None, msg, key_node.start_mark)
            keys.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return yaml, UniqueKeyLoader


def _read_yaml(source: Path | Traversable, shown: str) -> dict[str, Any]:
    yaml, loader = _unique_key_loader()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        msg = f"{shown}: task file not found"
        raise TaskConfigError(msg, path=shown) from exc
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{shown}: cannot read the task file ({exc}); save it as UTF-8 text"
        raise TaskConfigError(msg, path=shown) from exc
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        where, problem = "", str(exc)
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = exc.problem or problem
        msg = f"{shown}: invalid YAML{where}: {problem}"
        raise TaskConfigError(msg, path=shown, problems=[("", f"invalid YAML{where}: {problem}")]) from exc
    if not isinstance(data, dict):
        raise TaskConfigError.from_problems(shown, [("", "a task file must be a YAML mapping (name: …, version: …)")])
    return data


def _schema_problems(exc: ValidationError, data: dict[str, Any]) -> list[tuple[str, str]]:
    """One `(field, message)` per pydantic error; unknown keys get a did-you-mean from the model's fields."""
    from eval.datasets.base import flatten_validation_error

    problems = []
    for (field, msg), err in zip(flatten_validation_error(exc), exc.errors(), strict=True):
        if err["type"] == "extra_forbidden":
            model: Any = TaskConfig
            for part in err["loc"][:-1]:
                model = {"dataset": DatasetConfig, "leakage": LeakageConfig}.get(str(part), model)
            msg = f"unknown field{did_you_mean(str(err['loc'][-1]), model.model_fields)}"
        problems.append((field, msg))
    return problems


def _metric_families() -> dict[str, frozenset[str]] | None:
    """Registered metric name → families it applies to; None while `eval.metrics` does not exist (not checked)."""
    if importlib.util.find_spec("eval.metrics") is None:
        return None
    from eval.metrics import METRICS

    return {name: frozenset(spec.families) for name, spec in METRICS.items()}


def _option_problems(exc: ValidationError, known: list[str]) -> list[tuple[str, str]]:
    from eval.datasets.base import flatten_validation_error

    problems = []
    for (field, msg), err in zip(flatten_validation_error(exc, "dataset.options"), exc.errors(), strict=True):
        if err["type"] == "extra_forbidden":
            hint = did_you_mean(str(err["loc"][-1]), known)
            msg = f"unknown option{hint} (known: {', '.join(known) or 'none'})"
        problems.append((field, msg))
    return problems


def task_problems(task: TaskConfig) -> list[tuple[str, str]]:
    """What is wrong with a schema-valid task beyond its schema: `(field path, message)` pairs."""
    from eval.datasets import LOADER_INFO

    problems: list[tuple[str, str]] = []
    loader = task.dataset.loader
    info = LOADER_INFO.get(loader)
    if info is None:
        known = ", ".join(LOADER_INFO)
        problems.append(("dataset.loader", f"unknown loader `{loader}`{did_you_mean(loader, LOADER_INFO)} ({known})"))
    else:
        if task.family not in info.families:
            gives = "/".join(info.families)
            problems.append(("dataset.loader", f"`{loader}` gives {gives} items, not `{task.family}` items"))
        try:
            info.options.model_validate(dict(task.dataset.options))
        except ValidationError as exc:
            problems += _option_problems(exc, list(info.options.model_fields))
    fields = ITEM_TYPES[task.family].model_fields
    if task.target not in fields:
        hint = did_you_mean(task.target, fields)
        problems.append(("target", f"`{task.target}` is not a field of {task.family} items{hint}"))
    problems += _prompt_problems(task)
    if task.family == "retrieval" and task.modes != ["retrieval-only"]:
        problems.append(("modes", "retrieval tasks run only in mode `retrieval-only`"))
    problems += _metric_problems(task.metrics, task.family)
    return problems


def _prompt_problems(task: TaskConfig) -> list[tuple[str, str]]:
    allowed = PROMPT_FIELDS[task.family]
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(task.prompt) if f is not None}
    except ValueError as exc:
        return [("prompt", f"not a valid template ({exc}); write literal braces as {{{{ and }}}}")]
    problems = []
    for name in sorted(used):
        base = name.split(".")[0].split("[")[0]
        if base in GOLD_FIELDS:
            problems.append(("prompt", f"`{{{name}}}` would show the gold answer to the model"))
        elif base not in allowed:
            hint = did_you_mean(base, allowed)
            problems.append(
                ("prompt", f"unknown placeholder `{{{name}}}`{hint} (allowed: {', '.join(sorted(allowed))})")
            )
    return problems


def _metric_problems(metrics: list[str], family: str | None) -> list[tuple[str, str]]:
    known = _metric_families()
    if known is None:
        return []
    problems = []
    for i, metric in enumerate(metrics):
        if metric not in known:
            hint = did_you_mean(metric, known)
            problems.append((f"metrics[{i}]", f"unknown metric `{metric}`{hint} (known: {', '.join(sorted(known))})"))
        elif family is not None and family not in known[metric]:
            only = ", ".join(sorted(known[metric]))
            problems.append((f"metrics[{i}]", f"`{metric}` does not apply to {family} tasks (only {only})"))
    return problems


def _raw_problems(data: dict[str, Any], flagged: set[str]) -> list[tuple[str, str]]:
    """Loader and metric names checked on the raw mapping, so a file with schema errors still lists them all."""
    from eval.datasets import LOADER_INFO

    problems: list[tuple[str, str]] = []
    dataset = data.get("dataset")
    loader = dataset.get("loader") if isinstance(dataset, dict) else None
    if isinstance(loader, str) and loader not in LOADER_INFO and "dataset.loader" not in flagged:
        known = ", ".join(LOADER_INFO)
        problems.append(("dataset.loader", f"unknown loader `{loader}`{did_you_mean(loader, LOADER_INFO)} ({known})"))
    metrics = data.get("metrics")
    if isinstance(metrics, list) and all(isinstance(m, str) for m in metrics):
        family = data.get("family") if "family" not in flagged and isinstance(data.get("family"), str) else None
        problems += _metric_problems(metrics, family)
    return problems


def validate_task(task: TaskConfig, source: str = "<task>") -> TaskConfig:
    """Check a task built in code as a task file would be checked; `TaskConfigError` lists every problem."""
    problems = task_problems(task)
    if problems:
        raise TaskConfigError.from_problems(source, problems)
    return task


def _validate(source: Path | Traversable, shown: str) -> TaskConfig:
    data = _read_yaml(source, shown)
    try:
        task = TaskConfig.model_validate(data)
    except ValidationError as exc:
        problems = _schema_problems(exc, data)
        problems += _raw_problems(data, {field for field, _ in problems})
        raise TaskConfigError.from_problems(shown, problems) from exc
    return validate_task(task, shown)


def validate_task_file(path: str | Path) -> TaskConfig:
    """Read and fully validate one task YAML; `TaskConfigError` names the file, each field path and the fix."""
    return _validate(Path(path).expanduser(), str(path))


def list_tasks() -> list[TaskConfig]:
    """Every shipped task, validated, sorted by name (a broken shipped file raises `TaskConfigError`)."""
    tasks = []
    for stem, source in sorted(_shipped_files().items()):
        task = _validate(source, f"eval/tasks/{source.name}")
        if task.name != stem:
            msg = f"shipped task file is named `{stem}` but says `name: {task.name}`; they must match"
            raise TaskConfigError.from_problems(f"eval/tasks/{source.name}", [("name", msg)])
        tasks.append(task)
    return tasks


def _looks_like_path(value: str) -> bool:
    return value.endswith((".yaml", ".yml")) or "/" in value or "\\" in value


def load_task(name_or_path: str) -> TaskConfig:
    """A shipped task by name (`mirage-medqa`) or your own task file by path (`./my-task.yaml`)."""
    if _looks_like_path(name_or_path):
        return validate_task_file(name_or_path)
    files = _shipped_files()
    if name_or_path not in files:
        raise UnknownTaskError(name_or_path, files)
    source = files[name_or_path]
    return _validate(source, f"eval/tasks/{source.name}")
