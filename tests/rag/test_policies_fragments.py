"""Echoed questions and broken sentences (`rag.policies.fragments`), on outputs of a 270M model."""

from __future__ import annotations

import pytest

from rag.policies import is_echo, is_fragment

QUESTION = "What are the side effects of metformin?"


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("What are the side effects of metformin?", QUESTION),
        ("What are the side effects of metformin? [1]", QUESTION),
        ("Question: What are the side effects of metformin? Answer:", QUESTION),
        ("The side effects of metformin [1].", QUESTION),
        ("metformin side effects", QUESTION),
        ("Side effects of metformin are the side effects.", QUESTION),
        ("is it normal that my period is late", "is it normal that my period is late?"),
        ("Can I take ibuprofen with warfarin? [2]", "can i take ibuprofen with warfarin"),
        ("How long does shingles last.", "how long does shingles last"),
    ],
)
def test_echoes(answer: str, question: str) -> None:
    assert is_echo(answer, question)


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("The side effects of metformin are diarrhea and nausea [1].", QUESTION),
        ("Metformin can cause diarrhea, nausea and a metallic taste [2].", QUESTION),
        ("Yes.", QUESTION),
        ("", QUESTION),
        ("[1]", QUESTION),
        ("Shingles usually lasts two to four weeks [1].", "how long does shingles last"),
        ("Ibuprofen can increase the bleeding risk of warfarin [3].", "can i take ibuprofen with warfarin"),
        (
            "A late period is often caused by stress, weight change or pregnancy [1].",
            "is it normal that my period is late?",
        ),
        ("Melanoma is a skin cancer that starts in pigment cells.", "what is melanoma"),
    ],
)
def test_answers_are_not_echoes(answer: str, question: str) -> None:
    assert not is_echo(answer, question)


@pytest.mark.parametrize(
    "sentence",
    [
        "Treatment aims to address the [1]",
        "Answer:",
        "The symptoms of",
        "Symptoms :",
        "Causes and Risk Factors",
        "Metformin can cause (nausea [2].",
        "The main symptoms of shingles [2].",
        "[1][2]",
        "Common side effects include:",
        "It is caused by",
        "Metformin.",
        "Treatment options include diet and",
        "You should talk to your doctor about",
    ],
)
def test_fragments(sentence: str) -> None:
    assert is_fragment(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Yes, you can take tylenol now [3]",
        "Metformin can cause diarrhea, nausea and a metallic taste [2].",
        "Nausea, vomiting and diarrhea.",
        "See a doctor.",
        "The rash usually appears on one side of the body [1].",
        "Shingles is caused by the varicella-zoster virus (VZV) [1].",
        "The mole may change shape over time.",
        "Drink plenty of fluids and rest.",
        "the doctor will check your blood sugar [1]",
    ],
)
def test_statements_are_not_fragments(sentence: str) -> None:
    assert not is_fragment(sentence)
