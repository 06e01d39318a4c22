"""Care-seeking questions: the asker describes their own (or a relative's) symptoms and asks what to do.

"My 4 year old has had a fever of 102 for three days and now has a rash, what should I do?", "should I take
her to the ER?", "do I need to see a doctor for this cough?". Passages say what a condition is and how it is
treated; none of them can judge how urgent this person's case is. The answer still gives what the sources
say, and `CARE_NOTICE` says who can judge it and when not to wait. Emergencies are the red-flag rules' job
(their notice comes first); this notice is for everything short of one.

Not care-seeking: general questions ("What should I do if someone has a seizure?", "When should you see a
doctor for a fever?") and questions about medicines ("what should I do if I miss a dose?"), which the
sources answer in general; the person's own case is what a passage cannot weigh.
"""

from __future__ import annotations

import re

CARE_NOTICE = (
    "The sources cannot judge how urgent your (or your family member's) symptoms are. Contact a doctor or nurse "
    "for advice, promptly if the symptoms are severe, getting worse, or have lasted several days, and sooner for "
    "a baby or young child; call your local emergency number if it feels like an emergency."
)

_RELATIVE = (
    r"(?:son|daughter|child|kid|baby|toddler|infant|newborn|boy|girl|husband|wife|partner|mom|mum|mother|dad|"
    r"father|brother|sister|grandma|grandmother|grandpa|grandfather|\d+\s*(?:-\s*)?(?:year|yr|month|week)s?"
    r"(?:\s*-\s*|\s+)old)"
)
# The asker's own case: "my 4 year old", "my son's cough", "i have had", "my chest hurts", "he's been". Not what
# an asker does or is ("I have a question", "I have read that…", "I am writing a report", "I am a nurse").
_OWN_CASE = re.compile(
    rf"\bmy\s+(?:\w+\s+)?{_RELATIVE}\b(?!\s+(?:passed|died|is\s+a\s+(?:doctor|nurse)))|"
    r"\b(?:i|i've|ive|we|he|she|he's|she's)\s+"
    r"(?:(?:just|also|now|recently|suddenly|really|still|always|been|have|has|had|kept|keep)\s+){0,2}"
    r"(?:have|has|had|got|been|keeps?|started|feel|feels|felt|noticed|woke|is|am|was|having|getting|suffer|"
    r"suffering|took|ate|swallowed|drank|fell|hit|cut|burned|burnt|bitten|stung)\b"
    r"(?!\s+(?:a\s+question|questions|a\s+query|read|heard|been\s+(?:reading|told|searching|looking)|"
    r"writing|searching|looking|trying\s+to\s+find|interested|a\s+(?:student|nurse|doctor|caregiver|carer|"
    r"teacher|pharmacist|researcher|writer)|an?\s+(?:school|class)|traveling|travelling|going\s+to\s+travel))|"
    r"\bmy\s+(?!(?:doctor|gp|question|problem|prescription|insurance)\b)(?:\w+\s+){1,2}"
    r"(?:hurts?|aches?|is|are|has|have|feels?|keeps?|started|won't|will\s+not)\b|"
    r"\b(?:hurts?|aches?|pain|swelling|bleeding|itching|burning)\s+(?:in|on)\s+my\b"
)
_WHO_ASKS = r"(?:i|we|he|she)"
# What they ask: what to do, whether to be seen, and how soon.
_ASK_CARE = re.compile(
    rf"\bwhat\s+(?:should|shall|can|do|must)\s+{_WHO_ASKS}\s+do\b|"
    r"\bwhat\s+(?:do|would)\s+you\s+(?:suggest|advise|recommend)\b|"
    rf"\b(?:should|do|does|shall|must)\s+{_WHO_ASKS}\s+(?:need\s+to\s+)?(?:go|take|bring|call|see|visit|get)\b"
    r"[^?.!]{0,40}\b(?:doctor|gp|er|a\s*&\s*e|emergency|hospital|urgent\s+care|clinic|nurse|pediatrician|"
    r"paediatrician|physician|seen|checked|help|911|999|112|ambulance|someone|stitches|x-?ray|in)\b|"
    rf"\b(?:do|does)\s+{_WHO_ASKS}\s+need\s+(?:to\s+(?:go\s+to|see|call|visit|be\s+seen|get)|stitches|an?\s+x-?ray)\b|"
    rf"\bwhen\s+should\s+{_WHO_ASKS}\s+(?:worry|go|call|see|take|bring)\b|"
    rf"\bhow\s+(?:long|soon)\s+should\s+{_WHO_ASKS}\s+wait\b|"
    # "please help us", "I honestly don't know what to do", "need advise", "suggest us upon this problem"
    r"\b(?:don't|do\s+not)\s+know\s+what\s+to\s+do\b|\bneed\s+(?:your\s+)?advi[cs]e\b|"
    r"\bplease\s+(?:help|advi[cs]e|suggest)\b|\bsuggest\s+(?:us|me)\b"
)
# "what should I do if my child has a fever?" asks in general: the case is in the "if" clause, not the asker's.
_HYPOTHETICAL = re.compile(r"\s*(?:if|when|in\s+case|whenever)\b[^?.!]*")
# Medicine routines the sources answer in general: "what should I do if I miss a dose of my pill?" (a double
# dose taken is no routine: it is the asker's case).
_MEDICINE_ROUTINE = re.compile(r"\b(?:miss(?:ed)?|forg[eo]t|skip(?:ped)?)\b[^?.!]{0,30}\b(?:dose|pill|tablet)")


def care_question(question: str) -> bool:
    """Whether `question` describes the asker's (or a relative's) own case and asks what to do about it."""
    text = " ".join(question.lower().replace("\u2019", "'").split())
    text = re.sub(r"\bi'?m\b", "i am", text)
    if _MEDICINE_ROUTINE.search(text):
        return False
    for ask in _ASK_CARE.finditer(text):
        clause = _HYPOTHETICAL.match(text, ask.end())
        rest = text[: clause.start()] + " " + text[clause.end() :] if clause else text
        if _OWN_CASE.search(rest):
            return True
    return False
