"""Train the question-type classifier that `rag.intent` ships, and check it on questions it never saw.

The classifier is one centroid per question type: the mean all-MiniLM-L6-v2 embedding of MedQuAD's
questions of that type (`medquad.jsonl.gz`, all 47k questions, the unanswered MedlinePlus drug questions
included: they carry the drug types "side effects", "usage", "interactions with medications", …). Only
questions whose focus is in the MedQuAD `dev` split (`eval.datasets.medquad_split`) train it.

Checks, none of them used to train: MedQuAD `test`-split questions, the hand-written patient rewrites
(`eval/data/medquad_patient_questions.jsonl`, both halves reported) and MedicationQA's real consumer
questions, whose own question types are mapped onto ours (`MEDICATIONQA_TYPES`).

    python -m bench.intent_train [--out rag/data/intent_centroids.json] [--json report.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.report_file import emit_report
from bench.retrieval_sweep import patient_rewrites  # noqa: E402
from eval.datasets.consumer_qa import medquad_split  # noqa: E402
from knowledge.embeddings import DEFAULT_MODEL_NAME, SentenceTransformerEmbeddings  # noqa: E402
from rag.intent import CENTROIDS_FILE, MIN_INTENT_SIMILARITY, SECTION_INTENTS, IntentClassifier, cue_intent  # noqa: E402

#: Question types with fewer training questions than this get no centroid ("how can i learn more": 23).
MIN_QUESTIONS = 20
#: MedicationQA question type → ours, for the check only (types with no counterpart are left out).
MEDICATIONQA_TYPES = {
    "Information": "information",
    "Dose": "dose",
    "Usage": "usage",
    "Side effects": "side effects",
    "Indication": "indication",
    "Interaction": "interactions with medications",
    "Action": "how does it work",
    "Storage and disposal": "storage and disposal",
    "Contraindication": "contraindication",
    "Overdose": "emergency or overdose",
    "Brand names": "brand names",
    "Forget a dose": "forget a dose",
}
#: Thresholds on the cosine to the nearest centroid whose dev accuracy the report shows.
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4)


def training_questions(data_dir: Path) -> list[tuple[str, str, str]]:
    """(question, type, split) of every distinct MedQuAD question."""
    seen: set[str] = set()
    rows = []
    with gzip.open(data_dir / "en/medquad/medquad.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            question, qtype = (row.get("question") or "").strip(), (row.get("qtype") or "").strip()
            if question and qtype and question not in seen:
                seen.add(question)
                rows.append((question, qtype, medquad_split(row.get("focus"))))
    return rows


def answerable_types(data_dir: Path) -> set[str]:
    """Types some indexed section answers: MedQuAD's answered sections and the types of `SECTION_INTENTS`.

    A type no passage answers ("when to contact a medical professional", "how can I learn more") would only
    take questions away from the types that steer retrieval.
    """
    types = {intent for intents in SECTION_INTENTS.values() for intent in intents}
    with (data_dir / "en/medquad/medquad_answered.jsonl").open(encoding="utf-8") as fh:
        types |= {json.loads(line).get("qtype") for line in fh if line.strip()}
    return {t for t in types if t}


def accuracy(
    classifier: IntentClassifier,
    emb: SentenceTransformerEmbeddings,
    items: list[tuple[str, str]],
    thresholds: tuple[float, ...] = THRESHOLDS,
) -> dict[str, Any]:
    """Share of questions typed right at the shipped threshold (untyped counts as wrong), and at each of
    `thresholds`, which is how `MIN_INTENT_SIMILARITY` is chosen: on the dev checks only."""
    vectors = emb.embed_array([q for q, _ in items])
    # As the assistant types a question: the wording's cue when it has one (`rag.intent.cue_intent`), else the
    # centroid; the centroids' own accuracy is reported beside it.
    cued = [cue_intent(q) for q, _ in items]
    typed = [c or classifier.classify(v) for c, v in zip(cued, vectors, strict=True)]
    golds = [gold for _, gold in items]
    n_cued = sum(c is not None for c in cued)
    with_cues = {
        "accuracy": round(sum(p == g for p, g in zip(typed, golds, strict=True)) / max(len(items), 1), 3),
        "cued": n_cued,
        "cued_accuracy": round(sum(c == g for c, g in zip(cued, golds, strict=True) if c) / max(n_cued, 1), 3),
    }
    by_threshold = {}
    for threshold in (MIN_INTENT_SIMILARITY, *thresholds):
        predicted = [classifier.classify(v, min_similarity=threshold) for v in vectors]
        right = sum(p == gold for p, (_, gold) in zip(predicted, items, strict=True))
        by_threshold[threshold] = {"accuracy": round(right / max(len(items), 1), 3), "none": predicted.count(None)}
    shipped = by_threshold[MIN_INTENT_SIMILARITY]
    return {"n": len(items), **shipped, "with_cues": with_cues, "by_threshold": by_threshold}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--out", type=Path, default=CENTROIDS_FILE)
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument(
        "--check-only", action="store_true", help="check the shipped centroids: no training, only --json written"
    )
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    data_dir = Path(args.data_dir).expanduser()
    emb = SentenceTransformerEmbeddings(show_progress=True)
    rows = training_questions(data_dir)
    train = [(q, t) for q, t, split in rows if split == "dev"]
    counts = Counter(t for _, t in train)
    answered = answerable_types(data_dir)
    labels = sorted(t for t, n in counts.items() if n >= MIN_QUESTIONS and t in answered)
    kept = [t for _, t in train if t in labels]
    if args.check_only:
        classifier = IntentClassifier.load(CENTROIDS_FILE)
        labels = classifier.labels
    else:
        vectors = emb.embed_array([q for q, t in train if t in labels])
        centroids = np.stack([vectors[[i for i, t in enumerate(kept) if t == label]].mean(axis=0) for label in labels])
        classifier = IntentClassifier(labels, centroids)
        classifier.save(args.out, model=DEFAULT_MODEL_NAME, counts={label: counts[label] for label in labels})

    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "command": " ".join(["python -m bench.intent_train", *(argv or sys.argv[1:])]),
        "trained_on": f"{len(kept)} MedQuAD dev-split questions, {len(labels)} types",
        "types": {label: counts[label] for label in labels},
    }
    test = [(q, t) for q, t, split in rows if split == "test" and t in labels]
    with (data_dir / "en/medicationqa/medicationqa.jsonl").open(encoding="utf-8") as fh:
        medication = [json.loads(line) for line in fh if line.strip()]
    checks = {
        "medquad_test_split": test,
        "patient_rewrites_dev": [(p.question, str(p.subject)) for p in patient_rewrites("dev")],
        "patient_rewrites_test": [(p.question, str(p.subject)) for p in patient_rewrites("test")],
        # Only questions whose type has a centroid: the others could never be typed right.
        "medicationqa": [
            (m["Question"], MEDICATIONQA_TYPES[m["Question Type"]])
            for m in medication
            if m.get("Question") and MEDICATIONQA_TYPES.get(m.get("Question Type", "")) in labels
        ],
    }
    report["checks"] = {name: accuracy(classifier, emb, items) for name, items in checks.items()}
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
