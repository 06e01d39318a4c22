"""Drug indications: PharmacotherapyDB (CC0) and LabeledIn (public domain), as disease → drug KG edges.

PharmacotherapyDB (`en/indications/catalog/indications.tsv`): drug–disease pairs reviewed by physicians, with
Disease Ontology ids, DrugBank ids and a category: `DM` disease-modifying, `SYM` symptomatic, `NOT` not an
indication. DM and SYM become `treated_with` edges whose weight keeps the category (`CATEGORY_WEIGHTS`, so
disease-modifying drugs rank first in facts). NOT pairs become `not_indicated` edges: they are drugs some
resource listed for the disease that the curators rejected, often because the drug treats a complication or a
co-occurring condition (sertraline in Parkinson's disease). They are kept, and rendered as such, because "is X
used for Y?" has "no" for an answer too; they are never mixed into `treated_with`.

LabeledIn (`en/indications/labeledin/data/indications.tsv`): indications stated on FDA labels, with RxNorm
ingredient ids and diseases as UMLS CUIs plus MeSH names. Each disease becomes a `LABELEDIN:<cui>` disease node
carrying `UMLS:<cui>` and its MeSH name (also un-inverted: "Arthritis, Rheumatoid" → "Rheumatoid Arthritis"),
so `knowledge.graph.build` merges it into the Disease Ontology term with that CUI or name.

Drugs of both are `DRUG:<key>` nodes (`knowledge.graph.drugs`) with `DRUGBANK:` / `RXNORM:` xrefs: the same
drug from the FDA labels lands on the same node.
"""

from __future__ import annotations

import csv
from pathlib import Path

from knowledge.graph.drugs import drug_node_id, moiety_name
from knowledge.schema import EdgeRecord, NodeRecord, Provenance, Relation
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, require_file

SOURCE = "indications"
PHARMACOTHERAPYDB_FILE = "en/indications/catalog/indications.tsv"
LABELEDIN_FILE = "en/indications/labeledin/data/indications.tsv"
PHARMACOTHERAPYDB_URL = "https://doi.org/10.7554/eLife.26726"
LABELEDIN_URL = "https://doi.org/10.1016/j.jbi.2014.08.004"
#: Provenance url → the resource it names, for sources (like this one) that bundle several resources.
RESOURCE_LABELS = {PHARMACOTHERAPYDB_URL: "PharmacotherapyDB", LABELEDIN_URL: "LabeledIn"}
#: PharmacotherapyDB category → `treated_with` edge weight; the weight is how facts tell the two apart.
CATEGORY_WEIGHTS = {"DM": 1.0, "SYM": 0.5}
CATEGORY_NAMES = {"DM": "disease-modifying", "SYM": "symptomatic"}


def uninvert(mesh_name: str) -> str:
    """MeSH's inverted heading in reading order: `Diabetes Mellitus, Type 2` → `Type 2 Diabetes Mellitus`.

    Only a single comma is un-inverted; headings with more ("Carcinoma, Non-Small-Cell, Lung") are left alone.
    """
    head, sep, tail = mesh_name.partition(", ")
    if not sep or "," in tail:
        return mesh_name
    return f"{tail} {head}"


def _rows(path: Path, file: str, report: LoadReport, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """`(line, row)` of a TSV with a header; rows missing a column or a value are counted as malformed.

    `file` is the file as problems name it: both resources call their file `indications.tsv`.
    """
    rows: list[tuple[int, dict[str, str]]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            report.bad(file, 1, f"header lacks {', '.join(missing)}; expected the columns {', '.join(columns)}")
            return rows
        for row in reader:
            values = {c: clean_text(row.get(c) or "") for c in columns}
            if not all(values.values()):
                # LabeledIn leaves the name empty for some diseases and combination drugs; an id alone gives
                # nothing to show or to merge on by name, so the pair is left out.
                empty = [c for c, v in values.items() if not v]
                report.bad(file, reader.line_num, f"no {', '.join(empty)}; the pair is left out")
                continue
            rows.append((reader.line_num, values))
    return rows


def _drug_node(nodes: dict[str, NodeRecord], name: str, xrefs: list[str], prov: Provenance) -> str:
    """Id of the drug's node, created or given one more name and more xrefs."""
    node_id = drug_node_id(name)
    old = nodes.get(node_id)
    if old is None:
        canonical = moiety_name(name)
        synonyms = [name] if name != canonical else []
        nodes[node_id] = NodeRecord(
            node_id=node_id, type="drug", name=canonical, synonyms=synonyms, xrefs=sorted(set(xrefs)), provenance=prov
        )
    else:
        synonyms = [s for s in dict.fromkeys([*old.synonyms, name]) if s != old.name]
        nodes[node_id] = old.model_copy(update={"synonyms": synonyms, "xrefs": sorted({*old.xrefs, *xrefs})})
    return node_id


def _pharmacotherapydb(path: Path, report: LoadReport, nodes: dict[str, NodeRecord]) -> list[EdgeRecord]:
    columns = ("doid_id", "drugbank_id", "disease", "drug", "category")
    edges: list[EdgeRecord] = []
    file = PHARMACOTHERAPYDB_FILE.removeprefix("en/")
    for lineno, row in _rows(path, file, report, columns):
        doid, drugbank, category = row["doid_id"], row["drugbank_id"], row["category"].upper()
        if not doid.startswith("DOID:"):
            report.bad(file, lineno, f"disease id {doid!r} is not a DOID")
            continue
        if category not in {*CATEGORY_WEIGHTS, "NOT"}:
            report.bad(file, lineno, f"category {category!r} is none of DM, SYM, NOT")
            continue
        prov = Provenance(
            source=SOURCE,
            native_id=f"{doid}|{drugbank}",
            url=PHARMACOTHERAPYDB_URL,
            licence="CC0 1.0",
            file=PHARMACOTHERAPYDB_FILE,
        )
        try:
            drug = _drug_node(nodes, row["drug"], [f"DRUGBANK:{drugbank}"], prov)
        except ValueError as exc:
            report.bad(file, lineno, str(exc))
            continue
        report.records += 1
        relation: Relation = "not_indicated" if category == "NOT" else "treated_with"
        # The disease is the Disease Ontology's own node (same id); without that source the edge is dropped.
        edges.append(
            EdgeRecord(head=doid, relation=relation, tail=drug, weight=CATEGORY_WEIGHTS.get(category), provenance=prov)
        )
    return edges


def _labeledin(path: Path, report: LoadReport, nodes: dict[str, NodeRecord]) -> list[EdgeRecord]:
    columns = ("rxnorm_id", "disease_cui", "disease_mesh_name", "rxnorm_name")
    edges: list[EdgeRecord] = []
    file = LABELEDIN_FILE.removeprefix("en/")
    for lineno, row in _rows(path, file, report, columns):
        rxnorm, cui, mesh_name = row["rxnorm_id"], row["disease_cui"].upper(), row["disease_mesh_name"]
        if not cui.startswith("C") or not cui[1:].isdigit():
            report.bad(file, lineno, f"disease_cui {cui!r} is not a UMLS CUI (C followed by digits)")
            continue
        prov = Provenance(
            source=SOURCE,
            native_id=f"{rxnorm}|{cui}",
            url=LABELEDIN_URL,
            licence="Public domain (NLM)",
            file=LABELEDIN_FILE,
        )
        try:
            # A combination product lists its ingredients' ids: "10763;5487".
            xrefs = [f"RXNORM:{i.strip()}" for i in rxnorm.split(";") if i.strip()]
            drug = _drug_node(nodes, row["rxnorm_name"], xrefs, prov)
        except ValueError as exc:
            report.bad(file, lineno, str(exc))
            continue
        report.records += 1
        disease = f"LABELEDIN:{cui}"
        if disease not in nodes:
            name = uninvert(mesh_name)
            nodes[disease] = NodeRecord(
                node_id=disease,
                type="disease",
                name=name,
                synonyms=[mesh_name] if name != mesh_name else [],
                xrefs=[f"UMLS:{cui}"],
                provenance=prov.model_copy(update={"native_id": cui}),
            )
        edges.append(EdgeRecord(head=disease, relation="treated_with", tail=drug, provenance=prov))
    return edges


def load_indications(data_dir: Path | None) -> SourceBundle:
    """Disease → drug indication edges, drug nodes and LabeledIn disease nodes from both resources."""
    report = LoadReport(source=SOURCE)
    pdb = require_file(data_dir, PHARMACOTHERAPYDB_FILE, SOURCE)
    labeledin = require_file(data_dir, LABELEDIN_FILE, SOURCE)
    report.files += [str(pdb), str(labeledin)]
    nodes: dict[str, NodeRecord] = {}
    edges = _pharmacotherapydb(pdb, report, nodes) + _labeledin(labeledin, report, nodes)
    return SourceBundle(nodes=list(nodes.values()), edges=edges, report=report)
