"""The red-flag classifier's training messages never include a message it is reported on (issue 9)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.red_flag_train import DRUG_QUERIES, TRAIN_FILES, drug_query_rows
from bench.red_flags import CASES, read_cases
from rag.red_flags import classifier_text

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
#: Every labelled set a red-flag figure is reported on.
REPORTED = (
    "red_flags_heldout.jsonl",
    "red_flags_heldout3.jsonl",
    "red_flags_heldout4.jsonl",
    "red_flags_heldout7.jsonl",
    "red_flags_heldout8.jsonl",
    *(f"red_flags_fresh{n}.jsonl" for n in ("", 2, 3)),
)


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def test_no_training_message_is_a_reported_message() -> None:
    """Independent writers do arrive at the same general question ("what temperature counts as a fever in a
    baby?", heldout10's "What does FAST stand for in stroke?" is a test message word for word); neither rules nor
    classifier read those, so only messages the detector reads must differ."""
    training = {_fold(r["text"]) for path in TRAIN_FILES for r in read_cases(path)}
    training |= {_fold(r["text"]) for r in read_cases(CASES) if r["split"] == "dev"}
    reported = {_fold(r["text"]) for name in REPORTED for r in read_cases(DATA / name) if classifier_text(r["text"])}
    reported |= {_fold(r["text"]) for r in read_cases(CASES) if r["split"] == "test" and classifier_text(r["text"])}
    assert len(training) > 1400 and len(reported) > 500
    assert not training & reported
    assert all(path.name not in REPORTED for path in TRAIN_FILES)


@pytest.mark.parametrize(
    "name",
    [
        f"red_flags_{name}.jsonl"
        for name in (
            "train3",
            "heldout3",
            "heldout4",
            "heldout5",
            "heldout6",
            "heldout7",
            "heldout8",
            "heldout9",
            "heldout10",
            "heldout11",
            "heldout12",
            "heldout13",
            "heldout14",
            "heldout15",
            "heldout16",
            "heldout17",
            "heldout18",
            "heldout19",
            "heldout20",
            "heldout21",
        )
    ],
)
def test_blind_sets_are_balanced_per_flag(name: str) -> None:
    from collections import Counter

    rows = read_cases(DATA / name)
    counts = Counter((r["category"], r["emergency"]) for r in rows)
    assert len({c for c, _ in counts}) == 9
    # As many emergencies as look-alikes, for every flag (heldout4 lost one look-alike: a training message).
    assert max(counts.values()) - min(counts.values()) <= 1
    assert len({r["id"] for r in rows}) == len(rows)


def test_drug_questions_are_fixed_plain_non_emergencies() -> None:
    rows = drug_query_rows()
    assert rows == drug_query_rows()  # seeded: the same training set on every run
    assert len(rows) == DRUG_QUERIES == len({r["text"] for r in rows})
    assert all(not r["emergency"] and r["category"] is None and r["kind"] == "plain" for r in rows)
    assert rows[0]["text"].endswith("?") and " " not in rows[0]["text"]  # the first template: a bare name


@pytest.mark.integration
def test_consumer_sets_are_read_whole_and_once() -> None:
    from bench.red_flags_consumer import consumer_sets
    from tests.integration.conftest import real_data_dir

    sets = consumer_sets(real_data_dir())
    assert {name: len(q) for name, q in sets.items()} == {"liveqa": 104, "mediqa": 148, "medicationqa": 651}
    # The overdose message the notice must reach (the rules catch it).
    assert any("25 iron pills" in text for text in sets["liveqa"])
