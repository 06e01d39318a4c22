"""Clinical safety checks on the user's text: emergency red flags, missing key facts, the standing notice.

Red flags live in `rag.red_flags` (phrase rules that fire on a current emergency and only on one); they are
re-exported here, where the chain and the answer schema have always imported them.
"""

from __future__ import annotations

import re

from rag.red_flags import RedFlag as RedFlag
from rag.red_flags import detect_red_flags as detect_red_flags

DISCLAIMER = (
    "This information is for education only and is not a substitute for advice, diagnosis or treatment "
    "from a qualified clinician."
)


_PERSONAL = re.compile(
    r"\b(i|i'm|i've|my|me|he|she|my (son|daughter|child|baby|wife|husband|mother|father))\b"
    r".{0,40}\b(have|has|had|feel|feels|got|getting|experienc|suffer|pain|hurt|ache)",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\b\d{1,3}\s*(-| )?(years?|yrs?|yo|y/o|months?|weeks?)( old)?\b|\b(aged?|age)\s*\d|"
    r"\b(baby|infant|toddler|newborn|teen(ager)?|elderly)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\b(for|since|past|last)\s+(\d+|a|an|one|two|three|few|several)?\s*(minutes?|hours?|days?|"
    r"weeks?|months?|years?)\b|\bsince\b|\byesterday\b|\b(today|this morning|last night|ago)\b",
    re.IGNORECASE,
)
_SEVERITY = re.compile(
    r"\b(mild|moderate|severe|worst|terrible|unbearable|slight|bad|\d{1,2}\s*/\s*10|"
    r"out of 10)\b",
    re.IGNORECASE,
)


def missing_key_facts(user_text: str) -> list[str]:
    """For a personal symptom description, which of age, duration and severity are not stated yet."""
    if not _PERSONAL.search(user_text):
        return []
    checks = {"age": _AGE, "how long it has lasted": _DURATION, "how severe it is": _SEVERITY}
    return [name for name, pattern in checks.items() if not pattern.search(user_text)]


def clarifying_question(missing: list[str]) -> str | None:
    """One question asking for the missing facts, or None."""
    if not missing:
        return None
    # "age" needs its owner; the other facts are whole clauses ("the patient's how severe it is" was printed).
    phrases = ["the patient's age" if fact == "age" else fact for fact in missing]
    wanted = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"To give more specific information, could you tell me {wanted}?"


#: Letters past Latin Extended-B (U+024F): Greek, Cyrillic, Arabic, CJK, … scripts no source we index is in.
_LAST_LATIN = 0x24F
#: Above this share of such letters a question is not English (one Latin drug name in a Chinese question
#: does not make it English; a Greek letter in an English one does not make it Greek).
NON_LATIN_SHARE = 0.5


def mostly_non_latin(text: str) -> bool:
    """Whether most letters of `text` are in non-Latin scripts: the knowledge base and model are English."""
    letters = [ch for ch in text if ch.isalpha()]
    foreign = sum(1 for ch in letters if ord(ch) > _LAST_LATIN)
    return bool(letters) and foreign / len(letters) > NON_LATIN_SHARE
