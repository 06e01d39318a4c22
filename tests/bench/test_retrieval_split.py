"""The retrieval benchmark reads one MedQuAD split; tuning and testing never share a focus (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.retrieval import sample_questions
from eval.datasets.consumer_qa import medquad_split


def test_dev_and_test_questions_never_share_a_focus(tmp_path: Path) -> None:
    folder = tmp_path / "en" / "medquad"
    folder.mkdir(parents=True)
    rows = [
        {
            "qid": f"Q{i}-{j}",
            "doc_id": f"Q{i}",
            "focus": f"Condition {i}",
            "qtype": qtype,
            "question": f"What are the {qtype} of Condition {i} ?",
            "answer": f"The {qtype} of condition {i} are described here.",
            "url": f"https://example.org/{i}",
            "source": "Test",
        }
        for i in range(80)
        for j, qtype in enumerate(("symptoms", "causes"))
    ]
    (folder / "medquad_answered.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    dev = sample_questions(tmp_path, 1000, seed=0, split="dev")
    test = sample_questions(tmp_path, 1000, seed=0, split="test")
    assert test and dev and len(dev) + len(test) == len(rows)  # the malformed line is skipped
    assert {q["focus"] for q in dev}.isdisjoint({q["focus"] for q in test})
    assert all(medquad_split(q["focus"]) == "dev" for q in dev)
    assert all(medquad_split(q["focus"]) == "test" for q in test)
