"""Finding extraction against hand-labelled record snippets: present and negated findings, precision and recall.

    python -m bench.finding_extraction [--json reports/finding_extraction.json]

Cases: bench/data/finding_extraction.jsonl (written by a separate agent session that never saw the extractor),
each `{id, text, present, absent}` with standard symptom names. An extracted graph node matches a label when
the label equals the node's name or one of its synonyms (lower case, punctuation folded). Per polarity:
recall = labels found with that polarity / labels; precision = extracted nodes that match a label of that
polarity / extracted nodes (a node matching no label at all counts as a false positive; one matching a label of
the other polarity is a polarity error, also reported). Every miss and false positive is listed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from bench.report_file import save_report
from knowledge.graph.link import EntityLinker
from knowledge.kb import load_kb_graph
from model.diagnosis.findings import extract_findings
from model.diagnosis.records import PatientRecord

CASES = Path(__file__).parent / "data" / "finding_extraction.jsonl"


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def names_of(graph: Any, node: str) -> set[str]:
    attrs = graph.nodes[node]
    return {_fold(str(n)) for n in [attrs.get("name", ""), *(attrs.get("synonyms") or [])] if n}


def score(graph: Any, linker: EntityLinker, rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals = {p: {"labels": 0, "found": 0, "extracted": 0, "correct": 0} for p in ("present", "absent")}
    polarity_errors: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    false_positives: list[dict[str, Any]] = []
    for row in rows:
        found = extract_findings(PatientRecord(id=row["id"], source="bench", text=row["text"]), linker)
        extracted = {"present": found.present, "absent": found.absent}
        gold = {p: {_fold(label) for label in row[p]} for p in ("present", "absent")}
        for polarity in ("present", "absent"):
            other = "absent" if polarity == "present" else "present"
            totals[polarity]["labels"] += len(gold[polarity])
            for label in gold[polarity]:
                if any(label in names_of(graph, n) for n in extracted[polarity]):
                    totals[polarity]["found"] += 1
                else:
                    misses.append({"id": row["id"], "polarity": polarity, "label": label, "text": row["text"]})
            # Several nodes can carry the same name (a symptom from two sources): count distinct names.
            by_name: dict[str, set[str]] = {}
            for node in extracted[polarity]:
                by_name.setdefault(str(graph.nodes[node].get("name", node)).lower(), set()).update(
                    names_of(graph, node)
                )
            for name, names in by_name.items():
                totals[polarity]["extracted"] += 1
                if names & gold[polarity]:
                    totals[polarity]["correct"] += 1
                elif names & gold[other]:
                    polarity_errors.append({"id": row["id"], "extracted_as": polarity, "finding": name})
                else:
                    false_positives.append({"id": row["id"], "polarity": polarity, "finding": name})
    summary = {
        polarity: {
            **t,
            "recall": round(t["found"] / t["labels"], 3) if t["labels"] else None,
            "precision": round(t["correct"] / t["extracted"], 3) if t["extracted"] else None,
        }
        for polarity, t in totals.items()
    }
    return {
        "cases": len(rows),
        **summary,
        "polarity_errors": polarity_errors,
        "misses": misses,
        "false_positives": false_positives,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kb-dir", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.cases.read_text(encoding="utf-8").splitlines() if line.strip()]
    graph = load_kb_graph(args.kb_dir.expanduser())
    report = score(graph, EntityLinker(graph), rows)
    save_report(report, args.json)
    brief = {k: report[k] for k in ("cases", "present", "absent")}
    brief["polarity_errors"] = len(report["polarity_errors"])
    print(json.dumps(brief, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
