"""Shipped task files and the validation of task files (schema, loader, target, prompt, modes, metrics)."""

from __future__ import annotations

from pathlib import Path

import pytest

import eval.tasks as tasks_module
from eval.datasets import LOADERS
from eval.errors import EvalError, TaskConfigError, UnknownTaskError
from eval.schema import ITEM_TYPES
from eval.tasks import list_tasks, load_task, shipped_task_names, validate_task, validate_task_file
from eval.tasks.config import DatasetConfig, TaskConfig
from knowledge.errors import ClinicalAssistantError

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "eval"

SHIPPED = {
    "aci-bench",
    "covid-dialogue",
    "ddxplus",
    "liveqa-2017",
    "medfound-dx",
    "medicationqa",
    "mediqa-2019-qa",
    "medquad-heldout",
    "mirage-bioasq",
    "mirage-medmcqa",
    "mirage-medqa",
    "mirage-mmlu",
    "mirage-pubmedqa",
    "mmlu-medical",
    "mts-dialog",
    "retrieval-liveqa",
    "retrieval-medicationqa",
    "retrieval-mediqa",
    "retrieval-medquad",
    "retrieval-medquad-patient",
}

GOOD = """\
name: my-task
version: 1
family: exam
description: test
dataset:
  path: en/mirage/benchmark.json
  loader: mirage
  options:
    subset: medqa
prompt: "{question}\\n{options}"
target: answer
metrics: [accuracy]
"""


def write(tmp_path: Path, text: str, name: str = "task.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(TaskConfigError) as info:
        validate_task_file(path)
    assert all(line.startswith(f"{path}: ") for line in str(info.value).splitlines())
    return info.value.problems


# -- shipped tasks -------------------------------------------------------------------------------------
def test_every_shipped_task_validates() -> None:
    tasks = list_tasks()
    names = [t.name for t in tasks]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert set(names) == SHIPPED and shipped_task_names() == names
    for task in tasks:
        assert task.version == 1 and task.dataset.loader in LOADERS
        assert task.target in ITEM_TYPES[task.family].model_fields
        assert task.description.strip() and task.metrics


def test_shipped_leakage_and_baselines() -> None:
    tasks = {t.name: t for t in list_tasks()}
    assert tasks["mirage-pubmedqa"].leakage.forbidden_sources == ["pubmedqa"]
    assert tasks["mirage-bioasq"].leakage.forbidden_sources == ["bioasq"]
    open_book = {n for n, t in tasks.items() if t.leakage.open_book_sources == ["medquad"]}
    assert open_book == {
        "liveqa-2017",
        "mediqa-2019-qa",
        "medicationqa",
        "medquad-heldout",
        "retrieval-liveqa",
        "retrieval-mediqa",
        "retrieval-medicationqa",
        "retrieval-medquad",
        "retrieval-medquad-patient",
    }
    with_baselines = {n for n, t in tasks.items() if t.published}
    assert with_baselines == {n for n in tasks if n.startswith("mirage-")}
    for name in with_baselines:
        assert "predictions_gpt35_gpt4_cot_rag32.jsonl.gz" in tasks[name].description
        assert all(0 < v < 1 for v in tasks[name].published.values())
    for task in tasks.values():
        if task.default_limit is not None:
            assert task.default_limit == 500 and "seeded sample" in task.description


def test_load_task_by_name_and_path() -> None:
    assert load_task("mirage-medqa").dataset.options == {"subset": "medqa"}
    mine = load_task(str(FIXTURES / "user/my-qa.yaml"))
    assert mine.name == "my-qa" and mine.dataset.loader == "jsonl"


def test_unknown_task_suggests_the_closest() -> None:
    with pytest.raises(UnknownTaskError) as info:
        load_task("mirage-medq")
    err = info.value
    assert isinstance(err, KeyError) and isinstance(err, EvalError) and isinstance(err, ClinicalAssistantError)
    assert str(err).startswith("unknown task `mirage-medq`; did you mean `mirage-medqa`?")
    assert not str(err).startswith("'")
    with pytest.raises(UnknownTaskError, match=r"unknown task `zzzz`\. Run"):
        load_task("zzzz")


# -- task-file errors ----------------------------------------------------------------------------------
def test_good_file_validates(tmp_path: Path) -> None:
    assert validate_task_file(write(tmp_path, GOOD)).name == "my-task"


def test_typo_in_field_names_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("prompt:", "promt:"))
    problems = problems_of(path)
    assert ("promt", "unknown field; did you mean `prompt`?") in problems
    assert ("prompt", "Field required") in problems
    nested = write(tmp_path, GOOD.replace("  loader: mirage", "  loder: mirage"), "nested.yaml")
    assert ("dataset.loder", "unknown field; did you mean `loader`?") in problems_of(nested)


def test_unknown_loader(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("loader: mirage", "loader: mirag"))
    [(field, msg)] = problems_of(path)
    assert field == "dataset.loader" and "unknown loader `mirag`; did you mean `mirage`?" in msg


def test_loader_for_another_family(tmp_path: Path) -> None:
    text = GOOD.replace("loader: mirage", "loader: medfound").replace("  options:\n    subset: medqa\n", "")
    path = write(tmp_path, text)
    [(field, msg)] = problems_of(path)
    assert field == "dataset.loader" and "gives diagnosis items, not `exam`" in msg


def test_unknown_target_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("target: answer", "target: answr"))
    [(field, msg)] = problems_of(path)
    assert field == "target" and "`answr` is not a field of exam items; did you mean `answer`?" in msg


def test_loader_options_are_checked(tmp_path: Path) -> None:
    typo = write(tmp_path, GOOD.replace("subset: medqa", "subsett: medqa"))
    problems = dict(problems_of(typo))
    assert problems["dataset.options.subsett"].startswith("unknown option; did you mean `subset`?")
    assert problems["dataset.options.subset"] == "Field required"
    bad_value = write(tmp_path, GOOD.replace("subset: medqa", "subset: pubmed"), "value.yaml")
    [(field, msg)] = problems_of(bad_value)
    assert field == "dataset.options.subset" and "pubmedqa" in msg


def test_prompt_placeholders(tmp_path: Path) -> None:
    leak = write(tmp_path, GOOD.replace('"{question}\\n{options}"', '"{question} {answer}"'))
    assert problems_of(leak) == [("prompt", "`{answer}` would show the gold answer to the model")]
    unknown = write(tmp_path, GOOD.replace('"{question}\\n{options}"', '"{questoin}"'), "unknown.yaml")
    [(field, msg)] = problems_of(unknown)
    assert field == "prompt" and "did you mean `question`?" in msg
    braces = write(tmp_path, GOOD.replace('"{question}\\n{options}"', '"{question"'), "braces.yaml")
    assert problems_of(braces)[0][0] == "prompt"


def test_retrieval_tasks_run_retrieval_only(tmp_path: Path) -> None:
    text = GOOD.replace("family: exam", "family: retrieval").replace("loader: mirage", "loader: liveqa")
    text = text.replace("  options:\n    subset: medqa\n", "").replace("target: answer", "target: relevant_urls")
    text = text.replace('"{question}\\n{options}"', '"{question}"').replace("[accuracy]", "[mrr]")
    assert validate_task_file(write(tmp_path, text + "modes: [retrieval-only]\n")).family == "retrieval"
    assert [f for f, _ in problems_of(write(tmp_path, text + "modes: [closed]\n", "closed.yaml"))] == ["modes"]
    # Other families may list retrieval-only (the option best supported by the passages, the top passage, …).
    assert validate_task_file(write(tmp_path, GOOD + "modes: [closed, retrieval-only]\n", "exam.yaml"))


def test_metrics_checked_against_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = {"accuracy": frozenset({"exam"}), "rouge": frozenset({"qa", "consultation"})}
    monkeypatch.setattr(tasks_module, "_metric_families", lambda: registry)
    path = write(tmp_path, GOOD.replace("metrics: [accuracy]", "metrics: [acuracy, rouge]"))
    problems = dict(problems_of(path))
    assert problems["metrics[0]"].startswith("unknown metric `acuracy`; did you mean `accuracy`?")
    assert problems["metrics[1]"] == "`rouge` does not apply to exam tasks (only consultation, qa)"
    # Metric names are checked even when the schema fails elsewhere, so one run lists every problem.
    both = write(tmp_path, GOOD.replace("metrics: [accuracy]", "metrics: [acuracy]") + "promt_extra: x\n", "b.yaml")
    assert [f for f, _ in problems_of(both)] == ["promt_extra", "metrics[0]"]
    # Without `eval.metrics`, names are not checked.
    monkeypatch.setattr(tasks_module, "_metric_families", lambda: None)
    assert validate_task_file(path).metrics == ["acuracy", "rouge"]


def test_every_problem_on_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("target: answer", "target: answr").replace("loader: mirage", "loader: x"))
    with pytest.raises(TaskConfigError) as info:
        validate_task_file(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2 and {line.split("`")[1] for line in lines} == {"dataset.loader", "target"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [unclosed\n", r"invalid YAML at line 2"),
        ("- just\n- a list\n", r"must be a YAML mapping"),
        (GOOD + "version: 2\n", r"invalid YAML at line 13, column 1: duplicate key `version`"),
        (GOOD.replace("version: 1", "version: 0"), r"`version`: Input should be greater than or equal to 1"),
    ],
)
def test_unreadable_task_files(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TaskConfigError, match=expected) as info:
        validate_task_file(path)
    assert str(path) in str(info.value) and isinstance(info.value, ValueError)


def test_missing_task_file(tmp_path: Path) -> None:
    with pytest.raises(TaskConfigError, match="task file not found"):
        load_task(str(tmp_path / "nope.yaml"))


def test_validate_task_built_in_code() -> None:
    task = TaskConfig(
        name="coded",
        version=1,
        family="retrieval",
        description="d",
        dataset=DatasetConfig(path="x.jsonl", loader="jsonl"),
        prompt="{question}",
        target="relevant_urls",
        metrics=["mrr"],
        modes=["retrieval-only"],
    )
    assert validate_task(task) is task
    with pytest.raises(TaskConfigError, match=r"<task>: `modes`"):
        validate_task(task.model_copy(update={"modes": ["closed"]}))
