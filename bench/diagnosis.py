"""Knowledge-graph-only differential diagnosis: accuracy on DDXPlus test patients and MedFound EMRs, throughput.

    python -m bench.diagnosis [--medfound] [--llm default --llm-limit 50] [--json reports/diagnosis.json]

- DDXPlus (2,611 test patients, `en/ddxplus/release_test_patients_mini_version.txt`, never used to build or
  tune the scorer): top-1/3/5 — is the gold pathology's graph node among the first k candidates — and
  differential overlap@5: the share of the patient's DDXPlus top-5 differential (`top5_diagnoses`) found in our
  top 5. The graph holds the DDXPlus condition definitions the patients were simulated from, so this is how
  well the score reads structured evidence, not a test of real-world diagnosis.
- LLM stage (`--llm SPEC`): a seeded sample of `--llm-limit` DDXPlus patients diagnosed by the graph alone
  and with the LLM re-ranking its top 5 (`clinicalgpt diagnose --llm`), same patients, with records/minute
  and how often the model's reply gave a usable ranking.
- MedFound (362 English EMRs from Chinese hospitals, `--medfound`, read with the evaluation package's loader):
  top-1/5, matched as the evaluation's `dx_top*` metrics match (folded names, or ICD-10 categories where the
  item has a code) — free text, the hard case.
Throughput: records per second of the per-record function in one process, graph and linker already built.
"""

from __future__ import annotations

import argparse
import ast
import csv
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench.report_file import emit_report
from knowledge.graph.link import EntityLinker
from knowledge.kb import load_kb_graph
from model.diagnosis.diagnose import KG_MODEL, Diagnoser
from model.diagnosis.readers import read_records
from model.diagnosis.records import PatientRecord
from model.diagnosis.scoring import KGScorer

DDXPLUS = "en/ddxplus/release_test_patients_mini_version.txt"


def _ddxplus_gold(graph: Any, path: Path) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    """Per record id: the gold pathology and its DDXPlus top-5 differential; DDXPlus names → graph nodes."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ids = [f"{path.stem}-{i}" for i in range(1, len(rows) + 1)]
    gold = {i: row["diagnosis"] for i, row in zip(ids, rows, strict=True)}
    top5 = {
        i: [name for name, _ in ast.literal_eval(row["top5_diagnoses"])[:5]] for i, row in zip(ids, rows, strict=True)
    }
    node_of = {
        p.get("native_id"): node
        for node, attrs in graph.nodes(data=True)
        if attrs.get("type") == "disease"
        for p in attrs.get("provenance") or []
        if isinstance(p, dict) and p.get("source") == "ddxplus"
    }
    return gold, top5, node_of


def _score(rows: list[tuple[str, list[str]]], gold: dict, top5: dict, node_of: dict) -> dict[str, float]:
    """top-1/3/5 and differential overlap@5 of (record id, ranked graph ids) pairs."""
    hits = {1: 0, 3: 0, 5: 0}
    overlap = 0.0
    for record_id, ranked in rows:
        for k in hits:
            hits[k] += node_of.get(gold[record_id]) in ranked[:k]
        expected = {node_of.get(name) for name in top5[record_id]} - {None}
        overlap += len(expected & set(ranked[:5])) / max(len(expected), 1)
    n = max(len(rows), 1)
    return {**{f"top{k}": round(v / n, 4) for k, v in hits.items()}, "differential_overlap5": round(overlap / n, 4)}


def ddxplus_accuracy(diagnose: Diagnoser, graph: Any, data_dir: Path) -> dict[str, Any]:
    path = data_dir / DDXPLUS
    gold, top5, node_of = _ddxplus_gold(graph, path)
    rows = []
    started = time.perf_counter()
    for record in read_records([path]):
        if isinstance(record, PatientRecord):
            rows.append((record.id, [c.kg_id for c in diagnose(record).differential]))
    seconds = time.perf_counter() - started
    return {
        "patients": len(rows),
        **_score(rows, gold, top5, node_of),
        "records_per_s": round(len(rows) / seconds, 1),
    }


def llm_stage_accuracy(
    diagnose: Diagnoser, graph: Any, data_dir: Path, kb_dir: Path, spec: str, limit: int, seed: int = 0
) -> dict[str, Any]:
    """The graph alone and with the LLM stage on the same seeded sample of DDXPlus patients."""
    from model.assistant import build_chat_model, load_assistant
    from model.diagnosis.llm_stage import LLMStageDiagnoser
    from model.settings import load_settings

    path = data_dir / DDXPLUS
    gold, top5, node_of = _ddxplus_gold(graph, path)
    records = [r for r in read_records([path]) if isinstance(r, PatientRecord)]
    sample = random.Random(seed).sample(records, min(limit, len(records)))
    settings = load_settings(None, kb_dir=kb_dir)
    settings = settings.model_copy(update={"generator": settings.generator.model_copy(update={"spec": spec})})
    staged = LLMStageDiagnoser(diagnose, build_chat_model(settings), load_assistant(settings).retriever, name=spec)
    kg_rows, llm_rows, statuses = [], [], {}
    started = time.perf_counter()
    for record in tqdm(sample, desc="LLM stage", unit="record"):
        row = staged(record)
        statuses[str(row.llm_status)] = statuses.get(str(row.llm_status), 0) + 1
        llm_rows.append((record.id, [c.kg_id for c in row.differential]))
        kg_rows.append((record.id, [c.kg_id for c in diagnose(record).differential]))
    seconds = time.perf_counter() - started
    return {
        "generator": spec,
        "patients": len(sample),
        "seed": seed,
        "kg_only": _score(kg_rows, gold, top5, node_of),
        "with_llm": _score(llm_rows, gold, top5, node_of),
        "llm_status": statuses,
        "records_per_min_with_llm": round(60 * len(sample) / seconds, 1),
    }


def _keys(name: str | None, code: str | None) -> set[str]:
    """Match keys as the evaluation's `dx_top*` metrics make them: the folded name, and the ICD-10 category."""
    from eval.metrics.diagnosis import default_normalize_dx, icd10_category, is_icd10

    keys = default_normalize_dx(name) if name else set()
    if code and is_icd10(code):
        keys.add("icd10:" + icd10_category(code))
    return keys


def medfound_accuracy(diagnose: Diagnoser, data_dir: Path) -> dict[str, Any]:
    """Top-1/5: a candidate matches when its folded name equals the gold name's, or (the item has a code) its
    ICD-10 category equals the gold code's."""
    from eval.datasets import load_items
    from eval.tasks import load_task

    items = load_items(load_task("medfound-dx"), data_dir)
    hits: dict[bool, dict[int, int]] = {True: {1: 0, 5: 0}, False: {1: 0, 5: 0}}
    records = {True: 0, False: 0}
    statuses: dict[str, int] = {}
    for item in items:
        row = diagnose(PatientRecord(id=item.id, source="medfound", text=item.record))  # type: ignore[union-attr]
        statuses[row.status] = statuses.get(row.status, 0) + 1
        code = getattr(item, "icd10", None)
        gold = _keys(item.diagnosis, code)  # type: ignore[union-attr]
        matched = [bool(gold & _keys(c.name, c.icd10 if code else None)) for c in row.differential]
        # Records whose text already holds the gold name (an imaging impression, "found to have X") are split
        # out: there the task is reading, elsewhere it is inferring.
        verbatim = item.diagnosis.lower() in item.record.lower()  # type: ignore[union-attr]
        records[verbatim] += 1
        for k in (1, 5):
            hits[verbatim][k] += any(matched[:k])
    n_verbatim, n_other = records[True], records[False]
    return {
        "records": len(items),
        "statuses": statuses,
        **{f"top{k}": round((hits[True][k] + hits[False][k]) / len(items), 4) for k in (1, 5)},
        "gold_name_in_record": {
            "records": n_verbatim,
            **{f"top{k}": round(hits[True][k] / max(n_verbatim, 1), 4) for k in (1, 5)},
        },
        "gold_name_not_in_record": {
            "records": n_other,
            **{f"top{k}": round(hits[False][k] / max(n_other, 1), 4) for k in (1, 5)},
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--kb-dir", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CLINICALGPT_DATA_DIR", "../shared/data")))
    parser.add_argument("--medfound", action="store_true", help="Also score the MedFound EMRs.")
    parser.add_argument("--llm", default=None, help="Also run the LLM stage with this generator (e.g. default).")
    parser.add_argument("--llm-limit", type=int, default=50, help="DDXPlus patients for the LLM comparison.")
    parser.add_argument("--skip-kg", action="store_true", help="Only the LLM comparison (skip the full KG runs).")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    graph = load_kb_graph(args.kb_dir.expanduser())
    diagnose = Diagnoser(KGScorer(graph), EntityLinker(graph))
    report: dict[str, Any] = {"build_seconds": round(time.perf_counter() - started, 1), "model": KG_MODEL}
    if not args.skip_kg:
        report["ddxplus"] = ddxplus_accuracy(diagnose, graph, args.data_dir)
    if args.medfound and not args.skip_kg:
        report["medfound"] = medfound_accuracy(diagnose, args.data_dir)
    if args.llm:
        report["llm_stage"] = llm_stage_accuracy(
            diagnose, graph, args.data_dir, args.kb_dir.expanduser(), args.llm, args.llm_limit
        )
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
