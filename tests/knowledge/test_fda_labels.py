"""FDA label loader on hand-written openFDA files: section whitelist, headings, ids, drug nodes, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.errors import SourceNotFoundError
from knowledge.sources import DATA_LOADERS, load_fda_labels
from knowledge.sources.base import SourceBundle
from knowledge.sources.fda_labels import SECTIONS, label_drug, strip_heading
from tests.conftest import TEST_DATA

METFORMIN = "fda_labels:a1b2c3d4-0000-4000-8000-000000000001"
GENTAMICIN = "fda_labels:a1b2c3d4-0000-4000-8000-000000000002"


@pytest.fixture(scope="module")
def bundle() -> SourceBundle:
    return load_fda_labels(TEST_DATA)


def test_registered_as_a_source() -> None:
    assert DATA_LOADERS["fda_labels"] is load_fda_labels


def test_one_document_per_whitelisted_section(bundle: SourceBundle) -> None:
    keys = {d.metadata["section_key"] for d in bundle.docs if d.doc_id.startswith(METFORMIN)}
    # Tables, description, how supplied and the package label are not indexed; 8.2 and 8.6, which openFDA
    # has no key for, are cut out of "use in specific populations" as their own documents.
    assert keys == {
        "boxed_warning",
        "indications_and_usage",
        "dosage_and_administration",
        "contraindications",
        "adverse_reactions",
        "use_in_specific_populations",
        "pregnancy",
        "lactation",
        "pediatric_use",
        "renal_impairment",
    }
    texts = " ".join(d.text for d in bundle.docs)
    assert "<table>" not in texts and "PRINCIPAL DISPLAY PANEL" not in texts and "Bottles of 100" not in texts
    sections = {d.doc_id.rsplit(":", 1)[1]: d.section for d in bundle.docs if d.doc_id.startswith(METFORMIN)}
    assert sections["indications_and_usage"] == "Indications and usage"
    assert sections["renal_impairment"] == "Renal impairment"


def test_headings_are_stripped_and_subsections_not_repeated(bundle: SourceBundle) -> None:
    by_id = {d.doc_id: d for d in bundle.docs}
    assert by_id[f"{METFORMIN}:indications_and_usage"].text.startswith("GLUCOPHAGE is indicated")
    # The list items of one section are joined.
    assert by_id[f"{METFORMIN}:dosage_and_administration"].text == (
        "Start with 500 mg orally twice a day with meals. Increase the dose in steps of 500 mg weekly."
    )
    assert (
        by_id[f"{METFORMIN}:lactation"].text
        == "Risk Summary Published studies report that metformin is present in human milk."
    )
    # What is left of the parent is only what no subsection holds.
    rest = by_id[f"{METFORMIN}:use_in_specific_populations"].text
    assert rest.startswith("8.8 Other Populations") and "Pregnancy" not in rest and "Pediatric" not in rest
    # Old format: PRECAUTIONS loses its subsections; "Pregnancy Category D" is text, not a heading.
    assert by_id[f"{GENTAMICIN}:precautions"].text == (
        "General Prescribing gentamicin in the absence of a proven bacterial infection is unlikely to provide benefit."
    )
    assert by_id[f"{GENTAMICIN}:pregnancy"].text.startswith("Pregnancy Category D Aminoglycosides")
    assert by_id[f"{GENTAMICIN}:information_for_patients"].text.startswith("Patients should be counseled")


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("indications_and_usage", "1 INDICATIONS AND USAGE X is indicated", "X is indicated"),
        ("indications_and_usage", "1. INDICATIONS & USAGE: X is indicated", "X is indicated"),
        ("pediatric_use", "8.4 Pediatric Use Safety has not been established", "Safety has not been established"),
        ("information_for_patients", "17 PATIENT COUNSELING INFORMATION Advise patients", "Advise patients"),
        ("pregnancy", "8.1 Pregnancy Pregnancy Exposure Registry", "Pregnancy Exposure Registry"),
        ("pregnancy", "Pregnancy Category C. Animal studies", "Pregnancy Category C. Animal studies"),
        ("contraindications", "None.", "None."),
    ],
)
def test_strip_heading(key: str, raw: str, expected: str) -> None:
    assert strip_heading(key, raw) == expected


def test_ids_titles_and_provenance_are_stable(bundle: SourceBundle) -> None:
    again = load_fda_labels(TEST_DATA)
    assert [d.doc_id for d in again.docs] == [d.doc_id for d in bundle.docs]
    assert len({d.doc_id for d in bundle.docs}) == len(bundle.docs)
    doc = {d.doc_id: d for d in bundle.docs}[f"{METFORMIN}:boxed_warning"]
    assert doc.title == "Metformin hydrochloride (Glucophage)"
    assert doc.entities == ["DRUG:metformin"]
    assert doc.metadata["brand_names"] == ["Glucophage"] and doc.metadata["pharm_class"] == ["Biguanide [EPC]"]
    prov = doc.provenance
    assert prov.source == "fda_labels" and prov.licence == "CC0 1.0 (openFDA)"
    assert prov.url == "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=a1b2c3d4-0000-4000-8000-000000000001"
    assert prov.file == "en/fda_labels/NDA020357.json"
    # A brand that restates the generic name is no brand; a label without a set id is named by its application.
    titles = {d.doc_id: d.title for d in bundle.docs}
    assert titles[f"{GENTAMICIN}:warnings"] == "Gentamicin sulfate"
    assert titles["fda_labels:NDA019872:warnings"] == "Acetaminophen (Tylenol)"


def test_bad_files_are_counted_not_fatal(bundle: SourceBundle) -> None:
    report = bundle.report
    assert report.records == 4
    assert report.malformed == 3 and report.skipped == 1
    reasons = {p.file: p.reason for p in report.problems}
    assert reasons["NDA000001.json"].startswith("invalid JSON")
    assert "no label" in reasons["NDA000002.json"]
    assert "empty file" in reasons["NDA000003.json"]
    assert "not an openFDA label file" in reasons["timestamp.json"]


def test_drug_nodes_carry_names_and_ids_without_edges(bundle: SourceBundle) -> None:
    nodes = {n.node_id: n for n in bundle.nodes}
    assert set(nodes) == {"DRUG:metformin", "DRUG:gentamicin", "DRUG:acetaminophen"}
    metformin = nodes["DRUG:metformin"]  # two labels, one node
    assert metformin.type == "drug" and metformin.name == "Metformin"
    assert set(metformin.synonyms) == {"Metformin hydrochloride", "Glucophage", "Glumetza"}
    assert metformin.xrefs == ["RXNORM:860975", "RXNORM:861004", "UNII:786Z46389E"]
    assert nodes["DRUG:gentamicin"].synonyms == ["Gentamicin sulfate"]
    assert bundle.edges == []  # openFDA states indications only in prose


def test_label_drug_uses_the_substance_when_the_generic_is_a_brand() -> None:
    drug = label_drug({"generic_name": ["PURIXAN"], "brand_name": ["PURIXAN"], "substance_name": ["MERCAPTOPURINE"]})
    assert drug is not None and drug.generic == "Mercaptopurine" and drug.brands == ["Purixan"]
    combo = label_drug(
        {
            "generic_name": ["SULFAMETHOXAZOLE AND TRIMETHOPRIM"],
            "brand_name": ["Bactrim"],
            "substance_name": ["SULFAMETHOXAZOLE", "TRIMETHOPRIM"],
            "unii": ["JE42381TNV", "AN164J8Y0X"],
            "rxcui": ["198335"],
        }
    )
    assert combo is not None and combo.generic == "Sulfamethoxazole and trimethoprim" and combo.brands == ["Bactrim"]
    # Ingredients are not names of the combination, nor are their ids.
    assert combo.substances == [] and combo.xrefs == ["RXNORM:198335"]
    assert label_drug({"brand_name": ["X"]}) is None


def test_every_section_has_a_human_name() -> None:
    assert all(s.name and s.name[0].isupper() and s.headings for s in SECTIONS.values())
    assert not any(key.endswith("_table") for key in SECTIONS)


def test_missing_folder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="CLINICALGPT_DATA_DIR"):
        load_fda_labels(tmp_path)
    (tmp_path / "en" / "fda_labels").mkdir(parents=True)
    with pytest.raises(SourceNotFoundError, match="no \\*.json label files"):
        load_fda_labels(tmp_path)


def test_a_section_that_is_not_text_is_counted_and_the_rest_kept(tmp_path: Path) -> None:
    folder = tmp_path / "en" / "fda_labels"
    folder.mkdir(parents=True)
    label = {
        "set_id": "s-1",
        "openfda": {"generic_name": ["IBUPROFEN"], "brand_name": ["ADVIL"]},
        "contraindications": [{"not": "text"}],
        "indications_and_usage": ["INDICATIONS AND USAGE For minor aches and pains."],
        # Only headings are left once the subsections are cut out: no document for the parent.
        "use_in_specific_populations": ["8 USE IN SPECIFIC POPULATIONS 8.1 Pregnancy Avoid late in pregnancy."],
        "pregnancy": ["8.1 Pregnancy Avoid late in pregnancy."],
    }
    (folder / "NDA1.json").write_text(json.dumps({"meta": {}, "results": [label]}), encoding="utf-8")
    bundle = load_fda_labels(tmp_path)
    assert [d.doc_id for d in bundle.docs] == ["fda_labels:s-1:indications_and_usage", "fda_labels:s-1:pregnancy"]
    assert bundle.report.records == 1 and bundle.report.malformed == 1
    assert "`contraindications` is not a list of text" in bundle.report.problems[0].reason
