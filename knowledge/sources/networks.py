"""Disease–symptom networks: HSDN (CC0), DDXPlus (CC BY) and the ChatDoctor disease table (Apache-2.0)."""

from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path

from knowledge.graph.drugs import drug_node_id
from knowledge.schema import EdgeRecord, NodeRecord, NodeType, Provenance, Relation, SourceDoc
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, require_file

HSDN = "hsdn"
DDXPLUS = "ddxplus"
CHATDOCTOR = "chatdoctor"


def load_hsdn(data_dir: Path | None) -> SourceBundle:
    """Weighted disease→symptom edges from MEDLINE co-occurrence (symptoms are MeSH terms)."""
    report = LoadReport(source=HSDN)
    rel = "en/hsdn/symptoms-DO.tsv"
    path = require_file(data_dir, rel, HSDN)
    report.files.append(str(path))
    nodes: dict[str, NodeRecord] = {}
    edges: list[EdgeRecord] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        for row in reader:
            lineno = reader.line_num
            try:
                symptom_id, doid = row["symptom_id"].strip(), row["doid_code"].strip()
                weight = float(row["tfidf_score"])
                symptom_name = row["symptom_name"].strip()
            except (KeyError, AttributeError, TypeError, ValueError) as exc:
                report.bad(path.name, lineno, f"bad row ({type(exc).__name__}: {exc})")
                continue
            if not symptom_id or not doid.startswith("DOID:"):
                report.bad(path.name, lineno, "missing symptom_id or DOID")
                continue
            report.records += 1
            node_id = f"MESH:{symptom_id}"
            prov = Provenance(
                source=HSDN,
                native_id=f"{symptom_id}|{doid}",
                licence="CC0 1.0",
                file=rel,
                url="https://doi.org/10.1038/ncomms5212",
            )
            if node_id not in nodes:
                nodes[node_id] = NodeRecord(
                    node_id=node_id, type="symptom", name=symptom_name, xrefs=[node_id], provenance=prov
                )
            edges.append(EdgeRecord(head=doid, relation="has_symptom", tail=node_id, weight=weight, provenance=prov))
    return SourceBundle(nodes=list(nodes.values()), edges=edges, report=report)


def load_ddxplus(data_dir: Path | None) -> SourceBundle:
    """DDXPlus conditions (with ICD-10 codes and severity) and the evidences asked about them."""
    report = LoadReport(source=DDXPLUS)
    cond_rel, ev_rel = "en/ddxplus/release_conditions.json", "en/ddxplus/release_evidences.json"
    cond_path = require_file(data_dir, cond_rel, DDXPLUS)
    ev_path = require_file(data_dir, ev_rel, DDXPLUS)
    report.files += [str(cond_path), str(ev_path)]
    licence, url = "CC BY 4.0", "https://doi.org/10.48550/arXiv.2205.09148"
    evidences = json.loads(ev_path.read_text(encoding="utf-8"))
    conditions = json.loads(cond_path.read_text(encoding="utf-8"))
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    for code, ev in evidences.items():
        question = ev.get("question_en") if isinstance(ev, dict) else None
        if not question:
            report.bad(ev_path.name, None, f"evidence {code}: missing question_en")
            continue
        report.records += 1
        nodes.append(
            NodeRecord(
                node_id=f"DDXPLUS:{code}",
                type="evidence",
                name=clean_text(question),
                provenance=Provenance(source=DDXPLUS, native_id=code, licence=licence, url=url, file=ev_rel),
            )
        )
    known = {n.node_id for n in nodes}
    for key, cond in conditions.items():
        name = cond.get("cond-name-eng") if isinstance(cond, dict) else None
        if not name:
            report.bad(cond_path.name, None, f"condition {key}: missing cond-name-eng")
            continue
        report.records += 1
        node_id = f"DDXPLUS:{name}"
        prov = Provenance(source=DDXPLUS, native_id=key, licence=licence, url=url, file=cond_rel)
        # Codes are given as "J93", "j17, j18": normalise case and split lists.
        codes = [c.strip().upper() for c in str(cond.get("icd10-id", "")).split(",") if c.strip()]
        nodes.append(
            NodeRecord(
                node_id=node_id,
                type="disease",
                name=name,
                synonyms=[key] if key != name else [],
                xrefs=[f"ICD10CM:{c}" for c in codes],
                provenance=prov,
            )
        )
        edges += [EdgeRecord(head=node_id, relation="has_code", tail=f"ICD10CM:{c}", provenance=prov) for c in codes]
        evidence_fields: tuple[tuple[str, Relation], ...] = (
            ("symptoms", "has_evidence"),
            ("antecedents", "has_risk_factor"),
        )
        for field, relation in evidence_fields:
            for ev_code in cond.get(field, {}):
                if f"DDXPLUS:{ev_code}" in known:
                    edges.append(
                        EdgeRecord(head=node_id, relation=relation, tail=f"DDXPLUS:{ev_code}", provenance=prov)
                    )
                else:
                    report.bad(cond_path.name, None, f"condition {key}: unknown evidence {ev_code}")
    return SourceBundle(nodes=nodes, edges=edges, report=report)


_PARENTHESES = re.compile(r"\s*\(([^)]*)\)")


def _split_brand(item: str) -> tuple[str, list[str]]:
    """ChatDoctor writes brands in parentheses, "Oseltamivir (Tamiflu)": the generic as the name, brands as
    synonyms, so both link and a misspelt generic is still close to its name."""
    brands = [b.strip() for inner in _PARENTHESES.findall(item) for b in inner.split(",") if b.strip()]
    generic = _PARENTHESES.sub("", item).strip()
    return (generic, brands) if generic else (item, [])


def _as_list(cell: str) -> list[str]:
    """ChatDoctor stores lists as Python literals: "['Cough', 'Fever']"."""
    value = ast.literal_eval(cell) if cell.strip() else []
    if not isinstance(value, list):
        raise ValueError("not a list")
    return [clean_text(str(v)) for v in value if str(v).strip()]


# In 125 of the table's 796 rows `reason` is not a description: 115 hold a medication name
# ("beclomethasone nasal product,", "hydrocodone / ibuprofen,"), 10 a Wikipedia disambiguation stub ("BPH may
# refer to:"). Quoted as a disease's description they answer nothing.
_MEDICATION_FRAGMENT = re.compile(r"^[\w\s/().'-]{1,80},$")
_DISAMBIGUATION = re.compile(r"\b(?:may|can)\s+refer\s+to\s*:?$", re.IGNORECASE)


def _not_a_description(text: str) -> str | None:
    """What `text` is instead of a description ("a medication name", "a disambiguation stub"), or None."""
    if _MEDICATION_FRAGMENT.match(text):
        return "a medication name"
    if _DISAMBIGUATION.search(text):
        return "a disambiguation stub"
    return None


def load_chatdoctor(data_dir: Path | None) -> SourceBundle:
    """The ChatDoctor disease table: symptoms, description, tests and medications of 796 diseases."""
    report = LoadReport(source=CHATDOCTOR)
    rel = "en/chatdoctor/format_dataset.csv"
    path = require_file(data_dir, rel, CHATDOCTOR)
    report.files.append(str(path))
    nodes: dict[str, NodeRecord] = {}
    edges: list[EdgeRecord] = []
    docs: list[SourceDoc] = []
    url = "https://github.com/Kent0n-Li/ChatDoctor"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            lineno = reader.line_num
            name = clean_text(row.get("disease") or "")
            try:
                symptoms = _as_list(row.get("Symptom") or "")
                tests = _as_list(row.get("TestsAndProcedures") or "")
                drugs = _as_list(row.get("commonMedications") or "")
            except (ValueError, SyntaxError) as exc:
                report.bad(path.name, lineno, f"list column is not a Python list literal: {exc}")
                continue
            if not name:
                report.bad(path.name, lineno, "missing disease name")
                continue
            report.records += 1
            prov = Provenance(
                source=CHATDOCTOR, native_id=row.get("idx") or name, licence="Apache-2.0", url=url, file=rel
            )
            disease_id = f"CHATDOCTOR:{name.lower()}"
            nodes[disease_id] = NodeRecord(node_id=disease_id, type="disease", name=name, provenance=prov)
            groups: tuple[tuple[list[str], NodeType, Relation], ...] = (
                (symptoms, "symptom", "has_symptom"),
                (tests, "test", "has_test"),
                (drugs, "drug", "treated_with"),
            )
            for items, kind, relation in groups:
                for item in items:
                    # Drugs share the canonical `DRUG:<key>` identity, so a ChatDoctor medication and the same
                    # drug from FDA labels or indication catalogues are one node (627 of 1,289 join one).
                    try:
                        item_id = drug_node_id(item) if kind == "drug" else f"CHATDOCTOR_{kind.upper()}:{item.lower()}"
                    except ValueError as exc:
                        report.bad(path.name, lineno, str(exc))
                        continue
                    # Its own name: reusing the disease's `name` here once titled each description by the row's
                    # last medication ("Tamoxifen" over a disease's text), and citations showed that title.
                    item_name, synonyms = _split_brand(item) if kind == "drug" else (item, [])
                    nodes.setdefault(
                        item_id,
                        NodeRecord(node_id=item_id, type=kind, name=item_name, synonyms=synonyms, provenance=prov),
                    )
                    edges.append(
                        EdgeRecord(
                            head=disease_id,
                            relation=relation,
                            tail=item_id,
                            provenance=prov,
                        )
                    )
            description = clean_text(row.get("reason") or "")
            junk = _not_a_description(description)
            if junk:
                report.bad(path.name, lineno, f"`reason` is {junk}, not a description: the row's graph facts kept")
            elif description:
                docs.append(
                    SourceDoc(
                        doc_id=f"chatdoctor:{prov.native_id}",
                        title=name,
                        section="description",
                        text=description,
                        provenance=prov,
                        entities=[disease_id],
                    )
                )
    return SourceBundle(docs=docs, nodes=list(nodes.values()), edges=edges, report=report)
