"""Overlap metrics for free-text answers: ROUGE, BLEU, GLEU (per item and per corpus) and Distinct-n.

Every score is on a 0–1 scale (sacrebleu's 0–100 is divided by 100). Chinese, Japanese kana and other CJK
characters count as one token each, since those scripts are written without spaces; other text keeps each
library's own tokenisation (rouge-score's with Porter stemming, sacrebleu's `13a`, or `zh` when a pair
holds CJK characters). The scoring libraries are the `eval` extra and are imported on first use.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from eval.metrics import MetricInputError, MetricNotApplicableError, ScoringContext
from eval.schema import ConsultationItem, Item, ItemResult, QAItem

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SEGMENTS = re.compile(f"[{_CJK}]|[^{_CJK}]+")
_TOKENS = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_EXTRA = "the `eval` extra: pip install 'clinicalgpt[eval]'"
_GLEU_MAX_N = 4


def has_cjk(text: str) -> bool:
    """Whether `text` holds a Chinese/Japanese character."""
    return _CJK_CHAR.search(text) is not None


def tokens(text: str) -> list[str]:
    """Case-folded word tokens, each CJK character a token of its own; punctuation dropped."""
    return [token.casefold() for token in _TOKENS.findall(text)]


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        msg = f"`{module}` is needed for text metrics; install {_EXTRA}"
        raise ImportError(msg) from exc


def _pair(result: ItemResult, item: Item, metric: str) -> tuple[str, str]:
    """(prediction, reference) of a free-text item, checked."""
    if not isinstance(item, QAItem | ConsultationItem):
        msg = f"`{metric}` scores qa and consultation items, got {type(item).__name__} `{item.id}`"
        raise MetricInputError(msg)
    if not isinstance(result.prediction, str):
        got = type(result.prediction).__name__
        msg = f"`{metric}` expects the answer text as the prediction of `{item.id}`, got {got}"
        raise MetricInputError(msg)
    return result.prediction, item.reference


def _scored_pair(result: ItemResult, item: Item, metric: str) -> tuple[str, str]:
    prediction, reference = _pair(result, item, metric)
    if not reference.strip():
        msg = f"item `{item.id}` has an empty reference"
        raise MetricNotApplicableError(msg)
    return prediction, reference


def _corpus_pairs(pairs: list[tuple[ItemResult, Item]], metric: str) -> list[tuple[str, str]]:
    """(prediction, reference) of every pair with a non-empty reference (the others are skipped per item too)."""
    checked = [_pair(result, item, metric) for result, item in pairs]
    return [(prediction, reference) for prediction, reference in checked if reference.strip()]


# ROUGE ---------------------------------------------------------------------------------------------------


@functools.cache
def _rouge_scorer() -> Any:
    rouge_scorer = _require("rouge_score.rouge_scorer")
    rouge_tokenizers = _require("rouge_score.tokenizers")
    tokenizer_base: Any = rouge_tokenizers.Tokenizer  # imported at run time (optional extra): a base mypy cannot see

    class MixedTokenizer(tokenizer_base):
        """rouge-score's stemming tokenizer for non-CJK runs (it drops CJK), one token per CJK character."""

        def __init__(self) -> None:
            self._default = rouge_tokenizers.DefaultTokenizer(use_stemmer=True)

        def tokenize(self, text: str) -> list[str]:
            out: list[str] = []
            for segment in _SEGMENTS.findall(text):
                out.extend([segment] if has_cjk(segment) else self._default.tokenize(segment))
            return out

    return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=MixedTokenizer())


def rouge(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`rouge1`, `rouge2`, `rougeL`: ROUGE F1 of the answer against the reference (0–1)."""
    prediction, reference = _scored_pair(result, item, "rouge")
    scores = _rouge_scorer().score(reference, prediction)
    return {key: float(scores[key].fmeasure) for key in ("rouge1", "rouge2", "rougeL")}


# BLEU ----------------------------------------------------------------------------------------------------


def _bleu_tokenizer(prediction: str, reference: str) -> str:
    return "zh" if has_cjk(prediction) or has_cjk(reference) else "13a"


@functools.cache
def _bleu_metric(tokenize: str, effective_order: bool) -> Any:
    bleu_module = _require("sacrebleu.metrics.bleu")
    return bleu_module.BLEU(tokenize=tokenize, effective_order=effective_order)


def bleu(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`bleu`: sentence BLEU with effective order (sacrebleu's `sentence_bleu` defaults), 0–1."""
    prediction, reference = _scored_pair(result, item, "bleu")
    metric = _bleu_metric(_bleu_tokenizer(prediction, reference), True)
    return {"bleu": float(metric.sentence_score(prediction, [reference]).score) / 100.0}


@functools.lru_cache(maxsize=65536)
def _bleu_stats(prediction: str, reference: str) -> tuple[int, ...]:
    # Per-sentence sufficient statistics, summed for corpus BLEU: the bootstrap resamples sums instead of
    # re-tokenising. SEE: sacrebleu.significance does paired bootstrap through the same two methods.
    metric = _bleu_metric(_bleu_tokenizer(prediction, reference), False)
    return tuple(int(v) for v in metric._extract_corpus_statistics([prediction], [[reference]])[0])


def bleu_corpus(pairs: list[tuple[ItemResult, Item]]) -> dict[str, float]:
    """`bleu_corpus`: corpus BLEU over all answers (sacrebleu's `corpus_bleu` for one reference each), 0–1."""
    checked = _corpus_pairs(pairs, "bleu")
    if not checked:
        return {}
    totals = np.sum([_bleu_stats(prediction, reference) for prediction, reference in checked], axis=0)
    score = _bleu_metric("13a", False)._compute_score_from_stats([int(v) for v in totals])
    return {"bleu_corpus": float(score.score) / 100.0}


# GLEU ----------------------------------------------------------------------------------------------------


def gleu(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`gleu`: nltk's sentence GLEU over 1–4-grams, 0–1."""
    prediction, reference = _scored_pair(result, item, "gleu")
    gleu_score = _require("nltk.translate.gleu_score")
    value = gleu_score.sentence_gleu([tokens(reference)], tokens(prediction), min_len=1, max_len=_GLEU_MAX_N)
    return {"gleu": float(value)}


def _ngrams(words: list[str], n_max: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for n in range(1, n_max + 1) for i in range(len(words) - n + 1))


@functools.lru_cache(maxsize=65536)
def _gleu_stats(prediction: str, reference: str) -> tuple[int, int]:
    # nltk's corpus_gleu sums (matches, max(hypothesis n-grams, reference n-grams)) over sentences; its
    # sums are not exposed, so they are recomputed here (tests check equality with nltk).
    hyp = _ngrams(tokens(prediction), _GLEU_MAX_N)
    ref = _ngrams(tokens(reference), _GLEU_MAX_N)
    return sum((hyp & ref).values()), max(sum(hyp.values()), sum(ref.values()))


def gleu_corpus(pairs: list[tuple[ItemResult, Item]]) -> dict[str, float]:
    """`gleu_corpus`: corpus GLEU (nltk's `corpus_gleu` with one reference each), 0–1."""
    checked = _corpus_pairs(pairs, "gleu")
    if not checked:
        return {}
    stats = [_gleu_stats(prediction, reference) for prediction, reference in checked]
    matches = sum(m for m, _ in stats)
    total = sum(t for _, t in stats)
    return {"gleu_corpus": matches / total if total else 0.0}


# Distinct-n ----------------------------------------------------------------------------------------------


def _distinct(texts: Iterable[list[str]], n: int) -> tuple[int, int]:
    grams = [tuple(words[i : i + n]) for words in texts for i in range(len(words) - n + 1)]
    return len(set(grams)), len(grams)


def distinct(pairs: list[tuple[ItemResult, Item]]) -> dict[str, float]:
    """`distinct1`, `distinct2`: unique n-grams over all answers / all n-grams (0–1; n-grams stay in one answer).

    A key is left out when the answers hold no n-gram of that length.
    """
    answers = [tokens(_pair(result, item, "distinct")[0]) for result, item in pairs]
    out: dict[str, float] = {}
    for n in (1, 2):
        unique, total = _distinct(answers, n)
        if total:
            out[f"distinct{n}"] = unique / total
    return out
