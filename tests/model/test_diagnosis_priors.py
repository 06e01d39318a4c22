"""Sex and age limits from ICD-10's blocks, and demographics read from a note's text."""

from __future__ import annotations

import networkx as nx
import pytest

from knowledge.graph.link import EntityLinker
from model.diagnosis.diagnose import Diagnoser
from model.diagnosis.priors import block_of, conflict, demographics_from_text, with_demographics
from model.diagnosis.records import PatientRecord
from model.diagnosis.scoring import KGScorer


@pytest.mark.parametrize(
    ("code", "who"),
    [
        ("N40.0", "male"),
        ("C61", "male"),
        ("N83.20", "female"),
        ("D25.9", "female"),
        ("O09.90", "pregnancy"),
        ("O9A.1", "pregnancy"),
        ("P07.3", "newborn"),
        ("N39.0", None),
        ("J11", None),
        (None, None),
        ("DOID:1", None),
    ],
)
def test_blocks(code: str | None, who: str | None) -> None:
    assert block_of(code) == who


def test_conflicts_need_a_stated_sex_or_age() -> None:
    assert conflict("N40.0", "female", 60) and conflict("N83.2", "male", None)
    assert conflict("N40.0", "unknown", None) is None and conflict("N40.0", "male", 70) is None
    assert conflict("O26.9", "male", 30) and conflict("O26.9", "female", 75) and conflict("O26.9", "female", 30) is None
    assert conflict("P07.3", "female", 40) and conflict("P07.3", "female", 0.1) is None


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("Patient Information:\nAge: 24 years\nGender: Female\nChief Complaint: petechiae", 24.0, "female"),
        ("A 67-year-old man with chest pain for 8 years.", 67.0, "male"),
        ("Cough for 8 years, worse at night.", None, "unknown"),
        ("35 yo F? She reports pain; her husband says he noticed it.", 35.0, "unknown"),  # both sexes named
        ("Sex: M. Headache.", None, "male"),
    ],
)
def test_demographics_from_text(text: str, age: float | None, sex: str) -> None:
    assert demographics_from_text(text) == (age, sex)


def test_structured_fields_win_over_the_text() -> None:
    record = PatientRecord(id="1", source="t", age=50, sex="male", text="Age: 20. Gender: female.")
    assert with_demographics(record) is record
    filled = with_demographics(PatientRecord(id="2", source="t", sex="male", text="Age: 20 years. Gender: female."))
    assert (filled.age, filled.sex) == (20.0, "male")


def test_the_differential_drops_candidates_the_patient_cannot_have() -> None:
    g = nx.MultiDiGraph()
    prov = {"source": "test", "licence": "CC0"}
    for node, name, kind, xrefs in [
        ("D:bph", "benign prostatic hyperplasia", "disease", ["ICD10CM:N40.0"]),
        ("D:uti", "urinary tract infection", "disease", ["ICD10CM:N39.0"]),
        ("S:freq", "urinary frequency", "symptom", []),
    ]:
        g.add_node(node, name=name, type=kind, synonyms=[], xrefs=xrefs, provenance=[prov])
    g.add_edge("D:bph", "S:freq", relation="has_symptom", weight=None, provenance=prov)
    g.add_edge("D:uti", "S:freq", relation="has_symptom", weight=None, provenance=prov)
    diagnose = Diagnoser(KGScorer(g), EntityLinker(g))
    woman = diagnose(PatientRecord(id="w", source="t", text="Gender: Female. Urinary frequency."))
    man = diagnose(PatientRecord(id="m", source="t", text="Gender: Male. Urinary frequency."))
    assert [c.kg_id for c in woman.differential] == ["D:uti"]
    assert {c.kg_id for c in man.differential} == {"D:bph", "D:uti"}
