"""Train the red-flag classifier that `rag.red_flag_classifier` ships, choosing its settings by cross-validation.

Training messages (never the sets it is reported on):
- bench/data/red_flags_train.jsonl: 540 messages written for training, independently of the rules;
- bench/data/red_flags_train2.jsonl: 360 more (20 emergencies and 20 hard negatives per flag), written blind
  by another session (it saw no code and no other data);
- bench/data/red_flags_train3.jsonl: 360 more, written blind the same way by a third session (scored once with
  the model before it, `reports/red_flags_train3_before.json`, then trained on);
- bench/data/red_flags_heldout2.jsonl: 180 held-out messages scored by three earlier models, now training;
- bench/data/red_flags_heldout5.jsonl and red_flags_heldout6.jsonl: 180 blind messages each (buried findings,
  third parties, shorthand, clinical notes; dictation, one-liners, other languages mixed in) scored frozen once,
  mended on, now training;
- the `dev` split of bench/data/red_flags.jsonl (161, the rules' own development set);
- "plain" questions: LiveQA 2017's training questions (`CONSUMER_LABELS`: ids and labels from a session that read
  only the questions; texts from the data folder) and `DRUG_QUERIES` bare drug questions built from the
  drug-name table ("topiramate?"), which real consumer questions showed the classifier alarming on.

Settings, by 5-fold cross-validation on those messages: the regularisation `C` of the emergency model, the
alarm threshold (the classifier raises an alarm no rule raised) and the veto (the classifier withdraws a rule's
alarm when its emergency probability is under it). For each `C`, the (veto, threshold) pair that catches the
most out-of-fold emergencies under the right flag while rules and classifier together stay at or under
`CV_FALSE_ALARM` false alarms on the written messages and `CV_PLAIN_FALSE_ALARM` on the plain questions
(ties: the smaller veto, then the lower threshold; when no pair meets the limits, the fewest false alarms);
the `C` kept catches the most. Then both parts are fitted on all training messages
and written as JSON.
Fitting uses scikit-learn (installed with sentence-transformers); the assistant reads the JSON with numpy.

Reported on (`python -m bench.red_flags`): the `test` split of red_flags.jsonl, the fresh sets,
bench/data/red_flags_heldout.jsonl and red_flags_heldout3/4/7/8.jsonl (each written by someone who saw neither the
rules nor these messages; heldout3 and 4 scored frozen once, then mended on).

    python -m bench.red_flag_train [--out rag/data/red_flag_classifier.json] [--json reports/red_flag_train.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.consumer_dev import TRAIN_FILES as CONSUMER_TRAIN_FILES  # noqa: E402
from bench.consumer_dev import tuning_items  # noqa: E402
from bench.red_flags import CASES, read_cases  # noqa: E402
from eval.datasets.consumer_qa import load_liveqa_train  # noqa: E402
from knowledge.embeddings import SentenceTransformerEmbeddings  # noqa: E402
from rag.red_flag_classifier import CLASSIFIER_FILE, RedFlagClassifier, message_units  # noqa: E402
from rag.red_flags import classifier_text, detect_red_flags, may_veto  # noqa: E402

TRAIN_FILES = (
    Path(__file__).parent / "data" / "red_flags_train.jsonl",
    Path(__file__).parent / "data" / "red_flags_train2.jsonl",
    Path(__file__).parent / "data" / "red_flags_train3.jsonl",
    # Held out for three models (scored once each, nothing chosen on it), then given to training when
    # red_flags_heldout3.jsonl took its place as the fresh set.
    Path(__file__).parent / "data" / "red_flags_heldout2.jsonl",
    # Scored frozen once (`reports/red_flags_heldout5.json`), mended on, then given to training: its carers' and
    # nurses' clinical notes are a style no other training file holds (the classifier vetoed two of them).
    Path(__file__).parent / "data" / "red_flags_heldout5.jsonl",
    # The same for the sixth: voice dictation, elderly and teenage wording, one-liners and messages mixed with
    # Spanish, Portuguese, French and Hindi (`reports/red_flags_heldout6.json`).
    Path(__file__).parent / "data" / "red_flags_heldout6.jsonl",
    # And the ninth: chat logs, forms, quoted forum replies, formal letters and understatement
    # (`reports/red_flags_heldout9.json`).
    Path(__file__).parent / "data" / "red_flags_heldout9.jsonl",
    # And the tenth: everyday writers, metaphors, chronic conditions, numbers (`reports/red_flags_heldout10.json`).
    Path(__file__).parent / "data" / "red_flags_heldout10.jsonl",
    # And the eleventh: voice-to-text errors, SMS shorthand, minimisers, third parties, typos in the key words
    # (`reports/red_flags_heldout11.json`).
    Path(__file__).parent / "data" / "red_flags_heldout11.jsonl",
    # The twelfth to fourteenth (`reports/red_flags_heldout12.json` … `14.json`): second turns, Hinglish, care logs,
    # clinicians' shorthand, pets and livestock, long resolved histories.
    Path(__file__).parent / "data" / "red_flags_heldout12.jsonl",
    Path(__file__).parent / "data" / "red_flags_heldout13.jsonl",
    Path(__file__).parent / "data" / "red_flags_heldout14.jsonl",
    # The fifteenth to seventeenth (`reports/red_flags_heldout15.json` … `17.json`): everyday questions, forum posts,
    # non-native writers, bystanders, home readings, jokes and emoji, multi-speaker chats.
    Path(__file__).parent / "data" / "red_flags_heldout15.jsonl",
    Path(__file__).parent / "data" / "red_flags_heldout16.jsonl",
    Path(__file__).parent / "data" / "red_flags_heldout17.jsonl",
    # And the eighteenth: very short messages, device notifications, regional English, self-corrections.
    Path(__file__).parent / "data" / "red_flags_heldout18.jsonl",
)
#: LiveQA 2017 training questions (`bench.consumer_dev.tuning_items`: never a test question), each labelled
#: emergency or not by a separate session that read only the questions; the texts stay in the data folder.
CONSUMER_LABELS = Path(__file__).parent / "data" / "red_flags_consumer_labels.jsonl"
#: Bare drug questions are never emergencies, yet the classifier read "topiramate?" and "seniors and premarin?"
#: as suicidal (real MedicationQA questions): these many, from the drug-name table, teach it otherwise.
DRUG_QUERIES = 150
DRUG_QUERY_TEMPLATES = (
    "{d}?",
    "{d}",
    "what is {d}",
    "what is {d} used for",
    "{d} dosage",
    "{d} and alcohol",
    "is {d} safe for seniors",
    "{d} side effects",
    "can i take {d} with food",
    "how long does {d} stay in your system",
    "{d} 10 mg",
    "{d} vs ibuprofen",
    "does {d} make you sleepy",
    "{d} and grapefruit?",
    "when to take {d}",
)
SEED = 13
FOLDS = 5
C_GRID = (1.0, 3.0, 10.0, 30.0)
#: Regularisation of the which-flag model (topic from the vector: not sensitive to it on these messages).
FLAG_C = 10.0
#: The out-of-fold false-alarm rate the threshold may reach: the issue's target (the rules alone use 0.04 of it),
#: on the written messages and on the plain questions separately, so that hundreds of easy plain negatives cannot
#: buy alarms on the hard written ones (on plain questions the models reach ~0.01: the written limit binds).
CV_FALSE_ALARM = 0.05
CV_PLAIN_FALSE_ALARM = CV_FALSE_ALARM
THRESHOLDS = tuple(round(float(t), 3) for t in np.arange(0.05, 0.96, 0.01))
#: Emergency probabilities under which a rule's alarm is withdrawn (0: never), tried with every threshold.
VETOES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3)
Embed = Callable[[list[str]], np.ndarray]


def consumer_rows(data_dir: Path) -> list[dict[str, Any]]:
    """The labelled LiveQA training questions the tuning set keeps (none a scored set holds), their texts read
    from the data folder (`kind` "plain")."""
    folder = data_dir / "en" / "liveqa2017"
    known = {item.id for name in CONSUMER_TRAIN_FILES for item in load_liveqa_train(folder / name)}
    texts = {item.id: item.question for item in tuning_items(data_dir)}
    rows = []
    for label in read_cases(CONSUMER_LABELS):
        if label["id"] not in known:
            msg = f"{CONSUMER_LABELS.name}: {label['id']} is not a LiveQA training question in {data_dir}"
            raise SystemExit(msg)
        if label["id"] in texts:  # labelled before MEDIQA's 40 copies left the tuning set
            rows.append({**label, "text": texts[label["id"]], "kind": "plain"})
    return rows


def drug_query_rows(n: int = DRUG_QUERIES, seed: int = SEED) -> list[dict[str, Any]]:
    """`n` bare drug questions (no emergency), generic names from the drug-name table, templates in turn."""
    from knowledge.graph.drug_names import generic_names

    names = sorted({name.lower() for name in generic_names().values() if name.isalpha()})
    picked = random.Random(seed).sample(names, n)
    return [
        {
            "id": f"drug-query-{i:03d}",
            "text": DRUG_QUERY_TEMPLATES[i % len(DRUG_QUERY_TEMPLATES)].format(d=name),
            "emergency": False,
            "category": None,
            "kind": "plain",
        }
        for i, name in enumerate(picked)
    ]


def training_rows(data_dir: Path) -> list[dict[str, Any]]:
    """The training messages that the classifier reads at all: the written files and the rules' dev split (`kind`
    "written"), then the labelled consumer questions and the drug questions ("plain")."""
    written = [r for path in TRAIN_FILES for r in read_cases(path)] + [
        r for r in read_cases(CASES) if r["split"] == "dev"
    ]
    rows = [{**r, "kind": "written"} for r in written] + consumer_rows(data_dir) + drug_query_rows()
    return [r for r in rows if classifier_text(r["text"])]


def fit(texts: list[str], vectors: np.ndarray, rows: list[dict[str, Any]], c: float, model: str) -> RedFlagClassifier:
    """Both parts on these messages (threshold 0.5 until chosen)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b")
    words = vectorizer.fit_transform(texts).toarray()
    y = np.array([bool(r["emergency"]) for r in rows])
    urgent = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(np.hstack([words, vectors]), y)
    emergencies = np.flatnonzero(y)
    which = LogisticRegression(C=FLAG_C, max_iter=5000).fit(
        vectors[emergencies], [rows[i]["category"] for i in emergencies]
    )
    return RedFlagClassifier(
        vocabulary={gram: int(col) for gram, col in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_,
        weights=urgent.coef_[0],
        bias=float(urgent.intercept_[0]),
        flags=[str(f) for f in which.classes_],
        flag_weights=which.coef_,
        flag_bias=which.intercept_,
        threshold=0.5,
        model=model,
    )


def cross_validate(
    rows: list[dict[str, Any]],
    texts: list[str],
    vectors: np.ndarray,
    embed: Embed,
    rule_fired: list[list[str]],
    model: str,
) -> dict[str, Any]:
    """Out-of-fold sensitivity and false alarms per (C, threshold), scored the way the assistant runs."""
    folds = np.arange(len(rows)) % FOLDS  # rows are shuffled in writing order: every fold holds every category
    # A veto reads every unit (`vetoes`); an alarm of the classifier's own reads the whole message (`classify_message`).
    unit_texts = [message_units(t) for t in texts]
    unit_vectors = [embed(u) for u in unit_texts]
    n_pos = sum(bool(r["emergency"]) for r in rows)
    n_neg = {kind: sum(not r["emergency"] and r["kind"] == kind for r in rows) for kind in ("written", "plain")}
    results: dict[str, Any] = {}
    best: tuple[float, float, float, float] | None = None
    for c in C_GRID:
        oof: list[tuple[float, str]] = [(0.0, "")] * len(rows)
        oof_veto: list[float] = [0.0] * len(rows)
        for fold in range(FOLDS):
            train = np.flatnonzero(folds != fold)
            clf = fit([texts[i] for i in train], vectors[train], [rows[i] for i in train], c, model)
            for i in np.flatnonzero(folds == fold):
                clf.threshold = 0.0  # score every message; thresholds are applied below
                flag, score = clf.predict(unit_texts[i][:1], unit_vectors[i][:1])  # the first unit: the whole
                oof[i] = (score, flag or "")
                oof_veto[i] = clf.predict(unit_texts[i], unit_vectors[i])[1]
        curve = []
        for v in VETOES:
            for t in THRESHOLDS:
                hits = 0
                alarms = {"written": 0, "plain": 0}
                for row, fired, (score, flag), veto_score in zip(rows, rule_fired, oof, oof_veto, strict=True):
                    if fired:  # a rule's alarm, unless the classifier vetoes it (as `detect_red_flags` does)
                        flags = [] if veto_score < v and may_veto(fired, row["text"]) else fired
                    else:
                        flags = [flag] if score >= t else []
                    if row["emergency"]:
                        hits += row["category"] in flags
                    else:
                        alarms[row["kind"]] += bool(flags)
                curve.append(
                    {
                        "veto": v,
                        "threshold": t,
                        "sensitivity": hits / n_pos,
                        "false_alarm": alarms["written"] / max(n_neg["written"], 1),
                        "plain_false_alarm": alarms["plain"] / max(n_neg["plain"], 1),
                    }
                )
        allowed = [
            point
            for point in curve
            if point["false_alarm"] <= CV_FALSE_ALARM and point["plain_false_alarm"] <= CV_PLAIN_FALSE_ALARM
        ]
        if allowed:  # the most emergencies within the limit; then the least vetoing, then the lowest threshold
            pick = min(allowed, key=lambda p: (-p["sensitivity"], p["veto"], p["threshold"]))
        else:  # the limits cannot be met: the fewest false alarms, then the most emergencies
            pick = min(
                curve,
                key=lambda p: (p["false_alarm"] + p["plain_false_alarm"], -p["sensitivity"], p["veto"], p["threshold"]),
            )
        results[str(c)] = {"chosen": pick, "curve": [p for p in curve if p["veto"] in (0.0, pick["veto"])]}
        if best is None or pick["sensitivity"] > best[0]:
            best = (pick["sensitivity"], c, pick["threshold"], pick["veto"])
    assert best is not None
    return {"per_c": results, "c": best[1], "threshold": best[2], "veto": best[3], "oof_sensitivity": best[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=CLASSIFIER_FILE, help="Where to write the classifier.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the cross-validation report here.")
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir (the labelled consumer questions' texts)")
    rows = training_rows(Path(args.data_dir).expanduser())
    embedder = SentenceTransformerEmbeddings()  # the bundled all-MiniLM-L6-v2, as the knowledge base's queries
    embed: Embed = embedder.embed_array
    texts = [classifier_text(r["text"]) for r in rows]
    vectors = embed(texts)
    rule_fired = [[f.id for f in detect_red_flags(r["text"])] for r in rows]
    cv = cross_validate(rows, texts, vectors, embed, rule_fired, embedder.model_name)
    chosen = cv["per_c"][str(cv["c"])]["chosen"]
    print(
        f"{len(rows)} training messages; chosen C {cv['c']}, threshold {cv['threshold']}, veto {cv['veto']}: "
        "out-of-fold "
        f"sensitivity {chosen['sensitivity']:.3f}, false alarms {chosen['false_alarm']:.3f} written, "
        f"{chosen['plain_false_alarm']:.3f} plain (rules + classifier)"
    )
    classifier = fit(texts, vectors, rows, cv["c"], embedder.model_name)
    classifier.threshold = cv["threshold"]
    classifier.veto = cv["veto"]
    metadata = {
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "training_files": [
            *(path.name for path in TRAIN_FILES),
            f"{CASES.name} (dev split)",
            f"{CONSUMER_LABELS.name} (LiveQA training questions)",
            f"{DRUG_QUERIES} drug questions (drug-name table, seed {SEED})",
        ],
        "training_messages": {
            "emergencies": sum(bool(r["emergency"]) for r in rows),
            "non_emergencies_written": sum(not r["emergency"] and r["kind"] == "written" for r in rows),
            "non_emergencies_plain": sum(not r["emergency"] and r["kind"] == "plain" for r in rows),
        },
        "c": cv["c"],
        "veto": cv["veto"],
        "cv_folds": FOLDS,
        "cv_false_alarm_limit": CV_FALSE_ALARM,
        "cv_sensitivity": round(chosen["sensitivity"], 4),
        "cv_false_alarm": round(chosen["false_alarm"], 4),
        "cv_plain_false_alarm_limit": CV_PLAIN_FALSE_ALARM,
        "cv_plain_false_alarm": round(chosen["plain_false_alarm"], 4),
    }
    classifier.save(args.out, metadata=metadata)
    print(f"wrote {args.out}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"metadata": metadata, "cross_validation": cv}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
