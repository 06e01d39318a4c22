"""Long-form answer metrics by statements: comprehensiveness and hallucination.

These follow the statement-level evaluation of physician-written long-form medical QA in MedLFQA / OLAPH
(Jeong et al. 2024, "OLAPH: Improving Factuality in Biomedical Long-form Question Answering"), with the
entailment judge of `eval.judges` (`ctx.judge`) in place of their NLI model:

- **comprehensiveness** = share of the reference answer's key statements that the answer entails, i.e.
  `judge(premise=answer, hypothesis=statement)` is `supported`. OLAPH counts the expert-written "must have"
  statements; our references are free text, so the key statements are the reference's sentences minus those
  dropped by `key_statements` (see below).
- **hallucination** = share of the answer's statements (its sentences, filtered by the same rule) that are
  supported neither by the reference nor by the sources shown with the answer (`extras["passages"]`): each
  is contradicted by, or absent from, both. Measured from the answer's side, this counts claims that nothing
  backs; OLAPH's hallucination instead counts reference statements the answer contradicts, which misses
  invented claims the reference never addresses. Lower is better.

Statement rule (`key_statements`): sentences (nltk Punkt, `eval.judges.split_sentences`) after citation
markers are stripped, keeping only those with at least `MIN_CONTENT_WORDS` content words (stop words removed,
`knowledge.lexical.tokenize`) that do not match `BOILERPLATE`: referrals ("talk to your doctor", "ask your
pharmacist"), pointers ("for more information", "see also", "visit …"), and disclaimers ("not a substitute
for", "for education only", "this is not medical advice").

The answer's sentences come from `result.extras["sentences"]` (`[{"text", "citations"}]`, as the RAG runner
writes them) when present, else from splitting the prediction text.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eval.judges import Judge, split_sentences
from eval.metrics import MetricInputError, MetricNotApplicableError, ScoringContext
from eval.schema import ConsultationItem, Item, ItemResult, QAItem
from knowledge.lexical import tokenize
from rag.citations import strip_markers

#: A statement needs at least this many content words (stop words removed); shorter ones ("Yes.", "It
#: depends.", "See below.") state nothing checkable.
MIN_CONTENT_WORDS = 3
BOILERPLATE = re.compile(
    r"\b(?:talk|speak) (?:to|with) your (?:doctor|health ?care provider|provider|pharmacist)"
    r"|\b(?:ask|consult|see|call) (?:your|a) (?:doctor|physician|health ?care provider|provider|pharmacist)"
    r"|\bfor more information\b|\bsee also\b|^\s*(?:visit|click|learn more)\b"
    r"|\bnot a substitute for\b|\bfor education(?:al purposes)? only\b|\bnot (?:intended as )?medical advice\b",
    re.IGNORECASE,
)


class AnswerSentence(BaseModel):
    """One answer sentence with the passage ids it cites (other keys the runner writes are ignored)."""

    model_config = ConfigDict(extra="ignore")

    text: str
    citations: list[str] = Field(default_factory=list, description="Ids of the passages it cites.")


def judge_of(ctx: ScoringContext) -> Judge:
    """The context's judge, or a clear error when the run set none."""
    if ctx.judge is None:
        msg = "citation and long-form metrics need an entailment judge: set `ScoringContext.judge`"
        raise MetricInputError(msg)
    judge: Judge = ctx.judge
    return judge


def answer_sentences(result: ItemResult) -> list[AnswerSentence] | None:
    """The cited sentences in `extras["sentences"]`, or None when the answer has none (closed mode)."""
    raw: Any = result.extras.get("sentences")
    if raw is None:
        return None
    try:
        return [AnswerSentence.model_validate(s) for s in raw]
    except (ValidationError, TypeError) as exc:
        msg = f'item `{result.id}`: extras["sentences"] must be a list of {{"text", "citations"}}: {exc}'
        raise MetricInputError(msg) from exc


def answer_passages(result: ItemResult) -> dict[str, str]:
    """The passages shown with the answer (`extras["passages"]`, id → text); empty when there were none."""
    raw: Any = result.extras.get("passages") or {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        msg = f'item `{result.id}`: extras["passages"] must map passage ids to texts'
        raise MetricInputError(msg)
    return raw


def answer_text(result: ItemResult) -> str:
    """The answer without citation markers: its sentences when recorded, else the prediction text."""
    sentences = answer_sentences(result)
    if sentences is not None:
        return " ".join(strip_markers(s.text) for s in sentences)
    if isinstance(result.prediction, str):
        return strip_markers(result.prediction)
    got = type(result.prediction).__name__
    msg = f"item `{result.id}`: long-form metrics need the answer text as the prediction, got {got}"
    raise MetricInputError(msg)


def key_statements(text: str) -> list[str]:
    """Sentences that state something checkable (the rule in the module docstring)."""
    out = []
    for sentence in split_sentences(strip_markers(text)):
        if len(tokenize(sentence)) >= MIN_CONTENT_WORDS and not BOILERPLATE.search(sentence):
            out.append(sentence)
    return out


def _reference(item: Item) -> str:
    if not isinstance(item, QAItem | ConsultationItem):
        msg = f"long-form metrics score qa and consultation items, got {type(item).__name__} `{item.id}`"
        raise MetricInputError(msg)
    return item.reference


def comprehensiveness(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`comprehensiveness`: share of the reference's key statements the answer entails (0–1).

    Raises:
        MetricNotApplicableError: The reference has no key statement (empty, or only boilerplate).
    """
    statements = key_statements(_reference(item))
    if not statements:
        msg = f"item `{item.id}`: the reference has no key statement (none with {MIN_CONTENT_WORDS}+ content words)"
        raise MetricNotApplicableError(msg)
    answer = answer_text(result)
    if not answer.strip():
        return {"comprehensiveness": 0.0}
    judge = judge_of(ctx)
    covered = sum(judge.judge(answer, s).label == "supported" for s in statements)
    return {"comprehensiveness": covered / len(statements)}


def hallucination(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`hallucination`: share of the answer's statements backed by neither the reference nor the sources (0–1).

    An answer with no checkable statement claims nothing and scores 0.
    """
    reference = _reference(item)
    sources = "\n".join(answer_passages(result).values())
    sentences = answer_sentences(result)
    texts = [s.text for s in sentences] if sentences is not None else [answer_text(result)]
    statements = [st for text in texts for st in key_statements(text)]
    if not statements:
        return {"hallucination": 0.0}
    judge = judge_of(ctx)
    premises = [p for p in (reference, sources) if p.strip()]
    unbacked = sum(all(judge.judge(p, s).label != "supported" for p in premises) for s in statements)
    return {"hallucination": unbacked / len(statements)}
