"""The retrieval benchmark reads one MedQuAD split; tuning and testing never share a focus (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


@pytest.mark.integration
def test_the_consumer_tuning_questions_are_not_the_scored_liveqa_questions() -> None:
    """`bench.consumer_dev` and the weight sweep tune on LiveQA's training files; the retrieval-liveqa task scores
    its test file. The files share messages word for word, so the tuning set must leave those out."""
    from bench.consumer_dev import TEST_FILE, TRAIN_FILES, tuning_items
    from eval.datasets import LoadReport
    from eval.datasets.consumer_qa import load_liveqa, load_liveqa_train
    from tests.integration.conftest import real_data_dir

    folder = real_data_dir() / "en" / "liveqa2017"

    def fold(text: str) -> str:
        return " ".join(text.split()).casefold()

    scored = {fold(i.question) for i in load_liveqa(folder / TEST_FILE, {}, report=LoadReport(source="liveqa"))}
    raw = [fold(i.question) for name in TRAIN_FILES for i in load_liveqa_train(folder / name)]
    tuning = [fold(i.question) for i in tuning_items(real_data_dir())]
    assert len(scored) == 104 and len(set(raw) & scored) == 12  # the overlap the filter exists for
    assert len(tuning) == len(set(tuning)) > 350
    assert set(tuning).isdisjoint(scored)


@pytest.mark.integration
def test_the_consumer_tuning_questions_are_in_no_scored_set() -> None:
    """MEDIQA 2019's test set was drawn from the same consumer messages: 40 of its questions are LiveQA training
    questions, which the tuning set (weight sweep, reranker, red-flag labels) must leave out too."""
    from bench.consumer_dev import TRAIN_FILES, fold, scored_questions, tuning_items
    from eval.datasets.consumer_qa import load_liveqa_train, load_mediqa_qa
    from tests.integration.conftest import real_data_dir

    data = real_data_dir()
    test_file = data / "en" / "mediqa2019" / "MEDIQA2019-Task3-QA-TestSet-wLabels.xml"
    mediqa = {fold(i.question) for i in load_mediqa_qa(test_file, {})}
    raw = {fold(i.question) for name in TRAIN_FILES for i in load_liveqa_train(data / "en/liveqa2017" / name)}
    assert len(raw & mediqa) == 40  # the overlap the filter exists for
    tuning = {fold(i.question) for i in tuning_items(data)}
    assert tuning.isdisjoint(scored_questions(data)) and len(tuning) == 369
