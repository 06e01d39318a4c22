"""Whole answers to consumer questions on the dev questions only: how often the assistant answers, and how
much of the expert's reference answer its answer holds, per settings variant.

The dev questions are LiveQA 2017's training questions (`bench.consumer_dev.tuning_items`, never scored by a
task) and the calibration bucket of MedicationQA and MEDIQA-2019 (`sha1(id) % 4 == 0`, which every hand-judged
sample leaves out: `bench.judged_sample`). Answer-level choices (the retrieval-confidence floors, the sentence
scoring of extractive answers, spelling correction) are made here, then judged once on a fresh hand-judged
sample. Per variant:

- `answered`: share of questions answered (not refused);
- `coverage`: share of the reference answer's content words the answer's sentences hold (0 for a refusal),
  the word-level cousin of the evaluation package's comprehensiveness;
- `coverage_answered`: the same over answered questions only (did answering more dilute the answers?);
- `words`: mean answer length in words.

    python -m bench.answer_dev [--liveqa 150] [--variant NAME=answer.SETTING=VALUE,...] [--show 10] [--json F]

Variants change `answer.*` or `retrieval.*` settings; the first variant is the baseline the others are paired
with (95 % bootstrap interval of the per-question difference in coverage).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean, median
from typing import Any

from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.consumer_dev import bootstrap_ci, tuning_items  # noqa: E402
from bench.judged_sample import CALIBRATION_BUCKET, sha  # noqa: E402
from bench.report_file import emit_report  # noqa: E402
from eval.datasets import load_dataset  # noqa: E402
from eval.metrics.retrieval import answer_coverage  # noqa: E402
from eval.tasks import load_task  # noqa: E402
from model.assistant import ClinicalAssistant  # noqa: E402
from model.settings import load_settings  # noqa: E402

#: Test sets whose calibration bucket is dev here (the judged samples draw only outside it).
BUCKET_TASKS = ("medicationqa", "mediqa-2019-qa")


def dev_questions(data_dir: Path, liveqa: int) -> list[dict[str, str]]:
    """`liveqa` LiveQA training questions, then the calibration bucket of MedicationQA and MEDIQA."""
    rows = [
        {"id": i.id, "set": "liveqa-train", "question": i.question, "reference": i.reference}
        for i in tuning_items(data_dir)[:liveqa]
    ]
    for name in BUCKET_TASKS:
        items = load_dataset(load_task(name), data_dir).items
        bucket = sorted((i for i in items if sha(i.id) % 4 == CALIBRATION_BUCKET), key=lambda i: sha(i.id))
        rows += [{"id": i.id, "set": name, "question": i.question, "reference": i.reference or ""} for i in bucket]
    return rows


def parse_variant(text: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """`NAME=answer.min_dense_score=0.5,retrieval.k=8` → (NAME, {"answer": {...}, "retrieval": {...}})."""
    name, _, spec = text.partition("=")
    changes: dict[str, dict[str, Any]] = {}
    for part in filter(None, spec.split(",")):
        key, _, value = part.partition("=")
        section, _, setting = key.partition(".")
        if not setting:
            msg = f"variant {name!r}: `{key}` must be `answer.SETTING` or `retrieval.SETTING`"
            raise SystemExit(msg)
        parsed: Any = value
        if value.lower() in ("true", "false"):
            parsed = value.lower() == "true"
        else:
            try:
                parsed = float(value) if "." in value else int(value)
            except ValueError:
                parsed = value
        changes.setdefault(section, {})[setting] = parsed
    return name, changes


def answer_words(answer: Any) -> str:
    """The answer's own sentences (no lead, notices or references): what coverage is counted over."""
    return " ".join(c.text for c in answer.sentences if not c.dropped and c.supported)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--liveqa", type=int, default=150, help="LiveQA training questions used (of 412)")
    parser.add_argument("--variant", action="append", default=[], help="NAME=section.SETTING=VALUE,... (repeatable)")
    parser.add_argument("--show", type=int, default=0, help="print N questions where the variants differ most")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    questions = dev_questions(Path(args.data_dir).expanduser(), args.liveqa)
    variants = dict(parse_variant(v) for v in args.variant) if args.variant else {"default": {}}
    base_settings = load_settings()
    kb = ClinicalAssistant(base_settings).kb  # loaded once, shared by every variant

    results: dict[str, list[dict[str, Any]]] = {}
    for name, changes in variants.items():
        settings = load_settings(None, **changes)
        assistant = ClinicalAssistant(settings, kb=kb)
        assistant.warm_up()
        rows = []
        for q in tqdm(questions, desc=name):
            t0 = time.perf_counter()
            answer = assistant.ask(q["question"])
            text = "" if answer.refused else answer_words(answer)
            rows.append(
                {
                    "id": q["id"],
                    "set": q["set"],
                    "refused": answer.refused,
                    "reason": answer.refusal_reason,
                    "coverage": answer_coverage(q["reference"], [text]) if text else 0.0,
                    "words": len(text.split()),
                    "seconds": time.perf_counter() - t0,
                    "text": text,
                }
            )
        results[name] = rows

    base_name = next(iter(results))
    summary = []
    sets = sorted({q["set"] for q in questions})
    for name, rows in results.items():
        answered = [r for r in rows if not r["refused"]]
        reasons = sorted({r["reason"] for r in rows if r["reason"]})
        row: dict[str, Any] = {
            "variant": name,
            "changes": variants[name],
            "answered": round(len(answered) / len(rows), 3),
            "coverage": round(mean(r["coverage"] for r in rows), 4),
            "coverage_ci95": [round(x, 4) for x in bootstrap_ci([r["coverage"] for r in rows])],
            "coverage_answered": round(mean(r["coverage"] for r in answered), 4) if answered else None,
            "words": round(mean(r["words"] for r in answered), 1) if answered else 0,
            "median_seconds": round(median(r["seconds"] for r in rows), 3),
            "refusals": {reason: sum(r["reason"] == reason for r in rows) for reason in reasons},
            "per_set": {s: round(mean(r["coverage"] for r in rows if r["set"] == s), 4) for s in sets},
        }
        if name != base_name:
            diff = [a["coverage"] - b["coverage"] for a, b in zip(rows, results[base_name], strict=True)]
            row["minus_base"] = round(mean(diff), 4)
            row["minus_base_ci95"] = [round(x, 4) for x in bootstrap_ci(diff)]
        summary.append(row)
    if args.show and len(results) > 1:
        last = list(results)[-1]
        gaps = sorted(
            range(len(questions)), key=lambda i: results[last][i]["coverage"] - results[base_name][i]["coverage"]
        )
        for i in gaps[: args.show] + gaps[-args.show :]:
            print(f"=== {questions[i]['id']}: {questions[i]['question'][:200]!r}")  # noqa: T201
            for name in (base_name, last):
                r = results[name][i]
                print(f"  {name} ({r['coverage']:.2f}, {r['reason']}): {r['text'][:300]}")  # noqa: T201
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "command": " ".join(["python -m bench.answer_dev", *(argv if argv is not None else sys.argv[1:])]),
        "questions": len(questions),
        "kb_settings_hash": kb.manifest.settings_hash,
        "rows": summary,
    }
    if args.json:
        args.json.with_suffix(".answers.jsonl").write_text(
            "".join(
                json.dumps({"variant": n, **r}, ensure_ascii=False) + "\n" for n, rs in results.items() for r in rs
            ),
            encoding="utf-8",
        )
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
