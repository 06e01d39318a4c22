"""Citation post-processing: parse cited markers, drop what was not retrieved, check support.

Support score (documented, lexical): the share of a sentence's content words (BM25 tokenisation:
lower-cased, stop words removed, Snowball-stemmed) that occur in the passages it cites. A sentence is
*supported* when the score reaches `min_support` (default 0.5). When the model cites nothing, each
sentence is *attributed* to the passage that supports it best, if any reaches the threshold: the
citation then comes from post-processing, not from the model, and says so (`origin="attributed"`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from knowledge.chunking import split_sentences
from knowledge.lexical import tokenize

# [1], [1, 2], [1][3], [medquad:123-1#0], [fact:DOID:820:has_symptom]
_MARKER = re.compile(r"\[((?:\s*[^\[\]\s,;]+\s*[,;]?)+)\]")


class SentenceCheck(BaseModel):
    """One answer sentence with its citations and support."""

    model_config = ConfigDict(extra="forbid")

    text: str
    citations: list[int]
    support: float
    supported: bool


def parse_markers(text: str, ids: list[str]) -> tuple[list[int], list[str]]:
    """Context numbers cited in `text` (1-based, by number or by chunk id), and cited tokens that match none."""
    cited: list[int] = []
    unknown: list[str] = []
    index = {cid: i + 1 for i, cid in enumerate(ids)}
    for match in _MARKER.finditer(text):
        for token in re.split(r"[,;\s]+", match.group(1).strip()):
            if not token:
                continue
            if token.isdigit() and 1 <= int(token) <= len(ids):
                number = int(token)
            elif token in index:
                number = index[token]
            else:
                unknown.append(token)
                continue
            if number not in cited:
                cited.append(number)
    return cited, unknown


def strip_markers(text: str) -> str:
    """Text without citation markers."""
    return re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", text)).strip()


def support(sentence: str, passages: list[str]) -> float:
    """Share of the sentence's content words found in the passages (0 when it has none)."""
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    vocab: set[str] = set()
    for passage in passages:
        vocab |= set(tokenize(passage))
    return len(words & vocab) / len(words)


def check_sentences(
    answer: str, passages: list[str], ids: list[str], *, min_support: float, attribute: bool
) -> tuple[list[SentenceCheck], list[str], str]:
    """Split the answer into sentences, resolve citations and score support.

    Returns the checks, the unknown cited tokens (dropped), and how citations arose: `model` when the
    model cited at least one valid passage, `attributed` when post-processing supplied them, `none` else.
    """
    checks: list[SentenceCheck] = []
    all_unknown: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(answer):
        cited, unknown = parse_markers(sentence, ids)
        all_unknown += unknown
        plain = strip_markers(sentence)
        key = " ".join(plain.lower().split())
        if not plain or key in seen:  # small models repeat sentences; say each once
            continue
        seen.add(key)
        score = support(plain, [passages[n - 1] for n in cited]) if cited else 0.0
        checks.append(
            SentenceCheck(text=plain, citations=cited, support=round(score, 3), supported=score >= min_support)
        )
    origin = "model" if any(c.citations for c in checks) else "none"
    # Attribute only answers that cite nothing at all: a sentence citing an unknown id stays unsupported.
    if origin == "none" and not all_unknown and attribute and passages:
        for check in checks:
            scores = [support(check.text, [p]) for p in passages]
            best = max(range(len(scores)), key=scores.__getitem__)
            if scores[best] >= min_support:
                check.citations, check.support, check.supported = [best + 1], round(scores[best], 3), True
                origin = "attributed"
    return checks, all_unknown, origin


def render_answer(checks: list[SentenceCheck], *, drop_unsupported: bool) -> str:
    """Answer text rebuilt from checked sentences, with [n] markers after each sentence."""
    parts = []
    for check in checks:
        if drop_unsupported and not check.supported:
            continue
        markers = "".join(f"[{n}]" for n in check.citations)
        text = check.text
        if markers and text[-1:] in ".!?":
            text = f"{text[:-1]} {markers}{text[-1]}"
        elif markers:
            text = f"{text} {markers}"
        parts.append(text)
    return " ".join(parts)
