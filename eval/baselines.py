"""Published systems scored by our own code: MIRAGE's shipped per-question predictions.

MIRAGE (Xiong et al. 2024) ships, for each of its five benchmarks, what GPT-3.5 and GPT-4 answered to every
question, closed-book with chain of thought (`cot`) and with MedRAG (`rag_32`: 32 snippets from MedCorp by
RRF of four retrievers). The file `en/mirage/predictions_gpt35_gpt4_cot_rag32.jsonl.gz` holds one JSON
object per line: `{dataset, setting, corpus_retriever, model, qid, pred, gold}`, where `pred` is the chosen
letter or null when the answer could not be parsed.

Each (model, setting) becomes `ItemResult`s (`ok` with the letter, or `parse_error` for null) scored and
aggregated with the same `accuracy` metric and bootstrap code as our runs, over the whole benchmark and
over exactly the item ids our run sampled, so the two are comparable item for item.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from eval.errors import DatasetError
from eval.schema import Item, ItemResult, MCItem
from eval.tasks.config import TaskConfig

logger = logging.getLogger(__name__)

PREDICTIONS = Path("en/mirage/predictions_gpt35_gpt4_cot_rag32.jsonl.gz")
MODEL_NAMES = {"gpt-35-turbo-16k": "GPT-3.5", "gpt-4-32k": "GPT-4"}
SETTING_NAMES = {"cot": "CoT", "rag_32": "MedRAG"}
METRIC = "accuracy"


class BaselineScore(BaseModel):
    """One published system on one task, scored by our code."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(description="e.g. `GPT-4 MedRAG (MIRAGE predictions)`.")
    model: str
    setting: str
    scope: str = Field(description="`all` items of the benchmark, or `our items` (the ids our run sampled).")
    summary: dict[str, Any] = Field(description="`MetricSummary` of accuracy (value, CI, n_scored, n_failed).")


def mirage_subset(task: TaskConfig) -> str | None:
    """The MIRAGE benchmark a task reads (`mirage` loader's `subset`), or None."""
    if task.dataset.loader != "mirage":
        return None
    subset = task.dataset.options.get("subset")
    return str(subset) if subset else None


def load_predictions(data_dir: Path, subset: str) -> dict[tuple[str, str], dict[str, str | None]]:
    """(model, setting) → qid → predicted letter (None: unparsed) for one MIRAGE benchmark."""
    path = Path(data_dir).expanduser() / PREDICTIONS
    if not path.is_file():
        msg = f"MIRAGE predictions not found at {path}; set CLINICALGPT_DATA_DIR to the folder holding `en/mirage`"
        raise DatasetError(msg)
    out: dict[tuple[str, str], dict[str, str | None]] = defaultdict(dict)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("%s:%d is not JSON; skipped", path, number)
                continue
            if row.get("dataset") != subset:
                continue
            pred = row.get("pred")
            out[(str(row["model"]), str(row["setting"]))][str(row["qid"])] = pred if isinstance(pred, str) else None
    return dict(out)


def baseline_results(predictions: dict[str, str | None], items: list[Item]) -> list[ItemResult]:
    """Results for the items that have a prediction: `ok` with the letter, `parse_error` when it has none."""
    results = []
    for item in items:
        if item.id not in predictions:
            continue
        pred = predictions[item.id]
        letter = pred.strip().upper() if pred else None
        if isinstance(item, MCItem) and letter in item.options:
            results.append(ItemResult(id=item.id, status="ok", subject=item.subject, prediction=letter))
        else:
            error = "no answer letter in the published output" if pred is None else f"not an option: {pred!r}"
            results.append(ItemResult(id=item.id, status="parse_error", subject=item.subject, error=error))
    return results


def score_baselines(
    task: TaskConfig, data_dir: Path, our_ids: list[str] | None = None, *, seed: int = 0
) -> list[BaselineScore]:
    """MIRAGE's systems on this task, over all items and over `our_ids`, with our accuracy and CI code."""
    from eval.datasets import load_items
    from eval.metrics import ScoringContext, aggregate, score_item

    subset = mirage_subset(task)
    if subset is None:
        return []
    predictions = load_predictions(data_dir, subset)
    items = load_items(task, data_dir)
    by_id = {item.id: item for item in items}
    ctx = ScoringContext()
    scores: list[BaselineScore] = []
    for (model, setting), preds in sorted(predictions.items()):
        results = baseline_results(preds, items)
        for result in results:
            if result.status == "ok":
                result.scores = score_item(result, by_id[result.id], [METRIC], ctx)
        scopes = [("all", results)]
        if our_ids is not None:
            wanted = set(our_ids)
            scopes.append(("our items", [r for r in results if r.id in wanted]))
        for scope, chosen in scopes:
            if not chosen:
                continue
            summary = aggregate([(r, by_id[r.id]) for r in chosen], [METRIC], seed=seed)[METRIC]
            name = f"{MODEL_NAMES.get(model, model)} {SETTING_NAMES.get(setting, setting)} (MIRAGE predictions)"
            scores.append(
                BaselineScore(system=name, model=model, setting=setting, scope=scope, summary=summary.model_dump())
            )
    return scores
