"""Entity linking: exact, synonym, case/plural/punctuation insensitive, fuzzy, generic words ignored."""

from __future__ import annotations

import networkx as nx
import pytest

from knowledge.graph import EntityLinker, normalize


@pytest.fixture(scope="module")
def linker() -> EntityLinker:
    g = nx.MultiDiGraph()
    g.add_node("DOID:820", type="disease", name="myocarditis", synonyms=["myocardial inflammation"])
    g.add_node("DOID:5408", type="disease", name="Paget disease of bone", synonyms=["Paget's disease of bone"])
    g.add_node("DOID:9352", type="disease", name="type 2 diabetes mellitus", synonyms=["type II diabetes"])
    g.add_node("SYMP:0000613", type="symptom", name="fever", synonyms=["pyrexia"])
    g.add_node("DOID:4", type="disease", name="disease", synonyms=[])
    g.add_node("ICD10CM:I51.4", type="icd10cm", name="I51.4 Myocarditis, unspecified", synonyms=[])
    g.add_node("ICD10CM:9", type="icd10cm", name="Chapter 9", synonyms=[])
    return EntityLinker(g)


def test_normalize() -> None:
    assert normalize("Crohn's Diseases!") == "crohn s disease"
    assert normalize("Diabetes") == "diabetes"
    assert normalize("Allergies") == "allergy"


def test_exact_and_synonym(linker: EntityLinker) -> None:
    links = linker.link("What are the symptoms of MYOCARDITIS?")
    assert [(e.node_id, e.match) for e in links] == [("DOID:820", "exact")]
    links = linker.link("Is Pagets disease of bone inherited?")  # plural/punctuation-insensitive
    assert links[0].node_id == "DOID:5408"
    syn = linker.link("myocardial inflammation in children")[0]
    assert syn.node_id == "DOID:820" and syn.match == "synonym" and syn.score < 0.95


def test_longest_span_wins(linker: EntityLinker) -> None:
    links = linker.link("living with type II diabetes")
    assert [e.node_id for e in links] == ["DOID:9352"]


def test_fuzzy_fallback_and_generic_words(linker: EntityLinker) -> None:
    links = linker.link("my son has a feverr")
    assert links and links[0].node_id == "SYMP:0000613" and links[0].match == "fuzzy"
    assert linker.link("what is this disease") == []
    assert linker.link("feverr", fuzzy=False) == []


def test_icd_codes_link_but_chapters_do_not(linker: EntityLinker) -> None:
    assert [e.node_id for e in linker.link("code I51.4")] == ["ICD10CM:I51.4"]
    assert linker.link("chapter 9") == []
