"""Real retrievals over a knowledge base built from the public datasets."""

from __future__ import annotations

import pytest

from knowledge.kb import KnowledgeBase
from rag.retrieve import HybridSearcher
from tests.integration.conftest import INTEGRATION_SOURCES, LABEL_SAMPLE, LABELS, MEDQUAD_SAMPLE

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def searcher(real_kb: KnowledgeBase) -> HybridSearcher:
    return HybridSearcher(real_kb)


def test_build_reports_every_source(real_kb: KnowledgeBase) -> None:
    reports = {r.source: r for r in real_kb.manifest.reports}
    assert set(reports) == set(INTEGRATION_SOURCES)
    assert MEDQUAD_SAMPLE <= reports["medquad"].records < MEDQUAD_SAMPLE + 200  # the sample plus the tests' foci
    assert reports["disease_ontology"].records > 12000  # every disease is a node, whatever the definitions
    assert reports["hsdn"].records > 10000
    assert reports["fda_labels"].records == len(LABELS) + LABEL_SAMPLE
    assert real_kb.manifest.counts["merged_nodes"] > 1000  # MedQuAD foci, LabeledIn diseases etc. joined DO ones


def test_myocarditis_links_and_retrieves_its_symptom_facts(searcher: HybridSearcher) -> None:
    result = searcher.search("what are the symptoms of myocarditis", k=10)
    assert result.entities[0].node_id == "DOID:820"
    ids = [d.id for d in result.documents]
    assert "fact:DOID:820:has_symptom" in ids
    # MedQuAD has one myocarditis answer (GARD, "information"): it must be among the passages.
    medquad = [d for d in result.documents if d.metadata["source"] == "medquad"]
    assert medquad and medquad[0].metadata["title"].lower() == "myocarditis"
    facts = next(d for d in result.documents if d.id == "fact:DOID:820:has_symptom")
    assert "HSDN" in facts.page_content or "Disease Ontology" in facts.page_content


def test_myocarditis_merged_across_sources(real_kb: KnowledgeBase) -> None:
    node = real_kb.graph.nodes["DOID:820"]
    assert {p["source"] for p in node["provenance"]} >= {"disease_ontology", "medquad", "ddxplus"}
    codes = [t for _, t, d in real_kb.graph.out_edges("DOID:820", data=True) if d["relation"] == "has_code"]
    assert any(c.startswith("ICD10CM:I") for c in codes)


@pytest.mark.parametrize(
    ("question", "node", "section"),
    [
        ("What are the treatments for Paget's disease of bone?", "DOID:5408", "treatment"),
        ("Is cystic fibrosis inherited?", "DOID:1485", "inheritance"),
        ("How to diagnose cystic fibrosis?", "DOID:1485", "exams and tests"),
        ("What are the symptoms of glaucoma?", "DOID:1686", "symptoms"),
    ],
)
def test_hybrid_finds_the_answering_passage(searcher: HybridSearcher, question: str, node: str, section: str) -> None:
    docs = searcher.search(question, k=5).documents
    # Shared answers are titled by their first focus; what matters is that the passage is about this entity.
    found = [(d.id, d.metadata["section"], d.metadata["entities"]) for d in docs]
    assert any(sec == section and node in entities for _, sec, entities in found), found


@pytest.mark.parametrize(
    ("question", "drug", "section"),
    [
        # The medication guide answers side-effect questions too (`rag.intent`), in the patient's words.
        (
            "I just started warfarin, what side effects should I watch for?",
            "warfarin",
            "Adverse reactions|Medication guide",
        ),
        ("can I take Lipitor with other medicines?", "atorvastatin", "Drug interactions"),
        ("how much ondansetron can a child take for nausea?", "ondansetron", "Dosage and administration"),
    ],
)
def test_drug_questions_find_the_label_section(
    searcher: HybridSearcher, question: str, drug: str, section: str
) -> None:
    """Medication questions, as consumers ask them, reach the FDA label section that answers them (issue 8)."""
    docs = searcher.search(question, k=5).documents
    found = [(d.metadata["source"], d.metadata["title"], d.metadata["section"]) for d in docs]
    sections = section.split("|")
    assert any(src == "fda_labels" and drug in title.lower() and sec in sections for src, title, sec in found), found


def test_kg_mode_returns_only_sourced_facts(searcher: HybridSearcher) -> None:
    docs = searcher.search("symptoms of influenza", k=5, mode="kg").documents
    assert docs and all(d.metadata["kind"] == "fact" and str(d.id).startswith("fact:") for d in docs)
    assert docs[0].metadata["entities"][0] == "DOID:8469"


def test_dense_and_bm25_agree_on_an_easy_question(searcher: HybridSearcher) -> None:
    q = "What causes Abetalipoproteinemia?"
    for mode in ("dense", "bm25"):
        top = searcher.search(q, k=3, mode=mode).documents  # type: ignore[arg-type]
        assert any("abetalipoproteinemia" in d.metadata["title"].lower() for d in top), mode
