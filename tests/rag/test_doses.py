"""Dose statements: what counts as a dose, and when a passage confirms one."""

from __future__ import annotations

import pytest

from rag.doses import find_doses, unconfirmed_doses


@pytest.mark.parametrize(
    ("text", "doses"),
    [
        ("Take 50 tablets of paracetamol.", [(50, "tablet")]),
        ("500 mg every 4 hours", [(500, "mg"), (4, "every hour")]),
        ("2 puffs", [(2, "puff")]),
        ("up to 4 g a day", [(4000, "mg")]),
        ("1 or 2 tablets every 4 to 6 hours", [(1, "tablet"), (2, "tablet"), (4, "every hour"), (6, "every hour")]),
        ("two puffs four times a day", [(2, "puff"), (4, "times per day")]),
        ("twice daily", [(2, "times per day")]),
        ("10 mg/kg", [(10, "mg/kg")]),
        ("250 mcg", [(0.25, "mg")]),
        ("5 ml of syrup", [(5, "ml")]),
        ("1,000 mg", [(1000, "mg")]),
        ("3 drops in each eye", [(3, "drop")]),
    ],
)
def test_find_doses(text: str, doses: list[tuple[float, str]]) -> None:
    assert sorted((d.value, d.unit) for d in find_doses(text)) == sorted((float(v), u) for v, u in doses)


@pytest.mark.parametrize(
    "text",
    [
        "Take a tablet with water.",
        "About 5 percent of people aged 50 years have it.",
        "Type 2 diabetes and hepatitis B are common.",
        "Symptoms last 2 weeks; 3 types exist.",
        "Chromosome 21 and BRCA1 are involved.",
    ],
)
def test_ordinary_numbers_are_not_doses(text: str) -> None:
    assert find_doses(text) == []


def test_a_dose_is_confirmed_by_the_same_number_and_unit() -> None:
    passage = "Adults: 1 or 2 tablets of 500 mg every 4 to 6 hours; no more than 4 g in 24 hours."
    assert unconfirmed_doses("Take 2 tablets every 6 hours.", [passage]) == []
    assert unconfirmed_doses("Take 0.5 g.", [passage]) == []  # 0.5 g = 500 mg
    assert unconfirmed_doses("Up to 4000 mg a day.", [passage]) == []
    assert [d.text for d in unconfirmed_doses("Take 50 tablets.", [passage])] == ["50 tablets"]
    assert [d.text for d in unconfirmed_doses("Take 2 capsules.", [passage])] == ["2 capsules"]  # other unit
    assert [d.text for d in unconfirmed_doses("Take 2 tablets.", [])] == ["2 tablets"]
    assert unconfirmed_doses("Rest helps.", []) == []
