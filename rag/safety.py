"""Clinical safety checks on the user's text: emergency red flags, missing key facts, the standing notice.

Red flags are keyword rules over the question and conversation (not the model's output), so an urgent
notice never depends on generation. They are deliberately sensitive: a false alarm costs a sentence,
a miss can cost a life.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

DISCLAIMER = (
    "This information is for education only and is not a substitute for advice, diagnosis or treatment "
    "from a qualified clinician."
)


class RedFlag(BaseModel):
    """An emergency pattern found in the user's text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    notice: str


_EMERGENCY = "Call your local emergency number (e.g. 911/112/999) or go to the nearest emergency department now."
# (id, label, all-of patterns) — each pattern is a regex; every one must match somewhere in the text.
_RULES: list[tuple[str, str, list[str], str]] = [
    (
        "cardiac_chest_pain",
        "chest pain with breathlessness, sweating or spreading pain",
        [
            r"chest (pain|tightness|pressure)|pain in (my|the) chest",
            r"short(ness)? of breath|breathless|can'?t breathe|dyspn|sweat|radiat|spread|left arm|jaw|faint",
        ],
        "Chest pain with these features can be a heart attack or pulmonary embolism. " + _EMERGENCY,
    ),
    (
        "stroke",
        "possible stroke signs",
        [
            r"face (is )?droop|facial droop|slurred speech|trouble speaking|can'?t speak|sudden (numbness|weakness)|"
            r"weakness (on|in) one side|one side of (my|the|his|her) (body|face)|stroke"
        ],
        "Sudden face drooping, arm weakness or speech trouble can be a stroke: every minute counts. " + _EMERGENCY,
    ),
    (
        "suicidal_ideation",
        "thoughts of suicide or self-harm",
        [
            r"suicid|kill (myself|me)|end (my|it all)|take my (own )?life|self[- ]harm|hurt myself|want to die|"
            r"better off dead"
        ],
        "If you are thinking about harming yourself, you deserve support right now: call or text 988 (US), "
        "116 123 (UK/IE, Samaritans) or your local crisis line, or " + _EMERGENCY[0].lower() + _EMERGENCY[1:],
    ),
    (
        "anaphylaxis",
        "possible anaphylaxis",
        [
            r"anaphyla|throat (is )?(swelling|closing|tight)|swollen (tongue|lips|throat)|"
            r"(allerg|sting|peanut|bee).{0,60}(breath|wheez|swell|hives|faint)|(breath|wheez|swell|hives|faint).{0,60}(allerg|sting|peanut)"
        ],
        "Swelling of the throat or breathing trouble after an exposure can be anaphylaxis: use an adrenaline "
        "auto-injector if prescribed. " + _EMERGENCY,
    ),
    (
        "severe_bleeding",
        "heavy bleeding",
        [
            r"(heavy|severe|uncontrolled|won'?t stop|profuse)\s+bleed|bleeding (heavily|won'?t stop)|vomiting blood|"
            r"coughing up blood"
        ],
        "Heavy or uncontrolled bleeding needs urgent care. " + _EMERGENCY,
    ),
    (
        "meningitis",
        "fever with stiff neck, rash or confusion",
        [
            r"fever|temperature",
            r"stiff neck|neck stiffness|non[- ]blanching|purple rash|rash that doesn'?t fade|confus",
        ],
        "Fever with a stiff neck, a rash that does not fade or confusion can be meningitis or sepsis. " + _EMERGENCY,
    ),
    (
        "seizure",
        "seizure or loss of consciousness",
        [r"seizure|convuls|fit(ting)? |unconscious|passed out|unresponsive"],
        "A first seizure, a seizure lasting over 5 minutes, or unresponsiveness needs emergency care. " + _EMERGENCY,
    ),
    (
        "infant_fever",
        "fever in a young infant",
        [r"fever|temperature", r"(newborn|neonat|[0-9] ?(week|wk)s? old|[1-2] ?months? old|infant)"],
        "Any fever in a baby under 3 months needs same-day medical assessment. " + _EMERGENCY,
    ),
]
_COMPILED = [(rid, label, [re.compile(p, re.IGNORECASE) for p in pats], notice) for rid, label, pats, notice in _RULES]


def detect_red_flags(text: str) -> list[RedFlag]:
    """Emergency patterns in `text` (question plus conversation), in rule order."""
    return [
        RedFlag(id=rid, label=label, notice=notice)
        for rid, label, pats, notice in _COMPILED
        if all(p.search(text) for p in pats)
    ]


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
    if len(missing) == 1:
        wanted = missing[0]
    else:
        wanted = ", ".join(missing[:-1]) + " and " + missing[-1]
    return f"To give more specific information, could you tell me the patient's {wanted}?"


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
