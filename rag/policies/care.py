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
# The asker's own case: "my 4 year old", "my son's cough", "i have had", "my chest hurts", "he's been".
_OWN_CASE = re.compile(
    rf"\bmy\s+(?:\w+\s+)?{_RELATIVE}\b|"
    r"\b(?:i|i've|we|he|she|he's|she's)\s+"
    r"(?:(?:just|also|now|recently|suddenly|really|still|always|been|have|has|had|kept|keep)\s+){0,2}"
    r"(?:have|has|had|got|been|keeps?|started|feel|feels|felt|noticed|woke|is|am|having|getting|suffer|"
    r"suffering|took|ate|swallowed|drank|fell|hit|cut|burned|burnt)\b|"
    r"\bmy\s+(?:\w+\s+){1,2}(?:hurts?|aches?|is|are|has|have|feels?|keeps?|started|won't|will\s+not)\b|"
    r"\b(?:hurts?|aches?|pain|swelling|bleeding|itching|burning)\s+(?:in|on)\s+my\b"
)
# What they ask: what to do, whether to be seen, and how soon.
_ASK_CARE = re.compile(
    r"\bwhat\s+(?:should|shall|can|do|must)\s+(?:i|we)\s+do\b|"
    r"\bwhat\s+(?:do|would)\s+you\s+(?:suggest|advise|recommend)\b|"
    r"\b(?:should|do|shall|must)\s+(?:i|we)\s+(?:need\s+to\s+)?(?:go|take|bring|call|see|visit|get)\b"
    r"[^?.!]{0,40}\b(?:doctor|gp|er|a\s*&\s*e|emergency|hospital|urgent\s+care|clinic|nurse|pediatrician|"
    r"paediatrician|physician|seen|checked|help)\b|"
    r"\bdo\s+(?:i|we|(?:he|she)\s+)?need\s+to\s+(?:go\s+to|see|call|visit|be\s+seen)\b|"
    r"\bwhen\s+should\s+(?:i|we)\s+(?:worry|go|call|see|take|bring)\b|"
    r"\bhow\s+(?:long|soon)\s+should\s+(?:i|we)\s+wait\b|"
    # "please help us", "I honestly don't know what to do", "need advise", "suggest us upon this problem"
    r"\b(?:don't|do\s+not)\s+know\s+what\s+to\s+do\b|\bneed\s+(?:your\s+)?advi[cs]e\b|"
    r"\bplease\s+(?:help|advi[cs]e|suggest)\b|\bsuggest\s+(?:us|me)\b"
)
# Medicine routines the sources answer in general: "what should I do if I miss a dose of my pill?"
_MEDICINE_ROUTINE = re.compile(r"\b(?:miss(?:ed)?|forg[eo]t|skip(?:ped)?|double)\b[^?.!]{0,30}\b(?:dose|pill|tablet)")


def care_question(question: str) -> bool:
    """Whether `question` describes the asker's (or a relative's) own case and asks what to do about it."""
    text = " ".join(question.lower().replace("\u2019", "'").split())
    text = re.sub(r"\bi'?m\b", "i am", text)
    if _MEDICINE_ROUTINE.search(text):
        return False
    return bool(_ASK_CARE.search(text) and _OWN_CASE.search(text))
