"""Dose and co-administration statements, and label quotes (`rag.policies.doses`)."""

from __future__ import annotations

import pytest

from rag.policies import DOSE_NOTICE, dose_statement, is_label_quote

LABEL = (
    "Directions. Adults and children 12 years and over: take 1 to 2 tablets every 4 to 6 hours while symptoms "
    "last. Do not take more than 8 tablets in 24 hours. Do not take with alcohol. Take with or without food."
)


@pytest.mark.parametrize(
    "sentence",
    [
        "Take 2 tablets every 4 hours [1].",
        "The usual dose is 500 mg twice daily.",
        "take 1-2 tabs every 4-6 hrs",
        "Take with food.",
        "You can take ibuprofen together with paracetamol.",
        "It is safe to take ibuprofen with warfarin.",
        "it's ok to take it with milk",
        "Yes, you can take tylenol now [3]",
        "Ibuprofen and paracetamol can be taken together.",
        "Do not take it at the same time as antacids.",
        "Ibuprofen interacts with warfarin [2].",
        "there are no known interactions between these drugs",
        "Children should not take aspirin.",
        "Take it alongside your other medicines.",
    ],
)
def test_dose_statements(sentence: str) -> None:
    assert dose_statement(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Metformin can cause diarrhea, nausea and a metallic taste [2].",
        "Shingles is caused by the varicella-zoster virus.",
        "You can take steps to lower your risk.",
        "Ask your pharmacist about interactions.",
        "Warfarin is a blood thinner.",
        "People with diabetes should take care of their feet.",
        "It usually takes 2 to 3 weeks to heal.",
        "Rest and drink plenty of fluids.",
        "Ibuprofen is an NSAID used for pain.",
    ],
)
def test_other_sentences_are_not_dose_statements(sentence: str) -> None:
    assert not dose_statement(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Take 1 to 2 tablets every 4 to 6 hours while symptoms last [1].",
        "Adults and children 12 years and over: take 1 to 2 tablets every 4 to 6 hours [1].",
        "Do not take more than 8 tablets in 24 hours.",
        "do not take with alcohol [1]",
        "Take with or without food.",
        "Adults and children 12 years and over take 1 to 2 tablets every 4 to 6 hours while symptoms last.",
        "Take 1 to 2 tablets every 4 to 6 hours.",
    ],
)
def test_label_quotes(sentence: str) -> None:
    assert is_label_quote(sentence, LABEL)


@pytest.mark.parametrize(
    "sentence",
    [
        "Take more than 8 tablets in 24 hours.",  # the negation dropped
        "Do not take more than 80 tablets in 24 hours.",  # a number changed
        "Take with alcohol.",  # "do not" dropped
        "Take with food.",  # "or without" dropped
        "Take 1 to 2 tablets every 4 hours while symptoms last.",  # "to 6" dropped
        "Adults should take 1 to 2 tablets every 4 to 6 hours.",  # a word added
        "You can take 2 tablets with alcohol.",
        "Do not take more than 8 tablets in 24 hours, take with or without food.",  # stitched over a sentence
        "Take 8 tablets.",
        "Take",
        "",
    ],
)
def test_not_label_quotes(sentence: str) -> None:
    assert not is_label_quote(sentence, LABEL)


def test_not_a_quote_of_another_passage() -> None:
    assert not is_label_quote("Take 1 to 2 tablets every 4 to 6 hours.", "Ibuprofen is an NSAID.")
    assert not is_label_quote("Take 1 to 2 tablets every 4 to 6 hours.", "")


def test_notice_names_label_and_pharmacist() -> None:
    assert DOSE_NOTICE.startswith("Doses and whether two medicines can be taken together must come from")
    assert "label" in DOSE_NOTICE
    assert "pharmacist" in DOSE_NOTICE
