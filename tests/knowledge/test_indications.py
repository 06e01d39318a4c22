"""Indication loader (PharmacotherapyDB + LabeledIn): edges, provenance, merges into DO, rendered facts."""

from __future__ import annotations

import networkx as nx
import pytest

from knowledge.graph import build_graph, node_facts, render_facts
from knowledge.sources import DATA_LOADERS, load_disease_ontology, load_fda_labels, load_indications
from knowledge.sources.base import SourceBundle
from knowledge.sources.indications import LABELEDIN_URL, PHARMACOTHERAPYDB_URL, uninvert
from tests.conftest import TEST_DATA


@pytest.fixture(scope="module")
def bundle() -> SourceBundle:
    return load_indications(TEST_DATA)


@pytest.fixture(scope="module")
def graph() -> tuple[nx.MultiDiGraph, dict[str, str]]:
    bundles = [load_disease_ontology(TEST_DATA), load_fda_labels(TEST_DATA), load_indications(TEST_DATA)]
    return build_graph(bundles)


def test_registered_as_a_source() -> None:
    assert DATA_LOADERS["indications"] is load_indications


def test_edges_keep_category_and_provenance(bundle: SourceBundle) -> None:
    edges = {(e.head, e.relation, e.tail): e for e in bundle.edges}
    dm = edges[("DOID:8469", "treated_with", "DRUG:oseltamivir")]
    sym = edges[("DOID:8469", "treated_with", "DRUG:acetaminophen")]
    assert (dm.weight, sym.weight) == (1.0, 0.5)
    assert dm.provenance.source == "indications" and dm.provenance.native_id == "DOID:8469|DB00198"
    assert dm.provenance.url == PHARMACOTHERAPYDB_URL and dm.provenance.licence == "CC0 1.0"
    assert dm.provenance.file == "en/indications/catalog/indications.tsv"
    # NOT is a non-indication: its own relation, never `treated_with`.
    assert ("DOID:2841", "not_indicated", "DRUG:propranolol") in edges
    assert ("DOID:2841", "treated_with", "DRUG:propranolol") not in edges
    labeled = edges[("LABELEDIN:C0011860", "treated_with", "DRUG:metformin")]
    assert labeled.weight is None and labeled.provenance.url == LABELEDIN_URL
    assert labeled.provenance.native_id == "6809|C0011860" and labeled.provenance.licence == "Public domain (NLM)"


def test_nodes_and_bad_rows(bundle: SourceBundle) -> None:
    nodes = {n.node_id: n for n in bundle.nodes}
    disease = nodes["LABELEDIN:C0011860"]
    assert (disease.type, disease.name, disease.synonyms) == (
        "disease",
        "Type 2 Diabetes Mellitus",
        ["Diabetes Mellitus, Type 2"],
    )
    assert disease.xrefs == ["UMLS:C0011860"]
    # One drug node per drug, with the ids of both resources.
    assert nodes["DRUG:acetaminophen"].xrefs == ["DRUGBANK:DB00316", "RXNORM:161"]
    assert not any(n.node_id.startswith("DOID:") for n in bundle.nodes)  # DO owns its diseases
    assert bundle.report.records == 8 and bundle.report.malformed == 4
    problems = {(p.file, p.line): p.reason for p in bundle.report.problems}
    # Both resources name their file indications.tsv: problems say which one.
    assert "MAYBE" in problems[("indications/catalog/indications.tsv", 7)]
    assert "not a DOID" in problems[("indications/catalog/indications.tsv", 8)]
    assert problems[("indications/catalog/indications.tsv", 9)] == "no drug, category; the pair is left out"
    assert "not a UMLS CUI" in problems[("indications/labeledin/data/indications.tsv", 5)]


def test_uninvert() -> None:
    assert uninvert("Arthritis, Rheumatoid") == "Rheumatoid Arthritis"
    assert uninvert("Asthma") == "Asthma"
    assert uninvert("Carcinoma, Non-Small-Cell, Lung") == "Carcinoma, Non-Small-Cell, Lung"


def test_labeledin_diseases_merge_into_disease_ontology(graph: tuple[nx.MultiDiGraph, dict[str, str]]) -> None:
    g, alias = graph
    assert alias["LABELEDIN:C0021400"] == "DOID:8469"  # by the UMLS CUI
    assert alias["LABELEDIN:C0004096"] == "DOID:2841"  # by the name
    assert "LABELEDIN:C0011860" in g  # no DO term for it in the fixture: it stays a disease of its own
    assert g.has_edge("DOID:2841", "DRUG:albuterol")


def test_rendered_facts_for_diseases_and_drugs(graph: tuple[nx.MultiDiGraph, dict[str, str]]) -> None:
    g, _ = graph
    facts = {c.chunk_id: c for c in node_facts(g, "DOID:8469")}
    treated = facts["fact:DOID:8469:treated_with"]
    # Disease-modifying first, each with the resource and category that state it.
    assert treated.text == (
        "Medications used for influenza: Oseltamivir [PharmacotherapyDB: disease-modifying]; "
        "Acetaminophen [PharmacotherapyDB: symptomatic]."
    )
    assert treated.licence == "CC0 1.0"
    negative = {c.chunk_id: c for c in node_facts(g, "DOID:2841")}["fact:DOID:2841:not_indicated"]
    assert "NOT to treat it" in negative.text and "Propranolol [PharmacotherapyDB]" in negative.text
    drug = {c.chunk_id: c for c in node_facts(g, "DRUG:metformin")}
    assert drug["fact:DRUG:metformin:about"].text.startswith(
        "Metformin (DRUG:metformin, drug). Also known as: Glucophage"
    )
    used_for = drug["fact:DRUG:metformin:used_for"]
    assert used_for.text == "Conditions Metformin is used for: Type 2 Diabetes Mellitus [LabeledIn]."
    assert used_for.entities == ["DRUG:metformin"] and used_for.licence == "Public domain (NLM)"
    propranolol = {c.section for c in node_facts(g, "DRUG:propranolol")}
    assert propranolol == {"not_indicated_for"}
    rendered = {c.chunk_id for c in render_facts(g)}
    assert {"fact:DRUG:metformin:used_for", "fact:DOID:8469:treated_with"} <= rendered
    assert not any(c.startswith("fact:DRUG:") for c in {c.chunk_id for c in render_facts(g, types=("disease",))})


def test_label_drugs_join_indications(graph: tuple[nx.MultiDiGraph, dict[str, str]]) -> None:
    g, _ = graph
    label_drugs = {n for n, a in g.nodes(data=True) if any(p["source"] == "fda_labels" for p in a["provenance"])}
    indicated = {t for _, t, d in g.edges(data=True) if d["relation"] == "treated_with"}
    assert label_drugs & indicated == {"DRUG:acetaminophen", "DRUG:metformin"}
