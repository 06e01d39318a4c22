"""Calibrate the retrieval-confidence gate (`answer.min_dense_score`, `…_linked`) on real consumer questions.

    python -m bench.gate_calibration [--json] [--out reports/gate_calibration.json]

The gate refuses before answering when the best dense cosine of the retrieved passages is below a floor (a lower
floor when a knowledge-graph entity was linked). A good floor lets through the questions whose passages hold
some of the answer and stops the rest. Questions: the consumer sets of the evaluation package (LiveQA 2017 test,
MedicationQA, MEDIQA-2019 test), only their calibration bucket (`sha1(id) % 4 == 0`, the questions the support
pairs came from; the hand-judged samples use the others), plus `bench/data/unanswerable.jsonl` (non-medical and
absent topics). A consumer question *has evidence* when one of the top 5 passages holds at least
`EVIDENCE_COVERAGE` of its reference answer's content words (the retrieval family's `answer_coverage@5`;
unrelated passages score 0.08–0.12); an unanswerable one never has. The two floors are chosen on the dev half
(by question hash, as the support pairs) for the best balanced accuracy of "passes the gate" against "has
evidence", and scored once on the test half next to the hand-set floors they replaced (0.5 / 0.35).
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import product
from pathlib import Path
from typing import Any

from bench.judged_sample import sha

TASKS = ("liveqa-2017", "medicationqa", "mediqa-2019-qa")
UNANSWERABLE = Path(__file__).parent / "data" / "unanswerable.jsonl"
CALIBRATION_BUCKET = 0
#: Share of the reference answer's content words one top-5 passage must hold for the question to have evidence.
EVIDENCE_COVERAGE = 0.25
#: The hand-set floors the calibration replaced (`answer.min_dense_score`, `answer.min_dense_score_linked`).
HAND_SET = (0.5, 0.35)
GRID = [round(0.20 + 0.025 * i, 3) for i in range(21)]


def balanced(rows: list[dict[str, Any]], floor: float, floor_linked: float) -> dict[str, Any]:
    """Balanced accuracy of the gate decision against `evidence`, with the pass rates behind it."""
    passed = [r["best_dense"] >= (floor_linked if r["linked"] else floor) for r in rows]
    pos = [p for p, r in zip(passed, rows, strict=True) if r["evidence"]]
    neg = [p for p, r in zip(passed, rows, strict=True) if not r["evidence"]]
    tpr = sum(pos) / len(pos) if pos else 0.0
    tnr = (len(neg) - sum(neg)) / len(neg) if neg else 0.0
    return {
        "balanced_accuracy": round((tpr + tnr) / 2, 3),
        "with_evidence_passed": f"{sum(pos)}/{len(pos)}",
        "without_evidence_stopped": f"{len(neg) - sum(neg)}/{len(neg)}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    parser.add_argument("--out", type=Path, default=None, help="Also write the JSON report here.")
    args = parser.parse_args(argv)

    from eval.datasets import load_dataset
    from eval.tasks import load_task
    from knowledge.lexical import tokenize
    from model import load_assistant
    from rag.retrieve import retrieval_info
    from rag.settings import AnswerSettings

    assistant = load_assistant()
    data_dir = assistant.settings.knowledge_settings().data_dir
    questions: list[dict[str, Any]] = []
    for name in TASKS:
        for item in load_dataset(load_task(name), data_dir).items:
            h = sha(item.id)
            if h % 4 == CALIBRATION_BUCKET:
                split = "dev" if (h // 4) % 2 == 0 else "test"
                questions.append(
                    {"id": item.id, "set": name, "q": item.question, "ref": item.reference, "split": split}
                )
    for i, line in enumerate(UNANSWERABLE.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            row = json.loads(line)
            questions.append(
                {
                    "id": row["id"],
                    "set": "unanswerable",
                    "q": row["question"],
                    "ref": None,
                    "split": "dev" if i % 2 == 0 else "test",
                }
            )
    rows = []
    for q in questions:
        docs = assistant.retriever.invoke(q["q"])
        infos = [info for info in map(retrieval_info, docs) if info is not None]
        dense = [info.scores["dense"] for info in infos if "dense" in info.scores]
        linked = any({"entity", "kg"} & set(info.ranks) for info in infos)
        coverage = 0.0
        if q["ref"]:
            reference = set(tokenize(q["ref"]))
            if reference:
                coverage = max((len(reference & set(tokenize(d.page_content))) for d in docs[:5]), default=0) / len(
                    reference
                )
        rows.append(
            {
                "id": q["id"],
                "set": q["set"],
                "split": q["split"],
                "best_dense": max(dense, default=-1.0),
                "linked": linked,
                "coverage": round(coverage, 3),
                "evidence": coverage >= EVIDENCE_COVERAGE,
            }
        )
    dev = [r for r in rows if r["split"] == "dev"]
    test = [r for r in rows if r["split"] == "test"]
    best = max(product(GRID, GRID), key=lambda fl: (balanced(dev, *fl)["balanced_accuracy"], fl[0], fl[1]))
    settings = AnswerSettings()
    report = {
        "questions": {"dev": len(dev), "test": len(test)},
        "with_evidence": {"dev": sum(r["evidence"] for r in dev), "test": sum(r["evidence"] for r in test)},
        "evidence_coverage": EVIDENCE_COVERAGE,
        "chosen_on_dev": {"min_dense_score": best[0], "min_dense_score_linked": best[1]},
        "settings_now": {
            "min_dense_score": settings.min_dense_score,
            "min_dense_score_linked": settings.min_dense_score_linked,
        },
        "hand_set": {"min_dense_score": HAND_SET[0], "min_dense_score_linked": HAND_SET[1]},
        "dev": {"chosen": balanced(dev, *best), "hand_set": balanced(dev, *HAND_SET)},
        "test": {"chosen": balanced(test, *best), "hand_set": balanced(test, *HAND_SET)},
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        sys.stdout.write(text + "\n")
    else:
        print(f"chosen on dev: {report['chosen_on_dev']} (hand-set before: {report['hand_set']})")  # noqa: T201
        for split in ("dev", "test"):
            print(f"{split}: chosen {report[split]['chosen']}  hand-set {report[split]['hand_set']}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
