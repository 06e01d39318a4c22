"""Consumer-question retrieval on the tuning set: LiveQA 2017's training questions, never scored by a task.

The training files repeat 12 of the test file's 104 questions word for word and 40 of MEDIQA 2019's 150 test
questions; `tuning_items` drops every question a scored set holds (and repeats within the training files),
leaving 369, so nothing tuned here is then scored on itself (until 2026-12-07 only the LiveQA repeats were
dropped: the MEDIQA figures before then were measured on 40 questions the tuning set held).

The consumer test sets (LiveQA test, MEDIQA, MedicationQA) have no dev split, so choices for consumer
questions (query expansion, weights) are made here and then measured once on those sets with `clinicalgpt eval
run -t retrieval-liveqa -t retrieval-mediqa -t retrieval-medicationqa`. The score is the evaluation package's
`answer_coverage@5` (share of the first reference answer's content words in the best of the top five passages),
since these questions' answers carry no source pages. Each variant is a set of `retrieval.*` settings:

    python -m bench.consumer_dev [--n 412] [--variant NAME=SETTING=VALUE,...] [--json reports/consumer_dev.json]

Without `--variant` it compares dense, BM25, hybrid with query expansion (the default) and hybrid without it,
with 95 % bootstrap intervals and each variant's paired difference from dense.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean
from typing import Any

from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.report_file import emit_report  # noqa: E402
from eval.datasets import LoadReport  # noqa: E402
from eval.datasets.consumer_qa import (  # noqa: E402
    load_liveqa,
    load_liveqa_train,
    load_medicationqa,
    load_mediqa_qa,
)
from eval.metrics.retrieval import COVERAGE_K, answer_coverage  # noqa: E402
from eval.schema import QAItem, RetrievalItem  # noqa: E402
from knowledge.kb import KnowledgeBase  # noqa: E402
from rag.retrieve import HybridSearcher  # noqa: E402
from rag.settings import RetrievalSettings  # noqa: E402

TRAIN_FILES = ("TREC-2017-LiveQA-Medical-Train-1.xml", "TREC-2017-LiveQA-Medical-Train-2.xml")
#: name → (search mode, settings changed from the defaults).
DEFAULT_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "dense": ("dense", {}),
    "bm25": ("bm25", {}),
    "hybrid": ("hybrid", {}),
    "hybrid, no expansion": ("hybrid", {"expand_query": False}),
}
TEST_FILE = "TREC-2017-LiveQA-Medical-Test.xml"
BOOTSTRAP_ROUNDS = 2000


_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Words only, lower case: the same message copied into another file with its subject joined by ". "
    instead of a line break must still match."""
    return " ".join(_WORD.findall(text.casefold()))


def scored_sets(data_dir: Path) -> dict[str, list[QAItem | RetrievalItem]]:
    """The consumer sets a retrieval or QA task scores: LiveQA test, MEDIQA test, MedicationQA."""
    en = data_dir / "en"
    return {
        "liveqa": list(load_liveqa(en / "liveqa2017" / TEST_FILE, {}, report=LoadReport(source="liveqa"))),
        "mediqa": list(load_mediqa_qa(en / "mediqa2019" / "MEDIQA2019-Task3-QA-TestSet-wLabels.xml", {})),
        "medicationqa": list(load_medicationqa(en / "medicationqa" / "medicationqa.jsonl", {})),
    }


def scored_questions(data_dir: Path) -> set[str]:
    """Every question text a consumer set is scored on (folded)."""
    return {fold(item.question) for items in scored_sets(data_dir).values() for item in items}


def tuning_items(data_dir: Path) -> list[QAItem]:
    """LiveQA's training questions less every message a scored set also holds and less repeats within the
    training files. LiveQA's test file repeats 12 of them word for word, and MEDIQA 2019's test set 40 (it was
    drawn from the same consumer messages)."""
    folder = data_dir / "en" / "liveqa2017"
    scored = scored_questions(data_dir)
    kept: dict[str, QAItem] = {}
    for name in TRAIN_FILES:
        for item in load_liveqa_train(folder / name):
            key = fold(item.question)
            if key not in scored and key not in kept:
                kept[key] = item
    return list(kept.values())


def bootstrap_ci(values: list[float], seed: int = 0) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean."""
    rng = random.Random(seed)
    n = len(values)
    means = sorted(mean(rng.choices(values, k=n)) for _ in range(BOOTSTRAP_ROUNDS))
    return means[int(0.025 * BOOTSTRAP_ROUNDS)], means[int(0.975 * BOOTSTRAP_ROUNDS) - 1]


def parse_variant(text: str) -> tuple[str, tuple[str, dict[str, Any]]]:
    """`NAME=mode=hybrid,weight_bm25=1.0,expand_query=false` → (NAME, (mode, settings))."""
    name, _, spec = text.partition("=")
    mode, settings = "hybrid", {}
    for part in filter(None, spec.split(",")):
        key, _, value = part.partition("=")
        if key == "mode":
            mode = value
            continue
        settings[key] = value.lower() == "true" if value.lower() in ("true", "false") else float(value)
    return name, (mode, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--n", type=int, default=0, help="first N tuning questions (default 0 = all 412)")
    parser.add_argument("--variant", action="append", default=[], help="NAME=mode=M,SETTING=VALUE,... (repeatable)")
    parser.add_argument("--show", type=int, default=0, help="print N questions where hybrid and dense differ most")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    items = tuning_items(Path(args.data_dir).expanduser())
    items = items[: args.n] if args.n else items
    variants = dict(parse_variant(v) for v in args.variant) if args.variant else DEFAULT_VARIANTS
    kb = KnowledgeBase.load(args.kb.expanduser())

    scores: dict[str, list[float]] = {}
    tops: dict[str, list[list[str]]] = {}
    for name, (mode, changes) in variants.items():
        searcher = HybridSearcher(kb, RetrievalSettings(**changes))
        values, titles = [], []
        for item in tqdm(items, desc=name):
            docs = searcher.search(item.question, k=COVERAGE_K, mode=mode).documents  # type: ignore[arg-type]
            values.append(answer_coverage(item.reference, [d.page_content for d in docs]))
            titles.append([str(d.metadata.get("title", "")) for d in docs])
        scores[name], tops[name] = values, titles

    base = scores.get("dense")
    rows = []
    for name, values in scores.items():
        row: dict[str, Any] = {"variant": name, "mode": variants[name][0], "settings": variants[name][1]}
        row["answer_coverage@5"] = round(mean(values), 4)
        row["ci95"] = [round(x, 4) for x in bootstrap_ci(values)]
        if base is not None and name != "dense":
            diff = [a - b for a, b in zip(values, base, strict=True)]
            row["minus_dense"] = round(mean(diff), 4)
            row["minus_dense_ci95"] = [round(x, 4) for x in bootstrap_ci(diff)]
        rows.append(row)
    if args.show and base is not None and "hybrid" in scores:
        gaps = sorted(range(len(items)), key=lambda i: scores["hybrid"][i] - base[i])
        for i in gaps[: args.show] + gaps[-args.show :]:
            print(
                f"--- {items[i].id} hybrid {scores['hybrid'][i]:.2f} dense {base[i]:.2f}: {items[i].question[:160]!r}"
            )
            print(f"    hybrid: {tops['hybrid'][i][:3]}\n    dense:  {tops['dense'][i][:3]}")
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "command": " ".join(["python -m bench.consumer_dev", *(argv if argv is not None else sys.argv[1:])]),
        "questions": len(items),
        "kb_settings_hash": kb.manifest.settings_hash,
        "rows": rows,
    }
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
