"""Canonical drug identity, the drug lexicon, and drugs merged across FDA labels and indications."""

from __future__ import annotations

import networkx as nx
import pytest

from knowledge.graph import EntityLinker, build_graph
from knowledge.graph.drugs import DrugLexicon, drug_key, drug_node_id, moiety_name, readable
from knowledge.sources import load_disease_ontology, load_fda_labels, load_indications
from tests.conftest import TEST_DATA


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("METFORMIN HYDROCHLORIDE", "metformin"),
        ("Metformin HCl", "metformin"),
        ("metformin", "metformin"),
        ("Atorvastatin Calcium Trihydrate", "atorvastatin"),
        ("Estradiol valerate", "estradiol"),
        ("Cabozantinib S-malate", "cabozantinib"),
        ("Bupivacaine Hydrochloride in Dextrose", "bupivacaine"),
        ("Cemiplimab-rwlc", "cemiplimab"),  # the FDA's four-letter biologic suffix
        ("Peginterferon alfa-2b", "peginterferon alfa 2b"),
        # A name made only of salt words keeps them: potassium chloride is the drug.
        ("Potassium Chloride", "potassium chloride"),
        ("Lithium carbonate", "lithium"),
        # Combinations: any separator, any order.
        ("SULFAMETHOXAZOLE AND TRIMETHOPRIM", "sulfamethoxazole+trimethoprim"),
        ("Trimethoprim/Sulfamethoxazole", "sulfamethoxazole+trimethoprim"),
        ("ACETAMINOPHEN, CAFFEINE, DIHYDROCODEINE BITARTRATE", "acetaminophen+caffeine+dihydrocodeine"),
        ("Sofosbuvir, Velpatasvir, and Voxilaprevir", "sofosbuvir+velpatasvir+voxilaprevir"),
        ("sennosides, USP", "sennosides"),
        # International names meet the US names the labels use.
        ("Paracetamol", "acetaminophen"),
        ("Acetylsalicylic acid", "aspirin"),
    ],
)
def test_drug_key(name: str, key: str) -> None:
    assert drug_key(name) == key
    assert drug_node_id(name) == f"DRUG:{key}"


def test_drug_key_refuses_a_name_without_a_drug() -> None:
    for name in ("", " ,/ ", "USP"):
        with pytest.raises(ValueError, match="names no drug"):
            drug_key(name)


def test_readable_and_moiety_names() -> None:
    assert readable("GENTAMICIN SULFATE") == "Gentamicin sulfate"
    assert readable("Vitamin E") == "Vitamin E"  # only all-capitals names are recased
    assert moiety_name("GENTAMICIN SULFATE") == "Gentamicin"
    assert moiety_name("Sulfamethoxazole and Trimethoprim") == "Sulfamethoxazole and Trimethoprim"
    assert moiety_name("DEXTROMETHORPHAN HYDROBROMIDE, BUPROPION HYDROCHLORIDE") == "Dextromethorphan, bupropion"
    assert moiety_name("Potassium Chloride") == "Potassium Chloride"


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    bundles = [load_disease_ontology(TEST_DATA), load_fda_labels(TEST_DATA), load_indications(TEST_DATA)]
    return build_graph(bundles)[0]


@pytest.fixture(scope="module")
def lexicon(graph: nx.MultiDiGraph) -> DrugLexicon:
    return DrugLexicon.from_graph(graph)


def test_the_same_drug_from_both_sources_is_one_node(graph: nx.MultiDiGraph) -> None:
    drugs = sorted(n for n, a in graph.nodes(data=True) if a["type"] == "drug")
    assert drugs == [
        "DRUG:acetaminophen",
        "DRUG:albuterol",
        "DRUG:gentamicin",
        "DRUG:metformin",
        "DRUG:oseltamivir",
        "DRUG:propranolol",
    ]
    metformin = graph.nodes["DRUG:metformin"]
    assert metformin["name"] == "Metformin"
    assert {"Glucophage", "Glumetza", "Metformin hydrochloride"} <= set(metformin["synonyms"])
    assert {"RXNORM:861004", "UNII:786Z46389E", "DRUGBANK:DB00331", "RXNORM:6809"} <= set(metformin["xrefs"])
    assert {p["source"] for p in metformin["provenance"]} == {"fda_labels", "indications"}


def test_lexicon_maps_brands_salts_and_misspellings_to_the_generic(lexicon: DrugLexicon) -> None:
    assert len(lexicon) == 6 and "DRUG:metformin" in lexicon
    assert lexicon.generic("Glucophage") == "Metformin"
    assert lexicon.generic("TYLENOL") == "Acetaminophen"  # a brand a label states
    exact = lexicon.lookup("metformin")
    assert exact is not None and exact.match == "name" and exact.score == 1.0
    brand = lexicon.lookup("glumetza")
    assert brand is not None and (brand.node_id, brand.match) == ("DRUG:metformin", "synonym")
    salt = lexicon.lookup("metformin hcl")  # no source spells it so: found through the canonical key
    assert salt is not None and (salt.node_id, salt.match) == ("DRUG:metformin", "key")
    typo = lexicon.lookup("metforman")
    assert typo is not None and (typo.node_id, typo.match) == ("DRUG:metformin", "fuzzy") and typo.score < 1.0
    assert lexicon.lookup("tylenl") is not None
    assert lexicon.lookup("metforman", fuzzy=False) is None
    assert lexicon.lookup("aspirin") is None and lexicon.lookup("") is None
    assert lexicon.lookup("xyz") is None  # too short to guess at
    assert lexicon.names("DRUG:metformin")[0] == "Metformin"
    assert "Glucophage" in lexicon.names("DRUG:metformin") and lexicon.names("DRUG:none") == []


def test_lexicon_from_records_matches_the_graph(lexicon: DrugLexicon) -> None:
    records = [*load_fda_labels(TEST_DATA).nodes, *load_indications(TEST_DATA).nodes]
    from_records = DrugLexicon.from_records(records)
    assert len(from_records) == len(lexicon)
    assert from_records.generic("Glucophage") == "Metformin"


def test_entity_linker_finds_drugs_by_brand(graph: nx.MultiDiGraph) -> None:
    linker = EntityLinker(graph)
    glucophage = linker.link("Can I take Glucophage with food?")
    assert glucophage and glucophage[0].node_id == "DRUG:metformin" and glucophage[0].match == "synonym"
    tylenol = linker.link("how much tylenol is too much")
    assert tylenol and tylenol[0].node_id == "DRUG:acetaminophen"
    salt = linker.link("metformin hydrochloride side effects")
    assert salt[0].node_id == "DRUG:metformin"


def test_lexicon_prefers_canonical_drug_nodes() -> None:
    g = nx.MultiDiGraph()
    g.add_node("CHATDOCTOR_DRUG:metformin", type="drug", name="Metformin", synonyms=[])
    g.add_node("DRUG:metformin", type="drug", name="Metformin", synonyms=["Glucophage"])
    g.add_node("DOID:9352", type="disease", name="type 2 diabetes mellitus", synonyms=[])
    lexicon = DrugLexicon.from_graph(g)
    assert len(lexicon) == 2 and "DOID:9352" not in lexicon
    match = lexicon.lookup("METFORMIN")
    assert match is not None and match.node_id == "DRUG:metformin"
