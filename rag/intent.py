"""What a question asks about (symptoms, treatment, side effects, …): a small classifier, not keyword rules.

The classifier is one centroid per question type in the embedding space of the knowledge base's model
(all-MiniLM-L6-v2): the mean embedding of MedQuAD's questions of that type whose focus is in the `dev`
split, the MedlinePlus drug questions ("side effects", "usage", …) included. `bench.intent_train` trains it
and checks it on questions it never saw: MedQuAD's held-out split, hand-written patient rewrites (0.35 of
them were typed right by the keyword rules this replaces) and MedicationQA's consumer questions.

Which passage sections answer which question type is a table over section names (`SECTION_INTENTS`), so
sources other than MedQuAD (Disease Ontology definitions, FDA label sections) take part; a section the table
does not know is preferred for nothing and competes on its text alone.
"""

from __future__ import annotations

import json
import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CENTROIDS_FILE = Path(__file__).parent / "data" / "intent_centroids.json"
#: Below this cosine to the nearest centroid a question is not typed (chosen on dev: `bench.intent_train`).
MIN_INTENT_SIMILARITY = 0.2

#: Section name (lower case) → question types it answers, beyond its own name (a MedQuAD section named
#: "symptoms" answers "symptoms"). Disease Ontology and ChatDoctor texts are definitions; FDA label sections
#: (`knowledge.sources.fda_labels.SECTIONS`) answer the drug question types.
SECTION_INTENTS: dict[str, frozenset[str]] = {
    "definition": frozenset({"information"}),
    "description": frozenset({"information"}),
    "indications and usage": frozenset({"indication", "information", "usage"}),
    "dosage and administration": frozenset({"usage", "dose", "forget a dose"}),
    "dosage forms and strengths": frozenset({"dose", "usage"}),
    "contraindications": frozenset({"contraindication", "precautions"}),
    "warnings and precautions": frozenset({"precautions", "important warning"}),
    "warnings": frozenset({"precautions", "important warning"}),
    "precautions": frozenset({"precautions"}),
    "boxed warning": frozenset({"important warning", "precautions"}),
    "adverse reactions": frozenset({"side effects"}),
    "drug interactions": frozenset(
        {"interactions with medications", "interactions with foods", "interactions with herbs and supplements"}
    ),
    "overdosage": frozenset({"emergency or overdose"}),
    "mechanism of action": frozenset({"how does it work"}),
    "pregnancy": frozenset({"precautions"}),
    "lactation": frozenset({"precautions"}),
    "patient counseling information": frozenset({"dietary", "storage and disposal", "forget a dose"}),
    "medication guide": frozenset({"side effects", "usage", "storage and disposal"}),
    "patient information": frozenset({"side effects", "usage", "storage and disposal"}),
    "use in specific populations": frozenset({"precautions"}),
    "pediatric use": frozenset({"precautions"}),
    "geriatric use": frozenset({"precautions"}),
    "renal impairment": frozenset({"precautions"}),
    "hepatic impairment": frozenset({"precautions"}),
    "labor and delivery": frozenset({"precautions"}),
    "females and males of reproductive potential": frozenset({"precautions"}),
    "abuse and dependence": frozenset({"important warning"}),
}
#: Question type → knowledge-graph fact sections (`knowledge.graph.facts`) that answer it.
INTENT_RELATIONS: dict[str, tuple[str, ...]] = {
    "symptoms": ("has_symptom", "has_evidence"),
    "exams and tests": ("has_test",),
    "treatment": ("treated_with",),
    "causes": ("has_risk_factor",),
    "susceptibility": ("has_risk_factor",),
    "information": ("about",),
    "indication": ("used_for",),
    "usage": ("used_for",),
}


#: Fact sections (`knowledge.graph.facts`) that answer no question type of their own but are typed all the same:
#: "judged NOT to treat" lists answer no question about what a drug does.
_UNTYPED_FACT_SECTIONS = frozenset({"not_indicated", "not_indicated_for"})
#: Definitions and descriptions are prose about a disease, not a listing for one question type.
_PROSE_SECTIONS = frozenset({"definition", "description"})


#: Phrases that say a question's type outright, tried in order before the centroids: the centroids were trained on
#: MedQuAD's templates, and typed only 0.35 of MedicationQA's consumer questions right ("what is metformin used
#: for" came out as "interactions with medications"). Each cue is a wording no other type uses; a question none
#: of them matches is typed by the centroids alone. Drug types come first: "side effects" names no symptom.
_W = r"(?:[\w'’-]+\s+)"  # one word and its space
CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (intent, re.compile(pattern, re.IGNORECASE))
    for intent, pattern in (
        ("side effects", r"\bside[- ]?effects?\b|\badverse (?:effects?|reactions?)\b"),
        ("symptoms", r"\bsymptoms?\b|\bsigns? (?:of|that)\b"),
        ("outlook", r"\blife expectancy\b|\bprognosis\b|\boutlook\b|\bsurvival rate\b"),
        ("forget a dose", r"\b(?:miss(?:ed)?|forg[eo]t(?:ten)?|skip(?:ped)?)\b[^.?!]{0,30}\b(?:dose|pill|tablet)s?\b"),
        ("emergency or overdose", r"\boverdos(?:e|ed|ing)\b|\blethal dose\b"),
        (
            "interactions with foods",
            r"\binteract\w*\b[^.?!]{0,40}\b(?:foods?|drinks?|alcohol|grapefruit|juice|milk|caffeine|coffee)\b"
            r"|\b(?:foods?|alcohol|grapefruit|juice|milk|caffeine|coffee)\b[^.?!]{0,40}\binteract\w*\b",
        ),
        (
            "interactions with herbs and supplements",
            r"\binteract\w*\b[^.?!]{0,40}\b(?:herbs?|herbal|supplements?|vitamins?)\b"
            r"|\b(?:herbs?|herbal|supplements?|vitamins?)\b[^.?!]{0,40}\binteract\w*\b",
        ),
        (
            "interactions with medications",
            r"\binteract(?:s|ion|ions)?\b|\b(?:not|safe|ok|okay) to take [^.?!]{0,40}\b(?:with|together|while)\b"
            r"|\btake [^.?!]{0,40}\btogether\b|\bat the same time as\b",
        ),
        ("how does it work", rf"\bhow (?:does|do) {_W}{{1,5}}work\b|\bmechanism of action\b|\bhow {_W}{{1,3}}works\b"),
        # MedQuAD's usage template asks for the dosage too: "How should abacavir be used and what is the dosage?"
        (
            "usage",
            r"\bhow should\b[^?.!]{0,40}\bbe used\b"
            r"|\bhow (?:should|do|to|can) (?:i |you |we )?(?:take|use|apply|inject|insert)\b|\bwhat time\b",
        ),
        (
            "dose",
            r"\bhow (?:much|many)\b[^.?!]{0,40}\b(?:take|give|mg|tablets?|pills?|doses?)\b|\bdos(?:e|age|ing)\b"
            # A product's strengths, not a body's: "different strengths of dexamethasone", not "muscle strength".
            r"|\b(?:what|which|different|available) streng?t?hs?\b|\bstreng?t?hs? (?:of|does|do)\b|\bhow strong is\b",
        ),
        (
            "indication",
            rf"\b(?:used|prescribed|given|taken|good) (?:for|to treat)\b"
            rf"|\bwhat (?:is|are|'s) {_W}{{0,4}}(?:it|they) for\b|\bwhat does {_W}{{1,4}}treat\b",
        ),
        # Not "storage" alone: "glycogen storage disease" is a disease's name.
        (
            "storage and disposal",
            r"\bhow (?:to|should|do|can) (?:i |you |we )?(?:store|keep|dispose of|throw away)\b"
            r"|\brefrigerat\w*\b|\bdisposal\b|\bexpir(?:ed|ation|y)\b",
        ),
        ("frequency", r"\bhow common\b|\bhow many people\b"),
        (
            "causes",
            r"^\W*(?:what|which)\b[^?.!]{0,30}\bcaus(?:e|es|ed|ing)\b|\bcauses? of\b"
            r"|\bwhy do(?:es)? \w+ (?:get|have)\b|\bhow (?:do|does|did) (?:you|i|people|someone|one) get\b",
        ),
        # "How is …" diagnosed, not "was diagnosed with", which only tells the asker's story.
        (
            "exams and tests",
            r"\bhow (?:is|are|do|does|can|would|will)\b[^?.!]{0,40}\bdiagnos(?:e|ed|is)\b|\bdiagnosis of\b"
            r"|\btests? (?:for|to diagnose)\b",
        ),
        ("prevention", r"\b(?:how|can|ways?) (?:\w+ ){0,4}prevent(?:ed)?\b|\bprevention of\b"),
        (
            "treatment",
            r"\bhow (?:is|are|do|does|can|should)\b[^?.!]{0,40}\btreat(?:ed)?\b|\btreatments? (?:for|of)\b"
            r"|\bcur(?:e|ed|able)\b|\bget rid of\b"
            # "how to deal with anxiety", "how can I manage my gout": what to do about a condition.
            r"|\bhow (?:to|do i|can i|do you|can you|should i) "
            r"(?:deal with|cope with|manage|handle|overcome|relieve|ease)\b",
        ),
        # "Inherited" or "passed down", not "hereditary": it is part of many diseases' names.
        ("inheritance", r"\binherit(?:ed|ance)?\b|\bpassed (?:down|on)\b|\bruns? in (?:the )?famil"),
    )
)


#: Longer messages are left to the centroids: they tell a story and ask several things, and the first cue in them
#: named a side question (a message asking whether Louis-Bar syndrome is inherited was typed "symptoms" by its
#: story; `python -m bench.answer_dev`, LiveQA's training questions).
MAX_CUE_WORDS = 20


def cue_intent(question: str) -> str | None:
    """The question type a short question's wording states outright (`CUES`), or None."""
    if len(question.split()) > MAX_CUE_WORDS:
        return None
    for intent, pattern in CUES:
        if pattern.search(question):
            return intent
    return None


class IntentClassifier:
    """Nearest-centroid question typing over normalised query vectors."""

    def __init__(self, labels: list[str], centroids: np.ndarray, model: str | None = None) -> None:
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        self.labels = list(labels)
        self.centroids = (centroids / np.where(norms == 0, 1.0, norms)).astype(np.float32)
        self.model = model

    def classify(self, vector: np.ndarray, *, min_similarity: float = MIN_INTENT_SIMILARITY) -> str | None:
        """The question type of one normalised query vector (shape (dim,) or (1, dim)), or None."""
        sims = self.centroids @ np.asarray(vector, dtype=np.float32).reshape(-1)
        best = int(np.argmax(sims))
        return self.labels[best] if float(sims[best]) >= min_similarity else None

    def save(self, path: Path, *, model: str, counts: dict[str, int]) -> None:
        """Write the centroids as JSON (rounded to 5 decimals: ~100 KB, no pickle)."""
        data: dict[str, Any] = {
            "model": model,
            "labels": self.labels,
            "training_questions": counts,
            "centroids": np.round(self.centroids, 5).tolist(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        """Read centroids written by `save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["labels"], np.asarray(data["centroids"], dtype=np.float32), model=data.get("model"))


@cache
def default_classifier() -> IntentClassifier:
    """The shipped classifier (trained for all-MiniLM-L6-v2 query vectors)."""
    return IntentClassifier.load(CENTROIDS_FILE)


def detect_intent(vector: np.ndarray, model: str, question: str | None = None) -> str | None:
    """The question type: the one `question`'s wording states (`cue_intent`), else that of its query vector made by
    `model`, or None (untyped, or another embedding model)."""
    cued = cue_intent(question) if question else None
    if cued is not None:
        return cued
    classifier = default_classifier()
    if classifier.model != model:
        # Centroids live in one model's space; another model's vectors would be typed at random.
        _warn_once(f"question typing is off: its centroids are for {classifier.model}, queries come from {model}")
        return None
    return classifier.classify(vector)


@cache
def _warn_once(message: str) -> None:
    logger.warning(message)


def intent_relations(intent: str | None) -> tuple[str, ...]:
    """Knowledge-graph fact sections that answer questions of this type."""
    return INTENT_RELATIONS.get(intent or "", ())


def section_matches(intent: str | None, section: str | None) -> bool:
    """Whether a passage section answers this question type."""
    if intent is None or section is None:
        return False
    name = section.strip().lower()
    return name == intent or intent in SECTION_INTENTS.get(name, frozenset())


def section_mismatch(intent: str | None, section: str | None) -> bool:
    """Whether a passage's section is a typed listing (a KG fact, an FDA label section) for other questions.

    Only those sections count: their text is terse and shares the entity's name with every question about
    it, so its words cannot tell "what metformin treats" from "metformin side effects". Prose sections, and
    the catch-all `information` type, compete on their text alone; so does everything when a type is unknown.
    """
    if intent is None or section is None or intent == "information":
        return False
    name = section.strip().lower()
    relations = {r for rs in INTENT_RELATIONS.values() for r in rs} | _UNTYPED_FACT_SECTIONS
    listing = (name in SECTION_INTENTS and name not in _PROSE_SECTIONS) or name in relations
    return listing and not section_matches(intent, name) and name not in intent_relations(intent)


#: What a sentence must say, in words, to answer a question whose wording states its type (`CUES`), when its
#: passage's section does not already answer that type. A composed answer none of whose sentences does is about
#: the right topic but not the asked aspect ("how to take statins" answered with what statins are; "different
#: strengths of dexamethasone" with what it treats), and is refused rather than shown. Types whose answers need
#: no telltale word are left out: symptoms (a list of signs), indications and definitions.
ASPECT_WORDS: dict[str, re.Pattern[str]] = {
    intent: re.compile(pattern, re.IGNORECASE)
    for intent, pattern in {
        "side effects": r"side[- ]effects?|\badverse\b|\breactions?\b|\bmay cause\b|\bcan cause\b",
        "dose": r"\b\d+(?:\.\d+)?\s?(?:mg|mcg|µg|g|ml|mL|units?|%)\b|\bdos(?:e|es|age|ing)\b|\bstrengths?\b",
        "usage": r"\btak(?:e|en|ing)\b|\bapply\b|\binject|\bonce\b|\btwice\b|\bdaily\b|\bwith food\b|\bbedtime\b"
        r"|\bswallow",
        "interactions with medications": r"\binteract|\bconcomitant|\bco-?administ|\btogether\b|\bcombin",
        "interactions with foods": r"\binteract|\bfoods?\b|\balcohol\b|\bgrapefruit\b|\bjuice\b|\bmeals?\b",
        "interactions with herbs and supplements": r"\binteract|\bherb|\bsupplement|\bvitamin",
        "forget a dose": r"\bmiss|\bforg[eo]t|\bskip",
        "storage and disposal": r"\bstor(?:e|ed|age)\b|\brefrigerat|\broom temperature\b|\bdispos|\bexpir",
        "emergency or overdose": r"\boverdos|\bpoison|\bemergency\b|\btoo much\b",
        "how does it work": r"\bworks? by\b|\bblock|\binhibit|\bmechanism\b|\bacts? (?:on|by)\b|\bbind",
        "treatment": r"\btreat|\btherap|\bmedicin|\bmedication|\bsurg|\bmanag|\bdrugs?\b|\breliev|\brelief\b",
        "causes": r"\bcaus|\bdue to\b|\bresult|\brisk|\btrigger|\bbecause\b|\blead to\b|\bleads to\b",
        "exams and tests": r"\btests?\b|\btesting\b|\bdiagnos|\bexam|\bscan|\bbiops|\bimaging\b|\bx-rays?\b",
        "prevention": r"\bprevent|\bavoid|\breduc\w* (?:the |your )?risk|\bvaccin|\bimmuni",
        "inheritance": r"\binherit|\bgenes?\b|\bgenetic|\bautosomal\b|\bpassed\b|\bx-linked\b|\bmutation",
        "outlook": r"\boutlook\b|\bprognosis\b|\bsurviv|\blife expectancy\b|\brecover|\bcur(?:e|ed|able)\b",
    }.items()
}


#: A question about taking two medicines together ("can you take tamsulosin and ciprofloxacin?"): answered only by a
#: sentence that names both (`rag.extractive.drugs_named`), never by one drug's interactions with others.
COMBINATION_QUESTION = re.compile(
    r"\b(?:take|taking|took|mix|mixing|combine|combining|use|using)\b[^.?!]{0,40}\b(?:and|with|together|while)\b",
    re.IGNORECASE,
)
#: A sentence end inside a message: a message of several questions asks more than its first cue says.
_INNER_SENTENCE_END = re.compile(r"[.?!]\s+\S")


def single_question(text: str) -> bool:
    """Whether `text` is one sentence (its question type then speaks for all of it)."""
    return not _INNER_SENTENCE_END.search(text.strip())


def addresses_aspect(intent: str | None, sentence: str, section: str | None) -> bool:
    """Whether `sentence` (from a passage of `section`) can answer a question of type `intent`: True for types
    `ASPECT_WORDS` does not check."""
    words = ASPECT_WORDS.get(intent or "")
    return words is None or section_matches(intent, section) or bool(words.search(sentence))
