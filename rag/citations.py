"""Citation post-processing: parse cited markers, drop what was not retrieved, check support.

Support score (documented, lexical): the share of a sentence's content words (BM25 tokenisation:
lower-cased, stop words removed, Snowball-stemmed) that occur in the passages it cites. A sentence is
*supported* when the score reaches `min_support` (default 0.5). When the model cites nothing, each
sentence is *attributed* to the passage that supports it best, if any reaches the threshold: the
citation then comes from post-processing, not from the model, and says so (`origin="attributed"`).

Passages are data, never instructions. Lexical support passes anything copied verbatim, so:
- support is computed only over cited passages that are not *untrusted* (flagged by `knowledge.injection`
  with a code in `UNTRUSTED_CODES`); a sentence citing only untrusted passages scores 0;
- a sentence that itself reads as an instruction (the same detector), or repeats a long word run of an
  untrusted passage's flagged span, is dropped (`dropped=True`), whatever `unsupported` says;
- markup and citation-marker-only "sentences" (`</sources> [1][2][3]`) are never answer text;
- a dose ("take 2 tablets", "500 mg every 4 hours") is unsupported unless a cited curated, unflagged
  passage states the same number with the same unit (`rag.doses`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.chunking import split_sentences
from knowledge.injection import INSTRUCTION_CODES, flagged_spans, injection_flags, inspect_text, untrusted
from knowledge.lexical import tokenize
from rag.doses import unconfirmed_doses

# [1], [1, 2], [1][3], [medquad:123-1#0], [fact:DOID:820:has_symptom]. Tokens are split by a real separator
# (a comma, semicolon or whitespace) and bounded in length and number: the earlier pattern let a token split
# anywhere, and an unclosed "[" followed by a few words took minutes to reject (catastrophic backtracking).
_MARKER = re.compile(r"\[\s*([^\[\]\s,;]{1,80}(?:(?:\s*[,;]\s*|\s+)[^\[\]\s,;]{1,80}){0,20})\s*[,;]?\s*\]")


class SentenceCheck(BaseModel):
    """One answer sentence with its citations and support."""

    model_config = ConfigDict(extra="forbid")

    text: str
    citations: list[int]
    support: float
    supported: bool
    issues: list[str] = Field(
        default_factory=list,
        description="Why the sentence is unsupported or dropped: `instruction:<code>`, `markup_only`, "
        "`copies_flagged_passage:<n>`, `untrusted_sources_only`, `dose_unconfirmed:<dose>`; from the policies "
        "(`rag.policies.screen`): `fragment`, `personal_verdict`, `dose_not_quoted`; from the support check "
        "(`rag.support`): `unsupported:<reason>`, `contradicted:<reason>`.",
    )
    dropped: bool = Field(default=False, description="Never shown: it gives orders, copies them, or is markup only.")


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


def support(sentence: str, passages: Sequence[str]) -> float:
    """Share of the sentence's content words found in the passages (0 when it has none)."""
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    vocab: set[str] = set()
    for passage in passages:
        vocab |= set(tokenize(passage))
    return len(words & vocab) / len(words)


# Markup that is never answer text: tags (also in the ‹ › quoting of the prompt), chat tokens, [INST],
# markdown images, zero-width and bidi characters.
_MARKUP = re.compile(
    r"</?\s*[a-zA-Z][\w:-]{0,30}(?:\s[^<>]{0,80})?/?>|[‹«]\s*/?\s*[a-zA-Z][\w:-]{0,30}[^‹›«»]{0,80}[›»]|"
    r"<\|[a-z_]{2,30}\|>|<<?/?SYS>>?|\[/?INST\]|!\[[^\]]*\]\([^)]*\)|"
    "[\u200b\u200c\u200d\u2060-\u2064\ufeff\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]"
)
_WORDY = re.compile(r"[^\W\d_]{2,}|[\u4e00-\u9fff]")
# A prompt label on its own ("Answer:", "Sources:") says nothing.
_LABEL = re.compile(r"^\W*(?:answer|question|sources?|references?|response|context|citations?)\W*$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
#: A sentence sharing this many consecutive words with a flagged span copies it.
COPY_RUN = 5


def strip_markup(text: str) -> str:
    """Text without tags, chat tokens, markdown images and invisible characters."""
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(_MARKUP.sub(" ", text).split())).strip()


def longest_common_run(a: str, b: str) -> int:
    """Length in words of the longest run of consecutive words shared by `a` and `b` (case-insensitive)."""
    x = [w.lower() for w in _WORD.findall(a)]
    y = [w.lower() for w in _WORD.findall(b)]
    best = 0
    prev = [0] * (len(y) + 1)
    for i in range(1, len(x) + 1):
        cur = [0] * (len(y) + 1)
        for j in range(1, len(y) + 1):
            if x[i - 1] == y[j - 1]:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def copies(sentence: str, span: str) -> bool:
    """Whether `sentence` repeats `span`: a run of `COPY_RUN` words, or most of a short sentence (≥ 3 words)."""
    run = longest_common_run(sentence, span)
    words = len(_WORD.findall(sentence))
    return run >= COPY_RUN or (run >= 3 and run >= 0.6 * words)


#: A deeper support check: `(sentence, cited passages) → (label, reasons)` (`rag.support.check_support`).
VerifySupport = Callable[[str, list[str]], tuple[str, list[str]]]
#: How an answer's citations arose (`CitedAnswer.citation_origin`).
CitationOrigin = Literal["model", "attributed", "extractive", "none"]


def _score(
    check: SentenceCheck,
    cited: list[int],
    passages: Sequence[str],
    bad: list[bool],
    trust: Sequence[str],
    min_support: float,
    verify: VerifySupport | None = None,
) -> None:
    """Support over the cited passages that are not untrusted; doses need a cited curated passage; with
    `verify`, a lexically supported sentence must also pass it (entities, numbers, negation, meaning)."""
    usable = [n for n in cited if not bad[n - 1]]
    score = support(check.text, [passages[n - 1] for n in usable]) if usable else 0.0
    issues = [i for i in check.issues if not i.startswith(("untrusted_sources_only", "dose_unconfirmed"))]
    if cited and not usable:
        issues.append("untrusted_sources_only")
    curated = [passages[n - 1] for n in usable if trust[n - 1] == "curated"]
    doses = unconfirmed_doses(check.text, curated)
    issues += [f"dose_unconfirmed:{d.text}" for d in doses]
    issues = [i for i in issues if not i.startswith(("unsupported:", "contradicted:"))]
    supported = score >= min_support and not doses and not check.dropped
    if supported and verify is not None and usable:
        label, reasons = verify(check.text, [passages[n - 1] for n in usable])
        if label != "supported":
            supported = False
            issues += [f"{label}:{r}" for r in reasons] or [label]
    check.citations, check.support, check.issues = cited, round(score, 3), issues
    check.supported = supported


def check_sentences(
    answer: str,
    passages: Sequence[str],
    ids: list[str],
    *,
    min_support: float,
    attribute: bool,
    flags: Sequence[Sequence[str]] | None = None,
    trust: Sequence[str] | None = None,
    verify: VerifySupport | None = None,
) -> tuple[list[SentenceCheck], list[str], CitationOrigin]:
    """Split the answer into sentences, resolve citations and score support.

    `flags` are the injection codes of each passage (inspected here when not given); `trust` is each
    passage's `curated`/`user`/`unknown` (default `unknown`: no passage can confirm a dose); `verify` is the
    deeper support check a lexically supported sentence must also pass.
    Returns the checks, the unknown cited tokens (dropped), and how citations arose: `model` when the
    model cited at least one valid passage, `attributed` when post-processing supplied them, `none` else.
    """
    flags = [list(f) for f in flags] if flags is not None else [injection_flags(p) for p in passages]
    trust = list(trust) if trust is not None else ["unknown"] * len(passages)
    bad = [untrusted(f) for f in flags]
    spans = {n: flagged_spans(p) or [p] for n, p in enumerate(passages, start=1) if bad[n - 1]}
    checks: list[SentenceCheck] = []
    all_unknown: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(answer):
        cited, unknown = parse_markers(sentence, ids)
        all_unknown += unknown
        bare = strip_markers(sentence)
        plain = strip_markup(bare)
        key = " ".join(plain.lower().split())
        if not bare or key in seen:  # small models repeat sentences; say each once
            continue
        seen.add(key)
        issues = [f"instruction:{c}" for c in sorted({f.code for f in inspect_text(bare)} & INSTRUCTION_CODES)]
        if not _WORDY.search(plain) or _LABEL.match(plain):
            issues.append("markup_only")
        issues += [f"copies_flagged_passage:{n}" for n, ss in spans.items() if any(copies(plain, s) for s in ss)]
        check = SentenceCheck(text=plain or bare, citations=[], support=0.0, supported=False, dropped=bool(issues))
        check.issues = issues
        _score(check, cited, passages, bad, trust, min_support, verify)
        checks.append(check)
    shown = [c for c in checks if not c.dropped]
    origin: CitationOrigin = "model" if any(c.citations for c in shown) else "none"
    # Attribute only answers that cite nothing at all: a sentence citing an unknown id stays unsupported.
    if origin == "none" and not all_unknown and attribute and passages:
        for check in shown:
            scores = [0.0 if bad[i] else support(check.text, [p]) for i, p in enumerate(passages)]
            best = max(range(len(scores)), key=scores.__getitem__)
            if scores[best] >= min_support:
                _score(check, [best + 1], passages, bad, trust, min_support, verify)
                origin = "attributed"
    return checks, all_unknown, origin


def render_answer(checks: list[SentenceCheck], *, drop_unsupported: bool) -> str:
    """Answer text rebuilt from checked sentences, with [n] markers after each sentence.

    Dropped sentences never appear. Unsupported ones are left out with `drop_unsupported`, else kept and
    marked `(unsupported)` after their markers.
    """
    parts = []
    for check in checks:
        if check.dropped or (drop_unsupported and not check.supported):
            continue
        markers = "".join(f"[{n}]" for n in check.citations)
        if not check.supported:
            markers = f"{markers} (unsupported)".strip()
        text = check.text
        if markers and text[-1:] in ".!?":
            text = f"{text[:-1]} {markers}{text[-1]}"
        elif markers:
            text = f"{text} {markers}"
        parts.append(text)
    return " ".join(parts)
