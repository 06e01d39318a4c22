"""Knowledge graph: cross-source merging, provenance, snapshots, facts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import networkx as nx
import pytest

from knowledge.errors import IndexCorruptError
from knowledge.graph import build_graph, load_graph, node_facts, save_graph
from knowledge.sources import DATA_LOADERS, load_icd10cm
from tests.conftest import TINY_SOURCES


@pytest.fixture(scope="module")
def graph(test_data: Path = Path(__file__).parents[1] / "data") -> nx.MultiDiGraph:
    bundles = [DATA_LOADERS[name](test_data) for name in TINY_SOURCES if name != "icd10cm"]
    codes = {e.tail for b in bundles for e in b.edges if e.relation == "has_code"}
    bundles.append(load_icd10cm(codes))
    g, _ = build_graph(bundles)
    return g


def test_sources_merge_into_one_entity(graph: nx.MultiDiGraph) -> None:
    # MedQuAD "Myocarditis" (UMLS CUI), DDXPlus "Myocarditis" (name) → DOID:820.
    assert "MEDQUAD:myocarditis" not in graph and "DDXPLUS:Myocarditis" not in graph
    sources = {p["source"] for p in graph.nodes["DOID:820"]["provenance"]}
    assert sources == {"disease_ontology", "medquad", "ddxplus"}
    # ChatDoctor "Influenza" and DDXPlus "Influenza" join DOID:8469; "flu" stays a synonym.
    flu = graph.nodes["DOID:8469"]
    assert {p["source"] for p in flu["provenance"]} >= {"disease_ontology", "chatdoctor", "ddxplus"}
    assert "flu" in flu["synonyms"]
    # HSDN's MeSH "Fever" and ChatDoctor's "Fever" merge into the Symptom Ontology's fever.
    assert "MESH:D005334" not in graph
    symptom_sources = {
        d["provenance"]["source"] for _, t, d in graph.out_edges("DOID:8469", data=True) if t == "SYMP:0000613"
    }
    assert symptom_sources == {"disease_ontology", "hsdn", "chatdoctor"}


def test_codes_are_separate_nodes_with_typed_edges(graph: nx.MultiDiGraph) -> None:
    relations = {(t, d["relation"]) for _, t, d in graph.out_edges("DOID:820", data=True)}
    assert ("ICD10CM:I51.4", "has_code") in relations
    assert ("DOID:114", "is_a") in relations
    assert graph.nodes["ICD10CM:I51.4"]["type"] == "icd10cm"
    weights = [
        d["weight"]
        for _, t, d in graph.out_edges("DOID:820", data=True)
        if d["relation"] == "has_symptom" and d["provenance"]["source"] == "hsdn"
    ]
    assert weights == [25.5]


def test_snapshot_roundtrip_and_tamper_detection(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "graph.json.gz"
    digest = save_graph(graph, path)
    loaded, digest2 = load_graph(path, verify=True)
    assert digest == digest2
    assert nx.utils.edges_equal(sorted(graph.edges(keys=True)), sorted(loaded.edges(keys=True)))
    assert dict(loaded.nodes(data=True)) == dict(graph.nodes(data=True))
    with gzip.open(path, "rt") as fh:
        payload = json.load(fh)
    payload["nodes"][0]["name"] = "tampered"
    with gzip.open(path, "wt") as fh:
        json.dump(payload, fh)
    with pytest.raises(IndexCorruptError, match="content hash mismatch"):
        load_graph(path, verify=True)


def test_snapshot_is_stable_across_builds(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    assert save_graph(graph, tmp_path / "a.json.gz") == save_graph(graph.copy(), tmp_path / "b.json.gz")


def test_facts_are_citable_and_sourced(graph: nx.MultiDiGraph) -> None:
    facts = {c.chunk_id: c for c in node_facts(graph, "DOID:8469")}
    assert {"fact:DOID:8469:about", "fact:DOID:8469:has_symptom", "fact:DOID:8469:treated_with"} <= set(facts)
    symptoms = facts["fact:DOID:8469:has_symptom"]
    assert symptoms.kind == "fact" and symptoms.entities == ["DOID:8469"]
    # fever is backed by three sources, so it is listed first, with its sources named.
    assert symptoms.text.startswith("Symptoms and signs of influenza: fever [ChatDoctor, Disease Ontology, HSDN]")
    assert "ICD-10-CM: J11.1" in facts["fact:DOID:8469:about"].text


def test_a_fact_links_to_the_resource_that_states_it(graph: nx.MultiDiGraph) -> None:
    """Issue 8: facts from the ChatDoctor table carried another source's page (the node's first) as their link."""
    facts = {c.section: c for c in node_facts(graph, "DOID:8469")}
    assert graph.nodes["DOID:8469"]["provenance"][0]["url"] == "https://example.org/flu"  # MedQuAD's page
    assert facts["treated_with"].url == "https://github.com/Kent0n-Li/ChatDoctor"
    assert facts["has_evidence"].url == "https://doi.org/10.48550/arXiv.2205.09148"  # DDXPlus
    assert facts["about"].url == "https://disease-ontology.org/?id=DOID:8469"
