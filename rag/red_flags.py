"""Emergency red flags in the user's text: phrase rules that fire on a current emergency and only on one.

The rules read the question and conversation (never the model's output), so an urgent notice never depends
on generation. Each rule is a set of word-bounded phrase patterns, lay wording included ("chest hurts",
"can't breathe", "lips turning blue"). A phrase counts only where it describes something happening now:

- not negated: no "no", "not", "denies", "without", "never", … a few words before it in the same clause
  ("I have no chest pain" is not chest pain);
- not a general question: a sentence that asks about a condition ("What are the symptoms of a stroke?",
  "how is anaphylaxis treated?") and names no one it is happening to is education, not an emergency;
- not a remote past event: "I had a seizure 10 years ago" is history ("she had a seizure an hour ago" is not).

They stay deliberately sensitive: a false alarm costs a sentence, a miss can cost a life. When no rule fires
and the caller passes the knowledge base's embedder, a learned classifier (`rag.red_flag_classifier`) reads
the same live sentences for the wordings no rule knows. Measured by `python -m bench.red_flags` on the
hand-labelled bench/data/red_flags*.jsonl sets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from rag.red_flag_classifier import classify_message, vetoes
from rag.red_flag_glossary import to_english

logger = logging.getLogger(__name__)


class RedFlag(BaseModel):
    """An emergency pattern found in the user's text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    notice: str
    #: What found it: the phrase rules, or the learned classifier when no rule fired.
    matched_by: Literal["rules", "classifier"] = "rules"


# --- Reading the text -------------------------------------------------------------------------------------

#: Typed-on-a-phone spellings of the contractions the rules and the negation check read.
_CONTRACTIONS = {
    "cant": "can't",
    "cannot": "can't",
    "can not": "can't",
    "couldnt": "couldn't",
    "wont": "won't",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "im": "i'm",
    "ive": "i've",
    "hes": "he's",
    "shes": "she's",
}
_CONTRACTION = re.compile(r"\b(" + "|".join(sorted(_CONTRACTIONS, key=len, reverse=True)) + r")\b")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b0": " degrees "})

#: "38,7": a temperature written with a decimal comma (a comma is otherwise a clause break).
_DECIMAL_COMMA = re.compile(r"\b(3[5-9]|4[0-2]),(\d)\b")
#: Sentence ends: a general-question frame applies to one sentence. A full stop inside "38.5" is not one; the " / "
#: between a form's fields is ("Age: 34 / Symptoms: … / Breathlessness: none").
#: A writer's introduction ("Mental health first aider at work here: what's the best way to ask about suicide?")
#: also ends a sentence before a question word, so the question can be read as the general one it is. Not any colon:
#: "Pharmacist: what dose of Calpol for a 7 week old?" asks about the baby the next sentence has a fever.
_SENTENCE_END = re.compile(
    r"[.!?;]+(?=\s|$)|\n+|\s/\s"
    r"|\bhere:\s+(?=(?:what|what's|whats|how|which|why|when|is|are|can|should|does|do)\b)"
)
#: A form's field answered in the negative ("sweating: none"): read as "no sweating", since the colon is a clause
#: break that would leave the finding without its negation.
_FORM_NEGATIVE = re.compile(r"\b([a-z][a-z' -]{1,40}?): (?:none|no|nil|negative|absent|denies|denied)\b")
#: A line quoting an earlier post ("> my dad's face drooped, they said it was a stroke"): someone else's story,
#: answered by the lines around it.
_QUOTED_LINE = re.compile(r"^\s*>")
#: A form's age field ("infant age: 9 weeks"), read as "aged 9 weeks": the colon would part the age from its noun.
_FORM_AGE = re.compile(r"\bage: (?=\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)")
#: Clause edges inside a sentence: negation and "years ago" reach no further ("no fever, but a stiff neck";
#: "I had a stroke 3 years ago and now my face is drooping again": "now" starts the present).
_CLAUSE_BREAK = re.compile(
    r",|:(?!\d)|\s[-\u2013\u2014]\s|\b(?:but|however|although|though|except|whereas)\b|"
    # "… 3 years ago and now my face is drooping again" starts the present; "ending it tonight" is one finding.
    # The word stays at the head of its clause (a zero-width cut), where it brings a dated sentence back to the present.
    r"(?<!\bit )(?<!\bit' )\b(?=(?:now|today|tonight)\b)"
)
#: A drug's written warning about a side effect ("my sertraline leaflet says it can increase suicidal thoughts"): what
#: the drug may do, not what is happening.
_LEAFLET_WARNING = re.compile(
    r"\b(?:leaflet|label|insert|packaging|information sheet|box) (?:says|said|warns|warned|mentions|lists|states) "
    r"(?:that )?(?:it |this |they )?(?:can|may|might|could) (?:cause|increase|raise|trigger|lead to)\b"
    # A nurse's advice for a fever to come: "the nurse said to give paracetamol for the MenB fever".
    r"|\b(?:said|told (?:me|us)|advised(?: me| us)?) to give \w+ (?:for|after) (?:the|a|any) (?:\w+ )?fever\b"
)
#: The remote-past words that date the rest of their sentence too: a time, not a "history of" or "used to", which
#: describe a background ("with no prior history of epilepsy, suffered at 09:30 a generalised convulsion").
_PAST_ANCHOR = re.compile(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|few|several|many|a couple of|"
    r"couple of) (?:years?|yrs?|months?|weeks?) ago\b|\b(?:years|months) ago\b|"
    r"\blast (?:year|month|summer|winter|spring|autumn|fall|christmas)\b|\bin (?:19|20)\d\d\b|\bback in\b|"
    r"\blong ago\b|\bat the time\b|\bthe other (?:week|month)\b|"
    r"\bwhen (?:(?:my|our|his|her|their) \w+|i|he|she|they|we) (?:was|were)\b|"
    # An age at the time: "our son was admitted at 4 weeks old with a fever" (he is 6 months now).
    r"\b(?:was|were) (?:admitted|hospitali[sz]ed|in hospital) (?:at|when)\b"
)
#: Words that bring a sentence back to the present after a remote past ("in 2019 … now my face is drooping").
_PRESENT = re.compile(
    r"\b(?:now|today|tonight|this (?:morning|afternoon|evening|week|time)|currently|at the moment|right now|still|"
    r"again|(?:minutes?|mins?|hours?|hrs?) ago|just)\b"
)
#: A dental anaesthetic's numbness and droop, which wear off ("after the dental injection my lip is drooping").
_DENTAL_NUMBNESS = re.compile(
    r"\b(?:dental|dentis\w*) (?:injection|anaesthetic|anesthetic|numbing|jab)\b|\bdentis\w* numbed\b|"
    r"\b(?:after|back from|home from) (?:the |my |his |her )?(?:dentist|filling|tooth extraction|wisdom tooth)\b"
)
#: A hypothetical clause ("if my toddler ever gets a rash", "just in case she has a seizure at work").
_IF_EVER = r"\bif(?: [\w']+){1,3} ever\b"
_HYPOTHETICAL = re.compile(
    rf"{_IF_EVER}|\bin case\b(?! of (?:an )?emergency)|\bif (?:someone|somebody|anyone|anybody)\b"
)

#: A symptom's start ("at first"), and a later clause of its sentence saying it ended.
_AT_FIRST = re.compile(r"\b(?:at first|initially|to begin with|at the start)\b")
_SINCE_STOPPED = re.compile(r"\b(?:stopped|settled|eased|went away|calmed down|passed|cleared)\b")
#: A hypothetical at a question's end, to the end of its sentence ("… if I'm ever worried about them").
_IF_EVER_TAIL = re.compile(rf"{_IF_EVER}.*$")

#: Words between a negation cue and the finding it still negates ("no history of any chest pain": 3).
NEGATION_WINDOW_WORDS = 3
#: Negation cues. "can't", "won't" and "couldn't" are not cues: they are part of findings ("can't breathe",
#: "won't stop"). Hedges ("not sure", "no idea", "don't know") negate nothing.
_NEGATION_CUE = re.compile(
    # "can't finish a sentence without clutching his chest" negates nothing.
    r"\b(?:no|not|never|(?<!sentence )(?<!sentences )(?<!words )(?<!talk )(?<!speak )(?<!walk )without|nor|"
    r"den(?:y|ies|ied|ying)|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|"
    r"haven't|hasn't|hadn't|free of|negative for)\b(?! (?:sure|certain|idea|just|only|doubt|know|knowing)\b)"
)

#: A negation reaching a finding through "thoughts of", "plans to", "urge to" (the finding follows at once).
_NEGATED_THOUGHT = re.compile(
    r"\b(?:no|not|never|without|don't|doesn't|haven't|hasn't|den(?:y|ies|ied|ying))\b(?: \w+){0,3} "
    # "no thoughts of hurting myself or ending my life": the negation reaches every finding the list joins.
    r"(?:thoughts?|ideas?|intentions?|plans?|urges?|wish(?:es)?|desire|feelings?) (?:of|to|about)"
    r"(?:(?: \w+){1,3} (?:or|nor|and))?\s*$"
)
#: A sentence opening like a question or a request for information …
_QUESTION_FRAME = re.compile(
    r"^\s*(?:(?:hi|hello|hey|ok|okay|so|quick question|question|sorry|please)\b[\s,:!-]*)*"
    r"(?:(?:at|in|from|by|to|for|of) (?:what|which) |what|what's|whats|how|why|when|which|who|can|could|does|do|is|"
    r"if (?:someone|somebody|anyone|anybody|a person|a child|a patient|a passenger|a pupil|you)|"
    r"are|should|would|will|tell me|explain|"
    r"describe)\b(?!'t\b)"  # "can't breathe" opens no question ("who's at risk …?" does)
)
#: … is a general question unless it names someone it is happening to. "you", "someone", "people" and "they"
#: are generic ("what should you do if someone has a seizure?"), so they are not on this list.
_PERSON = re.compile(
    r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine|we|we're|we've|us|our|he|he's|him|his|himself|she|she's|her|"
    r"hers|herself)\b"
)
#: A request for a way to die. "What's the easiest way to die" is question-shaped and names no one, yet asks for
#: the asker, so it is never a general question; it is also a suicidal finding (`_SUICIDAL`).
_WAY_TO_DIE_WORDS = (
    r"(?:least painful|painless|easiest|easy|quickest|quick|fastest|surest|best|simplest) ways? to "
    r"(?:die|overdose|od|kill (?:myself|yourself|oneself|urself|u)|end (?:it(?! with)|it all|my life|his life|"
    r"her life|your life|ur life))|"
    # "how many paracetamol to die painless", "… would it take to not wake up", "cut deeper so it works this time"
    r"(?:to|and) (?:not|never) wake up|cut deeper|so it works this time|"
    r"how many (?:\w+ ){0,3}to (?:die|kill (?:myself|yourself|me)|end (?:it|my life))|(?:die|death) painless(?:ly)?"
)
_WAY_TO_DIE = re.compile(rf"\b{_WAY_TO_DIE_WORDS}\b")

#: Time words placing a finding in the remote past, read in the finding's clause.
_REMOTE_PAST = re.compile(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|few|several|many|some|a couple of|"
    r"couple of) (?:years?|yrs?|months?|weeks?) ago\b|\b(?:years|months) ago\b|"
    r"\blast (?:year|month|week|summer|winter|spring|autumn|fall|christmas)\b|"
    r"\bas a (?:child|kid|teen|teenager|baby|toddler|student|youngster)\b|"
    r"\bwhen (?:(?:my|our|his|her|their) \w+|i|he|she|they|we) (?:was|were) (?:\d+ (?:weeks?|months?|days?) old|"
    r"young|younger|little|small|a child|a kid|a baby|a teen|"
    r"a teenager|\d+)\b|\bin (?:19|20)\d\d\b|\bsince (?:childhood|birth)\b|\bhistory of\b|\bused to\b|"
    r"\bin the past\b|\bback in\b|\blong ago\b|\bat the time\b|"
    # An age as the time: "has had a stroke at 40 years old", "at the age of 12".
    r"\bat (?:the age of |age )?\d{1,2} (?:years old|yrs old|years of age)\b|\bat (?:the age of|age) \d{1,2}\b"
)


#: Kinds of fiction: writing one frames a story's people, never the writer, as in danger.
_FICTION_GENRES = r"(?:story|novel|book|script|screenplay|scene|poem|fanfic\w*)"
#: A sentence framed as study or fiction ("studying for my nursing exam, what's the fever cutoff in neonates?",
#: "writing a story where a character goes into anaphylactic shock"): about no one unless it names someone besides
#: the frame's own "my" or "I'm".
STUDY_FRAME = re.compile(
    rf"\b(?:(?:i'm |i am )?(?:writing|write|wrote) (?:a |an |my )?(?:\w+ ){{0,2}}(?:{_FICTION_GENRES}|essay|assignment|"
    r"paper|article)|(?:i'm |i am )?(?:studying|revising|prepping|preparing) "
    r"for (?:my |an |the |a )?(?:\w+ ){0,3}(?:exams?|boards|quiz|finals|osce|usmle|nclex)|"
    rf"for (?:my|an|the|a) (?:\w+ ){{0,3}}(?:exams?|quiz|essay|assignment|class|lecture|module|course|homework|"
    rf"{_FICTION_GENRES})|in (?:my|a|the) (?:\w+ ){{0,2}}{_FICTION_GENRES}|"
    r"(?:i'm|i am) (?:a |an )?(?:\w+ ){0,2}student)\b"
)


_FICTION_FRAME = re.compile(rf"\b{_FICTION_GENRES}\b")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine|we|we're|we've|us|our)\b")


#: A fictional or reported suicide ("read a novel where the main character dies by suicide"): someone else's death in a
#: story, not the writer's thoughts; the writer's own words elsewhere are still read.
_FICTION_SUICIDE = re.compile(
    rf"\b(?:{_FICTION_GENRES}|film|movie|show|series|episode|character|documentary|song)s?\b[^.]{{0,60}}"
    r"\b(?:dies|died|death|commits|committed|kills|killed|attempts|attempted|leaves|left|writes|wrote)\b(?: \w+){0,2} "
    r"(?:by |of )?suicide\b"
)
#: A character in a play or a story ("Scene for my play: a character has a seizure on stage"): no one's emergency.
_CHARACTER = re.compile(r"\b(?:a|the|my|our|his|her|their) (?:main )?characters?\b")
#: "can't breathe 😭 my friend just sent the funniest video": laughter, not an airway.
_COULD_NOT = r"(?:can't|cant|cannot|couldn't|couldnt|could not)"
_LAUGHTER = r"(?:\bfunniest\b|\bhilarious\b|\blaugh\w*|😂|🤣)"
_LAUGHING_IDIOM = re.compile(
    rf"\b{_COULD_NOT} breathe?\b[^.]{{0,40}}{_LAUGHTER}|{_LAUGHTER}[^.]{{0,40}}\b{_COULD_NOT} breathe?\b"
)
#: "kill me now 💀" after an embarrassment: a joke, marked as one; the classifier read it as despair.
_JOKE_MARK = r"(?:💀|😂|🤣|\blol\b|\blmao\b|\bomg\b|\bhaha\w*)"
_HYPERBOLE = re.compile(
    rf"\bkill me now\b(?=[^.]{{0,40}}{_JOKE_MARK})|{_JOKE_MARK}[^.]{{0,60}}\bkill me now\b"
    # "I want to die, the charger's in the car": a phone's battery, not a life.
    r"|\b(?:want to die|wanna die|dying|kill me)\b[^.\n]{0,40}\b(?:phone|battery|charger|wifi|signal)\b"
    r"|\b(?:phone|battery|charger|wifi|signal)\b[^.\n]{0,40}\b(?:want to die|wanna die|i'm dying|kill me)\b"
)
#: Bleeding said to have stopped: the classifier may not raise heavy bleeding on it (the rules still read every
#: clause: "it stopped, then started pouring again" is a live finding there).
_BLEEDING_STOPPED = re.compile(r"\b(?:it'?s|its|it has|has|bleeding has|finally|now) stopped\b|\bstopped bleeding\b")
#: A person's usual state, which carries through its sentence as a date does ("My COPD readings are my usual: SpO2
#: 90-91%, breathless on exertion same as always"); not "worse than usual" or "not my usual".
_USUAL_STATE = re.compile(
    r"(?<!not )(?<!unlike )(?<!than )(?<!from )\b(?:my|his|her|their) (?:usual|normal|baseline)\b"
    r"|\bsame as (?:always|usual|ever)\b|\bas (?:usual|always)\b|\bnormal for (?:me|him|her|them)\b"
)
#: A message taking back what it said ("him: THERE'S BLOOD EVERYWHERE / me: ??? / him: nvm it's the beetroot juice"):
#: only what follows the last retraction is read.
_RETRACTION = re.compile(
    r"(?:^|\n|[.!?] |: |[-\u2013\u2014] )(?:edit: )?(?:nvm|never ?mind|false alarm|panic over|scratch that)\b"
    # "edit: it was just the angle and a filter": an edit that says what it really was.
    r"|\bedit: (?:it was|it's|its) (?:just|only)\b",
    re.IGNORECASE,
)
#: A message opening as study notes ("Revision notes for my nursing exam - classic MI symptoms: 1. …", "Paramedic
#: revision - acute severe asthma"): its list is a syllabus, not a patient.
_STUDY_NOTES = re.compile(
    r"^\W*(?:[\w-]+ ){0,2}revision\b|^\W*(?:my )?(?:study|lecture|exam) notes\b|^\W*flash ?cards?\b"
)
#: A plan and an intent both denied outright ("No plans, no intent"), the words of a safety assessment: with no stated
#: plan or method, thoughts told about are no emergency.
_DENIES_PLAN_AND_INTENT = re.compile(
    r"\bno (?:plans?|intent(?:ions?)?)(?:,| or| and| &)? (?:no )?(?:plans?|intent(?:ions?)?)\b"
    # Low mood said to be safe: "I'm feeling low but safe, just want someone to talk to".
    r"|\b(?:low|down|sad|flat|depressed|rubbish)(?: \w+)? but (?:i'm |i am |i feel |feeling )?safe\b"
)
#: Cosmetic lip treatments swell the lips by design: without an airway sign, no anaphylaxis.
_COSMETIC_LIPS = re.compile(r"\b(?:lip )?fillers?\b|\blip (?:injections?|flip)\b|\bbotox\b")
#: A symptom said to have passed: the classifier may not raise an alarm on it (the rules read each clause).
_RESOLVED = re.compile(
    r"\b(?:gone|settled|eased|passed|stopped|better) now\b"
    # "it has gone away", not "my voice has gone croaky".
    r"|\b(?:it's|its|it has|has|have) (?:gone away|settled down|eased off|passed)\b"
    r"|\bwhich is (?:my|his|her|their) normal\b|\bback to (?:my |his |her |their )?normal\b"
    r"|\bturned out (?:to be|it was)\b|\b(?:nobody|no one|no-one)(?:'s| is| was| got) hurt\b"
    # "took Gaviscon and it went within minutes".
    r"|\b(?:it|the pain|that) went (?:away )?(?:within|in|after) (?:a few |a couple of )?(?:minutes|mins|seconds)\b"
)
#: A known, harmless cause of a one-sided face ("back from the dentist … half my face is numb", "GP diagnosed Bell's
#: palsy yesterday, one side of my face is droopy"): the face and speech signs are explained in the whole message,
#: and only sudden weakness or numbness of a limb still says stroke.
_EXPLAINED_FACE = re.compile(
    r"\b(?:diagnos\w*|told (?:me |him |her )?(?:it's|it is|it was)|(?:have|has|got|with)) (?:with )?bell'?s palsy\b"
)
#: A temperature stated as a number: Celsius with a decimal, a degree sign or a "c", or after "temp"; Fahrenheit
#: with a degree sign or an "f". "Newborn 37.2, is that a fever?" states no fever, whatever word it asks about.
_TEMPERATURE = re.compile(r"(?:\btemp\w*\D{0,20}?)?(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(°|degrees?|deg)?\s*([cf])?\b")
#: Below these a stated temperature is not a fever (°C, °F).
_NO_FEVER_BELOW_C, _NO_FEVER_BELOW_F = 38.0, 100.4


#: An oxygen saturation reading ("SpO2 90-92%", "oximeter says 88%", "reads 98% now") and a stated target range.
_SPO2_READING = re.compile(
    r"(?:spo2|sats|oximeter|oxygen|reads|reading)\D{0,25}?\b([5-9]\d|100)(?:\s?[-\u2013]\s?\d\d)?\s?%"
)
_SPO2_TARGET = re.compile(r"\btarget (?:sats|saturations?|spo2|range)\D{0,15}?\b([89]\d)")
#: A saturation at or above this after a low one is a misreading put right (cold fingers, nail varnish).
_NORMAL_SPO2 = 94


def _oximetry_reassuring(normalised: str) -> bool:
    """Whether the message's saturation readings end normal, or all lie within the target range it states (a COPD
    patient's 88-92 %): a low reading alone then says nothing."""
    readings = [int(m[1]) for m in _SPO2_READING.finditer(normalised)]
    if not readings:
        return False
    target = _SPO2_TARGET.search(normalised)
    return readings[-1] >= _NORMAL_SPO2 or (target is not None and min(readings) >= int(target[1]))


def _afebrile(normalised: str) -> bool:
    """Whether the message states one temperature or more and none is a fever."""
    readings: list[bool] = []  # one per stated temperature: is it a fever?
    for m in _TEMPERATURE.finditer(normalised):
        value, degree, unit = float(m[1]), m[2], m[3]
        labelled = m[0].startswith("temp")
        if 34 <= value < 43 and ("." in m[1] or degree or unit == "c" or labelled):
            readings.append(value >= _NO_FEVER_BELOW_C)
        elif 93 <= value < 110 and (degree or unit == "f" or labelled):
            readings.append(value >= _NO_FEVER_BELOW_F)
    return bool(readings) and not any(readings)


#: "her temp is normal", "no temperature at all": no number, but no fever either (for the classifier's alarms).
_NORMAL_TEMPERATURE = re.compile(
    r"\btemp\w* (?:is|was|'s|has been) (?:normal|fine|ok|okay|good)\b|\bno (?:temp\w*|fever) at all\b"
)


#: "Since starting the new antidepressant two weeks ago I've had urges to …": the time word dates a start, and what
#: follows is still going on.
_ONGOING = re.compile(r"\b(?:ever )?since\b[^,]{0,50}\bago\b")


def _normalise(text: str) -> str:
    """Lower case, straight apostrophes, other languages' emergency phrases in English (`rag.red_flag_glossary`),
    a decimal comma in a temperature as a point, apostrophe-less contractions spelled out, spaces collapsed."""
    lowered = " ".join(to_english(text.translate(_APOSTROPHES)).lower().split())
    lowered = _DECIMAL_COMMA.sub(r"\1.\2", lowered)
    lowered = _FORM_NEGATIVE.sub(r"no \1", lowered)
    lowered = _FORM_AGE.sub("aged ", lowered)
    return _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(1)], lowered)


def _is_general_question(sentence: str) -> bool:
    """A question about a condition in general: question-shaped, or framed as study or fiction, and about no one in
    particular (but never a request for a way to die, whoever it names). In fiction "he" and "her" are characters:
    only the writer themself ("my chest hurts as I write") makes it live."""
    if _WAY_TO_DIE.search(sentence):
        return False
    if STUDY_FRAME.search(sentence):
        rest = STUDY_FRAME.sub(" ", sentence)
        return not (_FIRST_PERSON if _FICTION_FRAME.search(sentence) else _PERSON).search(rest)
    # "… about suicide if I'm ever worried about them": the asker named only in a hypothetical is no one in particular.
    return bool(_QUESTION_FRAME.search(sentence)) and not _PERSON.search(_IF_EVER_TAIL.sub("", sentence))


def _unquoted(text: str) -> str:
    """`text` without the lines it quotes from someone else, unless it is nothing but a quotation."""
    lines = text.splitlines()
    own = [line for line in lines if not _QUOTED_LINE.match(line)]
    return "\n".join(own) if any(line.strip() for line in own) else text


def _live_clauses(text: str) -> list[str]:
    """The clauses that can describe a current emergency: quoted lines, general questions, remote past events,
    hypotheticals, a leaflet's warnings and a dental anaesthetic's numbness dropped. A remote past reaches the rest
    of its sentence until a clause says it is now ("Had a heart attack in 2019 - crushing chest pain, sweating").
    """
    clauses: list[str] = []
    for sentence in _SENTENCE_END.split(_normalise(_unquoted(text))):
        if not sentence.strip() or _is_general_question(sentence) or _HYPERBOLE.search(sentence):
            continue
        past = False
        pieces = _CLAUSE_BREAK.split(sentence)
        for i, c in enumerate(pieces):
            if not c.strip():
                continue
            # "lots of blood at first but it stopped within a couple of minutes": a start the sentence then ends.
            if _AT_FIRST.search(c) and any(_SINCE_STOPPED.search(later) for later in pieces[i + 1 :]):
                continue
            if _PRESENT.search(c):
                past = False
            # A dentist's numbing explains the droop that follows in its sentence, as a date puts it in the past.
            if (
                (_PAST_ANCHOR.search(c) and not _ONGOING.search(c))
                or _DENTAL_NUMBNESS.search(c)
                or _USUAL_STATE.search(c)
            ):
                past = True
            if (
                past
                or (_REMOTE_PAST.search(c) and not _ONGOING.search(c))
                or _HYPOTHETICAL.search(c)
                or _LEAFLET_WARNING.search(c)
                or _FICTION_SUICIDE.search(c)
                or _CHARACTER.search(c)
                or _LAUGHING_IDIOM.search(c)
            ):
                continue
            clauses.append(c)
    return clauses


def _negated(clause: str, start: int) -> bool:
    """Whether a negation cue stands at most `NEGATION_WINDOW_WORDS` words before position `start`, or a negated
    thought leads straight into it ("not having any thoughts of hurting myself")."""
    window = clause[:start].split()[-(NEGATION_WINDOW_WORDS + 1) :]
    return bool(_NEGATION_CUE.search(" ".join(window)) or _NEGATED_THOUGHT.search(clause[:start]))


def _phrases(*alternatives: str) -> re.Pattern[str]:
    """One pattern matching any of `alternatives` as whole words."""
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# --- Findings ---------------------------------------------------------------------------------------------
# Each is a pattern over normalised text; a rule fires when every finding of one of its groups is present.

_POSSESSIVE = r"(?:my|his|her|their|the|your)"
#: "is" after a noun, also as the clitic of "baby's 4 weeks" or "throat's itchy".
_IS = r"(?:'s| is| are|'re)"
_CANT = r"(?:can't|unable to|not able to|couldn't|struggling to|struggle to|fighting to|can barely|can hardly)"
#: "Can't breathe through my nose" is a blocked nose, not an airway: the mouth still breathes.
_CANT_BREATHE = (
    rf"{_CANT} (?:properly )?breathe?(?! thr(?:ough|u) (?:(?:my|his|her|their|the|your|one) )?(?:nose|nostrils?))"
)

_BREATHLESS = _phrases(
    r"short(?:ness|nes)? of breath",
    r"out of breath",
    r"breathless",
    _CANT_BREATHE,
    r"(?:hard|difficult|trouble|difficulty) (?:to )?breath(?:e|ing)?",
)
# Clinical words carers and nurses write: each is a finding below, and no alarm beside one is vetoed
# (`_UNVETOABLE`).
_ACTIVE_SI = (r"active si", r"si with (?:a )?(?:plan|intent)")
_SEIZURE_TERMS = (r"tonic[- ]clonic", r"post[- ]?ictal")
#: The clinical register of a referral letter or a formal complaint ("retrosternal pain … with dyspnoea and
#: diaphoresis", "abrupt onset of dysarthria"): words the classifier, trained on patients' words, never saw.
_CARDIAC_TERMS = (r"retro-?sternal", r"dyspn(?:o)?ea\w*", r"diaphore\w*")
#: Not a stroke survivor's lasting deficit ("his aphasia", "post-stroke hemiparesis").
_NOT_LASTING = r"(?<!his )(?<!her )(?<!my )(?<!their )(?<!with )(?<!stroke )(?<!residual )(?<!chronic )"
_STROKE_TERMS = tuple(
    _NOT_LASTING + term for term in (r"dysarthri\w*", r"dysphasi\w*", r"aphasi\w*", r"hemi-?pare\w*", r"hemi-?pleg\w*")
)
_RECTAL_BLEEDING = r"(?:blood|bleeding) (?:per rectum|pr|from (?:my|his|her|the) (?:back passage|rectum|bottom))"
#: A Glasgow Coma Scale of 12 or less is reduced consciousness.
_LOW_GCS = r"gcs (?:of |is |was |now |approx\w* |about |around |~)?(?:[3-9]|1[0-2])"
#: Oxygen saturation under 92 % ("SpO2 84% on 2L", "sats 88"); "sat" alone is a verb ("sat 90 minutes").
_LOW_SPO2 = (
    r"(?:spo2|sp02|sats|o2 sats?|oxygen saturation|oxygen level|oxygen (?:machine|monitor|meter|reading)|"
    r"(?:pulse )?ox(?:i|y)meter|finger (?:probe|monitor|clip))"
    r"(?: is| of| at| was| down to| now| showing| shows| reads| reading| says| saying| on)?:? ?~?"
    r"(?:[5-8]\d|9[01])"
)
#: The same, on its own: the clauses a reassuring oximetry reading leaves out (`_oximetry_reassuring`).
_LOW_SPO2_READING = re.compile(_LOW_SPO2)
_ANGIOEDEMA = r"angio-?o?edema"
_STRIDOR = r"stridor"

_SEVERE_BREATHING = _phrases(
    _CANT_BREATHE,
    r"(?:not|stopped|stopping|stops|isn't|wasn't) breathing",
    r"gasping",
    r"fighting for (?:breath|air)",
    rf"can't (?:catch|get) {_POSSESSIVE} breath",
    r"can't get (?:enough )?air",
    r"too (?:breathless|out of breath|short of breath|wheezy) to (?:speak|talk|finish|walk|eat)",
    # Talking in single words or half sentences: the breathlessness of a life-threatening asthma attack.
    r"can only (?:say|speak|get out|manage) (?:a few|one or two|two or three|single|one|two|three) words",
    r"(?:can only|only) (?:get|say|speak|manage) (?:\d(?:[-–]\d)?|a few|one or two|two or three) words",
    r"(?:can't|unable to|not able to) (?:finish|complete) (?:a |his |her |my |their |full )?sentences?",
    r"(?:can't|unable to|not able to) (?:speak|talk|say|get out) (?:in )?(?:a |full |whole |complete )*sentences?",
    r"speech (?:is )?(?:limited|reduced) to (?:single|one|a few) words?",
    _LOW_SPO2,
    r"wheez\w* (?:so |really |very )?(?:badly|bad)",
    r"(?:is|are|he's|she's|i'm|i am) choking",
    # Choking: no voice and no breath.
    r"(?:can't|cannot|unable to) (?:talk|speak|cough),? or breathe",
    r"choking on",
    # Present or perfect tense: turning blue now, not "why do my lips turn blue in cold water".
    r"(?:lips|lipps|face|fingers|fingertips|fingernails|skin|tongue|mouth) (?:is |are |look |looks |looking |went |"
    r"going |turning |turned |gone |has gone |have gone )+"
    r"(?:an? )?(?:weird |strange |funny |horrible |dusky |bit |slight )*(?:blue|bloo|blu|grey|gray|purple|dusky)",
    r"(?:blue|purple) (?:lips|fingertips|fingers)",
    # Without a verb: "lips a bit grey colour".
    r"lips (?:a bit |slightly |quite |very |all |kind of |kinda )?(?:blue|bluish|grey|gray|greyish|purple)",
    r"(?:can't|unable to|not able to) (?:talk|speak) (?:and )?(?:finish|complete) (?:one|a|full|his|her|my) sentences?",
    r"blu(?:e|ish) (?:tinge|tint)",
    r"(?:lips|face|skin|fingers|fingertips)[^.]{0,30} blu(?:e-?)?ish",
    r"can't (?:even )?walk (?:\w+ ){0,4}without (?:stopping|stopping for breath|having to stop)",
    # Breathless at rest or while talking: no reserve left.
    r"(?:breathless|short of breath|out of breath)[^.]{0,15} (?:even )?(?:when |while )?(?:talking|speaking|resting|"
    r"at rest|sitting still|lying down)",
    r"ribs (?:are |is )?(?:suck|sucks|sucking|pull|pulls|pulling) in",
    r"sucks in",
    # Tracheal tug and recession: the skin sucked in at the neck or between the ribs.
    r"sucking[- ]in (?:at|under|between|around|beneath|below) (?:his |her |their |my |the )?(?:neck|throat|ribs|chest)",
    r"(?:severe|marked|significant) respiratory distress",
    r"inability to (?:speak|talk) (?:more than|in full)",
    # Silent choking: an object blocks the airway fully when the child cannot cough or cry.
    r"(?:can't|cannot|unable to|not able to) (?:cough|cry)(?! up| it| anything| properly| without)",
    r"grunting",
    # Stridor: a high-pitched noise on breathing in is a narrowed upper airway (croup, a swallowed object).
    _STRIDOR,
    r"high[- ]pitched (?:noise|sound|squeak|whistl\w*|wheeze)",
    r"breathing (?:is )?(?:really |very )?(?:fast and shallow|shallow and fast)",
    r"(?:isn't|not|aren't) (?:getting )?(?:any )?better (?:with|after) "
    rf"{_POSSESSIVE} (?:inhaler|puffer|nebuli[sz]er)",
    r"(?:inhaler|puffer) (?:isn't|is not|not|doesn't|does not|is no longer) (?:working|helping|help)",
    r"(?:inhaler|puffer)[^.,]{0,30} (?:isn't|is not|not|doesn't|does not) (?:working|helping|help)",
)

#: Pain words people use for the chest; "of drawers" keeps the furniture out.
_CHEST_PAIN_WORD = r"(?:pain\w*|pian|hurt\w*|ach\w*|burn\w*|tight\w*|heav\w*|pressure|squeez\w*|crush\w*|discomfort)"
_CHEST_PAIN = _phrases(
    rf"chest(?! of drawers)(?:'s)?(?: \w+){{0,4}} {_CHEST_PAIN_WORD}",
    r"(?:tight|heavy|crushing|squeezing|burning|painful|aching) chest",
    rf"{_CHEST_PAIN_WORD}(?: \w+){{0,5}} (?:behind|under|beneath|in) {_POSSESSIVE} (?:breast ?bone|sternum)",
    r"retro-?sternal",
    r"chest[^.]{0,20} like a (?:belt|band|strap|vi[cs]e)",
    r"(?:pain|pains|pressure|tight\w*|heav\w*|weight|ache|aching|band|burn\w*|squeez\w*|crush\w*)(?: \w+){0,5} "
    rf"(?:in|on|across|of|around|through) {_POSSESSIVE} chest",
    rf"(?:clutching|clutched|grabbed|grabbing|holding|gripping|pressing on|rubbing) {_POSSESSIVE} chest",
    # What a person who cannot say "pain" does: "keeps pressing her fist into the middle of her chest".
    rf"(?:press\w*|push\w*|clutch\w*|grip\w*) {_POSSESSIVE} (?:fist|hand|hands) (?:into|against|on) "
    rf"(?:the middle of )?{_POSSESSIVE} chest",
    r"chest[^.]{0,20} like (?:a|in a) vi[cs]e",
    # Clinicians' shorthand: "c/o central CP 8/10", "CP radiating to back".
    r"c/o (?:\w+ )?cp",
    r"(?:central|crushing|pleuritic|retrosternal|severe|ongoing|acute|new) cp",
    r"cp (?:\d+/10|radiating|radiates|spreading)",
    # A weight on the chest without the word: "heavy feeling like someone standing on me".
    r"(?:like )?(?:someone|somebody|something heavy|a weight|a car)(?: is)? "
    r"(?:sitting|standing|pressing|pushing) on (?:me|it|my chest)",
)
#: Chest pain described this way is enough on its own.
_CHEST_PAIN_SEVERE = _phrases(
    r"(?:crushing|squeezing|severe|intense|excruciating|terrible|worst)[^.]{0,30} chest",
    rf"clutching {_POSSESSIVE} chest",
    r"elephant (?:is )?(?:sitting|standing) on",
    r"(?:having|had|has had|just had|is having) (?:a )?heart attack",
)
#: Angina that its spray no longer relieves is a heart attack until shown otherwise.
_ANGINA = _phrases(r"angina", r"gtn", r"glyceryl trinitrate", r"nitro(?:glycerin|glycerine)?(?: spray)?")
_PAIN_PERSISTS = _phrases(
    r"pain[^.]{0,20} (?:hasn't|has not|won't|isn't|didn't|doesn't|not) (?:budg\w*|eas\w*|settl\w*|go\w* away|"
    r"shift\w*|stop\w*|improv\w*)",
    r"(?:spray|gtn)[^.]{0,30} (?:hasn't|has not|isn't|didn't|doesn't|not) (?:work\w*|help\w*|touch\w*)",
    # "I've used it three times over 15 minutes and the pain is worse than usual".
    r"used (?:it|the spray|my spray|the gtn|my gtn) (?:three|four|3|4|several) times",
    r"pain (?:is |'s )?worse than usual",
    # After the sprays: "2 nitro sprays 5 mins apart and the angina is still there, actually worse".
    # Not what exertion brings on as usual: "my angina is still there when I climb hills".
    r"(?:angina|pain|tightness)(?:'s| is) still (?:there|here|going|bad)(?! when| on | if | after)",
)
_CARDIAC_COMPANION = _phrases(
    _BREATHLESS.pattern,
    *_CARDIAC_TERMS,
    r"sweat\w*",
    r"clammy",
    r"(?:spread\w*|radiat\w*|going|goes|moving|shooting|travel\w*)[^.]{0,25} (?:arm|arms|jaw|neck|back|shoulder)",
    r"left arm",
    # Pleuritic chest pain with breathlessness: a pulmonary embolism, after surgery or a flight. (Not a racing heart:
    # with a tight chest that is how a panic attack is told.)
    rf"can't (?:catch|get) {_POSSESSIVE} breath",
    r"arms? (?:\w+ )?(?:feels? |is |went |gone )?(?:heavy|numb|weak|tingl\w*|dead)",
    r"jaw",
    r"faint\w*",
    r"dizzy",
    r"light-?headed",
    r"nause\w*",
    r"vomit\w*",
    r"throwing up",
    r"(?:feel|feels|feeling|look|looks|looking) (?:sick|grey|gray|pale|awful|terrible)",
    # Pallor as people say it: "he's gone really pale", "turned grey".
    r"(?:gone|went|turned|turning|going|is|he's|she's) (?:really |very |so |all )?(?:pale|grey|gray|white|ashen)",
    r"collaps\w*",
)

_FACE_DROOP = _phrases(
    r"(?:face|mouth|smile|lip|lips)(?:'s)?(?: \w+){0,2} (?:droop\w*|dropp?ed|dropping|sagg\w*|lopsided|crooked|fallen)",
    r"(?:droop\w*|lopsided|crooked|sagging) (?:on )?(?:one side|face|mouth|smile)",
    rf"(?:one side|half) of {_POSSESSIVE} (?:face|mouth)",
    rf"half {_POSSESSIVE} (?:face|mouth)",
    r"(?:face|mouth) (?:isn't|is not|not|won't|doesn't) (?:moving|move)",
    r"facial (?:droop\w*|weakness|palsy)",
    r"can't smile (?:properly|straight|evenly)",
    # South African "skew": "her face is skew".
    r"face (?:is |has gone |went |looks |'s )?(?:all )?(?:skew|skewed|wonky)",
)
_SPEECH_TROUBLE = _phrases(
    r"slurr\w*",
    *_STROKE_TERMS,
    r"(?:talking|speaking) (?:a (?:little|bit) |very |really )?(?:oddly|strangely|funny|funnily|weirdly|weird)",
    r"speech(?: \w+){0,3} (?:slurred|garbled|jumbled|strange|weird|funny|wrong|odd)",
    r"(?:talking|speaking|saying) (?:gibberish|nonsense)",
    r"gibberish",
    r"words (?:are |were )?(?:all )?(?:jumbled|garbled|mixed up|muddled|coming out wrong)",
    r"words[^.]{0,15} coming out (?:all )?(?:wrong|jumbled|garbled|mixed up|muddled|funny|strange|weird)",
    rf"can't (?:talk|speak|get {_POSSESSIVE} words out)",
    r"trouble (?:speaking|talking)",
    r"(?:he's|she's|he is|she is|they're|i'm) not making (?:any )?sense",
    r"not making sense when (?:he|she|they|i) (?:talks?|speaks?)",
)
_SUDDEN_WEAKNESS = _phrases(
    r"(?:sudden(?:ly)?|abrupt(?:ly)?)[^.]{0,40} (?:weak\w*|numb\w*|paralys\w*|blind|seeing double|double vision|"
    r"can't (?:move|lift|raise|feel|use|see)|"
    r"(?:lost|loss of) (?:feeling|movement|vision|sight))",
    # Not what a stroke left behind: "he still has some weakness in his left hand".
    r"(?<!still has some )(?<!still has )(?<!still have some )(?<!still have )(?<!residual )"
    r"(?:weak\w*|numb\w*|paralys\w*) (?:of|in) (?:the |his |her |my |their )?(?:left|right) (?:upper|lower|arm|leg|"
    r"hand|side|limbs?)",
    # Sight lost in one eye, told in that order: "lost the vision in my left eye all of a sudden, like a curtain".
    r"(?:lost|losing|loss of) (?:the |all )?(?:vision|sight) (?:in|of) (?:my|his|her|their|one|the) "
    r"(?:left |right )?eye[^.]{0,30} (?:all of a sudden|suddenly)",
    r"like a curtain (?:came|coming|come|has come|was pulled) down",
    r"(?:arm|leg|hand|foot)(?:'s| has| is)? (?:gone |going |feels? )?'?(?:lazy|useless|heavy and weak)",
    r"(?:weak\w*|numb\w*|paralys\w*) (?:on|in|down) "
    r"(?:one|the left|the right|(?:my|his|her|their) (?:left|right)) side",
    rf"(?:one|left|right) side of {_POSSESSIVE} (?:body|face)[^.]{{0,20}} (?:weak\w*|numb\w*|tingl\w*|not working|gone|"
    r"dead|floppy)",
    # A limb that stopped working, now: "my arm won't work properly", "his leg won't move", "her hand has gone weak".
    r"(?:arm|leg|hand|foot) (?:has |have |had )?(?:gone|went|going|turned) (?:all )?(?:weak|numb|dead|limp|floppy)",
    r"can't feel (?:the |my |his |her )?(?:left |right |one )?(?:side of|half of)",
    r"(?:leg|legs|knee|knees) (?:keeps? |kept )?(?:giving way|gave way|buckl\w*)",
    r"(?:arm|leg|hand) (?:won't|doesn't|will not|does not|can't) (?:work|move|lift|grip)",
    # The arm test of FAST: one arm drops or will not rise.
    r"can't (?:raise|lift) (?:both|either|one of) (?:his |her |their |my )?arms",
    r"arm (?:just )?(?:went|has gone|gone|is|suddenly went) (?:floppy|limp|dead)",
    r"worst headache of (?:my|his|her|their) life",
    r"thunderclap",
    r"(?:having|had|has had|just had|is having) (?:a |another )?(?:mini[- ]?)?(?:stroke|tia)",
)

#: A plan or a method: the highest-risk thing a message about suicide says, so no alarm beside one is vetoed.
_SUICIDE_PLAN = (
    # Collecting pills is a plan; collecting them from the pharmacy is an errand.
    r"(?:stockpil\w*|hoard\w*|saving up|collecting) (?:my |his |her |some |all )?(?:sleeping |pain |heart )?"
    r"(?:pills|tablets|meds|medication|"
    r"medicines)(?! (?:from|at) (?:the |a )?(?:pharmacy|chemist|chemists|drugstore|surgery|clinic|hospital))",
    r"(?:goodbye|suicide) (?:letters?|notes?|messages?)",
    r"(?:pills|tablets|meds) (?:are )?(?:all )?(?:lined up|counted out|ready)",
    r"how (?:i'd|i would|i'll|i will|i'm going to|i am going to|i'm gonna) do it",
    _WAY_TO_DIE_WORDS,
    r"which bridge",
    r"how many (?:of (?:the|my|these|those) )?(?:\w+ )?(?:pills|tablets|meds) "
    r"(?:it would take|it takes|would (?:kill|be fatal|be enough))",
    r"(?:plan|plans|planning|going|intends|intending|wants|threaten\w*) to jump (?:off|from|in front of)",
    r"hang (?:myself|himself|herself)",
    r"(?:driv\w*|crash\w*|steer\w*) (?:my |the |his |her )?(?:car )?(?:into|off) (?:a|the) (?:wall|tree|bridge|cliff|"
    r"lorry|truck|oncoming)",
    r"(?:i've|i have|he's|she's|he has|she has) decided to do it",
    r"(?:rope is ready|(?:got|bought|have) (?:a |the )?rope(?: already| ready)?(?! burns?| swing| ladder| climb\w*))",
    r"(?:acquired|obtained|got|have|bought) the means",
    r"(?:pills|tablets|meds)[^.]{0,25} (?:been saving|saving (?:them )?up|stockpil\w*|hoard\w*)",
    r"(?:they're|they are) (?:all )?counted out",
)
#: Low mood, or goodbyes written, beside a preparation (`_SUICIDE_PREP`): each alone is everyday ("we've picked a
#: date", "the rope is in the garage"), together a plan.
_SUICIDE_CONTEXT = _phrases(
    r"depress\w*",
    r"low mood",
    r"hopeless\w*",
    r"dark thoughts",
    r"thoughts of (?:harming|hurting|killing|ending)",
    r"wish i (?:wouldn't|didn't|won't|would not|did not) wake",
    r"(?:wrote|written|writing) (?:goodbye )?letters (?:for|to) (?:everyone|everybody|all of you|my family)",
    r"(?:nobody|no one|no-one) (?:will|would|is going to) (?:miss|care|notice)",
    r"(?:lost|losing) (?:the|my) job[^.]{0,40} (?:took|taken|left with) the kids",
    r"tired of (?:it all|all of it|everything|living|life|being alive)",
    r"(?:logged|feeling|been|felt) (?:very|so|really) low (?:for|every)",
    r"urges? (?:are|is|get|got|getting|have got)?(?: \w+){0,2} (?:strong|stronger|worse)",
    # Under a mental-health crisis team: "The crisis team told me 'ring us if the urges get strong'".
    r"crisis team",
    r"(?:they're|they are|it's|it is) stronger than (?:they've|it's|they have|it has) ever been",
    # The questionnaire's self-harm item answered above zero: "PHQ-9 was 26 and question 9 was a 3".
    r"(?:question|item|q) ?9 (?:was|scored|is|=) (?:a )?[123]",
)
#: Asking what amount would kill: with live despair a preparation even when phrased as a general question ("What dose
#: of insulin would be lethal? I'm type 1 and honestly I'm tired of all of it"), which the live clauses leave out.
_LETHAL_AMOUNT = _phrases(
    r"(?:dose|amount|number)(?: \w+){0,3} (?:would|will|could|to) (?:be lethal|be fatal|kill)",
    r"lethal (?:dose|amount)",
    r"how (?:much|many)(?: \w+){0,3} (?:would|will|could|to) (?:be lethal|be fatal|kill (?:me|you|a person)|die)",
)
_SUICIDE_PREP = _phrases(
    r"(?:picked|set|chosen|chose) a (?:date|day|time)",
    r"decided on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|a date|the date|the day|tonight)",
    r"worked out (?:how|the way|a way)",
    r"rope (?:is|'s) (?:in|under|hidden|ready)",
    r"(?:i'm|i am|he's|she's|standing) (?:standing )?on (?:the|a) (?:bridge|ledge|roof)",
    r"(?:gun|shotgun|rifle|pistol)[^.]{0,20} (?:for company|loaded|is ready)",
    # A stock of a drug kept back to take at once: "saving up my insulin pens … take them all".
    # ("collecting my tablets" is a pharmacy errand, "should I take them all" a dosing question: neither counts).
    r"(?:(?:saving|saved) up|stockpil\w*|hoard\w*|stash\w*) (?:[\w']+ ){0,6}"
    r"(?:pills|tablets|meds|medication|insulin|pens|paracetamol|painkillers|sleeping pills)",
    # "I'm going to take them all", "I'm thinking of taking them all tonight".
    r"(?:going to|gonna|will|i'll|planning to|plan to|want to|thinking of|thinking about) "
    r"(?:take|taking|swallow|swallowing) them all",
    # Self-harm's means made ready: "I've got the blades out".
    r"(?:got|get|getting|have|taken|took) (?:the |my )?(?:blades?|razors?)(?: \w+)? out",
    r"(?:i've|i have|i) (?:made|got) a plan",
    r"(?:i've got|i have|got) what i need",
    r"(?:doing|do) it (?:this weekend|tonight|tomorrow|on \w+day)",
    r"(?:tablets|pills|meds|medication|blades?)(?: \w+){0,2} in front of me",
    r"(?:don't|do not|can't) trust myself",
)

_SUICIDAL = _phrases(
    r"suicid\w*",
    *_SUICIDE_PLAN,
    r"how to do it",
    r"kill(?:ing)? (?:myself|himself|herself|themselves)",
    r"(?:end|ending|take|taking|finish|finishing) (?:my|his|her|their) (?:own )?life",
    r"end(?:ing)? it all",
    r"(?:want|wants|wanted|wanting|going|ready) to die",
    r"wanna die",
    r"(?:better off|happier|easier|be fine|be better) (?:dead|without me|if i (?:wasn't|weren't|was not|were not) "
    r"(?:here|around|alive)|if i (?:was|were) (?:gone|dead))",
    r"(?:don't|can't) see (?:the|any) point (?:in|of) (?:living|life|going on|carrying on|being alive|being here)",
    r"no (?:point|reason) (?:in |to )?(?:living|live|go on|going on|keep going|carry on|carrying on|be alive|"
    r"being alive)",
    r"(?:don't|do not) want to (?:live|be alive|wake up|be here (?:tomorrow|anymore|any more|much longer))",
    r"can't go on",
    r"can't keep (?:going|on)",
    # Pills kept back to take at once, said in one breath: "I've been saving them up and I'm thinking of taking
    # them all tonight".
    r"(?:saving|saved|stockpil\w*|hoard\w*)[^.]{0,40} (?:take|taking|swallow\w*) them all",
    # "I don't think I'll be here by Thursday": not to be alive by then.
    r"(?:don't think i'll|won't|will not|not going to) be (?:here|around|alive) "
    r"(?:by|for|on|next|tomorrow|much longer)",
    r"(?:sleep|go to sleep) and (?:never|not) wake up",
    r"to (?:not|never) wake up",
    r"(?:said|saying|say) (?:my|his|her|their) goodbyes",
    r"disappear (?:forever|for good|permanently)",
    r"(?:give|given|giving|gave) away (?:all )?(?:my|his|her|their) (?:things|stuff|belongings|possessions)",
    r"(?:notice|care|miss me) if i (?:was|were|am|i'm) gone",
    r"(?:this is|this'll be|this will be|guess this is) my (?:last|final) (?:message|text|post)",
    # Joining someone who has died: "I think it's time I joined her".
    r"(?:time|ready) (?:i|for me to|to) (?:join|joined|be with) (?:her|him|them)(?: again)?",
    # Self-harm as an act or an urge, not an accident ("I cut myself shaving").
    r"(?:cutting|hurting|harming|burning) (?:myself|himself|herself|themselves)",
    r"(?:cut|hurt|harmed|burned|burnt) (?:myself|himself|herself|themselves) (?:on purpose|deliberately|again)",
    r"(?:want|wants|going|urge|need) to (?:hurt|harm|cut|burn) (?:myself|himself|herself|themselves)",
    r"self[- ]?harm\w*",
    r"(?:took|taken|taking|take|had) an overdose",
    r"overdosed",
    r"(?:swallowed|took|taken|downed) (?:a |an |the |all |all of |all the )?(?:whole |entire |full )?"
    r"(?:packet|bottle|box|handful|pack|tub|strip)s? of",
    # A time set for it: "ending it tonight" ("ending it with my boyfriend" names no time).
    r"(?:end|ending|finish|finishing) it'? (?:tonight|today|now|tomorrow|this (?:week|weekend|evening))",
    # Sarcasm about a future the writer will not see: "what's the weather tomorrow, not that i'll be needing to know".
    r"not that i'll (?:be )?(?:around|here|alive|needing to know|need to know)",
    r"no point (?:anymore|any more)",
    # Exhaust fumes: the engine left running in a garage, not an engine that runs rough.
    r"garage[^.]{0,40} engine (?:is |still )?running(?! (?:rough|badly|hot|fine|ok|okay|smooth\w*|poorly|weird\w*))",
    r"engine (?:is |still )?running (?:in|inside) (?:the|my|a) (?:closed |shut )?garage",
    r"(?:thinking about|thought about|planning|plan to|going to|want to) (?:taking|take|swallowing|swallow) "
    r"(?:all|every one of|the whole|a whole)[^.]{0,25} (?:pills|tablets|meds|medication|medicines)",
    *_ACTIVE_SI,
    # A number of tablets no dose holds, or a wish that it were over: "took like 30 paracetamol" (not "1000 mg").
    r"(?:took|taken|swallowed|downed) (?:like |about |around |maybe |nearly |over |at least )?"
    r"(?:[1-9]\d|\d{3,}) (?:(?!(?:mg|mcg|g|ml|milligrams?|micrograms?|grams?|units?)\b)\w+ )?"
    r"(?:pills|tablets|paracetamol|tylenol|painkillers|sleeping pills|capsules)",
    r"(?:want|wanted|wanting) (?:it all|everything|all of it) to (?:be over|stop)",
    r"(?:took|taken|swallowed|downed) (?:the rest of|every one of|the whole (?:pack|box|bottle|packet|strip) of) "
    r"(?:my|his|her|their) (?:\w+ )?(?:antidepressants|sleeping (?:pills|tablets)|painkillers|pills|tablets|"
    r"paracetamol|tylenol|insulin)",
    r"(?:won't|will not|wont) have to (?:put up with|deal with|worry about|look after) me (?:much )?"
    r"(?:longer|anymore|any more)",
)

_AIRWAY_SWELLING = _phrases(
    r"throat (?:is |feels |feels like it's |feels like its )?(?:swelling|closing|closing up|closing over)",
    r"tongue (?:is |are )?(?:really |very )?(?:swelling|swollen|puffing)",
    r"swollen tongue",
    r"(?:having|had|is having|going into|gone into|in) (?:an )?(?:anaphyla\w*|anaphylactic (?:shock|reaction))",
    r"anaphylactic (?:shock|reaction)",
)
#: What someone reacts to: a food, a sting, a drug, an injection.
_EXPOSURE = (
    r"sting",
    r"stung",
    r"bitten by",
    r"co-?amoxiclav",
    r"augmentin",
    r"iv (?:antibiotics?|contrast|infusion)",
    r"bite from",
    r"peanuts?",
    r"nuts?",
    r"cashews?",
    r"shellfish",
    r"prawns?",
    r"shrimps?",
    r"lobster",
    r"crab",
    r"bee",
    r"wasp",
    r"antibiotics?",
    r"penicillin",
    r"dye",
    r"contrast",
    r"ate",
    r"eaten",
    r"injection",
    r"epi-?pen",
    # A drug just taken: "took first dose of amoxicillin", "started a new painkiller", "after the jab".
    r"(?:first|new) (?:dose|medicine|medication|tablet|pill|painkiller)s?",
    # A reaction timed from what came before it: "20 minutes after the new ibuprofen my face is swelling".
    r"(?:minutes|mins|an hour|half an hour) after (?:taking|eating|the|a|my|his|her|their)",
    r"\w+cillin",
    r"jab",
    r"vaccin\w*",
)
#: An exposure, or being allergic: enough context for visible swelling or hives, not for a wheeze ("my asthma
#: makes me wheeze, I'm allergic to dust" is no reaction).
_ALLERGEN = _phrases(r"allerg\w*", *_EXPOSURE)
_EXPOSURE_EVENT = _phrases(*_EXPOSURE)
_THROAT_TIGHT = _phrases(
    r"throat (?:is |feels )?(?:really |very |so )?(?:tight|swollen|tightening)",
    # A writer of English as a second language: "her throat is close".
    r"throat (?:is |feels )?(?:closing|close|closed)(?: up)?",
    r"throat(?:'s| is) still (?:tight|swollen|closing)",
)
#: Swelling of the face, lips, mouth or tongue (angioedema); puffy eyes alone are ordinary hay fever.
_FACE_SWELLING = _phrases(
    r"(?:face|lips?|mouth|tongue)(?: \w+){0,3} "
    r"(?:swelling|swollen|swell\w*|puffing|puffed|puffy|blowing up|blown up|massive|huge|enormous)",
    r"(?:face|lips?|mouth|tongue) (?:is |very |so |all )*swell\b",
    r"(?:face|lips?|mouth|tongue)(?: \w+){0,2} (?:doubled|tripled) in size",
    r"(?:face|lips?|mouth|tongue)(?: \w+){0,2} like (?:a )?balloons?",
    r"tongue (?:has |have )?(?:become|became|got|gone|went|going|getting|is getting) (?:really |very |so )?"
    r"(?:big|huge|fat|thick)",
    _ANGIOEDEMA,
)
#: Airway signs after an exposure: wheeze, breathlessness, an itchy or tight throat, a changed voice, stridor.
_AIRWAY_SIGN = _phrases(
    r"wheez\w*",
    _BREATHLESS.pattern,
    rf"throat{_IS}? (?:really |very |so )?(?:itchy|tight|swollen|scratchy|closing)",
    r"voice (?:sounds |is |has gone |went )?(?:weird|strange|hoarse|funny|different|croaky|strangled|muffled)",
    r"can't swallow (?:his |her |my |their )?(?:own )?(?:spit|saliva)",
    r"breathing (?:got |is |sounds |has got |went )?(?:noisy|loud|whistly)",
    r"noisy breathing",
    r"breathing through a (?:straw|pillow|wet cloth)",
    # Stridor in lay words: "a high-pitched noise when he breathes in", "a weird squeaky thing when i breathe in".
    r"(?:high[- ]pitched|squeak\w*|whistl\w*|crowing)[^.]{0,40} (?:breathes? in|breathing in|inhal\w*)",
    _STRIDOR,
)
_HIVES = _phrases(
    r"hives", r"urticaria", r"welts", r"(?:red )?blotch\w*", r"rash all over", r"covered in (?:a )?(?:rash|spots|red)"
)
_SYSTEMIC = _phrases(
    r"wheez\w*",
    _BREATHLESS.pattern,
    r"faint\w*",
    r"dizzy",
    r"woozy",
    r"collaps\w*",
    r"hoarse",
    r"vomit\w*",
    r"throwing up",
    r"pass(?:ing)? out",
    r"floppy",
    r"noisy",
)

_HEAVY_BLEEDING = _phrases(
    # "today it's pure blood every 20 min": blood alone, not streaks in stool.
    r"pure blood",
    r"(?:heavy|heavily|severe|severely|uncontrolled|uncontrollable|profuse|profusely|massive|lots of|a lot of|"
    r"so much|loads of) (?:bright red |fresh |dark red )?(?:bleeding|blood)",
    r"bleed(?:ing|s)? (?:really |very |so )?(?:heavily|badly|profusely|a lot|everywhere|loads|like crazy)",
    r"(?:bleeding|blood loss) (?:is|was|has been) (?:really |very |so )?(?:heavy|bad|severe)",
    r"(?:bleed\w*|blood|nose ?bleed)[^.]{0,60} (?:won't|will not|doesn't|does not|isn't|hasn't|not|can't|couldn't|"
    r"didn't) (?:stop|stopping|stopped)",
    r"blood (?:is |was |keeps |kept )?(?:spurting|pouring|gushing|pumping|squirting|everywhere)",
    r"(?:it's|it is) (?:still )?(?:gushing|spurting)",
    r"(?:spurting|pouring|gushing|pumping|squirting) (?:out )?blood",
    r"(?:vomit\w*|throwing up|threw up|coughing|coughed|cough|spitting|spat|puking|puked) (?:up )?"
    r"(?:blood|what looks like coffee grounds)",
    r"(?:soak\w*|bleed\w*) (?:through )?(?:a |the |my |his |her )?(?:\w+ ){0,3}(?:pad|pads|towel|towels|tampons?|"
    r"bandages?|dressings?|cloth|cloths|clothes|sheets|trousers|jeans)",
    r"(?:wound|cut|gash|scalp|head|face|neck|hand|wrist|arm|leg|thigh|knee|foot|finger|thumb)[^.]{0,25} "
    r"(?:is |it's |still )?(?:gushing|spurting|pouring)",
    r"(?:gushing|spurting|pouring)[^.]{0,30} (?:can't|cannot|couldn't|won't) (?:stop|stem)",
    r"(?:pressure|pressing)[^.]{0,20} (?:isn't|not|doesn't|won't) (?:stopping|stop|helping) (?:it|the bleeding)",
    r"(?:won't|will not|doesn't|does not|can't|cannot|couldn't|isn't going to) stop bleeding",
    r"(?:filling|filled|full) (?:up )?with blood",
    r"(?:large|huge|big|vast) (?:quantities|quantity|amounts?|volumes?) of (?:\w+ ){0,3}blood",
    r"(?:vomit\w*|threw up|throwing up|coughed up|coughing up|brought up) (?:about |around |nearly |over |at least )?"
    r"(?:a |an |half a )?(?:cup|mug|cupful|glass|bowl|lot)s? of (?:\w+ ){0,2}blood",
    r"(?:nose ?bleed|bleed\w*)[^.]{0,20} (?:gone on|going on|lasted|lasting|been going) (?:for )?(?:over |more than )?"
    r"(?:[3-9]\d|\d{3}) (?:minutes|mins)",
)
#: Black, tarry stool is bleeding in the gut; with faintness it is a large bleed.
_BLACK_STOOL = _phrases(
    r"(?:black|tarry)[^.]{0,20} (?:stool|stools|poo|poop|stuff|tarry)", r"pooping[^.]{0,20} black", _RECTAL_BLEEDING
)
_FAINTNESS = _phrases(
    r"faint\w*",
    r"dizz\w*",
    r"giddy",
    r"pass(?:ing)? out",
    r"blacked out",
    r"light-?headed",
    r"pale",
    r"clammy",
    r"collaps\w*",
)

_FEVER = _phrases(
    # A fever looked out for is not a fever had: "don't want to miss a fever".
    r"(?<!miss a )(?<!missing a )(?<!spot a )(?<!check for a )fever\w*",
    r"(?:raging|roaring|sky-high|sky high) (?:temp\w*|fever)",
    r"febrile",
    r"high temp\w*",
    r"a temp\w*",
    r"temp\w* of",
    # A febrile reading: 38 °C / 100.4 °F or more, after "temp" or with its unit ("temperature 100.8F", "38.6°").
    r"temp\w*(?: \w+){0,2} (?:3[89]|4[0-2])(?:\.\d+)?",
    r"thermometer (?:says|said|reads|read|shows|showed|is on|at) (?:3[89]|4[0-2])(?:\.\d+)?",
    r"(?:3[89]|4[0-2])(?:\.\d+)? ?(?:°|degrees?|deg\b|c\b)",
    r"(?:temp\w*(?: \w+){0,2} )?(?:100\.[4-9]|10[1-6](?:\.\d+)?) ?(?:°|degrees?|deg\b|f\b)",
    r"temp\w*(?: \w+){0,2} (?:100\.[4-9]|10[1-6](?:\.\d+)?)",
    r"burning (?:up|hot)",
    r"hot to (?:the )?touch",
    r"running a temp\w*",
    r"(?:very|really|so) hot",
    # "my 2 month old is hot": a baby said to be hot is a fever to its parent.
    r"(?:baby|bub|month old|week old|newborn|little one)(?:'s| is| feels) (?:so |very |really )?hot\b",
    r"(?:floppy|limp),? and hot",
    r"hot,? (?:and )?(?:floppy|limp)",
    r"(?:3[89]|4[0-2])\.\d",
    # Fahrenheit: 100.4 °F and above, with a decimal or the unit ("the forehead thing says 100.8").
    r"(?:100\.[4-9]|10[1-6]\.\d)(?! ?(?:mg|mcg|ml|kg|lbs?|pounds|%))",
    r"10[0-6] ?(?:f|degrees f|degrees fahrenheit|fahrenheit)",
    r"(?:3[89]|4[0-2]) ?(?:degrees|c)",
    r"(?:temp|temperature|thermometer)[^.]{0,20} (?:3[89]|4[0-2])",
)
_STIFF_NECK = _phrases(
    r"stiff neck",
    r"neck (?:is |feels )?(?:really |very |so |too )?stiff",
    r"neck(?:'s| has| is)? (?:gone|going|got|become|becoming|getting|turned) (?:really |very |so |all )?stiff",
    r"neck stiffness",
    r"neck (?:is |feels )?(?:like )?(?:a )?(?:steel |iron |metal |wooden )?(?:rod|board|plank|pole|poker)",
    r"can't (?:bend|move|turn|touch|bring|put|get)[^.]{0,15} (?:neck|chin)",
    # Not the test passed: "I can move it fully and touch my chin to my chest" (`can't … chin` above is the failed one).
    r"(?:hurts?|painful|pain|agony|screams?|cries|crying) (?:\w+ ){0,3}(?:to )?(?:put|bring|get|touch|bend|tuck) "
    r"(?:his|her|my|their) chin",
    "".join(f"(?<!{verb} {whose} )" for verb in ("touch", "put", "get", "bring") for whose in ("my", "his", "her"))
    + r"chin (?:to|on|onto|against|down to) (?:my|his|her|their) chest",
    # Neck pain on bending forward is how neck stiffness is felt: "neck is killing me when I look down".
    r"neck[^.]{0,25} (?:hurts|hurting|pain\w*|agony|killing (?:me|him|her))[^.]{0,30} (?:look(?:s|ing)? down|bend\w*|"
    r"chin|nod\w*)",
)
#: A rash that fades under glass is the reassuring result: these words after the glass (not negated) undo it.
_FADES = r"(?<!n't )(?<!not )\b(?:fade[sd]?|disappear\w*|vanish\w*|went away|goes away|go away|blanch(?:es|ed)?)"
#: A rash that does not fade under a pressed glass is bleeding under the skin (meningococcal sepsis).
_NON_BLANCHING_RASH = _phrases(
    r"non[- ]?blanch\w*",
    # The glass test described with its result: the rash stays under a pressed glass, fever or not.
    r"(?:rash|spots?|marks?|dots?)[^.]{0,20} (?:stay|stays|remain|remains|still there|still visible|don't fade|"
    r"doesn't fade|won't fade)[^.]{0,30} glass",
    r"glass[^.]{0,30} (?:still see (?:the )?(?:rash|spots?)|(?:rash|spots?) (?:stay|stays|remain|remains|"
    r"don't fade|doesn't fade|won't fade))",
    r"(?:rash|spots?) (?:that )?(?:doesn't|does not|don't|do not|won't|didn't) (?:fade|go away|disappear|blanch)",
    r"(?:rash|spots?|marks?)[^.,]{0,30} (?:aren't|isn't|are not|is not|not) fading",
    # "a blotchy rash on his tummy that does not fade when pressed"
    r"(?:rash|spots?)[^.,]{0,30} (?:that|which) (?:doesn't|does not|don't|do not|won't|didn't) (?:fade|blanch)",
    # The test named without its result: an alarm unless the result given is that the rash faded, or the question is
    # how to do it.
    r"(?<!how to do the )(?<!how do i do the )(?<!how do you do the )(?<!exactly do i do the )"
    rf"glass test(?![^.]{{0,40}}{_FADES})",
)
_PURPLE_RASH = _phrases(
    r"(?:purple|purplish|dark red|red-purple)[^.]{0,15} (?:spots?|dots?|rash|blotch\w*|marks?|patches|bruis\w*)",
    # Pinprick spots (petechiae) with a fever are the first rash of meningococcal sepsis.
    r"pin-?pricks?(?: \w+)? (?:spots?|dots?|rash|marks?)",
    r"petechia\w*",
)
#: The headache of meningitis or a brain bleed: with a stiff neck, urgent even before a fever is measured.
_SEVERE_HEADACHE = _phrases(
    r"worst headache",
    r"thunderclap",
    r"(?:severe|splitting|blinding|excruciating|unbearable|horrendous|horrific) headache",
)
#: Rousing that takes effort: confusion in anyone, an unwell infant in a baby.
_HARD_TO_ROUSE = (r"(?:hard|difficult|impossible) to (?:wake|rouse)", r"can (?:barely|hardly) (?:wake|rouse)")
_CONFUSION = _phrases(
    r"confus\w*",
    # Not "very sleepy": every feverish baby's parent writes it, and the infant-fever flag is the right one there.
    r"(?:unusually|abnormally) (?:drowsy|sleepy)",
    r"delirious",
    r"floppy",
    *_HARD_TO_ROUSE,
    r"can't (?:wake|rouse)",
    r"unresponsive",
)
_LIGHT_HURTS = _phrases(
    rf"light hurts {_POSSESSIVE} eyes",
    r"(?:sensitive|sensitivity) to light",
    r"photophob\w*",
    r"(?:the )?(?:light|lights|brightness) (?:is |are )?(?:killing me|hurts|hurting)",
    r"can't (?:stand|bear|take|look at) (?:the )?(?:light|lights|lamp|sun|sunlight|brightness)",
    r"squint\w* (?:at|in|from) (?:the |every |any |bright )?lights?",
    r"(?:the |bright )?lights? (?:hurts?|hurting|hurt) (?:his |her |my |their )?(?:eyes)?",
)
#: A bulging soft spot in a feverish baby is raised pressure inside the skull.
_BULGING_FONTANELLE = _phrases(
    r"(?:soft spot|fontanel\w*)[^.]{0,25} (?:bulg\w*|swollen|raised|puffy|sticking out|tight|tense)",
    r"(?:bulging|swollen|raised|tense) (?:soft spot|fontanel\w*)",
)
#: Weaker cues than `_NON_BLANCHING_RASH`, so they need a fever beside them: spots said to stay, or a glass pressed
#: on a rash with no result given (a rash that faded under the glass is excluded).
_RASH_STAYS = _phrases(
    r"(?:rash|spots?|marks?|dots?) (?:that )?(?:stay|stays|remain|remains|don't go|doesn't go|won't go|don't fade|"
    r"doesn't fade|don't disappear)",
    rf"(?:rash|spots?|marks?|dots?)(?:(?!{_FADES})[^.]){{0,40}} glass(?![^.]{{0,30}}{_FADES})",
)

#: Under a year: a baby whose fever comes with floppiness, drowsiness or refusing feeds is very unwell at any age.
_INFANT = _phrases(
    r"bab(?:y|ies|y's)",
    r"infants?",
    r"new[- ]?borns?",
    # "8 months pregnant" is the mother.
    r"(?:[1-9]|1[01])[- ]?(?:months?|mo|mths?)(?:[- ]old)?(?! pregnant)",
    # Spelt out: "our granddaughter is eight months".
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven)[- ](?:months?|mths?)(?:[- ]old)?(?! pregnant)",
    # A one-year-old is still a baby to the parents writing and to the fever guidance (under fives).
    r"(?:1|one)[- ]?(?:year|yr)[- ]?old",
    r"(?:1[2-9]|2[0-3])[- ]?(?:months?|mo|mths?)[- ]old",
)
_UNWELL_INFANT = _phrases(
    r"floppy",
    r"(?:like a |a bit of a |bit of a )?rag ?doll",
    r"(?:hasn't|has not|won't|not) (?:fancied|wanted|taken|touched) (?:her |his |their |the |a )?"
    r"(?:milk|feeds?|bottle)",
    r"limp",
    r"lethargic",
    *_HARD_TO_ROUSE,
    r"(?:can't|won't|not|doesn't) wak\w*(?: up)?",
    r"(?:hardly|barely) (?:drinking|feeding|taking (?:her |his |the |a )?(?:bottle|feeds?|milk))",
    r"(?:won't|not|isn't|refus\w*|can't|doesn't|stopped) (?:feed\w*|drink\w*|"
    r"tak\w* (?:her |his |the |a )?(?:bottle|feeds?|breast))",
    r"(?:skin|face|he|she|baby)[^.]{0,20} (?:grey|gray|blotchy)",
    r"mottled",
    r"marbled",
    r"(?:nappies|nappy|diapers?)[^.]{0,20} dry",
)
#: Under 3 months, where any fever needs same-day assessment (0-12 weeks, 0-2 months, days old, newborn).
_YOUNG_INFANT = _phrases(
    r"new[- ]?born",
    r"neonat\w*",
    r"(?:[1-9]|1[0-2]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[- ]?(?:weeks?|wks?)[- ]old",
    rf"(?:baby|son|daughter|she|he|little one|infant){_IS}? (?:only |just |at |of )?(?:[1-9]|1[0-2]) ?(?:weeks?|wks?)"
    r"(?! pregnant)",
    r"\d{1,2}[- ]?days?[- ]old",
    r"aged?:? (?:[1-9]|1[0-2]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[- ]?(?:weeks?|wks?|days?)"
    r"(?! pregnant)",
    r"(?:[1-9]|1[0-2])/52",  # weeks of age written as a fraction of a year ("infant 8/52")
    r"(?:[0-2]|one|two)[- ]?months?[- ]old",
    rf"(?:baby|son|daughter|sister|sis|brother|bro|niece|nephew|grandson|granddaughter|she|he|little one|infant)"
    rf"{_IS}? (?:only |just |at |of )?(?:[0-2]|one|two) ?(?:months?|mo|mths?)\b(?! pregnant)",
)

#: A young animal, or its vet: a puppy's or a calf's age in weeks is no baby's ("Calf is 3 weeks old and running a
#: temperature of 39.5, vet coming tomorrow"). Only the infant rule reads it, and only without a child named.
_YOUNG_ANIMAL = re.compile(
    r"\b(?:pupp(?:y|ies)|kittens?|foals?|piglets?|lambs?|calf|calves|cubs?|chicks?|ducklings?|"
    r"(?:the|our|my|a) vet|vet (?:says|said|is coming|coming|thinks))\b"
)
_PET = re.compile(
    r"\b(?:dogs?|cats?|pupp(?:y|ies)|kittens?|horses?|pony|rabbits?|hamsters?|guinea pigs?|parrots?|budgies?|ferrets?|"
    r"calf|calves|foals?|lambs?|goats?|sheep|cows?)\b"
)
_VET = re.compile(r"\b(?:vet|vets|veterinarian|veterinary)\b(?! (?:with|who|suffering|struggling|and i|like me))")
_CHILD = re.compile(r"\b(?:bab(?:y|ies|y's)|son|daughter|infant|new[- ]?born|toddler|boy|girl|child|kid)\b")

#: People a message is written about.
_RELATIVE = (
    r"(?:husband|wife|partner|boyfriend|girlfriend|son|daughter|baby|child|kid|toddler|mum|mom|mother|dad|father|"
    r"brother|sister|grandad|grandpa|grandma|granny|nan|friend|flatmate|roommate|colleague|patient)"
)

#: Anyone a message may be about besides a pet (a pet's emergency, with its vet, is no one's here).
_PEOPLE = re.compile(
    rf"\b(?:{_RELATIVE}s?|bab(?:y|ies)|infant|new[- ]?born|boy|girl|i'm|i am|i've|i have|i can't|i cannot|i feel|me|"
    r"my (?:chest|head|throat|face|lips|tongue|neck|heart|arm|leg|breathing))\b"
)

#: "Fitting" as a seizure takes no object: not "fitting a new kitchen", "fitting in", "fitting well".
_FITTING = r"fitting(?! (?:a|an|the|new|some|it|them|in|into|out|together|well|for|his|her|my|their|our|up|down)\b)"

_SEIZURE = _phrases(
    r"(?:having|had|has had|is having|just had|has|suffered|experienced|sustained)(?: at [^.,]{0,25})? "
    r"(?:a |an |another |(?:his|her|their|my) first |first )?(?:generali[sz]ed |major |big |full-blown |grand mal )?"
    r"(?:seizures?|s(?:ie|ei)zures?|fits?|convulsions?)",
    r"seizing",
    r"convulsing",
    # Scots and Caribbean English: "takin a fit", "drop dung an a shake up bad".
    r"tak(?:in|ing|es)? a (?:fit|seizure)",
    r"shak(?:e|in|ing) up bad",
    r"(?:\d+|two|three|four|several|multiple) (?:seizures|fits|convulsions) in a row",
    r"(?:having|had|has had|is having|just had|has) one of (?:my|his|her|their) (?:seizures|fits|convulsions)",
    r"(?:been |keeps |kept |started )?(?:jerking|convulsing|fitting|twitch\w*) for (?:what (?:feels|seems) like )?"
    r"(?:over |more than |about |nearly |"
    r"almost )?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|a few)[^.]{0,12} minutes",
    r"(?:seizure|fit|convulsion)[^.]{0,30} (?:won't stop|not stopping|isn't stopping|hasn't stopped|still going|"
    r"going on for|lasting|lasted|"
    r"over (?:\d+|five) minutes)",
    r"(?:shaking|jerking|twitching|convulsing) (?:all over|uncontrollably|violently)",
    r"went stiff and (?:started )?(?:jerking|shaking|twitch\w*)",
    *_SEIZURE_TERMS,
    rf"(?:jerking|twitching|shaking) {_POSSESSIVE}? ?(?:arms|legs|limbs|arms and legs|whole body)",
    r"eyes (?:rolled|rolling) back",
    r"(?:arm|arms|leg|legs|body|face) (?:keeps|kept|is|are|started|has started) (?:jerking|twitching|convulsing)",
    r"(?:fell|collapsed|dropped|went down)[^.]{0,30} (?:started |and )(?:is |was )?"
    r"(?:shaking|jerking|twitching|convulsing|fitting)",
    # Seizures in a cluster, without waking between them.
    r"(?:started|starting|had|having|into) (?:another|a second|a third|a fourth)(?: one| seizure| fit)? "
    r"(?:before|without) (?:she|he|they|waking|coming round)",
    rf"(?:is|are|he's|she's|they're|keeps|been|started|still) {_FITTING}",
    rf"{_RELATIVE} {_FITTING}",  # "husband fitting, help!!"
    r"foaming at the mouth",
    r"on the (?:floor|ground)[^.]{0,20} (?:jerking|shaking|twitching|convuls\w*)",
)
_UNRESPONSIVE = _phrases(
    r"unconscious",
    r"unresponsive",
    r"(?:not|isn't|is not|wasn't|won't) (?:responding|responsive|respond)",
    r"(?:not|isn't|is not|wasn't) answering (?:me|us|when)",
    r"(?:not|isn't|is not|wasn't) really (?:answering|responding)",
    r"(?:can't|couldn't) (?:wake|rouse) (?:him|her|them|my|me)",
    r"won't wake(?: up)?",
    _LOW_GCS,
)
#: Shaking that has not stopped, and for how long: a reply to "is he still fitting?" ("yes he's still shaking, it's
#: been 7 minutes") names no seizure, only its length.
_STILL_SHAKING = _phrases(
    r"still (?:shaking|jerking|twitching|convulsing|fitting|seizing|stiff and jerking)",
    r"(?:he's|she's|they've|has|have|he has|she has) been (?:shaking|jerking|convulsing|fitting|seizing) for",
    r"(?:shak\w*|jerk\w*|fit\w*|froth\w*)[^.]{0,40} (?:nah|won't|isn't|hasn't|not) stop\w*",
)
_OVER_FIVE_MINUTES = _phrases(
    r"(?:been|for|over|more than|almost|nearly|going|lasted|lasting)(?: (?:going|on))?(?: for)?(?: about| around)? "
    r"(?:[5-9]|[1-5]\d|five|six|seven|eight|nine|ten) (?:minutes|mins)",
    r"(?:about|bout|around) (?:[5-9]|five|six|seven|eight|nine|ten) minutes? now",
    # "he's been shaking for 5": the minutes go unsaid after a seizure's length.
    r"(?:shaking|jerking|fitting|seizing|convulsing) for (?:[5-9]|[1-5]\d|five|six|seven|eight|nine|ten)"
    r"(?! seconds| secs| hours?| hrs?| days?| weeks?| months?| years?)",
)


# --- Rules ------------------------------------------------------------------------------------------------

_EMERGENCY = "Call your local emergency number (e.g. 911/112/999) or go to the nearest emergency department now."


@dataclass(frozen=True)
class _Rule:
    """One red flag: it fires when every finding of any one group is present."""

    id: str
    label: str
    notice: str
    any_of: tuple[tuple[re.Pattern[str], ...], ...]


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "cardiac_chest_pain",
        "chest pain with breathlessness, sweating or spreading pain",
        "Chest pain with these features can be a heart attack or pulmonary embolism. " + _EMERGENCY,
        ((_CHEST_PAIN_SEVERE,), (_CHEST_PAIN, _CARDIAC_COMPANION), (_ANGINA, _PAIN_PERSISTS)),
    ),
    _Rule(
        "stroke",
        "possible stroke signs",
        "Sudden face drooping, arm weakness or speech trouble can be a stroke: every minute counts. " + _EMERGENCY,
        ((_FACE_DROOP,), (_SPEECH_TROUBLE,), (_SUDDEN_WEAKNESS,)),
    ),
    _Rule(
        "suicidal_ideation",
        "thoughts of suicide or self-harm",
        "If you are thinking about harming yourself, you deserve support right now: call or text 988 (US), "
        "116 123 (UK/IE, Samaritans) or your local crisis line, or " + _EMERGENCY[0].lower() + _EMERGENCY[1:],
        ((_SUICIDAL,), (_SUICIDE_CONTEXT, _SUICIDE_PREP)),
    ),
    _Rule(
        "anaphylaxis",
        "possible anaphylaxis",
        "Swelling of the throat or breathing trouble after an exposure can be anaphylaxis: use an adrenaline "
        "auto-injector if prescribed. " + _EMERGENCY,
        (
            (_AIRWAY_SWELLING,),
            (_THROAT_TIGHT, _ALLERGEN),
            (_FACE_SWELLING, _ALLERGEN),
            (_HIVES, _ALLERGEN, _SYSTEMIC),
            (_AIRWAY_SIGN, _EXPOSURE_EVENT),
        ),
    ),
    _Rule(
        "severe_bleeding",
        "heavy bleeding",
        "Heavy or uncontrolled bleeding needs urgent care. " + _EMERGENCY,
        ((_HEAVY_BLEEDING,), (_BLACK_STOOL, _FAINTNESS)),
    ),
    _Rule(
        "meningitis",
        "fever with stiff neck, rash or confusion",
        "Fever with a stiff neck, a rash that does not fade or confusion can be meningitis or sepsis. " + _EMERGENCY,
        (
            (_FEVER, _STIFF_NECK),
            (_FEVER, _PURPLE_RASH),
            (_FEVER, _CONFUSION),
            (_NON_BLANCHING_RASH,),
            (_STIFF_NECK, _LIGHT_HURTS),
            (_STIFF_NECK, _SEVERE_HEADACHE),
            (_FEVER, _LIGHT_HURTS),
            (_FEVER, _RASH_STAYS),
            (_FEVER, _BULGING_FONTANELLE),
        ),
    ),
    _Rule(
        "seizure",
        "seizure or loss of consciousness",
        "A first seizure, a seizure lasting over 5 minutes, or unresponsiveness needs emergency care. " + _EMERGENCY,
        ((_SEIZURE,), (_UNRESPONSIVE,), (_STILL_SHAKING, _OVER_FIVE_MINUTES)),
    ),
    _Rule(
        "infant_fever",
        "fever in a young or very unwell infant",
        "Any fever in a baby under 3 months, or a feverish baby who is floppy, hard to wake or not feeding, needs "
        "urgent medical assessment. " + _EMERGENCY,
        (
            (_FEVER, _YOUNG_INFANT),
            (_FEVER, _INFANT, _UNWELL_INFANT),
            # A feverish baby's rash that stays under a glass is sepsis at any age under one (meningitis fires too).
            (_INFANT, _NON_BLANCHING_RASH),
            (_FEVER, _INFANT, _PURPLE_RASH),
            (_FEVER, _INFANT, _RASH_STAYS),
        ),
    ),
    _Rule(
        "breathing",
        "severe breathlessness, choking or blue lips",
        "Severe difficulty breathing, choking, or lips or skin turning blue or grey mean the body is short of "
        "oxygen. " + _EMERGENCY,
        ((_SEVERE_BREATHING,),),
    ),
)

#: Rule alarms the classifier may not withdraw. A fever in a baby under 3 months is an age and a temperature, never
#: an idiom or a story, and the classifier vetoed "my 2 month old has a temperature of 38.3, should i worry?".
NEVER_VETOED = frozenset({"infant_fever"})
#: Clinical terms no idiom or story uses, and a suicide plan or method: an alarm beside one is never withdrawn. The
#: classifier learned from patients' words and vetoed a carer's "active SI with plan to jump", "tonic-clonic seizure
#: … GCS approx 10" and "I've started thinking about how I'd do it, like which bridge".
_UNVETOABLE = _phrases(
    *_ACTIVE_SI,
    *_SEIZURE_TERMS,
    *_CARDIAC_TERMS,
    *_STROKE_TERMS,
    _RECTAL_BLEEDING,
    _LOW_GCS,
    _LOW_SPO2,
    _ANGIOEDEMA,
    _STRIDOR,
    *_SUICIDE_PLAN,
)


def may_veto(flag_ids: Iterable[str], text: str) -> bool:
    """Whether the classifier may withdraw these rule alarms on `text`: none of them is in `NEVER_VETOED` and
    no live clause uses a clinical term or states a suicide plan (`_UNVETOABLE`), nor does the message pair low mood
    with a preparation (`_SUICIDE_CONTEXT`, `_SUICIDE_PREP`: a plan too)."""
    return _may_veto(flag_ids, _live_clauses(text))


def _may_veto(flag_ids: Iterable[str], clauses: list[str]) -> bool:
    """`may_veto` over the message's live clauses, as `detect_red_flags` already has them."""
    plan = _present(_SUICIDE_CONTEXT, clauses) and _present(_SUICIDE_PREP, clauses)
    return NEVER_VETOED.isdisjoint(flag_ids) and not plan and not _present(_UNVETOABLE, clauses)


#: Every red-flag id, in the order `detect_red_flags` reports them.
RED_FLAG_IDS: tuple[str, ...] = tuple(rule.id for rule in _RULES)


def _present(pattern: re.Pattern[str], clauses: list[str]) -> bool:
    """Whether `pattern` matches, not negated, in any live clause."""
    return any(not _negated(clause, m.start()) for clause in clauses for m in pattern.finditer(clause))


#: Words that say nothing about the asker's state, beside a drug name ("what is premarin?", "seniors and premarin?").
_FUNCTION_WORDS = frozenset(
    "a an the and or with for of on in to about what whats what's is are can does do i my his her me you your it "
    "its vs versus plus info information".split()
)


def bare_drug_question(text: str) -> bool:
    """Whether `text` is a drug name with at most one other word: it describes no emergency, so the classifier may not
    raise one on it (it read "seniors and premarin?" as suicidal, 150 such training questions notwithstanding)."""
    # Imported here: the drug table takes seconds to read, and only a classifier alarm needs it.
    from knowledge.graph.drug_names import drug_words
    from knowledge.graph.names import normalize

    words = [w for w in re.findall(r"[a-z][a-z'-]*", _normalise(text)) if w not in _FUNCTION_WORDS]
    drugs = sum(normalize(w) in drug_words() for w in words)
    return drugs > 0 and len(words) - drugs <= 1


def classifier_text(text: str) -> str:
    """The sentences the classifier reads: general questions and hypotheticals left out, as for the rules, and the
    glossary's phrases in English (its embedder reads English). One sentence a line: the classifier scores a long
    message's sentences one by one as well as whole (`message_units`), and its splitter needs the boundaries this
    split consumes."""
    sentences = [s.strip() for s in _SENTENCE_END.split(to_english(_unquoted(text).translate(_APOSTROPHES)))]
    return "\n".join(
        s
        for s in sentences
        if s
        and not _is_general_question(_normalise(s))
        and not any(p.search(_normalise(s)) for p in (_HYPOTHETICAL, _LAUGHING_IDIOM, _FICTION_SUICIDE, _HYPERBOLE))
    )


def detect_red_flags(
    text: str, *, embed: Callable[[list[str]], np.ndarray] | None = None, model: str | None = None
) -> list[RedFlag]:
    """Emergency patterns in `text` (question plus conversation), in rule order.

    When no rule fires and `embed` (normalised vectors of embedding model `model`) is given, the learned
    classifier (`rag.red_flag_classifier`) may still name one red flag: the rules are exact but narrow. When a
    rule fires, the classifier may withdraw it if it is sure the message is no emergency (`vetoes`).
    """
    if _STUDY_NOTES.search(_normalise(text)):
        return []
    retractions = list(_RETRACTION.finditer(text))
    if retractions and text[retractions[-1].end() :].strip():
        text = text[retractions[-1].end() :]
    clauses = _live_clauses(text)
    normalised = _normalise(text)
    animal = bool(_YOUNG_ANIMAL.search(normalised)) and not _CHILD.search(normalised)
    explained_face = bool(_EXPLAINED_FACE.search(normalised) or _DENTAL_NUMBNESS.search(normalised))
    afebrile = _afebrile(normalised)
    cosmetic = bool(_COSMETIC_LIPS.search(normalised)) and not _present(_AIRWAY_SIGN, clauses)
    # An adrenaline pen used or to hand, anywhere in the message, makes an airway sign an allergic one: "The clinic
    # said to use the EpiPen if I ever get throat symptoms. I've used it, but my throat's still tight".
    epipen = bool(re.search(r"\bepi-?pens?\b|\bauto-?injector\b|\badrenaline (?:pen|shot|injection)\b", normalised))
    denied = bool(_DENIES_PLAN_AND_INTENT.search(normalised)) and not (
        _present(_UNVETOABLE, clauses) or _present(_SUICIDE_PREP, clauses)
    )
    # A low reading put right, or within the stated target, leaves the breathing rule the other clauses.
    reassuring = _oximetry_reassuring(normalised)
    breathing_clauses = [c for c in clauses if not _LOW_SPO2_READING.search(c)] if reassuring else clauses
    lethal_question = bool(_LETHAL_AMOUNT.search(normalised)) and _present(_SUICIDE_CONTEXT, clauses)
    # "Our dog had a seizure … should I ring the vet?": a pet's emergency is the vet's (a person's despair never is).
    pet = bool(_PET.search(normalised) and _VET.search(normalised) and not _PEOPLE.search(normalised))

    def fires(rule: _Rule) -> bool:
        if rule.id == "suicidal_ideation" and lethal_question:
            return True
        if rule.id == "suicidal_ideation" and denied:
            return False
        if (
            rule.id == "anaphylaxis"
            and epipen
            and (_present(_AIRWAY_SIGN, clauses) or _present(_THROAT_TIGHT, clauses))
        ):
            return True
        live = breathing_clauses if rule.id == "breathing" else clauses
        groups = rule.any_of
        if rule.id == "stroke" and explained_face:
            groups = tuple(g for g in groups if _SUDDEN_WEAKNESS in g)
        if rule.id == "anaphylaxis" and cosmetic:
            groups = tuple(g for g in groups if {_AIRWAY_SWELLING, _THROAT_TIGHT, _AIRWAY_SIGN} & set(g))
        return any(all(_present(p, live) and not (afebrile and p is _FEVER) for p in g) for g in groups)

    flags = [
        RedFlag(id=rule.id, label=rule.label, notice=rule.notice)
        for rule in _RULES
        if fires(rule) and not (animal and rule.id == "infant_fever") and not (pet and rule.id != "suicidal_ideation")
    ]
    if embed is None:
        return flags
    if flags:
        # A lethal amount asked about beside despair is a plan, as a stated one is (`_may_veto`).
        vetoable = not lethal_question and _may_veto((flag.id for flag in flags), clauses)
        if vetoable and vetoes(classifier_text(text), embed, model):
            logger.debug("rule alarm %s withdrawn: the classifier puts the message under its veto", flags[0].id)
            return []
        return flags
    verdict = classify_message(classifier_text(text), embed, model)
    if verdict is None or verdict[0] is None or bare_drug_question(text) or (pet and verdict[0] != "suicidal_ideation"):
        return []
    if verdict[0] == "suicidal_ideation" and denied:
        return []
    # What the message states outright overrules the classifier's reading: a normal temperature is no fever, and
    # bleeding that has stopped is not bleeding heavily.
    no_fever = afebrile or (_NORMAL_TEMPERATURE.search(normalised) and not _present(_FEVER, clauses))
    if (
        (no_fever and verdict[0] in {"infant_fever", "meningitis"})
        or (verdict[0] == "severe_bleeding" and _BLEEDING_STOPPED.search(normalised))
        or (verdict[0] == "anaphylaxis" and cosmetic)
        or (verdict[0] not in {"suicidal_ideation", "infant_fever"} and _RESOLVED.search(normalised))
    ):
        return []
    rule = next(r for r in _RULES if r.id == verdict[0])
    return [RedFlag(id=rule.id, label=rule.label, notice=rule.notice, matched_by="classifier")]
