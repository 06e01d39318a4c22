"""The evaluation sets' own text, for the fine-tuning data's decontamination (`clinicalgpt train data`).

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
