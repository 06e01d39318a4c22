"""The reranker's training groups never hold a question a consumer set is scored on (issue 8)."""

from __future__ import annotations

import pytest

from bench.consumer_dev import fold, scored_questions
from bench.rerank_train import MEDIQA_TRAIN_FILES, liveqa_fold, mediqa_groups


@pytest.mark.integration
def test_mediqa_training_groups_leave_out_every_scored_question() -> None:
    import xml.etree.ElementTree as ET

    from tests.integration.conftest import real_data_dir

    data = real_data_dir()
    scored = scored_questions(data)
    assert len(scored) > 800  # LiveQA test 104 + MEDIQA test 150 + MedicationQA's distinct questions
    # TrainingSet1 is LiveQA's test set under another name: never a training file.
    assert not any("TrainingSet1" in name for name in MEDIQA_TRAIN_FILES)
    first = ET.parse(data / "en" / "mediqa2019" / "MEDIQA2019-Task3-QA-TrainingSet1-LiveQAMed-V2.xml").getroot()
    overlap = {fold(q.findtext("QuestionText") or "") for q in first.iter("Question")} & scored
    assert overlap  # the reason it is left out
    groups, dropped = mediqa_groups(data, scored)
    assert len(groups) > 100
    assert not {fold(g.question) for g in groups} & scored
    for group in groups:
        assert len(group.passages) == len(group.grades) >= 2
        assert all(0.0 <= g <= 1.0 for g in group.grades) and max(group.grades) > min(group.grades)


def test_the_liveqa_dev_fold_is_fixed_by_the_id() -> None:
    folds = [liveqa_fold(f"train-{i}") for i in range(500)]
    assert folds == [liveqa_fold(f"train-{i}") for i in range(500)]
    assert set(folds) == {0, 1, 2, 3, 4} and 60 < folds.count(0) < 140
