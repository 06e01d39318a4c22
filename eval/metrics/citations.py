"""Citation quality, as defined by ALCE (Gao et al. 2023, "Enabling Large Language Models to Generate Text
with Citations"), judged by the entailment judge of `eval.judges` (`ctx.judge`) instead of their TRUE NLI model.

The answer's sentences and what they cite come from `result.extras["sentences"]` (`[{"text", "citations"}]`)
and `result.extras["passages"]` (id → text). A cited id that is not among the passages counts as a citation
of an empty text.

- **citation recall** = share of sentences entailed by the concatenation (newline-joined) of the passages
  they cite. A sentence that cites nothing scores 0.
- **citation precision** = share of all citations that are needed. As in ALCE's implementation: when a
  sentence's citations together do not support it, none of them counts as precise; when they do and there is
  one citation, it is precise; with several, a citation is *irrelevant* (not precise) when it alone does not
  support the sentence AND the remaining citations still do. An answer with no citation scores 0. All of a
  sentence's citations count (ALCE's script keeps the first three by default; keeping all of them lets
  over-citing cost precision).
- **grounded accuracy** = 1 when the answer is correct AND every answer sentence is supported by its own
  citations (citation recall = 1), else 0. Correct means: for exam items, the `accuracy` score is 1 or the
  prediction is the gold letter; for qa and consultation items, comprehensiveness (`eval.metrics.longform`)
  ≥ `GROUNDED_MIN_COMPREHENSIVENESS`; for other items, an `accuracy` score of 1. An answer without cited
  sentences (closed mode) is not grounded (0).

Citation recall/precision of an answer without sentences (closed mode) is not applicable: the item is skipped
with the reason (`MetricNotApplicableError`), never scored as a silent 0.
"""

from __future__ import annotations

from eval.judges import Judge
from eval.metrics import MetricNotApplicableError, ScoringContext
from eval.metrics.longform import AnswerSentence, answer_passages, answer_sentences, comprehensiveness, judge_of
from eval.schema import ConsultationItem, Item, ItemResult, MCItem, QAItem
from rag.citations import strip_markers

#: A qa or consultation answer counts as correct for grounded accuracy at this comprehensiveness or more.
GROUNDED_MIN_COMPREHENSIVENESS = 0.5


def _supported(judge: Judge, passages: dict[str, str], ids: list[str], sentence: str) -> bool:
    premise = "\n".join(passages.get(i, "") for i in ids)
    return bool(premise.strip()) and judge.judge(premise, sentence).label == "supported"


def _sentence_scores(judge: Judge, passages: dict[str, str], sentence: AnswerSentence) -> tuple[bool, int, int]:
    """(entailed by its citations, precise citations, citations) for one sentence, ALCE's way."""
    text = strip_markers(sentence.text)
    cited = list(dict.fromkeys(sentence.citations))
    if not cited:
        return False, 0, 0
    if not _supported(judge, passages, cited, text):
        return False, 0, len(cited)
    if len(cited) == 1:
        return True, 1, 1
    precise = 0
    for cid in cited:
        alone = _supported(judge, passages, [cid], text)
        rest_suffices = not alone and _supported(judge, passages, [c for c in cited if c != cid], text)
        precise += not rest_suffices
    return True, precise, len(cited)


def _sentences_or_skip(result: ItemResult) -> list[AnswerSentence]:
    sentences = answer_sentences(result)
    if not sentences:
        msg = f"item `{result.id}` has no cited answer sentences (closed mode or empty answer)"
        raise MetricNotApplicableError(msg)
    return sentences


def citation_scores(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`citation_recall` and `citation_precision` of the answer (0–1, ALCE definitions above).

    Raises:
        MetricNotApplicableError: The answer has no cited sentences (closed mode).
    """
    sentences = _sentences_or_skip(result)
    judge = judge_of(ctx)
    passages = answer_passages(result)
    entailed = precise = total = 0
    for sentence in sentences:
        ok, p, n = _sentence_scores(judge, passages, sentence)
        entailed += ok
        precise += p
        total += n
    return {
        "citation_recall": entailed / len(sentences),
        "citation_precision": precise / total if total else 0.0,
    }


def _correct(result: ItemResult, item: Item, ctx: ScoringContext) -> bool:
    if isinstance(item, MCItem):
        return result.scores.get("accuracy") == 1.0 or result.prediction == item.answer
    if isinstance(item, QAItem | ConsultationItem):
        value = comprehensiveness(result, item, ctx)["comprehensiveness"]
        return value >= GROUNDED_MIN_COMPREHENSIVENESS
    return result.scores.get("accuracy") == 1.0


def grounded_accuracy(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`grounded_accuracy`: 1 when the answer is correct and every sentence is supported by its citations."""
    sentences = answer_sentences(result)
    if not sentences or not _correct(result, item, ctx):
        return {"grounded_accuracy": 0.0}
    judge = judge_of(ctx)
    passages = answer_passages(result)
    grounded = all(
        s.citations and _supported(judge, passages, list(dict.fromkeys(s.citations)), strip_markers(s.text))
        for s in sentences
    )
    return {"grounded_accuracy": 1.0 if grounded else 0.0}
