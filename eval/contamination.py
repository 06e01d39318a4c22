"""What the fine-tuning data needs from the evaluation package (`clinicalgpt train data`): the evaluation sets'
own text, for decontamination, and the consultation tasks' training splits in their own prompt.

`model.train` may not import `eval` (layers: knowledge → rag → model → eval), so it asks for these texts
through the `clinicalgpt.eval_texts` entry point, which this module registers (as `eval` registers its CLI
group). Every shipped task's items, all of them (no sample), give their question, options, reference answer,
dialogue or record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from eval.datasets import load_items
from eval.errors import EvalError
from eval.schema import ConsultationItem, DiagnosisItem, MCItem, QAItem, RetrievalItem
from eval.tasks import list_tasks

logger = logging.getLogger(__name__)


def evaluation_texts(data_dir: Path | None) -> Iterator[tuple[str, str]]:
    """`(task name, text)` for every text of every shipped task's items; a task whose data is missing is
    reported as `(task name, "")` once, so the caller can say it was not checked."""
    for task in list_tasks():
        try:
            items = load_items(task, data_dir)
        except EvalError as exc:
            logger.warning("decontamination: task %s not checked (%s)", task.name, exc)
            yield task.name, ""
            continue
        for item in items:
            if isinstance(item, MCItem):
                yield task.name, item.question + "\n" + "\n".join(item.options.values())
            elif isinstance(item, QAItem):
                yield task.name, item.question
                yield task.name, item.reference
            elif isinstance(item, ConsultationItem):
                yield task.name, item.dialogue
                yield task.name, item.reference
            elif isinstance(item, DiagnosisItem):
                yield task.name, item.record
            elif isinstance(item, RetrievalItem):
                yield task.name, item.question


#: The consultation tasks whose training splits `train data` may use, with the split names of their loaders.
TRAINING_SPLITS = {"mts-dialog": ["train"], "aci-bench": ["train"]}


def consultation_training_items(data_dir: Path | None) -> Iterator[dict[str, str]]:
    """Training-split consultations rendered with their task's own prompt, for `train data`.

    Registered under `clinicalgpt.train_items`: the adapter learns on exactly the prompt the evaluation asks
    (`eval.modes.render_prompt`), from the splits the evaluation never scores. Each item: `id`, `prompt`,
    `target` (the reference note or section), `source`, `licence`.
    """
    from eval.modes import render_prompt
    from eval.tasks import load_task

    licences = {"mts-dialog": "CC BY 4.0", "aci-bench": "CC BY 4.0"}
    for name, splits in TRAINING_SPLITS.items():
        task = load_task(name)
        train_task = task.model_copy(
            update={"dataset": task.dataset.model_copy(update={"options": {**task.dataset.options, "splits": splits}})}
        )
        try:
            items = load_items(train_task, data_dir)
        except EvalError as exc:
            logger.warning("consultation training items: %s skipped (%s)", name, exc)
            continue
        for item in items:
            if isinstance(item, ConsultationItem):
                yield {
                    "id": f"{name}:{item.id}",
                    "prompt": render_prompt(task, item),
                    "target": item.reference,
                    "source": name,
                    "licence": licences[name],
                }
