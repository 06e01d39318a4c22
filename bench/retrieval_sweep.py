"""Sweep the hybrid retrieval weights on dev questions only, and print the table the defaults come from.

Dev questions: a seeded sample of MedQuAD questions whose focus is in the `dev` split (`bench.retrieval`),
the `dev` half of the hand-written patient rewrites (`eval/data/medquad_patient_questions.jsonl`) and LiveQA
2017's training questions less the 12 the test file repeats (`bench.consumer_dev`: consumer messages as sent,
scored by answer coverage).
Held-out sets (MedQuAD `test`, the rewrites' `test` half, the LiveQA test set, MedicationQA, MEDIQA) are never
read here; score them with `bench.retrieval --split test` and `clinicalgpt eval run -t retrieval-…`.

Each question's ranked lists are computed once (`HybridSearcher.ranked_lists`) and fused under every
weighting of the grid, so a few hundred weightings cost seconds. The score of a weighting is the mean of
MedQuAD's and the rewrites' recall@5 (document level for MedQuAD, answer page for the rewrites) and the
consumer questions' answer_coverage@5, so the templated questions cannot outvote the people's ones.

    python -m bench.retrieval_sweep [--n 400] [--seed 0] [--json reports/retrieval_sweep.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.consumer_dev import tuning_items  # noqa: E402
from bench.retrieval import dedupe_docs, sample_questions  # noqa: E402
from eval.datasets import normalize_url  # noqa: E402
from eval.datasets.patient_rewrites import load_medquad_patient  # noqa: E402
from eval.metrics.retrieval import coverage_of  # noqa: E402
from eval.schema import RetrievalItem  # noqa: E402
from knowledge.kb import KnowledgeBase  # noqa: E402
from knowledge.lexical import tokenize  # noqa: E402
from rag.retrieve import HybridSearcher, RankedLists  # noqa: E402
from rag.settings import RetrievalSettings  # noqa: E402

PATIENT_QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "data" / "medquad_patient_questions.jsonl"
#: The grid: each list's RRF weight (dense is the reference, weight 1).
GRID: dict[str, tuple[float, ...]] = {
    "bm25": (0.0, 0.5, 1.0),
    "kg": (0.0, 0.5, 1.0),
    "entity": (0.0, 1.0, 2.0, 3.0),
    "section": (0.0, 1.0, 2.0, 3.0),
}
CUTOFF = 5


def patient_rewrites(split: str) -> list[RetrievalItem]:
    """One half of the patient rewrites, through the evaluation loader: it recomputes each line's split from
    its focus (`medquad_split`) rather than trusting the stored field, so dev and test cannot mix."""
    return list(load_medquad_patient(PATIENT_QUESTIONS, {"split": split}, family="retrieval"))


def patient_dev() -> list[dict[str, Any]]:
    """The dev half of the patient rewrites, with their answer pages normalised (the loader normalises them)."""
    return [{"question": item.question, "urls": set(item.relevant_urls)} for item in patient_rewrites("dev")]


def hit_medquad(kb: KnowledgeBase, ranked: list[tuple[int, float]], gold: str) -> bool:
    """The gold answer document among the first `CUTOFF` documents."""
    return gold in dedupe_docs([kb.chunks[row].doc_id for row, _ in ranked])[:CUTOFF]


def hit_patient(kb: KnowledgeBase, ranked: list[tuple[int, float]], urls: set[str]) -> bool:
    """An answer page among the first `CUTOFF` passages (as the evaluation package's recall@5)."""
    return any(normalize_url(kb.chunks[row].url or "") in urls for row, _ in ranked[:CUTOFF])


class PassageWords:
    """Each passage's content words, tokenised once for all the weightings that rank it."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._words: dict[int, set[str]] = {}

    def __call__(self, row: int) -> set[str]:
        if row not in self._words:
            self._words[row] = set(tokenize(self.kb.chunks[row].text))
        return self._words[row]


def consumer_dev(data_dir: Path) -> list[dict[str, Any]]:
    """LiveQA 2017's training questions (less the test file's copies) with their first answer's content words."""
    return [{"question": item.question, "words": set(tokenize(item.reference))} for item in tuning_items(data_dir)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--n", type=int, default=400, help="MedQuAD dev questions (default 400)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=10, help="weightings shown (default 10)")
    parser.add_argument("--json", type=Path, help="also write the full table here")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    kb = KnowledgeBase.load(args.kb.expanduser())
    defaults = RetrievalSettings()
    searcher = HybridSearcher(kb, defaults)
    medquad = sample_questions(Path(args.data_dir).expanduser(), args.n, args.seed, "dev")
    patients = patient_dev()
    lists: list[tuple[str, RankedLists, Any]] = []
    for q in tqdm(medquad, desc="medquad dev"):
        lists.append(("medquad", searcher.ranked_lists(q["question"], "hybrid", defaults.candidates), q["gold"]))
    for p in tqdm(patients, desc="patient dev"):
        lists.append(("patient", searcher.ranked_lists(p["question"], "hybrid", defaults.candidates), p["urls"]))
    consumers = consumer_dev(Path(args.data_dir).expanduser())
    for c in tqdm(consumers, desc="consumer dev"):
        lists.append(("consumer", searcher.ranked_lists(c["question"], "hybrid", defaults.candidates), c["words"]))

    words = PassageWords(kb)
    rows: list[dict[str, Any]] = []
    for values in tqdm(list(itertools.product(*GRID.values())), desc="weightings"):
        weights = {"dense": 1.0, **dict(zip(GRID, values, strict=True))}
        hits: dict[str, list[float]] = {"medquad": [], "patient": [], "consumer": []}
        for kind, found, gold in lists:
            ranked, _ = searcher.fuse(found.lists, weights)
            if kind == "medquad":
                hits[kind].append(float(hit_medquad(kb, ranked, gold)))
            elif kind == "patient":
                hits[kind].append(float(hit_patient(kb, ranked, gold)))
            else:
                hits[kind].append(coverage_of(gold, [words(row) for row, _ in ranked[:CUTOFF]]))
        recall = {kind: sum(v) / max(len(v), 1) for kind, v in hits.items()}
        rows.append({"weights": weights, **recall, "score": sum(recall.values()) / len(recall)})
    rows.sort(key=lambda r: (-r["score"], -r["patient"], json.dumps(r["weights"])))
    current = searcher.weights()
    now = next(r for r in rows if r["weights"] == current) if current in [r["weights"] for r in rows] else None

    print(
        f"{len(medquad)} MedQuAD dev + {len(patients)} patient-rewrite dev questions (recall@{CUTOFF}) + "
        f"{len(consumers)} LiveQA training questions (answer coverage@{CUTOFF})"
    )
    print(f"{'bm25':>5}{'kg':>5}{'entity':>8}{'section':>9}{'medquad':>9}{'patient':>9}{'consumer':>10}{'mean':>7}")
    for r in rows[: args.top] + ([now] if now and now not in rows[: args.top] else []):
        w = r["weights"]
        mark = "  <- current defaults" if r is now else ""
        print(
            f"{w['bm25']:>5}{w['kg']:>5}{w['entity']:>8}{w['section']:>9}"
            f"{r['medquad']:>9.3f}{r['patient']:>9.3f}{r['consumer']:>10.3f}{r['score']:>7.3f}{mark}"
        )
    if args.json:
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cores",
            "command": " ".join(["python -m bench.retrieval_sweep", *(argv or sys.argv[1:])]),
            "questions": {"medquad_dev": len(medquad), "patient_dev": len(patients), "consumer_dev": len(consumers)},
            "kb_settings_hash": kb.manifest.settings_hash,
            "rows": rows,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
