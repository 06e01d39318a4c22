"""Doses and interactions: statements that only a drug's label or a pharmacist may make.

A generated "take 2 tablets every 4 hours" or "it is safe to take ibuprofen with warfarin" can harm even
when every word appears in a passage, so such a sentence stays in an answer only when it quotes a cited,
curated drug-label passage (`is_label_quote`); otherwise the answer drops it and shows `DOSE_NOTICE`.

- `dose_statement(sentence)`: a numeric dose, a count of dose forms or a frequency (`rag.doses.find_doses`),
  a co-administration statement ("take with", "together with", "at the same time as", "alongside",
  "X and Y can be taken together"), a safety-to-take claim ("safe to take X with Y", "you can take
  tylenol now") or an interaction claim ("ibuprofen interacts with warfarin").
- `is_label_quote(sentence, passage)`: the sentence, without citation markers, is a near-verbatim quote:
  at least `QUOTE_SHARE` of its words match, in order, inside one window of the passage barely longer than
  the sentence; every number in it is matched and it skips no number of the passage ("every 4 hours" does
  not quote "every 4 to 6 hours"); and it keeps the passage's negations ("take with alcohol" does not quote
  "do not take with alcohol", nor "take with food" "take with or without food").

Which passages are curated labels, and which are cited, is the caller's business (`rag.citations`).
Known limits: a dose in words the dose parser does not know ("a couple of pills") and a permission phrased
without "take"/"give"/"use" ("ibuprofen is fine for you") are not dose statements.
"""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher

from rag.citations import strip_markers
from rag.doses import find_doses

DOSE_NOTICE = (
    "Doses and whether two medicines can be taken together must come from the drug's label or a pharmacist: "
    "ask a pharmacist or your prescriber, who can check your other medicines, age, weight and health."
)
#: Share of a sentence's words that must match the passage, in order, for a quote.
QUOTE_SHARE = 0.9
#: A quote may skip this share of the passage's words inside its window (at least `QUOTE_MIN_SLACK`).
QUOTE_SLACK_SHARE = 0.1
QUOTE_MIN_SLACK = 2
#: A sentence shorter than this is too short to call a quote.
QUOTE_MIN_WORDS = 3
#: Words before the quoted window searched for a negation the sentence must keep.
NEGATION_LOOKBACK = 3

_CO_ADMIN = re.compile(
    r"\b(?:take|takes|taking|taken|took|use|uses|using|used|give|gives|giving|given|combine|combined|combining|"
    r"mix|mixed|mixing)\b[^.;!?]{0,60}?\b(?:together\s+with|together|at\s+the\s+same\s+time(?:\s+as)?|alongside|"
    r"along\s+with|in\s+combination\s+with|with)\b|"
    r"\b(?:can|may|should|must)\s+(?:not\s+|never\s+|safely\s+)?be\s+(?:taken|used|given|combined|mixed)\s+"
    r"(?:together|with|alongside|at\s+the\s+same\s+time)\b",
    re.IGNORECASE,
)
_SAFE_TO = re.compile(
    r"\b(?:safe|ok|okay|fine|alright|all\s+right|dangerous|unsafe|risky)\s+to\s+(?:take|use|give|combine|mix|"
    r"double|skip|stop)\b",
    re.IGNORECASE,
)
_PERMISSION = re.compile(
    r"\b(?:you|they|he|she|patients?|adults?|children|kids)\s+(?:can|may|could|should|must)\s+(?:not\s+|never\s+|"
    r"safely\s+|still\s+|also\s+)?(?:take|give|double|skip|stop\s+taking|continue\s+taking|keep\s+taking)\b"
    r"(?!\s+(?:steps|care|action|measures|precautions|time|a\s+break|a\s+look|part|advantage|note)\b)",
    re.IGNORECASE,
)
_INTERACTION = re.compile(
    r"\binteract(?:s|ing)?\s+with\b|\b(?:no|any)\s+(?:known\s+)?interactions?\s+(?:between|with)\b|"
    r"\b(?:do|does)\s+not\s+interact\b",
    re.IGNORECASE,
)
_QUOTE_WORD = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+(?:'[a-z]+)?")
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve once twice thrice half".split()
)
_SENTENCE_END = re.compile(r"[.;!?](?:\s+|$)|\n")
_NEGATIONS = frozenset({"not", "no", "never", "don't", "doesn't", "avoid", "without", "unless", "except", "nor"})


def dose_statement(sentence: str) -> bool:
    """Whether `sentence` states a dose, a frequency, that medicines may be combined, or that one is safe to take."""
    text = strip_markers(sentence)
    if find_doses(text):
        return True
    return any(p.search(text) for p in (_CO_ADMIN, _SAFE_TO, _PERMISSION, _INTERACTION))


def _is_number(word: str) -> bool:
    return word[0].isdigit() or word in _NUMBER_WORDS


def _quote_words(text: str) -> list[str]:
    return _QUOTE_WORD.findall(text.lower().replace("\u2019", "'"))


def _passage_words(passage: str) -> tuple[list[str], list[int]]:
    """The passage's words and, for each, the number of its sentence (a negation reaches no further)."""
    words: list[str] = []
    sentence_of: list[int] = []
    for number, part in enumerate(_SENTENCE_END.split(passage)):
        found = _quote_words(part)
        words += found
        sentence_of += [number] * len(found)
    return words, sentence_of


def is_label_quote(sentence: str, passage: str) -> bool:
    """Whether `sentence` quotes `passage` (near-)verbatim, numbers and negations intact.

    Args:
        sentence: An answer sentence; citation markers are ignored.
        passage: The cited passage's text.

    Returns:
        True when at least `QUOTE_SHARE` of the sentence's words match the passage in order inside one window
        of the passage at most `QUOTE_SLACK_SHARE` longer than the sentence, every number of the sentence is
        among the matched words, no number of the quoted stretch of the passage is skipped, and the sentence
        has the negations of that stretch (and of the few words before it in the same passage sentence).
    """
    words = _quote_words(strip_markers(sentence))
    source, sentence_of = _passage_words(passage)
    if len(words) < QUOTE_MIN_WORDS or not source:
        return False
    need = math.ceil(QUOTE_SHARE * len(words))
    width = len(words) + max(QUOTE_MIN_SLACK, math.ceil(QUOTE_SLACK_SHARE * len(words)))
    vocabulary = set(words)
    for start, word in enumerate(source):
        if word not in vocabulary:
            continue
        window = source[start : start + width]
        matcher = SequenceMatcher(None, words, window, autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        matched = {i for b in blocks for i in range(b.a, b.a + b.size)}
        if len(matched) < need:
            continue
        if any(_is_number(w) and i not in matched for i, w in enumerate(words)):
            continue
        end = start + blocks[-1].b + blocks[-1].size
        used = {start + i for b in blocks for i in range(b.b, b.b + b.size)}
        if any(_is_number(source[i]) for i in range(start + blocks[0].b, end) if i not in used):
            continue  # "every 4 hours" quoting "every 4 to 6 hours" drops a number
        first = start + blocks[0].b
        lookback = [i for i in range(max(0, first - NEGATION_LOOKBACK), first) if sentence_of[i] == sentence_of[first]]
        around = [source[i] for i in lookback] + source[first:end]
        if sum(w in _NEGATIONS for w in words) == sum(w in _NEGATIONS for w in around):
            return True
    return False
