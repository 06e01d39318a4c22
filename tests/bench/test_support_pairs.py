"""The hand-labelled answer-support pairs (issue 9, item 2) are well formed and split by question.

Reads the committed `bench/data/support_pairs.jsonl` only: no model, no knowledge base.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.support_pairs import selected, split_of

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
LABELLED = DATA / "support_pairs.jsonl"
RAW = DATA / "support_pairs_raw.jsonl"

FIELDS = {
    "pair_id": str,
    "question_id": str,
    "dataset": str,
    "question": str,
    "sentence": str,
    "passage_id": str,
    "passage": str,
    "cited": bool,
    "origin": str,
    "lexical_support": float,
    "pair_lexical_support": float,
    "current_supported": bool,
    "withheld": list,
    "label": str,
    "kind": str,
    "note": str,
    "split": str,
}
LABELS = {"supported", "unsupported", "contradicted"}


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return _read(LABELLED)


def test_schema(rows: list[dict]) -> None:
    for row in rows:
        assert set(row) == set(FIELDS), row.get("pair_id")
        for name, kind in FIELDS.items():
            value = row[name]
            if kind is float:
                assert isinstance(value, int | float) and not isinstance(value, bool), (row["pair_id"], name)
                assert 0.0 <= value <= 1.0, (row["pair_id"], name)
            else:
                assert isinstance(value, kind), (row["pair_id"], name)
        assert row["sentence"].strip() and row["passage"].strip() and row["note"].strip(), row["pair_id"]
        assert row["dataset"] in {"medicationqa", "liveqa", "mediqa"}
        assert row["origin"] in {"model", "attributed", "best_overlap"}
        assert row["cited"] == (row["origin"] == "model")
        assert row["kind"] in {"claim", "echo", "fragment"}
        assert all(isinstance(reason, str) and reason for reason in row["withheld"]), row["pair_id"]
        assert row["pair_id"].startswith(f"{row['dataset']}/{row['question_id']}/")


def test_size_and_labels(rows: list[dict]) -> None:
    assert len(rows) >= 220
    assert len({r["pair_id"] for r in rows}) == len(rows)
    labels = Counter(r["label"] for r in rows)
    assert set(labels) <= LABELS
    assert labels["supported"] >= 50
    assert labels["unsupported"] + labels["contradicted"] >= 50


def test_questions_are_selected_and_split_by_question(rows: list[dict]) -> None:
    splits: dict[str, set[str]] = {}
    for row in rows:
        assert selected(row["question_id"]), row["question_id"]  # the hash rule keeping later samples disjoint
        assert row["split"] == split_of(row["question_id"]), row["pair_id"]
        splits.setdefault(row["question_id"], set()).add(row["split"])
    assert all(len(s) == 1 for s in splits.values())  # no question in both splits
    assert {r["split"] for r in rows} == {"dev", "test"}


def test_every_pair_of_a_kept_answer_is_labelled(rows: list[dict]) -> None:
    raw = _read(RAW)
    by_question: dict[str, set[str]] = {}
    for row in raw:
        by_question.setdefault(row["question_id"], set()).add(row["pair_id"])
    labelled: dict[str, set[str]] = {}
    for row in rows:
        labelled.setdefault(row["question_id"], set()).add(row["pair_id"])
    for question, pairs in labelled.items():
        assert pairs == by_question[question], question  # no cherry-picking within an answer
    raw_by_id = {r["pair_id"]: r for r in raw}
    added = {"label", "kind", "note", "split"}
    for row in rows:  # labels were added, nothing else changed
        assert {k: v for k, v in row.items() if k not in added} == raw_by_id[row["pair_id"]]
