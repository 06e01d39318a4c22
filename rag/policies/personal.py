"""Personal diagnostic questions: the asker wants a verdict on their own case, which sources cannot give.

"Is the mole on my left shoulder melanoma?", "do I have diabetes?", "my blood test shows high ferritin, is
that bad?", "does my son have autism?", "could I be pregnant?", "is it normal that my period is late?",
"what does my MRI mean?". Passages describe conditions in general; only a clinician who examines the
person, their results or their skin can say whether a condition applies. So the answer gives the general
information (`PersonalQuestion.general_topic`), drops yes/no verdict sentences about the asker
(`is_verdict`, `strip_verdicts`) and adds `PERSONAL_NOTICE`.

Not personal: questions about a condition or a medicine in general ("What are the symptoms of melanoma?",
"Can I take ibuprofen with warfarin?", "How is my blood pressure medicine supposed to work?") and questions
after a clinician's diagnosis that ask for general advice ("my doctor said I have diabetes, what should I
eat?"): none of them asks whether something applies to the asker.

The rules are regular expressions over the lower-cased question, in order; the first that matches decides
the kind. Known limits: a statement without a question form ("I think I have shingles") is not personal;
a verdict asked indirectly ("what are the odds this is cancer") may be missed; `general_topic` is the first
disease-like name (`rag.policies.unknown_terms.candidate_terms`) or the words after "have"/"be", so it is
sometimes None or a phrase rather than a clean disease name.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from rag.policies.unknown_terms import candidate_terms
from rag.red_flags import STUDY_FRAME

PersonalKind = Literal["own_diagnosis", "own_results", "own_symptoms"]

PERSONAL_NOTICE = (
    "The sources describe this condition in general; they cannot tell whether it applies to you. Only a "
    "clinician who examines you (your results, the mole or rash, your symptoms) can say that."
)


class PersonalQuestion(BaseModel):
    """A question that asks for a verdict on the asker's own case (or a relative's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: PersonalKind = Field(
        description="`own_diagnosis`: whether they have a condition; `own_results`: what their test results, "
        "scan or measurements mean; `own_symptoms`: whether what they notice (a mole, a rash, a late period) "
        "is normal or serious."
    )
    phrase: str = Field(description="The words of the question (lower-cased) that made it personal.")
    general_topic: str | None = Field(
        description='What to answer in general instead ("melanoma", "pregnancy", "blood pressure"); '
        "None when the question names nothing usable."
    )


_RELATIVE = (
    r"(?:son|daughter|child|kid|baby|toddler|infant|boy|girl|husband|wife|partner|boyfriend|girlfriend|"
    r"mom|mum|mother|dad|father|brother|sister|grandma|grandmother|grandpa|grandfather|friend|teen|teenager)"
)
_WHO = rf"(?:i|we|he|she|my\s+(?:\w+\s+)?{_RELATIVE})"
_HAVE = r"(?:have|hav|hve|has|got|be\s+suffering\s+from|suffer\s+from|be\s+getting)"
# Test results, scans and measurements people ask to have read.
_RESULT = (
    r"(?:test\s+)?results?|tests?|labs?|lab\s+work|blood\s*work|blood\s+tests?|scans?|mri|ct(?:\s+scan)?|"
    r"x-?rays?|ultrasound|ecg|ekg|biopsy|report|levels?|readings?|numbers|counts?|psa|a1c|hba1c|cholesterol|"
    r"ldl|hdl|triglycerides|tsh|t4|ferritin|iron|ha?emoglobin|platelets|wbc|white\s+(?:blood\s+)?cells?|"
    r"creatinine|egfr|glucose|blood\s+sugar|sugar|blood\s+pressure|bp|heart\s+rate|pulse|temperature|"
    r"oxygen|sats|saturation|vitamin\s+d|b12|liver\s+enzymes|alt|ast|bilirubin|potassium|sodium|calcium|"
    r"urine|pap\s+smear|smear|mammogram|colonoscopy|echo(?:cardiogram)?|spirometry|bmi"
)
# Things on or in the body people ask about.
_THING = (
    r"moles?|lumps?|bumps?|rash(?:es)?|spots?|marks?|patch(?:es)?|freckles?|warts?|growths?|cysts?|"
    r"blisters?|sores?|ulcers?|swelling|bruises?|discharge|bleeding|period|cough|fever|headaches?|pain|stool|"
    r"poop|pee|skin|nails?|tongue|eyes?|gums?|lymph\s+nodes?|glands?|heartbeat|breathing"
)
_MEDICINE = (
    r"medicines?|medications?|meds|pills?|tablets?|capsules?|drugs?|doses?|dosage|prescriptions?|inhalers?|"
    r"insulin|injections?|vaccines?|antibiotics?|treatment|supplements?|vitamins?"
)
# A question asks to judge something: "is that bad?", "should I be worried".
_JUDGE = (
    r"normal|abnormal|bad|good|ok|okay|fine|dangerous|serious|worrying|concerning|healthy|high|low|elevated|"
    r"a\s+problem|something\s+(?:serious|to\s+worry\s+about)|cause\s+for\s+concern|cancer|cancerous|malignant|"
    r"benign|contagious|infected"
)
_ASK_JUDGE = re.compile(
    rf"\b(?:is|are|was|were)\s+(?:that|this|it|these|those|they)\s+(?:too\s+|very\s+|really\s+|bad\s+or\s+)?"
    rf"(?:{_JUDGE})\b|\bshould\s+i\s+(?:be\s+)?(?:worried|concerned|worry)\b|\bdo\s+i\s+need\s+to\s+worry\b|"
    rf"\bwhat\s+(?:does|do)\s+(?:that|this|it|these|they)\s+mean\b|\b(?:{_JUDGE})\s*\?"
)
# Where a clause starts: "is my …" after "how" is not a yes/no question ("how is my medicine supposed to work").
_CLAUSE = r"(?:^|[.?!,;:]\s*|\b(?:and|but|so|or|also|hi|hello|hey|doc|doctor|please|ok|okay|question)\s+)"


class _Rule(NamedTuple):
    """One way of asking for a personal verdict."""

    kind: PersonalKind
    pattern: re.Pattern[str]
    needs_asker: bool = False  # the question must also mention the asker ("my", "me", "I")
    needs_judge: bool = False  # the question must also ask to judge ("is that bad?", "should I worry")
    about_medicine: bool = False  # a medicine in the match makes it a medication question, not personal


_RULES: list[_Rule] = [
    # "do I have diabetes", "does my son have autism", "could I have a UTI"
    _Rule(
        "own_diagnosis",
        re.compile(
            rf"\b(?:do|doe|does|dose|did|could|might|would)\s+{_WHO}\s+(?:really\s+|possibly\s+|still\s+|actually\s+)?"
            rf"{_HAVE}\b(?!\s+to\b)(?P<topic>[^?.!,;]*)"
        ),
    ),
    # "could I be pregnant", "might my daughter be anemic"
    _Rule(
        "own_diagnosis",
        re.compile(
            rf"\b(?:could|might|may|can)\s+{_WHO}\s+(?:already\s+|actually\s+)?be\s+"
            r"(?!(?:tested|treated|cured|seen|given|prescribed|vaccinated|referred|screened|checked|admitted|"
            r"allowed|able|sure|at|more|less|on|taking)\b)(?P<topic>[^?.!,;]*)"
        ),
    ),
    # "am I pregnant", "am i having a heart attack"
    _Rule(
        "own_diagnosis",
        re.compile(
            r"\bam\s+i\s+(?!(?:allowed|supposed|able|meant|going|ok\s+to|okay\s+to|safe\s+to|taking|on|eligible|at|"
            r"doing|right|wrong|too\s+old|too\s+young)\b)(?P<topic>[^?.!,;]*)"
        ),
    ),
    # "does this mean I have cancer", "do you think I have shingles", "is it possible my son has adhd"
    _Rule(
        "own_diagnosis",
        re.compile(
            r"\b(?:does|do|could|would)\s+(?:this|that|it|these)\s+mean\s+(?:that\s+)?"
            rf"{_WHO}\s+(?:might\s+|could\s+|may\s+)?(?:{_HAVE}|am|is|be)\b(?!\s+to\b)(?P<topic>[^?.!,;]*)|"
            r"\b(?:do\s+you\s+think|is\s+it\s+possible|is\s+there\s+a\s+chance|what\s+are\s+the\s+chances|"
            r"how\s+likely\s+is\s+it|could\s+it\s+be|do\s+you\s+reckon)\s+(?:that\s+)?"
            rf"{_WHO}\s+(?:might\s+|could\s+|may\s+)?(?:{_HAVE}|am|is|be)\b(?!\s+to\b)(?P<topic2>[^?.!,;]*)"
        ),
    ),
    # "what's wrong with me", "what does my son have"
    _Rule(
        "own_diagnosis",
        re.compile(
            rf"\bwhat(?:'s|\s+is)\s+wrong\s+with\s+(?:me|my\s+{_RELATIVE}|him|her)\b|\bwhat\s+(?:do|does)\s+{_WHO}"
            r"\s+have\b"
        ),
    ),
    # "based on my results, …", "based on my symptoms, …" (after the rules that name a condition)
    _Rule("own_results", re.compile(rf"\bbased\s+on\s+(?:my|these|his|her)\s+(?:\w+\s+)?(?:{_RESULT})\b")),
    _Rule("own_symptoms", re.compile(r"\bbased\s+on\s+(?:my|these|his|her)\s+(?:\w+\s+)?(?:symptoms|description)\b")),
    # "what does my MRI mean", "what do my blood test results mean", "what does it mean if my tsh is high"
    _Rule(
        "own_results",
        re.compile(
            rf"\b(?:what|wat|wht)\s+(?:does|do|did)\s+(?:my|his|her)\s+(?:[\w'-]+\s+){{0,3}}?(?:{_RESULT})\b[^?]*\bmean\b|"
            r"\bwhat\s+does\s+it\s+mean\s+(?:if|when|that)\s+my\b"
        ),
    ),
    # "is it normal that my …", "is it ok for me to …", "is it bad if my …"
    _Rule(
        "own_symptoms",
        re.compile(
            r"\bis\s+it\s+(?:normal|ok|okay|common|natural|usual)\s+(?:that|for|if|when)\s+(?:i|my|me)\b|"
            r"\bis\s+it\s+(?:bad|serious|dangerous|a\s+problem|concerning|worrying)\s+(?:that|if|when)\s+my\b"
        ),
    ),
    # "my blood test shows X, is that bad?", "my tsh is 6.2, should i be worried" (but "my cholesterol is high,
    # what should I eat?" asks for no verdict)
    _Rule(
        "own_results",
        re.compile(rf"\bmy\s+(?:[\w'-]+\s+){{0,2}}?(?:{_RESULT})\b(?!\s+(?:{_MEDICINE})\b)"),
        needs_judge=True,
    ),
    # "is my …" as its own clause ("how is my medicine supposed to work" is not a yes/no question); the kind
    # follows what comes after "my" (`_rest_kind`), as for the next rule
    _Rule("own_diagnosis", re.compile(rf"{_CLAUSE}(?:is|are|was)\s+my\s+(?P<rest>[^?.!;]*)"), about_medicine=True),
    # "is this mole cancerous": "this" points at the asker's own mole
    _Rule(
        "own_symptoms",
        re.compile(
            rf"\b(?:is|are|could|can)\s+(?:this|that|these|those)\s+(?:[\w'-]+\s+){{0,2}}?(?:{_THING})\b"
            r"(?P<rest>[^?.!;]*)"
        ),
        about_medicine=True,
    ),
    # "Is the mole on my left shoulder melanoma?" (but "is the rash of shingles contagious?" is general)
    _Rule(
        "own_symptoms",
        re.compile(rf"\b(?:is|are|could|can)\s+the\s+(?:[\w'-]+\s+){{0,2}}?(?:{_THING})\b(?P<rest>[^?.!;]*)"),
        needs_asker=True,
        about_medicine=True,
    ),
    # "I have a lump on my neck, is this normal?", "could it be shingles?"
    _Rule(
        "own_symptoms",
        re.compile(
            r"\b(?:is|could|can|might)\s+(?:this|that|it)\s+(?:be\s+)?(?:a\s+sign\s+of\s+|signs?\s+of\s+)?"
            rf"(?:(?:{_JUDGE})\b(?!\s+(?:to|for\s+me\s+to)\b)|(?!\w+ed\b)(?:a\s+|an\s+)?(?P<topic>\w+)\s*\?)|\bshould\s+i\s+(?:be\s+)?(?:worried|concerned|worry)\b"
            r"(?!\s+about\s+(?:taking|using|mixing|the\s+side\s+effects))|\bdo\s+i\s+need\s+to\s+worry\b"
        ),
        needs_asker=True,
    ),
]
_ASKER = re.compile(r"\b(?:i|my|me|mine)\b")

# Adjectives people use for a condition, and the condition to read about in general.
_CONDITION_OF = {
    "pregnant": "pregnancy",
    "diabetic": "diabetes",
    "prediabetic": "prediabetes",
    "anemic": "anemia",
    "anaemic": "anaemia",
    "autistic": "autism",
    "depressed": "depression",
    "infertile": "infertility",
    "obese": "obesity",
    "dehydrated": "dehydration",
    "bipolar": "bipolar disorder",
    "hypothyroid": "hypothyroidism",
    "hyperthyroid": "hyperthyroidism",
    "asthmatic": "asthma",
    "epileptic": "epilepsy",
    "cancerous": "cancer",
    "malignant": "cancer",
    "menopausal": "menopause",
    "lactose intolerant": "lactose intolerance",
}
_FILLER_START = re.compile(
    r"^(?:a|an|the|some|any|something\s+like|like|kind\s+of|sort\s+of|signs?\s+of|symptoms?\s+of|early|having|"
    r"getting|developing|suffering\s+from)\s+"
)
_FILLER_END = re.compile(r"\s+(?:or\s+not|or\s+something|too|already|still|now|right\s+now|as\s+well|please|then)$")
_CUT = re.compile(r"\s+(?:or|because|since|if|after|when|from|even|though|as|and\s+i|but|so|like|in|on|at)\s+.*$")
_NOUN = re.compile(rf"\b(?:{_RESULT}|{_THING})\b")
# Result nouns that say less than the measurement beside them ("my blood test shows high ferritin").
_GENERIC_RESULTS = frozenset(
    {
        *"result results test tests lab labs bloodwork scan scans report level levels reading readings".split(),
        *("numbers", "count", "counts", "test result", "test results", "lab work", "blood work", "blood test"),
        "blood tests",
    }
)
# … and those that name no topic at all.
_BARE_RESULTS = frozenset("result results test tests lab labs scan scans report level levels reading readings".split())
#: A topic longer than this is a clause, not a topic.
MAX_TOPIC_WORDS = 5
_NO_TOPIC = frozenset(
    """normal ok okay fine bad good serious dangerous sick ill healthy worried it this that something anything
    nothing wrong there""".split()
)


def _normalise(question: str) -> str:
    text = question.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bi'?m\b", "i am", text)
    return " ".join(text.split())


def _topic_from(words: str) -> str | None:
    """The condition named by the words after "have"/"be" ("a uti or just irritation" → "uti")."""
    words = _CUT.sub("", words.strip())
    for _ in range(2):
        words = _FILLER_START.sub("", words)
        words = _FILLER_END.sub("", words)
    words = words.strip(" '\"")
    if words.startswith("allergic to "):
        return words.removeprefix("allergic to ") + " allergy"
    if words in _CONDITION_OF:
        return _CONDITION_OF[words]
    if not words or words in _NO_TOPIC or len(words.split()) > MAX_TOPIC_WORDS:
        return None
    return words


def _general_topic(text: str, match: re.Match[str]) -> str | None:
    """The condition named after "have"/"be", else the first disease-like name, else the body part or test."""
    for group in ("topic", "topic2"):
        words = match.groupdict().get(group)
        if words:
            topic = _topic_from(words)
            if topic is not None and not re.match(rf"(?:{_RELATIVE})\b", topic):
                return topic
    terms = candidate_terms(text)
    if terms:
        return terms[0].lower()
    rest = (match.groupdict().get("rest") or "").split()
    if rest and rest[-1] in _CONDITION_OF:
        return _CONDITION_OF[rest[-1]]
    nouns = [m.group() for m in _NOUN.finditer(text, match.start())] or [m.group() for m in _NOUN.finditer(text)]
    specific = [n for n in nouns if n not in _GENERIC_RESULTS]
    found = specific or [n for n in nouns if n not in _BARE_RESULTS]
    return found[0] if found else None


def personal_verdict_question(question: str) -> PersonalQuestion | None:
    """Whether `question` asks for a verdict on the asker's (or a relative's) own case, and about what.

    Args:
        question: The user's question, as typed.

    Returns:
        The kind, the matched phrase and the general topic; None for a general question.
    """
    text = _normalise(question)
    for rule in _RULES:
        match = rule.pattern.search(text)
        if match is None:
            continue
        # "studying for my nursing exam, is the fever cutoff …": the frame's "my" is no asker's case.
        if rule.needs_asker and not _ASKER.search(STUDY_FRAME.sub(" ", text)):
            continue
        if rule.needs_judge and not _ASK_JUDGE.search(text):
            continue
        if rule.about_medicine and re.search(rf"\b(?:{_MEDICINE})\b", match.group()):
            continue  # "is my metformin dose too high?" is a medication question
        kind = _rest_kind(rule.kind, match.group("rest")) if "rest" in match.groupdict() else rule.kind
        phrase = match.group().strip(" ,.;:")
        return PersonalQuestion(kind=kind, phrase=phrase, general_topic=_general_topic(text, match))
    return None


def _rest_kind(default: PersonalKind, rest: str) -> PersonalKind:
    """The kind from what follows "is my"/"is this mole": a condition, a test result or a body part."""
    words = rest.split()
    if candidate_terms(rest) or (words and words[-1] in _CONDITION_OF):
        return "own_diagnosis"
    if re.match(rf"(?:[\w'-]+\s+){{0,2}}?(?:{_RESULT})\b", rest):
        return "own_results"
    if re.match(rf"(?:[\w'-]+\s+){{0,2}}?(?:{_THING})\b", rest):
        return "own_symptoms"
    return default


# --- verdict sentences -------------------------------------------------------------------------------------

_CONDITIONAL = re.compile(
    r"\b(?:if|when|whenever|unless|whether|once|until|in\s+case|people\s+who|anyone\s+who|someone\s+who|"
    r"those\s+who)\b"
)
_HEDGE = r"(?:most\s+)?(?:probably|likely|definitely|certainly|clearly|possibly|almost\s+certainly)"
_CLINICIAN = (
    r"doctor|gp|physician|nurse|pharmacist|clinician|dermatologist|specialist|healthcare|health\s+care|care\s+team|"
    r"provider|best|first|next|options?|question"
)
_VERDICT_ADJ = (
    r"pregnant|diabetic|prediabetic|an(?:a)?emic|allergic|fine|healthy|normal|ok|okay|sick|ill|infected|positive|"
    r"negative|autistic|depressed|overweight|obese|infertile|dehydrated|deficient|in\s+the\s+clear|having|"
    r"suffering|experiencing|showing|developing|at\s+(?:high|low)\s+risk"
)
# (pattern, whether a conditional clause in front of it makes it general: "if you have diabetes, …")
_VERDICTS: list[tuple[re.Pattern[str], bool]] = [
    # "Yes, it is melanoma", "No.", "Yep - you can"
    (re.compile(r"^\W*(?:yes|no|nope|yep|yeah|yup|correct|definitely|absolutely)\s*(?:[,.!:;\u2013\u2014-]|$)"), False),
    # "You have diabetes", "you probably have the flu", "you do not have cancer"
    (
        re.compile(
            rf"\byou\s+(?:(?:{_HEDGE}|may|might|could|do|does|did|don't|dont|didn't|do\s+not|did\s+not|already|"
            r"also|still|seem\s+to|appear\s+to)\s+){0,2}(?:not\s+)?(?:have|has|got|suffer\s+from)\b"
            r"(?!\s+(?:to|any|questions|concerns|the\s+right|options|time|access|tried|taken|read|seen|noticed)\b)"
        ),
        True,
    ),
    # "you are pregnant", "you're not diabetic", "you are having a heart attack"
    (
        re.compile(rf"\byou(?:'re|\s+are)\s+(?:(?:{_HEDGE}|not|still|just)\s+){{0,2}}(?:{_VERDICT_ADJ})\b"),
        True,
    ),
    # "Your results are normal", "your son has autism", "your MRI shows a herniated disc"
    (
        re.compile(
            rf"\byour\s+(?!(?:{_CLINICIAN})\b)(?:[\w'/.-]+\s+){{0,5}}?(?:is|are|was|were|looks?|seems?|sounds?|"
            r"appears?|shows?|showed|indicates?|suggests?|means?|has|came\s+back|reads?)\b"
        ),
        True,
    ),
    # "This is likely shingles", "It is not cancer", "it's probably nothing"
    (
        re.compile(
            rf"\b(?:this|that|it)(?:'s|\s+is|\s+was)\s+(?:very\s+)?(?:{_HEDGE}|unlikely|consistent\s+with|nothing|"
            r"not(?!\s+(?:known|clear|possible|always|necessarily|recommended|common|usually|unusual|uncommon)\b))\b"
        ),
        False,
    ),
    # "It is benign", "this is normal" (but "it is normal to feel tired" is general)
    (
        re.compile(
            r"\b(?:this|that|it)(?:'s|\s+is)\s+(?:an?\s+)?(?:benign|malignant|harmless|cancerous|normal|fine|ok|okay|"
            r"nothing\s+serious|not\s+serious)\b(?!\s+(?:to|for|in|among|after|during)\b)"
        ),
        False,
    ),
    # "It sounds like eczema", "this looks like a fungal infection"
    (re.compile(r"\b(?:this|that|it|they|these)\s+(?:looks?|sounds?|seems?|appears?)\s+(?:to\s+be|like)\b"), False),
    # "This could be melanoma" (but "it may be caused by", "it may be helpful to" are general)
    (
        re.compile(
            r"\b(?:this|that|it|they)\s+(?:could|may|might|must|would)\s+(?:well\s+|very\s+well\s+|also\s+)?"
            r"(?:not\s+)?be\s+(?!\w+ed\b|(?:helpful|useful|important|necessary|a\s+good\s+idea|worth|best|wise|"
            r"possible|needed|safe|difficult|hard|easier|harder|used|given|taken)\b)"
        ),
        False,
    ),
    # "There is nothing to worry about", "you don't need to worry"
    (
        re.compile(
            r"\b(?:nothing|no\s+need)\s+to\s+(?:worry|be\s+(?:worried|concerned))|\b(?:don't|do\s+not|dont)\s+"
            r"(?:need\s+to\s+)?(?:worry|be\s+(?:worried|concerned))|\bnothing\s+serious\b"
        ),
        False,
    ),
    # "The mole is likely benign", "the results are within the normal range"
    (
        re.compile(
            rf"\b(?:the|this|that|these)\s+(?:{_THING}|{_RESULT})\s+(?:is|are|looks?|seems?|appears?|sounds?|shows?|"
            rf"indicates?|suggests?)\s+(?:{_HEDGE}|not|unlikely|benign|malignant|normal|abnormal|fine|ok|okay|"
            r"harmless|cancerous|nothing|consistent|within|high|low|elevated)\b"
        ),
        False,
    ),
]


def is_verdict(sentence: str) -> bool:
    """Whether `sentence` tells the asker whether a condition or result applies to them.

    "Yes, it is melanoma", "You have diabetes", "No, you do not have cancer", "This is likely shingles" and
    "Your results are normal" are verdicts; "Melanoma is a type of skin cancer", "If you have diabetes, you
    may feel thirsty" and "Your doctor can examine the mole" are not. Questions back to the asker ("Do you
    have a fever?") are not verdicts. Meant for answers to a personal question (`personal_verdict_question`):
    a leading "Yes"/"No" counts as a verdict whatever follows.
    """
    text = _normalise(re.sub(r"\[[^\]]*\]", "", sentence)).strip()
    if not text or text.endswith("?"):
        return False
    for pattern, conditional_makes_general in _VERDICTS:
        for match in pattern.finditer(text):
            if conditional_makes_general:
                clause = re.split(r"[,;:]", text[: match.start()])[-1]
                if _CONDITIONAL.search(clause):
                    continue
            return True
    return False


def strip_verdicts(sentences: list[str]) -> list[str]:
    """`sentences` without the verdicts about the asker (`is_verdict`), in order."""
    return [s for s in sentences if not is_verdict(s)]
