"""What the evaluation package hands the fine-tuning data builder: eval texts (decontamination) and the
consultation tasks' training splits, rendered with the evaluation's own prompt."""

from __future__ import annotations

from pathlib import Path

from eval.contamination import consultation_training_items, evaluation_texts
from eval.datasets import load_items
from eval.modes import render_prompt
from eval.tasks import load_task

EVAL_DATA = Path(__file__).parent.parent / "data" / "eval"


def test_evaluation_texts_cover_every_task_or_say_it_was_not_checked() -> None:
    texts = list(evaluation_texts(EVAL_DATA))
    tasks = {task for task, _ in texts}
    assert {"mts-dialog", "mirage-medqa", "medquad-heldout"} <= tasks
    mts_test = {item.dialogue for item in load_items(load_task("mts-dialog"), EVAL_DATA)}
    assert mts_test <= {text for task, text in texts if task == "mts-dialog"}


def test_consultation_training_items_use_the_train_split_in_the_eval_prompt() -> None:
    items = [i for i in consultation_training_items(EVAL_DATA) if i["source"] == "mts-dialog"]
    assert [i["id"] for i in items] == ["mts-dialog:train-0", "mts-dialog:train-1"]
    task = load_task("mts-dialog")
    assert "history of present illness" in items[0]["prompt"] and "productive cough" in items[0]["target"]
    test_dialogues = {item.dialogue for item in load_items(task, EVAL_DATA)}
    assert not any(any(d in i["prompt"] for d in test_dialogues) for i in items)
    # Exactly the prompt the evaluation renders for a consultation item.
    train_task = task.model_copy(update={"dataset": task.dataset.model_copy(update={"options": {"splits": ["train"]}})})
    first = load_items(train_task, EVAL_DATA)[0]
    assert items[0]["prompt"] == render_prompt(task, first)


def test_diagnosis_items_are_synthetic_patients_in_the_eval_prompt() -> None:
    from eval.contamination import DDX_PATIENTS_PER_CONDITION, diagnosis_training_items
    from eval.schema import DiagnosisItem

    items = list(diagnosis_training_items(EVAL_DATA))
    assert items and all(i["kind"] == "diagnosis" for i in items)
    task = load_task("ddxplus")
    test_records = {item.record for item in load_items(task, EVAL_DATA)}
    names = {line.split("\n")[0] for line in (i["target"] for i in items)}
    assert len(items) == DDX_PATIENTS_PER_CONDITION * len(names)  # every condition, the same number each
    for item in items:
        assert item["record"] not in test_records  # generated, never a test patient
        differential = item["target"].split("\n")
        assert 1 < len(differential) <= 5 and len(set(differential)) == len(differential)
        rendered = DiagnosisItem(id="x", record=item["record"], diagnosis=differential[0])
        assert item["prompt"] == render_prompt(task, rendered)
    again = list(diagnosis_training_items(EVAL_DATA))
    assert [i["record"] for i in again] == [i["record"] for i in items]  # seeded
