"""Other languages' emergency phrases read as the English the red-flag rules know (issue 9, item 5)."""

from __future__ import annotations

import pytest

from rag.red_flag_glossary import strip_accents, to_english


def test_accents_are_stripped_letter_for_letter() -> None:
    assert strip_accents("fièvre, bebé, não, FIÈVRE") == "fievre, bebe, nao, FIEVRE"
    assert len(strip_accents("convulsão")) == len("convulsão")


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("no puede respirar", "can't breathe"),
        ("FIÈVRE", "fever"),
        ("dolor en el pecho", "chest pain"),
        ("la nuque raide", "stiff neck"),
        ("seene mein dard", "chest pain"),
        ("bebé de dos meses", "baby de 2 months old"),
        ("hace dos meses", "2 months ago"),
    ],
)
def test_phrases_become_english(text: str, english: str) -> None:
    assert to_english(text) == english


@pytest.mark.parametrize(
    "text",
    [
        "She sang at the gala with her bras on the line",  # English words that look like glossary words
        "Cara and Nene went to the pharmacy",
        "It transpired that my mani was chipped",
    ],
)
def test_english_text_is_left_alone(text: str) -> None:
    assert to_english(text) == text
