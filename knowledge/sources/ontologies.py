"""Disease Ontology and Symptom Ontology (both CC0).

Disease Ontology: current DO reports (`HumanDO.tsv` hierarchy, `do_definitions.tsv`, `allXREFinDO.tsv`,
`disease-symptom.tsv`) plus synonyms from the OBO release. Symptom Ontology: `symp.obo`.
"""

from __future__ import annotations

import csv
import gzip
import logging
from collections import defaultdict
from pathlib import Path

from knowledge.errors import SourceNotFoundError
from knowledge.schema import EdgeRecord, NodeRecord, Provenance, SourceDoc
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, normalize_xref, require_file
from knowledge.sources.obo import read_obo

logger = logging.getLogger(__name__)

DO = "disease_ontology"
SYMP = "symptom_ontology"
LICENCE = "CC0 1.0"
DO_DIR = "en/disease_ontology"


def do_url(doid: str) -> str:
    """Public page of a DO term."""
    return f"https://disease-ontology.org/?id={doid}"


def _tsv_rows(path: Path, report: LoadReport, width: int) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader, None)  # header
        for row in reader:
            lineno = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                report.bad(path.name, lineno, f"expected {width} tab-separated columns, got {len(row)}")
                continue
            rows.append((lineno, [cell.strip().strip('"') for cell in row]))
    return rows


DEFINITIONS = "do_definitions.tsv"
#: `facets.tsv.gz` (a DO report that `kb download` fetches) holds id, name, definition and one row per facet.
FACETS = "facets.tsv.gz"


def _definitions_file(data_dir: Path | None) -> Path:
    """`do_definitions.tsv` (a table derived from the current DO release, shipped with the shared data) or,
    when it is absent (a fresh `kb download` cannot fetch derived files), the downloadable `facets.tsv.gz`.

    Both give the same diseases a definition document: on the shared data, 9,946 from `do_definitions.tsv`
    and 9,957 from `facets.tsv.gz` plus the 2016 OBO (38 of them); the other rows of `do_definitions.tsv` are
    of ids that `HumanDO.tsv` does not list."""
    try:
        return require_file(data_dir, f"{DO_DIR}/{DEFINITIONS}", DO)
    except SourceNotFoundError:
        return require_file(data_dir, f"{DO_DIR}/{FACETS}", DO)


def _read_definitions(path: Path, report: LoadReport) -> dict[str, str]:
    """DOID → definition from either definitions file; the first non-empty definition of an id wins."""
    if path.name == DEFINITIONS:
        return {doid: d for _, (doid, _n, d) in _tsv_rows(path, report, 3) if d}
    definitions: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader, None)  # header: ?id ?name ?definition ?facet …
        for row in reader:
            if len(row) < 3:
                report.bad(path.name, reader.line_num, f"expected at least 3 tab-separated columns, got {len(row)}")
                continue
            doid, definition = row[0].strip().strip('"'), row[2].strip().strip('"')
            if doid.startswith("DOID:") and definition:
                definitions.setdefault(doid, definition)
    return definitions


def load_disease_ontology(data_dir: Path | None) -> SourceBundle:
    """Diseases, definitions, is_a, cross-references and disease→symptom edges from the DO."""
    report = LoadReport(source=DO)
    human = require_file(data_dir, f"{DO_DIR}/HumanDO.tsv", DO)
    defs_path = _definitions_file(data_dir)
    xref_path = require_file(data_dir, f"{DO_DIR}/allXREFinDO.tsv", DO)
    dsym_path = require_file(data_dir, f"{DO_DIR}/disease-symptom.tsv", DO)
    obo_path = require_file(data_dir, f"{DO_DIR}/doid_2016-09-01.obo", DO)
    report.files += [str(p) for p in (human, defs_path, xref_path, dsym_path, obo_path)]

    def prov(doid: str, file: Path) -> Provenance:
        return Provenance(source=DO, native_id=doid, url=do_url(doid), licence=LICENCE, file=f"{DO_DIR}/{file.name}")

    names: dict[str, str] = {}
    parents: dict[str, list[str]] = defaultdict(list)
    for lineno, (doid, label, parent_label) in _tsv_rows(human, report, 3):
        if not doid.startswith("DOID:"):
            report.bad(human.name, lineno, f"id {doid!r} is not a DOID")
            continue
        report.records += 1
        names[doid] = label
        if parent_label:
            parents[doid].append(parent_label)
    definitions = _read_definitions(defs_path, report)
    xrefs: dict[str, list[str]] = defaultdict(list)
    for _, (doid, _label, xref) in _tsv_rows(xref_path, report, 3):
        norm = normalize_xref(xref)
        if norm:
            xrefs[doid].append(norm)
    synonyms: dict[str, list[str]] = defaultdict(list)
    obo_report = LoadReport(source=DO)
    obo_definitions = 0
    for term in read_obo(obo_path, obo_report):
        synonyms[term.id] += [text for text, scope in term.synonyms if scope in {"EXACT", "RELATED"}]
        if defs_path.name == FACETS and term.definition and term.id not in definitions:
            definitions[term.id] = term.definition  # the 2016 OBO fills some of the facets' gaps
            obo_definitions += 1
        for alt in term.alt_ids:  # older ids, so that older cross-references still land
            xrefs[term.id].append(alt)
    if defs_path.name == FACETS:
        logger.info("%s: %d definitions from %s, %d from the 2016 OBO", DO, len(definitions), FACETS, obo_definitions)
    report.malformed += obo_report.malformed
    report.problems += obo_report.problems

    by_label = {label: doid for doid, label in names.items()}
    nodes, docs, edges = [], [], []
    for doid, label in names.items():
        nodes.append(
            NodeRecord(
                node_id=doid,
                type="disease",
                name=label,
                synonyms=sorted(set(synonyms[doid])),
                definition=definitions.get(doid),
                xrefs=sorted(set(xrefs[doid])),
                provenance=prov(doid, human),
            )
        )
        for parent_label in parents[doid]:
            parent = by_label.get(parent_label)
            if parent:
                edges.append(EdgeRecord(head=doid, relation="is_a", tail=parent, provenance=prov(doid, human)))
        for code in xrefs[doid]:
            if code.startswith("ICD10CM:"):
                edges.append(EdgeRecord(head=doid, relation="has_code", tail=code, provenance=prov(doid, xref_path)))
        if doid in definitions:
            docs.append(
                SourceDoc(
                    doc_id=f"do:{doid}",
                    title=label,
                    section="definition",
                    text=clean_text(definitions[doid]),
                    provenance=prov(doid, defs_path),
                    entities=[doid],
                )
            )
    for lineno, (doid, _dl, symp_id, _sl) in _tsv_rows(dsym_path, report, 4):
        if doid not in names:
            report.bad(dsym_path.name, lineno, f"disease {doid} is not in HumanDO.tsv")
            continue
        edges.append(EdgeRecord(head=doid, relation="has_symptom", tail=symp_id, provenance=prov(doid, dsym_path)))
    return SourceBundle(docs=docs, nodes=nodes, edges=edges, report=report)


def load_symptom_ontology(data_dir: Path | None) -> SourceBundle:
    """Symptom nodes, synonyms, definitions and is_a from `symp.obo`."""
    report = LoadReport(source=SYMP)
    path = require_file(data_dir, "en/symptom_ontology/symp.obo", SYMP)
    report.files.append(str(path))
    nodes, docs, edges = [], [], []
    for term in read_obo(path, report):
        prov = Provenance(
            source=SYMP,
            native_id=term.id,
            url=f"https://disease-ontology.org/?id={term.id}",
            licence=LICENCE,
            file="en/symptom_ontology/symp.obo",
        )
        xrefs = sorted({x for x in (normalize_xref(r) for r in term.xrefs) if x})
        nodes.append(
            NodeRecord(
                node_id=term.id,
                type="symptom",
                name=term.name,
                synonyms=sorted({t for t, _ in term.synonyms}),
                definition=term.definition,
                xrefs=xrefs,
                provenance=prov,
            )
        )
        edges += [EdgeRecord(head=term.id, relation="is_a", tail=p, provenance=prov) for p in term.is_a]
        if term.definition:
            docs.append(
                SourceDoc(
                    doc_id=f"symp:{term.id}",
                    title=term.name,
                    section="definition",
                    text=clean_text(term.definition),
                    provenance=prov,
                    entities=[term.id],
                )
            )
    return SourceBundle(docs=docs, nodes=nodes, edges=edges, report=report)
