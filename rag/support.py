"""Does a passage support a sentence? Entity agreement, numbers, negation and meaning, not shared words alone.

The lexical score of `rag.citations` (share of the sentence's content words found in the passage) passes
"Yes, alprazolam can lower blood pressure [1]" against a passage on blood pressure medicines that never names
alprazolam: every word but one is there. A sentence is *supported* here only when all of these hold against
the passages it cites:

1. **entities**: every disease and drug the sentence names (knowledge-graph links, synonyms and brands
   included) is named by a cited passage — a different drug is a different claim;
2. **numbers**: every number the sentence states appears in a cited passage; a dose with the same unit but
   another number there makes the sentence *contradicted*;
3. **negation**: the passage sentence closest in meaning says it with the same polarity ("can" / "cannot");
   a flipped polarity is *contradicted*;
4. **meaning**: that closest passage sentence is similar enough (embedding cosine ≥ `min_similarity`, when an
   embedder is given) and the lexical score reaches `min_lexical`.

The thresholds are calibrated on a hand-labelled set of sentence–passage pairs from real answers
(`python -m bench.support_check`, dev half only). An optional judge (the evaluation package's NLI or chat
judge) can be layered on top by the caller; none is needed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from knowledge.chunking import split_sentences
from knowledge.lexical import tokenize
from rag.citations import support as lexical_support
from rag.doses import find_doses
from rag.extractive import EmbedTexts

SupportLabel = Literal["supported", "unsupported", "contradicted"]
#: Names of the diseases and drugs a text mentions (normalised), e.g. from the knowledge graph's linker.
FindEntities = Callable[[str], set[str]]

#: Defaults chosen on the dev half of `bench/data/support_pairs.jsonl` (`python -m bench.support_check`: best
#: recall with ≤ 10 % false alarms; dev 83/92 caught at 4/40 false alarms, test 67/82 at 3/40).
MIN_SIMILARITY = 0.3
MIN_LEXICAL = 0.7

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|cannot|can't|won't|don't|doesn't|didn't|isn't|aren't|wasn't|without|"
    r"unable|unlikely|rarely)\b|n't\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")


class SupportCheck(BaseModel):
    """The verdict on one sentence against the passages it cites."""

    model_config = ConfigDict(extra="forbid")

    label: SupportLabel
    reasons: list[str] = Field(default_factory=list, description="Why not supported, e.g. `entity:alprazolam`.")
    similarity: float | None = Field(default=None, description="Cosine to the closest passage sentence.")
    lexical: float = Field(description="Share of the sentence's content words found in the passages.")
    closest: str | None = Field(default=None, description="The passage sentence closest in meaning.")


def negated(text: str) -> bool:
    """Whether the text says something is not so (a negation word, or a rarely/unlikely hedge)."""
    return bool(_NEGATION.search(text))


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _closest(sentence: str, pieces: list[str], embed: EmbedTexts | None) -> tuple[int, float | None]:
    """Index of the passage sentence closest to `sentence` (by embedding, else by shared words)."""
    if embed is not None:
        rows = embed([sentence, *pieces])
        sims = rows[1:] @ rows[0]
        best = int(np.argmax(sims))
        return best, float(sims[best])
    words = set(tokenize(sentence))
    overlaps = [len(words & set(tokenize(p))) for p in pieces]
    return int(np.argmax(overlaps)), None


class SupportEvidence(BaseModel):
    """What the thresholds are applied to: measured once, judged at any thresholds (`judge_support`)."""

    model_config = ConfigDict(extra="forbid")

    contradicted: list[str] = Field(default_factory=list, description="Doses stated otherwise by the passage.")
    missing: list[str] = Field(default_factory=list, description="Entities and numbers the passage does not state.")
    negation_flipped: bool = Field(default=False, description="The closest passage sentence has the other polarity.")
    similarity: float | None = None
    lexical: float
    closest: str | None = None


def measure_support(
    sentence: str,
    passages: Sequence[str],
    *,
    entities: FindEntities | None = None,
    embed: EmbedTexts | None = None,
) -> SupportEvidence:
    """Everything the support check needs about one sentence and its passages, no threshold applied."""
    lexical = round(lexical_support(sentence, passages), 3)
    pieces = [p for passage in passages for p in split_sentences(passage)]
    if not pieces:
        return SupportEvidence(missing=["no_passage"], lexical=lexical)
    contradicted: list[str] = []
    missing: list[str] = []
    joined = " ".join(passages)
    if entities is not None:
        named = entities(joined)
        missing += [f"entity:{e}" for e in sorted(entities(sentence) - named)]
    stated = _numbers(joined)
    passage_doses = {(d.unit, round(d.value, 6)) for p in passages for d in find_doses(p)}
    passage_units = {unit for unit, _ in passage_doses}
    for dose in find_doses(sentence):
        if (dose.unit, round(dose.value, 6)) not in passage_doses and dose.unit in passage_units:
            contradicted.append(f"dose:{dose.text}")
    missing += [f"number:{n}" for n in sorted(_numbers(sentence) - stated) if not any(n in c for c in contradicted)]
    best, similarity = _closest(sentence, pieces, embed)
    return SupportEvidence(
        contradicted=contradicted,
        missing=missing,
        negation_flipped=negated(sentence) != negated(pieces[best]),
        similarity=round(similarity, 4) if similarity is not None else None,
        lexical=lexical,
        closest=pieces[best],
    )


def judge_support(
    evidence: SupportEvidence, *, min_similarity: float = MIN_SIMILARITY, min_lexical: float = MIN_LEXICAL
) -> SupportCheck:
    """The verdict at these thresholds. A flipped polarity counts only against a passage sentence close enough
    to be saying the same thing."""
    similarity = evidence.similarity
    contradicted = list(evidence.contradicted)
    missing = list(evidence.missing)
    if evidence.negation_flipped and (similarity is None or similarity >= min_similarity):
        contradicted.append("negation")
    if similarity is not None and similarity < min_similarity:
        missing.append(f"similarity:{similarity:.2f}")
    if evidence.lexical < min_lexical:
        missing.append(f"lexical:{evidence.lexical:.2f}")
    label: SupportLabel = "contradicted" if contradicted else "unsupported" if missing else "supported"
    return SupportCheck(
        label=label,
        reasons=contradicted + missing,
        similarity=similarity,
        lexical=evidence.lexical,
        closest=evidence.closest,
    )


def check_support(
    sentence: str,
    passages: Sequence[str],
    *,
    entities: FindEntities | None = None,
    embed: EmbedTexts | None = None,
    min_similarity: float = MIN_SIMILARITY,
    min_lexical: float = MIN_LEXICAL,
) -> SupportCheck:
    """Whether `passages` support `sentence` (see the module docstring for the four checks)."""
    evidence = measure_support(sentence, passages, entities=entities, embed=embed)
    return judge_support(evidence, min_similarity=min_similarity, min_lexical=min_lexical)
