"""Age and sex limits on candidate diagnoses, from ICD-10's own structure, and demographics read from a note.

ICD-10 reserves whole blocks for one sex or one age: diseases of the male genital organs (N40–N53) and their
neoplasms (C60–C63), of the female pelvic organs (N70–N98) and their neoplasms (C51–C58) and benign tumours
(D25–D28), pregnancy and childbirth (O00–O9A, women of childbearing age), and conditions originating in the
perinatal period (P00–P96, the newborn). A candidate in such a block that contradicts the record's stated sex
or age is dropped from the differential: these are definitions, not statistics, so nothing is tuned. No
source in the knowledge base gives age or sex frequencies per disease, so there is no softer prior.

Records that state demographics only in their text ("Age: 24 years", "Gender: Female", "a 67-year-old man")
get them read by `demographics_from_text` when the structured fields are empty.
"""

from __future__ import annotations

import re

from model.diagnosis.records import PatientRecord, Sex

#: (first code, last code, who the block is for): compared on the letter and two digits of the category.
_BLOCKS: tuple[tuple[str, str, str], ...] = (
    ("N40", "N53", "male"),
    ("C60", "C63", "male"),
    ("N70", "N98", "female"),
    ("C51", "C58", "female"),
    ("D25", "D28", "female"),
    ("O00", "O9A", "pregnancy"),
    ("P00", "P96", "newborn"),
)
#: Ages (years) a pregnancy or perinatal code can apply to.
CHILDBEARING = (10.0, 60.0)
NEWBORN_MAX_AGE = 1.0

_AGE_FIELD = re.compile(r"\bage[d]?\s*[:=]?\s*(\d{1,3})\b", re.IGNORECASE)
_AGE_OLD = re.compile(r"\b(\d{1,3})[\s-]*(?:years?|yrs?)[\s-]*old\b|\b(\d{1,3})\s*y/?o\b", re.IGNORECASE)
_SEX_FIELD = re.compile(r"\b(?:gender|sex)\s*[:=]\s*(male|female|man|woman|m|f)\b", re.IGNORECASE)
_SEX_WORD = re.compile(r"\b(?:(?P<f>woman|female|girl|lady|she)|(?P<m>man|male|boy|gentleman|he))\b", re.IGNORECASE)


def _category(code: str) -> str:
    return code.upper().replace(".", "")[:3]


def block_of(icd10: str | None) -> str | None:
    """Who an ICD-10 code's block is reserved for (`male`, `female`, `pregnancy`, `newborn`), or None."""
    if not icd10 or not re.match(r"^[A-Z]\d", icd10.upper()):
        return None
    category = _category(icd10)
    for first, last, who in _BLOCKS:
        if first <= category <= last:
            return who
    return None


def conflict(icd10: str | None, sex: Sex, age: float | None) -> str | None:
    """Why a candidate with this code cannot apply to the patient, or None when it can (or nobody knows)."""
    who = block_of(icd10)
    if who in ("male", "female") and sex in ("male", "female") and sex != who:
        return f"ICD-10 {icd10} is a {who}-only block; the record says {sex}"
    if who == "pregnancy" and (sex == "male" or (age is not None and not CHILDBEARING[0] <= age <= CHILDBEARING[1])):
        return f"ICD-10 {icd10} is pregnancy-related; the record says {sex}, age {age if age is not None else '?'}"
    if who == "newborn" and age is not None and age > NEWBORN_MAX_AGE:
        return f"ICD-10 {icd10} is a perinatal condition; the record says age {age:g}"
    return None


def demographics_from_text(text: str) -> tuple[float | None, Sex]:
    """(age in years, sex) as a note states them: an "Age:"/"Gender:" field or "a 67-year-old man"; the first
    mention wins, and a sex word must be unambiguous (a note naming both is left unknown)."""
    # "for 8 years" is a duration, not an age: only an "Age:" field or "N-year-old" / "N yo" counts.
    age_match = _AGE_FIELD.search(text) or _AGE_OLD.search(text)
    number = next((g for g in age_match.groups() if g), None) if age_match else None
    age = float(number) if number is not None and int(number) <= 130 else None
    field = _SEX_FIELD.search(text)
    if field:
        return age, "female" if field.group(1).lower() in ("female", "woman", "f") else "male"
    female = male = False
    for match in _SEX_WORD.finditer(text[:400]):  # the opening lines introduce the patient
        female |= match.group("f") is not None
        male |= match.group("m") is not None
    sex: Sex = "female" if female and not male else "male" if male and not female else "unknown"
    return age, sex


def with_demographics(record: PatientRecord) -> PatientRecord:
    """The record with age and sex filled from its text where the structured fields are empty."""
    if record.age is not None and record.sex != "unknown":
        return record
    age, sex = demographics_from_text(" ".join([record.chief_complaint or "", record.text]))
    update: dict[str, object] = {}
    if record.age is None and age is not None:
        update["age"] = age
    if record.sex == "unknown" and sex != "unknown":
        update["sex"] = sex
    return record.model_copy(update=update) if update else record
