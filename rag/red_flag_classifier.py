"""A learned second opinion for emergency red flags, for the wordings the phrase rules never thought of.

The phrase rules (`rag.red_flags`) catch the wordings their author thought of; on messages written later by
other hands they caught 0.4–0.6 of emergencies. This classifier is trained by `python -m bench.red_flag_train`
on hand-labelled messages (emergencies phrased many ways, and look-alike harmless messages on the same
topics) and has two parts:

- **is it an emergency?** logistic regression over the message's words and word pairs (TF-IDF: "my", "now",
  "won't wake" separate a situation from a question about one) and its all-MiniLM-L6-v2 vector (meaning);
- **which one?** softmax regression over the vector alone, trained on the emergencies: the topic names the
  notice (stroke, anaphylaxis, …).

A message is an emergency when the first part's probability reaches `threshold`, chosen by cross-validation
on the training messages for a low false-alarm rate, never on the sets it is reported on. The same probability
can withdraw a rule's alarm (`vetoes`): rules match words, and "my brain had a stroke reading this form" has
the words; a rule's alarm stands unless the classifier puts the message under `veto`. The weights are
plain JSON (no pickle) and only fit vectors of the model they were trained on: with any other embedder the
classifier is off and the rules stand alone.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CLASSIFIER_FILE = Path(__file__).parent / "data" / "red_flag_classifier.json"
#: Before vetoing a rule's alarm on a message longer than this many words the classifier also reads it sentence by
#: sentence: in a long story or a numbered list of questions the emergency can be one sentence that the whole
#: message's vector dilutes ("1) iron-rich foods? 2) … 3) right now I'm soaking a pad every 20 minutes").
LONG_MESSAGE_WORDS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
#: Words of two or more letters or digits, as scikit-learn's `TfidfVectorizer` (the trainer) cuts them.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def message_units(text: str) -> list[str]:
    """What a veto reads: the whole message, plus its sentences when it is long."""
    # Sentences first: collapsing the spaces would erase the line breaks that separate them.
    sentences = [" ".join(s.split()) for s in _SENTENCE_END.split(text)]
    text = " ".join(text.split())
    if len(text.split()) <= LONG_MESSAGE_WORDS:
        return [text]
    return [text, *(s for s in sentences if len(s.split()) >= 3)]


def word_ngrams(text: str) -> list[str]:
    """Lower-cased words and adjacent word pairs (the trainer's `ngram_range=(1, 2)`)."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class RedFlagClassifier:
    """Emergency probability from words + vector; the red flag from the vector."""

    def __init__(
        self,
        *,
        vocabulary: dict[str, int],
        idf: np.ndarray,
        weights: np.ndarray,
        bias: float,
        flags: list[str],
        flag_weights: np.ndarray,
        flag_bias: np.ndarray,
        threshold: float,
        model: str | None,
        veto: float = 0.0,
    ) -> None:
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = float(bias)
        self.flags = list(flags)
        self.flag_weights = np.asarray(flag_weights, dtype=np.float32)
        self.flag_bias = np.asarray(flag_bias, dtype=np.float32)
        self.threshold = float(threshold)
        self.model = model
        #: A rule's alarm is withdrawn when the emergency probability is under this (0: never).
        self.veto = float(veto)
        if len(self.weights) != len(self.idf) + self.flag_weights.shape[1]:
            msg = "red-flag classifier weights must cover the vocabulary and the vector dimensions"
            raise ValueError(msg)

    def tfidf(self, texts: list[str]) -> np.ndarray:
        """Sub-linear TF × IDF over the vocabulary, each row of unit length (as the trainer computed it)."""
        rows = np.zeros((len(texts), len(self.idf)), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram, count in Counter(word_ngrams(text)).items():
                column = self.vocabulary.get(gram)
                if column is not None:
                    rows[row, column] = (1.0 + math.log(count)) * self.idf[column]
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1.0, norms)

    def emergency_scores(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """P(emergency) per text (its vector in the same row of `vectors`)."""
        features = np.hstack([self.tfidf(texts), np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)])
        return 1.0 / (1.0 + np.exp(-(features @ self.weights + self.bias)))

    def flag_of(self, vector: np.ndarray) -> str:
        """The red flag a message's vector is nearest in topic."""
        logits = self.flag_weights @ np.asarray(vector, dtype=np.float32).reshape(-1) + self.flag_bias
        return self.flags[int(np.argmax(logits))]

    def predict(self, texts: list[str], vectors: np.ndarray) -> tuple[str | None, float]:
        """The red flag of the most alarming unit with its probability (flag None when under threshold)."""
        scores = self.emergency_scores(texts, vectors)
        row = int(np.argmax(scores))
        score = float(scores[row])
        return (self.flag_of(vectors[row]) if score >= self.threshold else None), score

    def to_json(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """Everything `from_json` needs, rounded to 6 decimals, with how it was made."""
        return {
            "model": self.model,
            "threshold": round(self.threshold, 4),
            "veto": round(self.veto, 4),
            "metadata": metadata,
            "vocabulary": self.vocabulary,
            "idf": np.round(self.idf, 6).tolist(),
            "weights": np.round(self.weights, 6).tolist(),
            "bias": round(self.bias, 6),
            "flags": self.flags,
            "flag_weights": np.round(self.flag_weights, 6).tolist(),
            "flag_bias": np.round(self.flag_bias, 6).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RedFlagClassifier:
        return cls(
            vocabulary=data["vocabulary"],
            idf=np.asarray(data["idf"]),
            weights=np.asarray(data["weights"]),
            bias=data["bias"],
            flags=data["flags"],
            flag_weights=np.asarray(data["flag_weights"]),
            flag_bias=np.asarray(data["flag_bias"]),
            threshold=data["threshold"],
            model=data.get("model"),
            veto=data.get("veto", 0.0),
        )

    def save(self, path: Path, *, metadata: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(metadata)) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RedFlagClassifier:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


@cache
def default_classifier() -> RedFlagClassifier | None:
    """The shipped classifier, or None when it has not been trained (the rules then stand alone)."""
    return RedFlagClassifier.load(CLASSIFIER_FILE) if CLASSIFIER_FILE.exists() else None


def classify_message(
    text: str, embed: Callable[[list[str]], np.ndarray], model: str | None
) -> tuple[str | None, float] | None:
    """(red flag or None, emergency probability) for the whole of `text`, or None when no classifier fits `model`'s
    vectors. An alarm of its own reads the whole message: single sentences of long look-alikes raised false alarms
    (7 instead of 3 of the seventh blind set's 90), where a veto's caution costs nothing but a kept alarm."""
    return _scored([" ".join(text.split())], embed, model)


def _scored(
    units: list[str], embed: Callable[[list[str]], np.ndarray], model: str | None
) -> tuple[str | None, float] | None:
    """The most alarming unit's (flag, probability), or None when no classifier fits `model` or there is no text."""
    classifier = default_classifier()
    if classifier is None or classifier.model != model or not any(u.strip() for u in units):
        return None
    return classifier.predict(units, embed(units))


def vetoes(text: str, embed: Callable[[list[str]], np.ndarray], model: str | None) -> bool:
    """Whether the classifier is sure enough that `text` is no emergency to withdraw a rule's alarm.

    Only when its emergency probability for every unit of the message is under `veto`. Cross-validation sets
    `veto` with `threshold` (`bench/red_flag_train.py`): the pair catching the most emergencies out of fold
    within the false-alarm limit, the smaller veto on ties. Never when the classifier is missing, has no veto
    or was trained for another embedder."""
    classifier = default_classifier()
    if classifier is None or classifier.veto <= 0:
        return False
    verdict = _scored(message_units(text), embed, model)  # None: no classifier fits `model`, or no text
    return verdict is not None and verdict[1] < classifier.veto
