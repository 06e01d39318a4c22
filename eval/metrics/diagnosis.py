"""Diagnosis metrics: does the gold diagnosis appear among the first k predicted ones?

Names match when their normalised keys intersect. The default normaliser folds case and punctuation,
drops "unspecified" and reduces simple plurals; a task can pass a richer one (KG node ids, ICD-10
categories) as `ScoringContext.normalize_dx`. When the item has an ICD-10 code and a prediction is a
code, or comes with one (`extras["dx_codes"]`, one per ranked prediction, as the knowledge-graph diagnoser
gives), the two also match on their ICD-10 category ("J45.909" ~ "J45.20"). A prediction may also carry its
other names (`extras["dx_aliases"]`, a list per prediction: a graph node's synonyms); any of them matching
the gold name counts, at that prediction's rank.
"""

from __future__ import annotations

import re
import unicodedata

from eval.metrics import MetricInputError, MetricNotApplicableError, ScoringContext
from eval.schema import DiagnosisItem, Item, ItemResult

_ICD10 = re.compile(r"^([A-Z][0-9][0-9A-Z])(?:\.?[0-9A-Z]{1,4})?$")
_NON_WORD = re.compile(r"[^\w\s]|_")
_DROPPED_WORDS = {"unspecified"}


def is_icd10(text: str) -> bool:
    """Whether `text` looks like an ICD-10 code (`J45`, `J45.909`, `S72001A`)."""
    return _ICD10.match(text.strip().upper()) is not None


def icd10_category(code: str) -> str:
    """The three-character ICD-10 category of a code: `"J45.909"` → `"J45"`.

    Raises:
        ValueError: `code` is not an ICD-10 code.
    """
    match = _ICD10.match(code.strip().upper())
    if match is None:
        msg = f"{code!r} is not an ICD-10 code (a letter, two characters, optional subdivisions: e.g. J45.909)"
        raise ValueError(msg)
    return match.group(1)


def _singular(word: str) -> str:
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def default_normalize_dx(name: str) -> set[str]:
    """One key per name: case-folded, punctuation to spaces, "unspecified" dropped, simple plurals singular.

    `"Asthma, unspecified"` → `{"asthma"}`; `"Kidney stones"` → `{"kidney stone"}`; an empty result → `set()`.
    """
    text = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", name).casefold())
    key = " ".join(_singular(word) for word in text.split() if word not in _DROPPED_WORDS)
    return {key} if key else set()


def _keys(name: str, ctx: ScoringContext, with_icd10: bool) -> set[str]:
    normalize = ctx.normalize_dx or default_normalize_dx
    keys = set(normalize(name))
    if with_icd10 and is_icd10(name):
        keys.add("icd10:" + icd10_category(name))
    return keys


def _top_k(result: ItemResult, item: Item, ctx: ScoringContext, k: int) -> float:
    metric = f"dx_top{k}"
    if not isinstance(item, DiagnosisItem):
        msg = f"`{metric}` scores diagnosis items, got {type(item).__name__} `{item.id}`"
        raise MetricInputError(msg)
    predictions = result.prediction
    if not isinstance(predictions, list) or not all(isinstance(p, str) for p in predictions):
        msg = (
            f"`{metric}` expects a ranked list of diagnosis names as the prediction of `{item.id}`, got {predictions!r}"
        )
        raise MetricInputError(msg)
    with_icd10 = item.icd10 is not None
    gold = _keys(item.diagnosis, ctx, with_icd10)
    if item.icd10 is not None:
        gold.add("icd10:" + icd10_category(item.icd10))
    if not gold:
        msg = f"the gold diagnosis {item.diagnosis!r} of `{item.id}` normalises to nothing"
        raise MetricNotApplicableError(msg)
    keys = [_keys(name, ctx, with_icd10) for name in predictions[:k]]
    extras = result.extras if isinstance(result.extras, dict) else {}
    aliases = extras.get("dx_aliases")
    if isinstance(aliases, list):  # other names of each ranked prediction (a knowledge-graph node's synonyms)
        for key, names in zip(keys, aliases, strict=False):
            for alias in names if isinstance(names, list) else []:
                if isinstance(alias, str):
                    key.update(_keys(alias, ctx, with_icd10=False))
    codes = extras.get("dx_codes")
    if with_icd10 and isinstance(codes, list):  # a ranked prediction may carry each candidate's ICD-10 code
        for key, code in zip(keys, codes, strict=False):
            if isinstance(code, str) and is_icd10(code):
                key.add("icd10:" + icd10_category(code))
    return 1.0 if any(gold & key for key in keys) else 0.0


def dx_top1(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`dx_top1`: 1.0 when the first prediction matches the gold diagnosis, else 0.0."""
    return {"dx_top1": _top_k(result, item, ctx, 1)}


def dx_top5(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`dx_top5`: 1.0 when one of the first five predictions matches the gold diagnosis, else 0.0."""
    return {"dx_top5": _top_k(result, item, ctx, 5)}
