"""Grounded-QA benchmark: citation quality, refusals and latency of `ask` with a given generator.

    python -m bench.qa --n 100 [--generator default] [--adapter DIR | --no-adapter] [--mode generative]
                       [--cold] [--json reports/qa.json]

Questions: `--n` seeded MedQuAD questions (answerable from the knowledge base) and the 50 questions in
bench/data/unanswerable.jsonl (non-medical, or about things absent from the sources). Reports:
- answerable: share answered with ≥1 valid citation, share refused, share of cited ids that were really
  retrieved (must be 1.0), share of answer sentences supported by their citations, citation origin
  (model vs attributed by post-processing), share of model-cited ids dropped as not retrieved, ROUGE-L F1 of
  the answer against MedQuAD's reference answer (questions from the held-out test split: no training or
  tuning saw them);
- unanswerable: refusal rate (and by reason);
- latency: generator load (cold = GGUF conversion in an empty cache, with `--cold`; cached), and
  retrieval / generation / total per question, median and p95.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.report_file import emit_report
from bench.retrieval import sample_questions  # noqa: E402
from model.assistant import ClinicalAssistant  # noqa: E402
from model.generators import HFGenerator, prepare_default_model  # noqa: E402
from model.settings import load_settings  # noqa: E402
from rag.schema import CitedAnswer  # noqa: E402

UNANSWERABLE = Path(__file__).parent / "data" / "unanswerable.jsonl"


def pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median": float("nan"), "p95": float("nan")}
    q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
    return {"median": round(statistics.median(values), 1), "p95": round(q[94], 1)}


def cites_gold(answer: CitedAnswer, gold: str) -> bool:
    """Whether the answer cites a passage of the document that holds the question's reference answer."""
    return any(c.id.split("#", 1)[0] == gold for c in answer.citations)


def rouge_l(answers: list[CitedAnswer], references: list[str]) -> float:
    """Mean ROUGE-L F1 of answered questions' text against their reference answers (refusals score 0)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    scores = [
        0.0 if a.refused else scorer.score(ref, a.answer)["rougeL"].fmeasure
        for a, ref in zip(answers, references, strict=True)
    ]
    return round(statistics.fmean(scores), 4) if scores else 0.0


def summarise(answers: list[CitedAnswer], golds: list[str] | None = None) -> dict[str, Any]:
    """Refusals, citations and support; with `golds` (answer document per question), how often the
    citations point at the reference answer's own document."""
    answered = [a for a in answers if not a.refused]
    gold_of = {id(a): g for a, g in zip(answers, golds, strict=True)} if golds is not None else {}
    sentences = [s for a in answered for s in a.sentences]
    return {
        "questions": len(answers),
        "refused": round(sum(a.refused for a in answers) / max(len(answers), 1), 3),
        "refusal_reasons": dict(Counter(a.refusal_reason for a in answers if a.refused)),
        "answered_with_valid_citation": round(sum(bool(a.citations) for a in answered) / max(len(answers), 1), 3),
        # Of the answered questions, those citing the reference answer's document (None without golds): a
        # citation to another page may still be right, so this is a floor on citation relevance.
        "answered_citing_gold_document": (
            round(sum(cites_gold(a, gold_of[id(a)]) for a in answered) / len(answered), 3)
            if gold_of and answered
            else None
        ),
        "sentences_supported": round(sum(s.supported for s in sentences) / len(sentences), 3) if sentences else None,
        "citation_origin": dict(Counter(a.citation_origin for a in answered)),
        "answers_with_dropped_ids": round(sum(bool(a.dropped_citations) for a in answered) / max(len(answered), 1), 3),
        "red_flagged": sum(bool(a.red_flags) for a in answers),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="answerable MedQuAD questions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", default=None, help="default | hf:PATH | openai:URL")
    parser.add_argument("--adapter", type=Path, default=None)
    parser.add_argument("--no-adapter", action="store_true", help="the base model, without the shipped adapter")
    parser.add_argument("--mode", choices=["extractive", "generative"], default=None, help="answer mode (auto)")
    parser.add_argument("--cold", action="store_true", help="also time the one-off GGUF conversion")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--samples", type=int, default=5, help="example answers kept in the report")
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {}
    settings = load_settings(None)
    gen = settings.generator.model_copy(
        update={k: v for k, v in (("spec", args.generator), ("adapter", args.adapter)) if v}
    )
    if args.no_adapter:
        gen = gen.model_copy(update={"use_shipped_adapter": False})
    if args.mode:
        overrides["answer"] = settings.answer.model_copy(update={"mode": args.mode})
    settings = settings.model_copy(update={"generator": gen, **overrides})
    if settings.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "command": " ".join(["python -m bench.qa", *(argv or sys.argv[1:])]),
        "generator": gen.spec,
        "adapter": str(gen.adapter) if gen.adapter else None,
        "use_shipped_adapter": gen.use_shipped_adapter,
        "settings_hash": settings.settings_hash(),
    }
    load: dict[str, float] = {}
    if args.cold and gen.spec == "default":
        with tempfile.TemporaryDirectory() as cache:
            t0 = time.perf_counter()
            prepare_default_model(Path(cache))
            load["cold_convert_and_save_s"] = round(time.perf_counter() - t0, 1)
    assistant = ClinicalAssistant(settings)
    warm = assistant.warm_up()
    load["knowledge_base_s"] = round(warm["knowledge_base_s"], 1)
    load["generator_cached_s"] = round(warm["generator_s"], 1)
    if gen.spec == "default":
        t0 = time.perf_counter()
        HFGenerator(None, cache_dir=gen.cache_dir).load()
        load["generator_cached_reload_s"] = round(time.perf_counter() - t0, 1)
    report["load"] = load
    sample = sample_questions(settings.data_dir, args.n, args.seed)
    answerable = [q["question"] for q in sample]
    unanswerable = [json.loads(line)["question"] for line in UNANSWERABLE.read_text().splitlines() if line.strip()]
    results: dict[str, list[CitedAnswer]] = {"answerable": [], "unanswerable": []}
    for name, questions in (("answerable", answerable), ("unanswerable", unanswerable)):
        for q in tqdm(questions, desc=name):
            results[name].append(assistant.ask(q))
    report["answer_mode"] = assistant.answer_mode
    report["answerable"] = summarise(results["answerable"], [q["gold"] for q in sample])
    report["answerable"]["rouge_l_vs_reference"] = rouge_l(results["answerable"], [q["answer"] for q in sample])
    report["unanswerable"] = summarise(results["unanswerable"])
    everything = results["answerable"] + results["unanswerable"]
    generated = [a for a in everything if a.timings_ms["generate"] > 0]
    report["latency_ms"] = {
        "retrieve": pct([a.timings_ms["retrieve"] for a in everything]),
        "generate": pct([a.timings_ms["generate"] for a in generated]),
        "total_generated": pct([a.timings_ms["total"] for a in generated]),
        "total_all": pct([a.timings_ms["total"] for a in everything]),
    }
    report["examples"] = [
        {
            "question": a.question,
            "answer": a.answer,
            "refused": a.refused,
            "citations": [c.id for c in a.citations],
            "origin": a.citation_origin,
        }
        for a in results["answerable"][: args.samples] + results["unanswerable"][:2]
    ]
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
