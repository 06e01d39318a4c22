"""Dose statements: numbers with a dose unit, a count of tablets/puffs/drops, or a dosing frequency.

A wrong number in a dose is the most harmful thing a grounded answer can say, and the lexical support
score cannot see it ("take 50 tablets" shares every content word with "take 2 tablets"). So a dose in an
answer sentence counts as supported only when a cited *curated*, unflagged passage states the same number
with the same unit (`unconfirmed_doses`). Masses are compared in milligrams (500 mg = 0.5 g); ranges
("1 to 2 tablets", "every 4-6 hours") contribute each end; number words ("two puffs", "twice a day") count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

DoseKind = Literal["amount", "count", "frequency"]


class Dose(BaseModel):
    """One number with its unit as stated in a text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    unit: str
    kind: DoseKind
    text: str

    @property
    def key(self) -> tuple[float, str]:
        """What two statements must share to state the same dose."""
        return (round(self.value, 6), self.unit)


_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "half": 0.5,
}
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"
_RANGE = rf"(?P<a>{_NUM})(?:\s*(?:-|–|to|or)\s*(?P<b>{_NUM}))?"

# unit spelling → (normal unit, kind, factor to the normal unit)
_MASS = {
    "mg": ("mg", 1.0),
    "milligram": ("mg", 1.0),
    "milligrams": ("mg", 1.0),
    "g": ("mg", 1000.0),
    "gm": ("mg", 1000.0),
    "gram": ("mg", 1000.0),
    "grams": ("mg", 1000.0),
    "mcg": ("mg", 0.001),
    "µg": ("mg", 0.001),
    "μg": ("mg", 0.001),
    "ug": ("mg", 0.001),
    "microgram": ("mg", 0.001),
    "micrograms": ("mg", 0.001),
    "ml": ("ml", 1.0),
    "millilitre": ("ml", 1.0),
    "millilitres": ("ml", 1.0),
    "milliliter": ("ml", 1.0),
    "milliliters": ("ml", 1.0),
    "cc": ("ml", 1.0),
    "l": ("ml", 1000.0),
    "iu": ("iu", 1.0),
    "units": ("iu", 1.0),
    "unit": ("iu", 1.0),
    "mmol": ("mmol", 1.0),
    "meq": ("meq", 1.0),
}
_COUNT = {
    "tablet": "tablet",
    "tablets": "tablet",
    "tab": "tablet",
    "tabs": "tablet",
    "pill": "tablet",
    "pills": "tablet",
    "caplet": "tablet",
    "caplets": "tablet",
    "capsule": "capsule",
    "capsules": "capsule",
    "caps": "capsule",
    "puff": "puff",
    "puffs": "puff",
    "inhalation": "puff",
    "inhalations": "puff",
    "drop": "drop",
    "drops": "drop",
    "spray": "spray",
    "sprays": "spray",
    "teaspoon": "teaspoon",
    "teaspoons": "teaspoon",
    "tsp": "teaspoon",
    "tablespoon": "tablespoon",
    "tablespoons": "tablespoon",
    "tbsp": "tablespoon",
    "sachet": "sachet",
    "sachets": "sachet",
    "patch": "patch",
    "patches": "patch",
    "suppository": "suppository",
    "suppositories": "suppository",
    "lozenge": "lozenge",
    "lozenges": "lozenge",
    "injection": "injection",
    "injections": "injection",
    "dose": "dose",
    "doses": "dose",
}
_UNITS = "|".join(sorted([*map(re.escape, _MASS), *_COUNT], key=len, reverse=True))
# "500 mg", "1-2 tablets", "two puffs", "10 mg/kg", "50 tablets of paracetamol"
_AMOUNT = re.compile(
    rf"(?<![\w.]){_RANGE}\s*(?P<unit>{_UNITS})(?P<perkg>\s*(?:/|per)\s*(?:kg|kilogram))?(?![\w])", re.IGNORECASE
)
# "every 4 hours", "every 4 to 6 hours", "every 12 h"
_EVERY = re.compile(rf"\bevery\s+{_RANGE}\s*(?P<unit>hours?|hrs?|h|days?|weeks?|minutes?|mins?)\b", re.IGNORECASE)
# "4 times a day", "three times daily", "once a day", "twice daily"
_TIMES = re.compile(
    rf"\b(?:(?:{_RANGE})\s*times|(?P<word>once|twice|thrice))\s*(?:a|per|each|every|/)?\s*(?P<unit>day|daily|week|weekly|hour|night)\b",
    re.IGNORECASE,
)
_WORD_TIMES = {"once": 1, "twice": 2, "thrice": 3}
_EVERY_UNITS = {"h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour", "min": "minute"}


def _number(token: str | None) -> float | None:
    if token is None:
        return None
    token = token.lower().replace(",", "")
    if token in _WORDS:
        return float(_WORDS[token])
    try:
        return float(token)
    except ValueError:
        return None


def _values(m: re.Match[str]) -> list[float]:
    return [v for v in (_number(m.group("a")), _number(m.group("b"))) if v is not None]


def find_doses(text: str) -> list[Dose]:
    """Every dose stated in `text`: amounts, counts of dose forms and frequencies."""
    found: list[Dose] = []
    for m in _AMOUNT.finditer(text):
        spelled = m.group("unit").lower()
        if spelled in _COUNT:
            unit, kind, factor = _COUNT[spelled], "count", 1.0
            if m.group("a").lower() in ("a", "an") and not m.group("b"):
                continue  # "a tablet", "an injection": an article, not a number
        else:
            base, factor = _MASS[spelled]
            unit, kind = base, "amount"
            if m.group("a").lower() in ("a", "an", "half"):
                continue
        if m.group("perkg"):
            unit += "/kg"
        for value in _values(m):
            found.append(Dose(value=value * factor, unit=unit, kind=kind, text=m.group(0).strip()))  # type: ignore[arg-type]
    for m in _EVERY.finditer(text):
        spelled = m.group("unit").lower()
        unit = "every " + _EVERY_UNITS.get(spelled, spelled.rstrip("s"))
        for value in _values(m):
            found.append(Dose(value=value, unit=unit, kind="frequency", text=m.group(0).strip()))
    for m in _TIMES.finditer(text):
        period = m.group("unit").lower().removesuffix("ly").replace("dai", "day").replace("night", "day")
        unit = f"times per {period}"
        values = [float(_WORD_TIMES[m.group("word").lower()])] if m.group("word") else _values(m)
        for value in values:
            found.append(Dose(value=value, unit=unit, kind="frequency", text=m.group(0).strip()))
    return found


def unconfirmed_doses(sentence: str, passages: Iterable[str]) -> list[Dose]:
    """Doses in `sentence` that no passage states with the same number and unit (empty when all are)."""
    doses = find_doses(sentence)
    if not doses:
        return []
    stated = {d.key for p in passages for d in find_doses(p)}
    return [d for d in doses if d.key not in stated]
