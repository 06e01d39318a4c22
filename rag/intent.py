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


def detect_intent(vector: np.ndarray, model: str) -> str | None:
    """The question type of a query vector made by `model`, or None (untyped, or another embedding model)."""
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
