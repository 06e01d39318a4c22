"""Echoes and fragments: answer text from a small generator that says nothing.

A 270M-parameter model often repeats the question ("What are the side effects of metformin?" as the
answer) or stops mid-phrase ("Treatment aims to address the [1]", "The symptoms of", "Answer:"). Neither
should reach the user: an echo is no answer, and a fragment reads as a broken sentence with a citation
that supports nothing.

- `is_echo(answer, question)`: the answer, without citation markers and prompt labels, is mostly a run of
  the question's words, or adds at most one content word the question lacks.
- `is_fragment(sentence)`: fewer than three words, a label or heading ("Answer:", "Symptoms :",
  "Causes and Risk Factors"), an end on a word that needs a continuation (a determiner, preposition or
  conjunction: "… address the"), unbalanced brackets, or a short noun phrase opened by a determiner with no
  verb ("The symptoms of melanoma.").

The heuristics are lexical and deliberately narrow: a list of nouns ("Nausea, vomiting and diarrhea.") is a
terse answer, not a fragment; whether a complete sentence is right or grounded is for other checks.
Known limits: the verb check knows only common verbs, auxiliaries and -ed/-ing forms, so a short
determiner-led sentence with a rarer verb in the third person ("The mole itches.") reads as a fragment.
"""

from __future__ import annotations

import re

from rag.citations import longest_common_run, strip_markers

#: An answer whose longest run shared with the question covers this share of its words is an echo.
ECHO_RUN_SHARE = 0.8
#: … provided the run is at least this long (a "Yes." shares nothing worth calling an echo).
ECHO_MIN_RUN = 3
#: An answer adding at most this many content words the question lacks says nothing new.
ECHO_MAX_NEW_WORDS = 1
#: An answer must share at least this many content words with the question to echo it.
ECHO_MIN_SHARED = 2
#: A sentence with fewer words than this is a fragment.
MIN_WORDS = 3
#: A title-cased line of at most this many words, without end punctuation, is a heading.
MAX_HEADING_WORDS = 6
#: A determiner-led sentence without a verb is a dangling noun phrase up to this many words.
MAX_NOUN_PHRASE_WORDS = 10

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019-][A-Za-z0-9]+)*")
_LABEL = re.compile(r"^\s*(?:question|answer|response|context|sources?|references?|citations?)\s*:\s*", re.IGNORECASE)
_STOP = frozenset(
    """a an the this that these those my your his her its our their some any of to in on at for with by from
    about as into and or but so if is are was were be been being do does did can could should would will may
    might must have has had it i you he she we they me him them us what which who whom how why when where
    there here not no""".split()
)
# A sentence cannot end on these: they need a word after them.
_DANGLING = frozenset(
    """the a an this these those my your his her its our their some any each every no
    of to in on at for with by from about as into like through after over between against during without
    before under around among than via per
    and or but nor because if while although whereas unless
    include includes including such e.g i.e namely""".split()
)
_DETERMINERS = frozenset({"the", "a", "an", "this", "these", "those", "that", "its", "their", "your", "my"})
# Auxiliaries, modals and common verbs of health text (third person included).
_VERBS = frozenset(
    """is are was were be been being am isn't aren't wasn't weren't 's 're
    has have had do does did can could may might must shall should will would can't cannot won't don't doesn't
    include includes cause causes work works help helps need needs mean means affect affects reduce reduces
    lower lowers increase increases raise raises treat treats make makes take takes become becomes occur
    occurs appear appears develop develops lead leads result results show shows contain contains require
    requires depend depends vary varies tend tends seem seems look looks feel feels grow grows spread spreads
    get gets go goes come comes give gives keep keeps use uses prevent prevents protect protects block blocks
    act acts happen happens stop stops start starts last lasts worsen worsens improve improves change changes
    range ranges involve involves remain remains produce produces damage damages control controls""".split()
)
_MARKER_ONLY = re.compile(r"^[\s\[\]\d,;.]*$")


def _words(text: str) -> list[str]:
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


def _content(words: list[str]) -> set[str]:
    """Content words, with a plural or possessive "s" off ("effects" and "effect" are one word)."""
    return {w.removesuffix("'s").rstrip("s") if len(w) > 3 else w for w in words if w not in _STOP}


def is_echo(answer: str, question: str) -> bool:
    """Whether `answer` mostly repeats `question` instead of answering it.

    Citation markers ("[1]") and prompt labels ("Question:", "Answer:") are ignored. An echo either is
    mostly (`ECHO_RUN_SHARE`) one run of the question's words, or shares at least `ECHO_MIN_SHARED`
    content words with it while adding at most `ECHO_MAX_NEW_WORDS` of its own.
    """
    text = strip_markers(answer)
    while _LABEL.match(text):
        text = _LABEL.sub("", text, count=1)
    words = _words(text)
    if not words:
        return False
    run = longest_common_run(text, question)
    if run >= ECHO_MIN_RUN and run >= ECHO_RUN_SHARE * len(words):
        return True
    mine, theirs = _content(words), _content(_words(question))
    return len(mine & theirs) >= ECHO_MIN_SHARED and len(mine - theirs) <= ECHO_MAX_NEW_WORDS


def _is_heading(text: str, words: list[str]) -> bool:
    if text.rstrip().endswith(":"):
        return True
    if text.rstrip()[-1:] in ".!?" or len(words) > MAX_HEADING_WORDS:
        return False
    raw = _WORD.findall(text)
    return all(w[0].isupper() or w.lower() in _STOP for w in raw) and any(w[0].isupper() for w in raw[1:])


def _has_verb(words: list[str]) -> bool:
    return any(w in _VERBS or (len(w) > 4 and w.endswith(("ed", "ing"))) or w.endswith("n't") for w in words)


def is_fragment(sentence: str) -> bool:
    """Whether `sentence` is a broken piece of text rather than a statement.

    True for: fewer than `MIN_WORDS` words ("Answer:", "Metformin."), a label or heading ("Symptoms :",
    "Causes and Risk Factors"), an end on a determiner, preposition or conjunction ("Treatment aims to
    address the [1]", "The symptoms of"), unbalanced parentheses or brackets, or a determiner-led noun phrase
    without a verb ("The main symptoms of shingles [2]."). Citation markers are ignored.
    """
    if _MARKER_ONLY.match(sentence):
        return True
    text = strip_markers(sentence).strip()
    words = _words(text)
    if len(words) < MIN_WORDS:
        return True
    if _is_heading(text, words):
        return True
    if words[-1] in _DANGLING:
        return True
    if text.count("(") != text.count(")") or text.count("[") != text.count("]"):
        return True
    return words[0] in _DETERMINERS and len(words) <= MAX_NOUN_PHRASE_WORDS and not _has_verb(words)
