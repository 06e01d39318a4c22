"""The metric registry: every metric a task file may name, what it yields and how failures count.

Item metrics score one `ok` result at a time (`score_item`); the runner stores their values in
`ItemResult.scores`. Corpus metrics (corpus BLEU/GLEU, Distinct-n) are computed over all `ok` results at
report time. `aggregate` turns both into `MetricSummary` rows with bootstrap intervals and failure counts.

Metric functions are named as `"module:function"` strings and imported on first use, so importing the
registry loads no scoring library (house rule 6) and metric modules may import the errors defined here.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from eval.metrics.stats import bootstrap_ci, bootstrap_statistic
from eval.schema import ITEM_TYPES, Family, Item, ItemResult
from knowledge.errors import ClinicalAssistantError

__all__ = [
    "METRICS",
    "MetricInputError",
    "MetricNotApplicableError",
    "MetricSpec",
    "MetricSummary",
    "ScoringContext",
    "UnknownMetricError",
    "aggregate",
    "get_metric",
    "item_family",
    "score_item",
]

logger = logging.getLogger(__name__)

ItemFn = Callable[[ItemResult, Item, "ScoringContext"], dict[str, float]]
CorpusFn = Callable[[list[tuple[ItemResult, Item]]], dict[str, float]]

#: Key template expanded once per cut-off in `ScoringContext.ks` (e.g. `recall@{k}` → `recall@1`, …).
_K = "{k}"


class UnknownMetricError(ClinicalAssistantError, KeyError):
    """A metric name that the registry does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MetricInputError(ClinicalAssistantError, ValueError):
    """A metric was given something it cannot score (wrong family, prediction shape, non-ok result, NaN)."""


class MetricNotApplicableError(ClinicalAssistantError, ValueError):
    """This item cannot be scored by this metric (e.g. no relevant ids); `score_item` skips it with the reason."""


@dataclass
class ScoringContext:
    """What item metrics may need besides the item and its result."""

    judge: Any | None = None
    """`eval.judges.Judge` (entailment) for the citation and long-form metrics."""
    normalize_dx: Callable[[str], set[str]] | None = None
    """Diagnosis name → normalised keys (KG node ids, ICD-10 category); None: `diagnosis.default_normalize_dx`."""
    ks: tuple[int, ...] = (1, 5, 20)
    """Cut-offs for `recall_at_k`."""


@dataclass(frozen=True)
class MetricSpec:
    """One registered metric."""

    name: str
    families: frozenset[str]
    """Task families it applies to."""
    item: ItemFn | None
    """Per-item scores (one or several keys), or None for a corpus-only metric."""
    corpus: CorpusFn | None
    """Corpus-level scores over all `ok` results, or None."""
    higher_is_better: bool
    failure_value: float | None
    """What a non-`ok` item contributes to item scores: 0.0 for accuracy-like metrics; None: excluded from the
    mean but counted and shown."""
    description: str
    keys: tuple[str, ...] = ()
    """Item score keys it yields; `{k}` stands for each cut-off in `ScoringContext.ks`."""
    corpus_keys: tuple[str, ...] = ()
    """Corpus score keys it yields."""
    resample_corpus: bool = True
    """Whether a bootstrap interval is meaningful for the corpus keys (not for Distinct-n: resampling with
    replacement repeats predictions, which lowers it by construction)."""

    def item_keys(self, ks: Sequence[int]) -> tuple[str, ...]:
        """The item keys with `{k}` expanded for the cut-offs `ks`."""
        return tuple(key.replace(_K, str(k)) for key in self.keys for k in (ks if _K in key else [0]))


class MetricSummary(BaseModel):
    """One reported number: a metric key's value over a run, its interval and what was left out."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Score key, e.g. `accuracy`, `rougeL`, `recall@5`, `bleu_corpus`.")
    metric: str = Field(description="Registry name of the metric that yields it, e.g. `rouge`.")
    level: Literal["item", "corpus"] = Field(description="Mean of per-item scores, or one corpus-level statistic.")
    value: float | None = Field(description="Mean (item) or statistic (corpus); None when nothing was scored.")
    ci_low: float | None = Field(description="Lower bound of the 95% percentile-bootstrap interval.")
    ci_high: float | None = Field(description="Upper bound of the 95% percentile-bootstrap interval.")
    n_scored: int = Field(description="`ok` items that contributed a value.")
    n_unscored: int = Field(
        default=0, description="`ok` items without a value for this key (metric not applicable or not run)."
    )
    n_failed: dict[str, int] = Field(default_factory=dict, description="Non-`ok` items by status.")
    failure_value: float | None = Field(
        default=None,
        description="Value each failed item contributed to the mean (then the mean is over n_scored + failed); "
        "None: failed items are excluded from the mean.",
    )
    higher_is_better: bool


def _lazy(path: str) -> Callable[..., dict[str, float]]:
    """A metric function named `"module:function"`, imported on its first call."""
    module_name, _, func_name = path.partition(":")
    resolved: list[Callable[..., dict[str, float]]] = []

    def call(*args: Any) -> dict[str, float]:
        if not resolved:
            resolved.append(getattr(importlib.import_module(module_name), func_name))
        return resolved[0](*args)

    call.__qualname__ = call.__name__ = path
    return call


def _spec(
    name: str,
    families: set[str],
    *,
    item: str | None = None,
    corpus: str | None = None,
    keys: tuple[str, ...] = (),
    corpus_keys: tuple[str, ...] = (),
    higher_is_better: bool = True,
    failure_value: float | None = None,
    description: str,
    resample_corpus: bool = True,
) -> MetricSpec:
    return MetricSpec(
        name=name,
        families=frozenset(families),
        item=_lazy(item) if item else None,
        corpus=_lazy(corpus) if corpus else None,
        higher_is_better=higher_is_better,
        failure_value=failure_value,
        description=description,
        keys=keys,
        corpus_keys=corpus_keys,
        resample_corpus=resample_corpus,
    )


_TEXT = {"qa", "consultation"}

METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in [
        _spec(
            "accuracy",
            {"exam"},
            item="eval.metrics.choice:accuracy",
            keys=("accuracy",),
            failure_value=0.0,
            description="Share of questions whose parsed letter is the gold letter (0–1); an unanswered or "
            "unparseable question counts as wrong.",
        ),
        _spec(
            "rouge",
            _TEXT,
            item="eval.metrics.text:rouge",
            keys=("rouge1", "rouge2", "rougeL"),
            description="ROUGE-1/2/L F1 against the reference (0–1; rouge-score, Porter stemming, Chinese "
            "characters as tokens).",
        ),
        _spec(
            "bleu",
            _TEXT,
            item="eval.metrics.text:bleu",
            corpus="eval.metrics.text:bleu_corpus",
            keys=("bleu",),
            corpus_keys=("bleu_corpus",),
            description="BLEU (0–1, sacrebleu's score / 100): sentence BLEU with effective order per item; "
            "corpus BLEU over all answers (13a tokens, `zh` tokens for Chinese).",
        ),
        _spec(
            "gleu",
            _TEXT,
            item="eval.metrics.text:gleu",
            corpus="eval.metrics.text:gleu_corpus",
            keys=("gleu",),
            corpus_keys=("gleu_corpus",),
            description="Google-BLEU (0–1, nltk, 1–4-grams): sentence GLEU per item and corpus GLEU.",
        ),
        _spec(
            "distinct",
            _TEXT,
            corpus="eval.metrics.text:distinct",
            corpus_keys=("distinct1", "distinct2"),
            resample_corpus=False,
            description="Distinct-1/2 (0–1): unique uni-/bigrams over all answers / all uni-/bigrams; no interval.",
        ),
        _spec(
            "dx_top1",
            {"diagnosis"},
            item="eval.metrics.diagnosis:dx_top1",
            keys=("dx_top1",),
            failure_value=0.0,
            description="Share of records whose first predicted diagnosis matches the gold one after "
            "normalisation (0–1); a failed record counts as a miss.",
        ),
        _spec(
            "dx_top5",
            {"diagnosis"},
            item="eval.metrics.diagnosis:dx_top5",
            keys=("dx_top5",),
            failure_value=0.0,
            description="Share of records whose gold diagnosis is among the first five predictions (0–1); a "
            "failed record counts as a miss.",
        ),
        _spec(
            "recall_at_k",
            {"retrieval"},
            item="eval.metrics.retrieval:recall_at_k",
            keys=("recall@{k}",),
            failure_value=0.0,
            description="Share of the relevant ids (or pages) found in the first k results, per k (0–1).",
        ),
        _spec(
            "ndcg_at_10",
            {"retrieval"},
            item="eval.metrics.retrieval:ndcg_at_10",
            keys=("ndcg@10",),
            failure_value=0.0,
            description="nDCG of the first 10 results with binary relevance (0–1).",
        ),
        _spec(
            "mrr",
            {"retrieval"},
            item="eval.metrics.retrieval:mrr",
            keys=("mrr",),
            failure_value=0.0,
            description="Reciprocal rank of the first relevant result (0–1; 0 when none is retrieved).",
        ),
        _spec(
            "answer_coverage_at_5",
            {"retrieval"},
            item="eval.metrics.retrieval:answer_coverage_at_5",
            keys=("answer_coverage@5",),
            failure_value=0.0,
            description="Share of the reference answer's content words (stemmed, stop words out) that the best of "
            "the first five passages holds (0–1): relevance without knowing the page, for sources we do not index.",
        ),
        _spec(
            "citation",
            _TEXT,
            item="eval.metrics.citations:citation_scores",
            keys=("citation_recall", "citation_precision"),
            description="ALCE-style citation recall and precision judged by entailment (0–1).",
        ),
        _spec(
            "grounded_accuracy",
            _TEXT,
            item="eval.metrics.citations:grounded_accuracy",
            keys=("grounded_accuracy",),
            failure_value=0.0,
            description="Share of answers that are correct and supported by their cited passages (0–1); an "
            "unanswered item counts as not grounded.",
        ),
        _spec(
            "comprehensiveness",
            _TEXT,
            item="eval.metrics.longform:comprehensiveness",
            keys=("comprehensiveness",),
            description="Share of the reference's statements the answer entails (0–1).",
        ),
        _spec(
            "hallucination",
            _TEXT,
            item="eval.metrics.longform:hallucination",
            keys=("hallucination",),
            higher_is_better=False,
            description=(
                "Share of the answer's statements contradicted by, or absent from, both the reference and the "
                "cited sources (0–1; lower is better)."
            ),
        ),
    ]
}


def get_metric(name: str) -> MetricSpec:
    """The registered metric called `name`.

    Raises:
        UnknownMetricError: No such metric; the message suggests the nearest names.
    """
    try:
        return METRICS[name]
    except KeyError as exc:
        close = difflib.get_close_matches(name, list(METRICS), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        msg = f"unknown metric `{name}`{hint} (known: {', '.join(sorted(METRICS))})"
        raise UnknownMetricError(msg) from exc


def item_family(item: Item) -> Family:
    """The task family an item belongs to (from its type)."""
    for family, item_type in ITEM_TYPES.items():
        if type(item) is item_type:
            return family
    msg = f"{type(item).__name__} is not an evaluation item type ({', '.join(t.__name__ for t in ITEM_TYPES.values())})"
    raise MetricInputError(msg)


def _check_applies(spec: MetricSpec, family: Family) -> None:
    if family not in spec.families:
        msg = f"metric `{spec.name}` does not apply to {family} items (only {', '.join(sorted(spec.families))})"
        raise MetricInputError(msg)


def score_item(
    result: ItemResult,
    item: Item,
    names: Sequence[str],
    ctx: ScoringContext,
    *,
    skipped: dict[str, str] | None = None,
) -> dict[str, float]:
    """Run the item metrics `names` on one `ok` result.

    Corpus-only metrics (e.g. `distinct`) contribute nothing here. A metric that cannot score this item
    (it raised `MetricNotApplicableError`) is left out; its reason goes into `skipped` when given.

    Args:
        result: The result; its status must be `ok` (failures are accounted for by `aggregate`).
        item: The item it answers.
        names: Metric names from the registry.
        ctx: Judge, diagnosis normaliser and cut-offs.
        skipped: Filled with metric name → reason for every metric that was skipped.

    Returns:
        Score key → finite value.

    Raises:
        UnknownMetricError: A name is not registered.
        MetricInputError: The result is not `ok`, a metric does not apply to the item's family, its input is
            malformed, it returned a NaN or infinite value, or two metrics yield the same key.
    """
    if result.status != "ok":
        msg = f"item `{result.id}` has status `{result.status}`; only `ok` results are scored"
        raise MetricInputError(msg)
    if result.id != item.id:
        msg = f"result `{result.id}` is scored against item `{item.id}`; pass the matching item"
        raise MetricInputError(msg)
    family = item_family(item)
    scores: dict[str, float] = {}
    for name in names:
        spec = get_metric(name)
        _check_applies(spec, family)
        if spec.item is None:
            continue
        try:
            values = spec.item(result, item, ctx)
        except MetricNotApplicableError as exc:
            logger.debug("metric %s skipped item %s: %s", name, result.id, exc)
            if skipped is not None:
                skipped[name] = str(exc)
            continue
        for key, value in values.items():
            if not math.isfinite(value):
                msg = f"metric `{name}` returned {key}={value} for item `{result.id}`; it must return finite values"
                raise MetricInputError(msg)
            if key in scores:
                msg = f"metrics {list(names)} both yield `{key}`; list each metric once"
                raise MetricInputError(msg)
            scores[key] = float(value)
    return scores


def _observed_ks(spec: MetricSpec, pairs: Sequence[tuple[ItemResult, Item]]) -> tuple[int, ...]:
    """Cut-offs present in the items' scores for the metric's `{k}` keys (default ones when none is)."""
    patterns = [
        re.compile("^" + re.escape(key).replace(re.escape(_K), r"(\d+)") + "$") for key in spec.keys if _K in key
    ]
    if not patterns:
        return ()
    found: set[int] = set()
    for result, _ in pairs:
        for key in result.scores:
            for pattern in patterns:
                match = pattern.match(key)
                if match:
                    found.add(int(match.group(1)))
    return tuple(sorted(found)) or ScoringContext().ks


def _failed_counts(pairs: Sequence[tuple[ItemResult, Item]]) -> dict[str, int]:
    return dict(Counter(result.status for result, _ in pairs if result.status != "ok"))


def _item_summary(
    spec: MetricSpec, key: str, pairs: Sequence[tuple[ItemResult, Item]], *, seed: int, n_resamples: int
) -> MetricSummary:
    values: list[float] = []
    n_scored = n_unscored = 0
    for result, _ in pairs:
        if result.status != "ok":
            if spec.failure_value is not None:
                values.append(spec.failure_value)
            continue
        if key not in result.scores:
            n_unscored += 1
            continue
        value = result.scores[key]
        if not math.isfinite(value):
            msg = f"item `{result.id}` has {key}={value}; scores must be finite (record the item as a failure)"
            raise MetricInputError(msg)
        values.append(value)
        n_scored += 1
    mean = low = high = None
    # Accuracy-like metrics count failures as wrong, so a subset where every item failed scores 0, not "—".
    if n_scored or (values and spec.failure_value is not None):
        mean, low, high = bootstrap_ci(values, n_resamples=n_resamples, seed=seed)
    return MetricSummary(
        name=key,
        metric=spec.name,
        level="item",
        value=mean,
        ci_low=low,
        ci_high=high,
        n_scored=n_scored,
        n_unscored=n_unscored,
        n_failed=_failed_counts(pairs),
        failure_value=spec.failure_value,
        higher_is_better=spec.higher_is_better,
    )


def _corpus_summaries(
    spec: MetricSpec, pairs: Sequence[tuple[ItemResult, Item]], *, seed: int, n_resamples: int
) -> list[MetricSummary]:
    corpus = spec.corpus
    if corpus is None:
        return []
    ok = [pair for pair in pairs if pair[0].status == "ok"]
    values = corpus(ok) if ok else {}
    for key, value in values.items():
        if not math.isfinite(value):
            msg = f"corpus metric `{spec.name}` returned {key}={value}; corpus metrics must return finite values"
            raise MetricInputError(msg)
    keys = [key for key in spec.corpus_keys if key in values]
    intervals: dict[str, tuple[float, float]] = {key: (values[key], values[key]) for key in keys if len(ok) == 1}
    if keys and spec.resample_corpus and len(ok) > 1:

        def statistic(idx: np.ndarray) -> list[float]:
            resampled = corpus([ok[i] for i in idx])
            return [resampled.get(key, math.nan) for key in keys]

        found = bootstrap_statistic(len(ok), statistic, n_resamples=n_resamples, seed=seed)
        intervals = dict(zip(keys, found, strict=True))
    return [
        MetricSummary(
            name=key,
            metric=spec.name,
            level="corpus",
            value=values.get(key),
            ci_low=intervals[key][0] if key in intervals else None,
            ci_high=intervals[key][1] if key in intervals else None,
            n_scored=len(ok) if key in values else 0,
            n_unscored=0 if key in values else len(ok),
            n_failed=_failed_counts(pairs),
            failure_value=None,
            higher_is_better=spec.higher_is_better,
        )
        for key in spec.corpus_keys
    ]


def aggregate(
    pairs: Sequence[tuple[ItemResult, Item]],
    names: Sequence[str],
    *,
    seed: int = 0,
    n_resamples: int = 1000,
) -> dict[str, MetricSummary]:
    """Summarise a run: one `MetricSummary` per score key of the metrics `names`, in registry key order.

    Item keys are means of the items' stored `scores` (failed items contribute the metric's `failure_value`
    or are left out, and are counted in `n_failed` either way); corpus keys are computed over the `ok`
    results. Nothing scored gives `value=None`, never NaN.

    Args:
        pairs: Every result of the run with its item (failures included: they are counted).
        names: Metric names from the registry.
        seed: Seed of the bootstrap.
        n_resamples: Bootstrap resamples per interval.

    Returns:
        Score key → summary.

    Raises:
        UnknownMetricError: A name is not registered.
        MetricInputError: A metric does not apply to an item's family, or a stored score is not finite.
    """
    families = {item_family(item) for _, item in pairs}
    out: dict[str, MetricSummary] = {}
    for name in names:
        spec = get_metric(name)
        for family in sorted(families):
            _check_applies(spec, family)
        for key in spec.item_keys(_observed_ks(spec, pairs)):
            out[key] = _item_summary(spec, key, pairs, seed=seed, n_resamples=n_resamples)
        for summary in _corpus_summaries(spec, pairs, seed=seed, n_resamples=n_resamples):
            out[summary.name] = summary
    return out
