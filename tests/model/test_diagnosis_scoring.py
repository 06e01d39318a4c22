"""Findings (with negation) and the IDF-weighted differential, on a small hand-built graph."""

from __future__ import annotations

import networkx as nx
import pytest

from knowledge.graph.link import EntityLinker
from model.diagnosis.diagnose import KG_MODEL, Diagnoser
from model.diagnosis.findings import clauses, extract_findings
from model.diagnosis.records import PatientRecord
from model.diagnosis.scoring import KGScorer

PROV = {"source": "test", "licence": "CC0"}


def _graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for node, name, kind, xrefs in [
        ("D:flu", "influenza", "disease", ["ICD10CM:J11"]),
        ("D:mening", "meningitis", "disease", ["ICD10CM:G03.9"]),
        ("D:cold", "common cold", "disease", []),
        ("S:fever", "fever", "symptom", []),
        ("S:cough", "cough", "symptom", []),
        ("S:neck", "neck stiffness", "symptom", []),
        ("S:rash", "rash", "symptom", []),
        ("DDXPLUS:E_1", "Do you have a fever?", "evidence", []),
    ]:
        g.add_node(node, name=name, type=kind, synonyms=[], xrefs=xrefs, provenance=[PROV])
    for disease, finding, weight in [
        ("D:flu", "S:fever", 5.0),
        ("D:flu", "S:cough", 4.0),
        ("D:mening", "S:fever", 2.0),
        ("D:mening", "S:neck", 6.0),
        ("D:mening", "S:rash", 1.0),
        ("D:cold", "S:cough", None),
        ("D:cold", "DDXPLUS:E_1", None),
    ]:
        relation = "has_evidence" if finding.startswith("DDXPLUS") else "has_symptom"
        g.add_edge(disease, finding, relation=relation, weight=weight, provenance=PROV)
    return g


@pytest.fixture(scope="module")
def diagnoser() -> Diagnoser:
    graph = _graph()
    return Diagnoser(KGScorer(graph), EntityLinker(graph))


def test_clauses_split_at_but_and_punctuation() -> None:
    assert clauses("No fever but a cough; neck is stiff.") == ["No fever", "a cough", "neck is stiff"]


def test_negated_uncertain_and_family_findings(diagnoser: Diagnoser) -> None:
    record = PatientRecord(
        id="1", source="t", text="Cough for 3 days but no fever. Rule out neck stiffness. Mother had a rash."
    )
    found = extract_findings(record, diagnoser.linker)
    assert found.present == {"S:cough"} and found.absent == {"S:fever"}  # neck: uncertain; rash: family


def test_scores_rank_the_fuller_match_and_explain_it(diagnoser: Diagnoser) -> None:
    ranked = diagnoser.scorer.rank({"S:fever", "S:neck"})
    assert [c.kg_id for c in ranked][:2] == ["D:mening", "D:flu"]
    top = ranked[0]
    assert {e.finding for e in top.supporting} == {"fever", "neck stiffness"} and top.icd10 == "G03.9"
    assert top.citations == ["fact:D:mening:has_symptom"]
    # An absent finding of a disease counts against it.
    with_absent = diagnoser.scorer.rank({"S:fever"}, {"S:cough"})
    flu = next(c for c in with_absent if c.kg_id == "D:flu")
    assert [e.finding for e in flu.against] == ["cough"]
    assert flu.score < next(c for c in diagnoser.scorer.rank({"S:fever"}) if c.kg_id == "D:flu").score


def test_rare_findings_weigh_more_than_shared_ones(diagnoser: Diagnoser) -> None:
    idf = diagnoser.scorer.idf
    assert idf["S:neck"] > idf["S:fever"]  # fever is shared by two diseases, neck stiffness by one


def test_rows_ok_no_findings_and_ddxplus_codes(diagnoser: Diagnoser) -> None:
    ok = diagnoser(PatientRecord(id="a", source="t", findings=["fever", "neck stiffness"]))
    assert ok.status == "ok" and ok.differential[0].name == "meningitis" and ok.model == KG_MODEL
    none = diagnoser(PatientRecord(id="b", source="t", text="Feels tired of paperwork."))
    assert none.status == "no_findings" and "no finding" in (none.message or "")
    coded = diagnoser(PatientRecord(id="c", source="t", evidence_codes=["E_1"]))
    assert coded.differential[0].kg_id == "D:cold"
    flagged = diagnoser(PatientRecord(id="d", source="t", text="Fever and a stiff neck, light hurts her eyes"))
    assert "meningitis" in flagged.red_flags


def test_negation_reaches_forward_to_the_end_of_the_clause(diagnoser: Diagnoser) -> None:
    listed = PatientRecord(id="2", source="t", text="Cough and fever, no neck stiffness or rash")
    found = extract_findings(listed, diagnoser.linker)
    assert found.present == {"S:cough", "S:fever"} and found.absent == {"S:neck", "S:rash"}
    breaker = PatientRecord(id="3", source="t", text="Denies rash, reports fever")
    found = extract_findings(breaker, diagnoser.linker)
    assert found.present == {"S:fever"} and found.absent == {"S:rash"}


def test_examination_markers_negate_the_segment_they_close(diagnoser: Diagnoser) -> None:
    record = PatientRecord(id="4", source="t", text="Cough, neck stiffness (-), rash negative, fever (+)")
    found = extract_findings(record, diagnoser.linker)
    assert found.present == {"S:cough", "S:fever"} and found.absent == {"S:neck", "S:rash"}


def test_diseases_the_record_names_come_first_unless_negated_past_or_family(diagnoser: Diagnoser) -> None:
    record = PatientRecord(
        id="5",
        source="t",
        chief_complaint="Common cold for 3 days",
        text="Fever and neck stiffness. Suspected influenza. History of meningitis. No meningitis now.",
    )
    found = extract_findings(record, diagnoser.linker)
    assert found.named == ["D:cold", "D:flu"]  # meningitis: a past illness, and negated now
    ranked = diagnoser(record).differential
    assert [c.kg_id for c in ranked] == ["D:cold", "D:flu", "D:mening"]  # the scored one follows
    assert ranked[0].supporting[0].finding == "named in the record" and ranked[0].supporting[0].source == "record"
    family = PatientRecord(id="6", source="t", text="Father had influenza. Cough.")
    assert extract_findings(family, diagnoser.linker).named == []
    only_named = diagnoser(PatientRecord(id="7", source="t", text="Influenza."))
    assert only_named.status == "ok" and [c.kg_id for c in only_named.differential] == ["D:flu"]
