"""Which hand-judged answers the aspect check (`answer.aspect_check`) would have refused, and how they were judged.

The judged samples' answers (`bench/data/judged_answers*_<label>.jsonl`) were written by older code, before the
check existed; their judgments (`bench/data/judgments*.jsonl`) say whether each was right. For every answered one,
the check is run as the chain runs it on the answer it showed (`rag.intent.single_question`, `cue_intent`,
`addresses_aspect` over the answer's text and its cited passages' sections): an answer it refuses that was judged
correct or partial is a loss, one judged wrong or harmful a gain. The combination rule (two medicines, one sentence
naming both) needs the question's linked drugs and is not re-checked here.

    python -m bench.aspect_recheck [--kb DIR] [--json FILE]

Without arguments it reads the extractive ("after") answers of samples 1-8.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.judged_sample import DATA, answers_path, questions_path  # noqa: E402
from bench.report_file import emit_report  # noqa: E402
from knowledge.kb import KnowledgeBase  # noqa: E402
from rag.intent import ASPECT_WORDS, addresses_aspect, cue_intent, single_question  # noqa: E402

#: (sample, label of its extractive answers, their file, judgments file): the default-mode answers each sample judged.
JUDGED: tuple[tuple[int, str, Path, str], ...] = (
    (1, "after", answers_path(1, "after"), "judgments.jsonl"),
    (2, "sample2_extractive", DATA / "judged_answers_2_extractive.jsonl", "judgments_2.jsonl"),
    (3, "after3b", answers_path(3, "after3b"), "judgments_3b.jsonl"),
    (4, "after4", answers_path(4, "after4"), "judgments_4.jsonl"),
    (5, "extractive5", answers_path(5, "extractive5"), "judgments_5.jsonl"),
    (6, "after6", answers_path(6, "after6"), "judgments_6.jsonl"),
    (7, "after7", answers_path(7, "after7"), "judgments_7.jsonl"),
    (8, "after8", answers_path(8, "after8"), "judgments_8.jsonl"),
)
#: Where the rendered answer's own text ends (the notice and the reference list follow).
_NOTICE = "\n\nThis information"
_REFERENCES = "\nReferences"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def answer_body(text: str) -> str:
    """The quoted sentences of a rendered answer: no lead line, notice or references."""
    body = text.split(_NOTICE)[0]
    return body.split("\n", 1)[-1].split(_REFERENCES)[0].strip()


def recheck(kb: KnowledgeBase) -> dict[str, Any]:
    counts: Counter[tuple[str, str]] = Counter()
    refused: list[dict[str, str]] = []
    for sample, label, answers_file, judgments_file in JUDGED:
        questions = {q["id"]: q["question"] for q in _lines(questions_path(sample))}
        verdicts = {j["id"]: j["judgment"] for j in _lines(DATA / judgments_file) if j["label"] == label}
        for answer in _lines(answers_file):
            if answer["refused"] or answer["id"] not in verdicts:
                continue
            judgment = verdicts[answer["id"]]
            counts[("answered", judgment)] += 1
            question = questions[answer["id"]]
            intent = cue_intent(question)
            if not single_question(question) or intent not in ASPECT_WORDS:
                continue
            sections = [kb.chunk(c["id"]).section if c["id"] in kb.row_of else None for c in answer["citations"]]
            body = answer_body(answer["text"])
            if not any(addresses_aspect(intent, body, section) for section in sections or [None]):
                counts[("refused by the check", judgment)] += 1
                refused.append({"sample": str(sample), "judgment": judgment, "type": intent, "question": question})
    table: dict[str, dict[str, int]] = {}
    for (row, judgment), n in sorted(counts.items()):
        table.setdefault(row, {})[judgment] = n
    return {"command": " ".join(["python -m bench.aspect_recheck", *sys.argv[1:]]), "counts": table, "refused": refused}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    emit_report(recheck(KnowledgeBase.load(args.kb.expanduser())), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
