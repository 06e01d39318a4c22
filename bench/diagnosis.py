"""Knowledge-graph-only differential diagnosis: accuracy on DDXPlus test patients and MedFound EMRs, throughput.

    python -m bench.diagnosis [--medfound] [--json reports/diagnosis.json]

- DDXPlus (2,611 test patients, `en/ddxplus/release_test_patients_mini_version.txt`, never used to build or
  tune the scorer): top-1/3/5 — is the gold pathology's graph node among the first k candidates. The graph
  holds the DDXPlus condition definitions the patients were simulated from, so this is how well the score
  reads structured evidence, not a test of real-world diagnosis.
- MedFound (362 English EMRs from Chinese hospitals, `--medfound`, read with the evaluation package's loader):
  top-1/5, matched as the evaluation's `dx_top*` metrics match (folded names, or ICD-10 categories where the
  item has a code) — free text, the hard case.
Throughput: records per second of the per-record function in one process, graph and linker already built.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from knowledge.graph.link import EntityLinker
from knowledge.kb import load_kb_graph
from model.diagnosis.diagnose import Diagnoser
from model.diagnosis.readers import read_records
from model.diagnosis.records import PatientRecord
from model.diagnosis.scoring import KGScorer

DDXPLUS = "en/ddxplus/release_test_patients_mini_version.txt"


def ddxplus_accuracy(diagnose: Diagnoser, graph: Any, data_dir: Path) -> dict[str, Any]:
    path = data_dir / DDXPLUS
    with path.open(encoding="utf-8") as handle:
        gold = {f"{path.stem}-{i}": row["diagnosis"] for i, row in enumerate(csv.DictReader(handle), start=1)}
    node_of = {
        p.get("native_id"): node
        for node, attrs in graph.nodes(data=True)
        if attrs.get("type") == "disease"
        for p in attrs.get("provenance") or []
        if isinstance(p, dict) and p.get("source") == "ddxplus"
    }
    hits = {1: 0, 3: 0, 5: 0}
    n = 0
    started = time.perf_counter()
    for record in read_records([path]):
        if not isinstance(record, PatientRecord):
            continue
        ranked = [c.kg_id for c in diagnose(record).differential]
        n += 1
        for k in hits:
            hits[k] += node_of.get(gold[record.id]) in ranked[:k]
    seconds = time.perf_counter() - started
    return {
        "patients": n,
        **{f"top{k}": round(v / n, 4) for k, v in hits.items()},
        "records_per_s": round(n / seconds, 1),
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
    hits = {1: 0, 5: 0}
    statuses: dict[str, int] = {}
    for item in items:
        row = diagnose(PatientRecord(id=item.id, source="medfound", text=item.record))  # type: ignore[union-attr]
        statuses[row.status] = statuses.get(row.status, 0) + 1
        code = getattr(item, "icd10", None)
        gold = _keys(item.diagnosis, code)  # type: ignore[union-attr]
        matched = [bool(gold & _keys(c.name, c.icd10 if code else None)) for c in row.differential]
        for k in hits:
            hits[k] += any(matched[:k])
    return {
        "records": len(items),
        "statuses": statuses,
        **{f"top{k}": round(v / len(items), 4) for k, v in hits.items()},
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
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    graph = load_kb_graph(args.kb_dir.expanduser())
    diagnose = Diagnoser(KGScorer(graph), EntityLinker(graph))
    report: dict[str, Any] = {"build_seconds": round(time.perf_counter() - started, 1), "model": "kg-idf-v1"}
    report["ddxplus"] = ddxplus_accuracy(diagnose, graph, args.data_dir)
    if args.medfound:
        report["medfound"] = medfound_accuracy(diagnose, args.data_dir)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
