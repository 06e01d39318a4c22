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
from typing import Any

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
    (`eval.modes.render_prompt`), from the splits the evaluation never scores. Each item: `kind`, `id`,
    `prompt`, `target` (the reference note or section), `source`, `licence`.
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
                    "kind": "consultation",
                    "id": f"{name}:{item.id}",
                    "prompt": render_prompt(task, item),
                    "target": item.reference,
                    "source": name,
                    "licence": licences[name],
                }


#: Synthetic DDXPlus patients per condition, and how likely each of the condition's findings is included.
DDX_PATIENTS_PER_CONDITION = 8
DDX_SYMPTOM_RATE = 0.6
DDX_ANTECEDENT_RATE = 0.4
DDX_DIFFERENTIAL = 5


def diagnosis_training_items(data_dir: Path | None, *, seed: int = 0) -> Iterator[dict[str, str]]:
    """Synthetic patients generated from the DDXPlus condition definitions (never the test patients), rendered
    as the evaluation renders a record and asked with its own prompt; registered under `clinicalgpt.train_items`.

    Method, per condition and patient (seeded): age uniform 18–80 and sex at random (the definitions give no
    priors); each of the condition's symptoms kept with probability `DDX_SYMPTOM_RATE` (at least two) and each
    antecedent with `DDX_ANTECEDENT_RATE`; a finding asked only after another (`code_question`) only when that
    one is kept; a categorical or multi-choice finding gets one of its possible values at random; the reason
    for consulting is one kept symptom. The target differential is the condition itself, then the conditions
    whose definitions share the most kept findings (Jaccard overlap of finding codes), up to five names, one
    per line, as the prompt asks. `record` is returned too: records share their sentence template with the
    test patients, so decontamination compares them whole.
    """
    import ast
    import json
    import random

    from eval.modes import render_prompt
    from eval.schema import DiagnosisItem
    from eval.tasks import load_task
    from knowledge.ddxplus import ddxplus_record

    task = load_task("ddxplus")
    folder = (Path(data_dir) if data_dir else Path()) / Path(task.dataset.path).parent
    try:
        conditions = json.loads((folder / "release_conditions.json").read_text(encoding="utf-8"))
        evidences = json.loads((folder / "release_evidences.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        logger.warning("diagnosis training items: DDXPlus definitions unreadable in %s (%s)", folder, exc)
        return
    rng = random.Random(seed)

    def codes(field: Any) -> list[str]:
        value = ast.literal_eval(field) if isinstance(field, str) else field
        return [c for c in (value or {}) if c in evidences]

    findings = {
        name: set(codes(c.get("symptoms"))) | set(codes(c.get("antecedents"))) for name, c in conditions.items()
    }
    for name, condition in sorted(conditions.items()):
        symptoms, antecedents = codes(condition.get("symptoms")), codes(condition.get("antecedents"))
        if len(symptoms) < 2:
            continue
        for n in range(DDX_PATIENTS_PER_CONDITION):
            kept = [c for c in symptoms if rng.random() < DDX_SYMPTOM_RATE]
            while len(kept) < 2:
                kept = list(dict.fromkeys([*kept, rng.choice(symptoms)]))
            kept += [c for c in antecedents if rng.random() < DDX_ANTECEDENT_RATE]
            kept = [c for c in kept if not _parent(evidences[c]) or _parent(evidences[c]) in kept]
            features = [_feature(c, evidences[c], rng) for c in kept]
            initial = rng.choice([c for c in kept if c in symptoms and not _parent(evidences[c])] or kept)
            row = {
                "age": str(rng.randint(18, 80)),
                "sex": rng.choice(["M", "F"]),
                "features": repr(features),
                "feature_id": initial,
                "diagnosis": name,
            }
            record = ddxplus_record(row, evidences)
            ranked = sorted(
                (other for other in conditions if other != name),
                key=lambda other: (-_jaccard(set(kept), findings[other]), other),
            )
            names = [str(conditions[c]["cond-name-eng"]) for c in [name, *ranked[: DDX_DIFFERENTIAL - 1]]]
            item = DiagnosisItem(id=f"synthetic-{n}", record=record, diagnosis=names[0], differential=names)
            yield {
                "kind": "diagnosis",
                "id": f"ddxplus-synthetic:{name}:{n}",
                "prompt": render_prompt(task, item),
                "target": "\n".join(names),
                "source": "ddxplus-definitions",
                "licence": "CC BY 4.0",
                "record": record,
            }


def _parent(evidence: dict[str, Any]) -> str | None:
    parent = evidence.get("code_question")
    return parent if parent and parent != evidence.get("name") else None


def _feature(code: str, evidence: dict[str, Any], rng: Any) -> str:
    """`CODE` for a yes/no finding, `CODE_@_VALUE` with a random possible value otherwise."""
    import ast

    if evidence.get("data_type") == "B":
        return code
    values = evidence.get("possible-values")
    values = ast.literal_eval(values) if isinstance(values, str) else values
    return f"{code}_@_{rng.choice(values)}" if values else code


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
