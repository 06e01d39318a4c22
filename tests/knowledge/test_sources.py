"""Loaders on hand-written fixtures: records, provenance, malformed-record accounting, missing files."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from knowledge.errors import SourceNotFoundError, UnknownSourceError
from knowledge.sources import (
    check_sources,
    load_chatdoctor,
    load_ddxplus,
    load_disease_ontology,
    load_hsdn,
    load_icd10cm,
    load_medquad,
    load_symptom_ontology,
    load_user_docs,
)


def test_medquad_dedupes_answers_and_reports_bad_lines(test_data: Path) -> None:
    bundle = load_medquad(test_data)
    by_id = {d.doc_id: d for d in bundle.docs}
    # The two flu questions share one answer: indexed once, both qids kept.
    assert by_id["medquad:T2-1"].metadata["qids"] == ["T2-1", "T2-2", "T5-1"]
    assert "medquad:T2-2" not in by_id
    # A shared answer is about every focus that uses it.
    assert by_id["medquad:T2-1"].entities == ["MEDQUAD:influenza", "MEDQUAD:asthma"]
    doc = by_id["medquad:T1-2"]
    assert doc.title == "Myocarditis" and doc.section == "symptoms"
    assert doc.provenance.url == "https://example.org/myocarditis" and doc.provenance.licence == "CC BY 4.0"
    assert doc.entities == ["MEDQUAD:myocarditis"]
    assert bundle.report.records == 6
    assert bundle.report.malformed == 2
    lines = sorted(p.line for p in bundle.report.problems)
    assert lines == [6, 7]
    assert all(p.file == "medquad_answered.jsonl" for p in bundle.report.problems)
    focus = {n.node_id: n for n in bundle.nodes}["MEDQUAD:myocarditis"]
    assert focus.xrefs == ["UMLS:C0027059"] and focus.type == "disease"


def test_medquad_raw_xml_matches_jsonl_rows(tmp_path: Path) -> None:
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000051" source="NIHSeniorHealth" url="http://example.org/paget">
<Focus>Paget's Disease of Bone</Focus>
<FocusAnnotations><UMLS><CUIs><CUI>C0029401</CUI></CUIs><SemanticTypes><SemanticType>T047</SemanticType>
</SemanticTypes></UMLS></FocusAnnotations>
<QAPairs>
<QAPair pid="1"><Question qid="0000051-1" qtype="information">What is (are) Paget's Disease of Bone ?</Question>
<Answer>Paget&apos;s disease of bone makes bones  enlarged and misshapen.</Answer></QAPair>
<QAPair pid="2"><Question qid="0000051-2" qtype="symptoms">What are the symptoms of Paget's Disease ?</Question>
<Answer></Answer></QAPair>
</QAPairs></Document>"""
    folder = tmp_path / "en" / "medquad"
    folder.mkdir(parents=True)
    with tarfile.open(folder / "medquad_raw_xml.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("MedQuAD-abc/7_SeniorHealth_QA/0000051.xml")
        info.size = len(xml)
        tar.addfile(info, io.BytesIO(xml))
    bundle = load_medquad(tmp_path)  # no JSONL export: `auto` falls back to the raw XML
    assert [d.doc_id for d in bundle.docs] == ["medquad:0000051-1"]
    doc = bundle.docs[0]
    assert doc.text == "Paget's disease of bone makes bones enlarged and misshapen."
    assert doc.metadata["collection"] == "7_SeniorHealth_QA"
    assert bundle.nodes[0].xrefs == ["UMLS:C0029401"]


def test_disease_ontology_reads_hierarchy_xrefs_synonyms(test_data: Path) -> None:
    bundle = load_disease_ontology(test_data)
    nodes = {n.node_id: n for n in bundle.nodes}
    assert set(nodes) == {"DOID:4", "DOID:114", "DOID:820", "DOID:8469", "DOID:2841"}
    assert "flu" in nodes["DOID:8469"].synonyms
    assert {"UMLS:C0027059", "ICD10CM:I51.4", "DOID:9999"} <= set(nodes["DOID:820"].xrefs)
    edges = {(e.head, e.relation, e.tail) for e in bundle.edges}
    assert ("DOID:820", "is_a", "DOID:114") in edges
    assert ("DOID:820", "has_code", "ICD10CM:I51.4") in edges
    assert ("DOID:8469", "has_symptom", "SYMP:0000613") in edges
    reasons = [p.reason for p in bundle.report.problems]
    assert any("BAD:1" in r for r in reasons)
    assert any("DOID:999999" in r for r in reasons)
    assert any(p.reason == "OBO term without id or name" for p in bundle.report.problems)
    assert {d.doc_id for d in bundle.docs} == {"do:DOID:820", "do:DOID:8469", "do:DOID:2841"}


def test_disease_ontology_without_the_derived_definitions_uses_the_facets_report(
    test_data: Path, tmp_path: Path
) -> None:
    """Issue 8: `kb download` cannot fetch the derived `do_definitions.tsv`, and the build then failed."""
    import csv
    import gzip
    import shutil

    folder = tmp_path / "en" / "disease_ontology"
    shutil.copytree(test_data / "en" / "disease_ontology", folder)
    with (folder / "do_definitions.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    (folder / "do_definitions.tsv").unlink()
    with gzip.open(folder / "facets.tsv.gz", "wt", encoding="utf-8") as fh:
        fh.write("?id\t?name\t?definition\t?facet\n")
        for doid, name, definition in rows:  # the report repeats a disease once per facet, values quoted
            for facet in ("anatomy", "cell"):
                fh.write(f'"{doid}"\t"{name}"\t"{definition}"\t"{facet}"\n')
        fh.write('"DOID:820"\n')  # a short row is counted, not fatal

    bundle = load_disease_ontology(tmp_path)
    original = load_disease_ontology(test_data)
    assert {d.doc_id: d.text for d in bundle.docs} == {d.doc_id: d.text for d in original.docs}
    assert any(p.file == "facets.tsv.gz" and "3 tab-separated" in p.reason for p in bundle.report.problems)
    assert str(folder / "facets.tsv.gz") in bundle.report.files


def test_symptom_ontology(test_data: Path) -> None:
    bundle = load_symptom_ontology(test_data)
    fever = {n.node_id: n for n in bundle.nodes}["SYMP:0000613"]
    assert fever.synonyms == ["pyrexia"] and fever.xrefs == ["UMLS:C0015967"]
    assert fever.definition and fever.definition.startswith("A symptom characterized")


def test_hsdn_weights_and_bad_number(test_data: Path) -> None:
    bundle = load_hsdn(test_data)
    weights = {(e.head, e.tail): e.weight for e in bundle.edges}
    assert weights == {("DOID:820", "MESH:D002637"): 25.5, ("DOID:8469", "MESH:D005334"): 50.1}
    assert bundle.report.malformed == 1 and bundle.report.problems[0].line == 4


def test_ddxplus_conditions_codes_and_evidence(test_data: Path) -> None:
    bundle = load_ddxplus(test_data)
    nodes = {n.node_id: n for n in bundle.nodes}
    assert nodes["DDXPLUS:Influenza"].xrefs == ["ICD10CM:J11.1"]  # lower-case code normalised
    edges = {(e.head, e.relation, e.tail) for e in bundle.edges}
    assert ("DDXPLUS:Myocarditis", "has_risk_factor", "DDXPLUS:E_3") in edges
    reasons = " ".join(p.reason for p in bundle.report.problems)
    assert "E_4: missing question_en" in reasons and "unknown evidence E_404" in reasons


def test_chatdoctor_table(test_data: Path) -> None:
    bundle = load_chatdoctor(test_data)
    edges = {(e.head, e.relation, e.tail) for e in bundle.edges}
    assert ("CHATDOCTOR:asthma", "treated_with", "DRUG:albuterol") in edges
    assert ("CHATDOCTOR:influenza", "has_test", "CHATDOCTOR_TEST:influenza virus antibody assay") in edges
    assert bundle.report.malformed == 1 and bundle.report.problems[0].line == 4
    assert [d.section for d in bundle.docs] == ["description", "description"]
    # Each description is titled by its disease, never by the row's last medication.
    assert [(d.title, d.entities) for d in bundle.docs] == [
        ("Asthma", ["CHATDOCTOR:asthma"]),
        ("Influenza", ["CHATDOCTOR:influenza"]),
    ]
    tamiflu = next(n for n in bundle.nodes if n.node_id == "DRUG:oseltamivir")
    assert (tamiflu.name, tamiflu.synonyms) == ("Oseltamivir", ["Tamiflu"])  # "Oseltamivir (Tamiflu)" in the table


def test_chatdoctor_rows_whose_reason_is_no_description_keep_their_facts_but_no_passage(tmp_path: Path) -> None:
    table = tmp_path / "en" / "chatdoctor" / "format_dataset.csv"
    table.parent.mkdir(parents=True)
    table.write_text(
        "idx,disease,Symptom,reason,TestsAndProcedures,commonMedications\n"
        '0,Vocal cord polyp,"[\'Hoarse voice\']"," beclomethasone nasal product, ","[]",'
        "\"['Beclomethasone Nasal Product']\"\n"
        '1,Benign prostatic hyperplasia (BPH),"[\'Frequent urination\']",BPH may refer to: ,"[]","[]"\n'
        '2,Tracheitis,"[\'Cough\']",Tracheitis is an inflammation of the trachea. ,"[]","[]"\n',
        encoding="utf-8",
    )
    bundle = load_chatdoctor(tmp_path)
    assert [d.title for d in bundle.docs] == ["Tracheitis"]
    assert {"CHATDOCTOR:vocal cord polyp", "CHATDOCTOR:benign prostatic hyperplasia (bph)"} <= {
        n.node_id for n in bundle.nodes
    }
    reasons = [p.reason for p in bundle.report.problems]
    assert any("a medication name" in r for r in reasons) and any("a disambiguation stub" in r for r in reasons)


def test_icd10cm_adds_ancestors_and_rejects_invalid_codes() -> None:
    bundle = load_icd10cm(["ICD10CM:I51.4", "ICD10CM:Q99.XYZ"])
    ids = {n.node_id for n in bundle.nodes}
    assert {"ICD10CM:I51.4", "ICD10CM:I51"} <= ids
    assert bundle.report.malformed == 1 and "Q99.XYZ" in bundle.report.problems[0].reason
    assert ("ICD10CM:I51.4", "ICD10CM:I51") in {(e.head, e.tail) for e in bundle.edges}


def test_missing_data_dir_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="CLINICALGPT_DATA_DIR"):
        load_medquad(None)
    with pytest.raises(SourceNotFoundError, match="hsdn"):
        load_hsdn(tmp_path)


def test_unknown_source_suggests_a_name() -> None:
    with pytest.raises(UnknownSourceError, match="did you mean `medquad`"):
        check_sources(["medqad"])


def test_user_docs_folder(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "sepsis.md").write_text("# Sepsis protocol\n\nGive antibiotics within one hour.\n")
    (tmp_path / "empty.txt").write_text("   \n")
    rows = [
        {"id": "g1", "title": "Hypertension guideline", "text": "Start treatment above 140/90.", "url": "https://x"},
        {"title": "no text"},
        {"id": "g1", "title": "dup", "text": "dup"},
    ]
    (tmp_path / "guides.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    bundle = load_user_docs(tmp_path)
    by_id = {d.doc_id: d for d in bundle.docs}
    assert by_id["user:notes/sepsis.md"].title == "Sepsis protocol"
    assert by_id["user:g1"].provenance.url == "https://x"
    assert bundle.report.records == 2
    assert bundle.report.malformed == 4  # empty file, missing text, duplicate id, invalid JSON
    with pytest.raises(SourceNotFoundError, match="--docs"):
        load_user_docs(tmp_path / "missing")
