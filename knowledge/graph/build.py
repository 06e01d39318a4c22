"""Build the medical knowledge graph: merge node records across sources into one `MultiDiGraph`.

Merging rule: Disease Ontology terms are the canonical diseases, Symptom Ontology terms the canonical
symptoms. A record from another source (a MedQuAD focus, a DDXPlus condition, a ChatDoctor disease, an
HSDN MeSH symptom) joins a canonical node when one of its cross-references (UMLS, MeSH) or, failing that,
its normalised name matches exactly one canonical node. The merged node keeps every name as a synonym
and every provenance record. ICD-10-CM codes stay separate nodes linked by `has_code`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import networkx as nx

from knowledge.graph.names import normalize
from knowledge.schema import EdgeRecord, NodeRecord
from knowledge.sources.base import SourceBundle

logger = logging.getLogger(__name__)

#: Which canonical namespace each mergeable type joins.
_CANONICAL_PREFIX = {"disease": "DOID:", "symptom": "SYMP:"}
#: Xref namespaces trusted for merging (ICD codes are too coarse: one code spans many DO terms).
_MERGE_XREFS = ("UMLS:", "MESH:")


def _index_canonical(nodes: dict[str, NodeRecord]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    by_xref: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    for node in nodes.values():
        if not node.node_id.startswith(tuple(_CANONICAL_PREFIX.values())):
            continue
        for xref in node.xrefs:
            if xref.startswith(_MERGE_XREFS):
                by_xref[xref].add(node.node_id)
        for name in (node.name, *node.synonyms):
            by_name[normalize(name)].add(node.node_id)
    return by_xref, by_name


def _merge_target(node: NodeRecord, by_xref: dict[str, set[str]], by_name: dict[str, set[str]]) -> str | None:
    prefix = _CANONICAL_PREFIX.get(node.type)
    if prefix is None or node.node_id.startswith(prefix):
        return None
    # A MedQuAD focus may be typed "concept"; merging by CUI into a disease is still right.
    for xref in node.xrefs:
        hits = {h for h in by_xref.get(xref, set()) if h.startswith(prefix)}
        if len(hits) == 1:
            return hits.pop()
    for name in (node.name, *node.synonyms):
        hits = {h for h in by_name.get(normalize(name), set()) if h.startswith(prefix)}
        if len(hits) == 1:
            return hits.pop()
    return None


def merge_records(bundles: Iterable[SourceBundle]) -> tuple[dict[str, NodeRecord], list[EdgeRecord], dict[str, str]]:
    """Merge node records across sources.

    Returns the surviving nodes, all edges, and the alias map (merged id → canonical id), which callers
    use to re-point document entities.
    """
    nodes: dict[str, list[NodeRecord]] = defaultdict(list)
    edges: list[EdgeRecord] = []
    for bundle in bundles:
        for node in bundle.nodes:
            nodes[node.node_id].append(node)
        edges.extend(bundle.edges)
    first = {node_id: records[0] for node_id, records in nodes.items()}
    by_xref, by_name = _index_canonical(first)
    alias: dict[str, str] = {}
    for node_id, node in first.items():
        target = _merge_target(node, by_xref, by_name)
        if target is None and node.type == "concept":
            # A MedQuAD focus typed "concept" (e.g. "Fever") may still be a disease or a symptom.
            for kind in ("disease", "symptom"):
                target = target or _merge_target(node.model_copy(update={"type": kind}), by_xref, by_name)
        if target is not None:
            alias[node_id] = target
    merged: dict[str, NodeRecord] = {}
    extra: dict[str, list[NodeRecord]] = defaultdict(list)
    for node_id, records in nodes.items():
        target = alias.get(node_id, node_id)
        if target == node_id:
            merged[node_id] = records[0]
            extra[node_id].extend(records[1:])
        else:
            extra[target].extend(records)
    for target, records in extra.items():
        if target in merged:
            merged[target] = _absorb(merged[target], records)
    logger.info("merged %d source nodes into %d entities", len(first), len(merged))
    return merged, edges, alias


def _absorb(base: NodeRecord, others: list[NodeRecord]) -> NodeRecord:
    names = set(base.synonyms)
    xrefs = set(base.xrefs)
    definition = base.definition
    for other in others:
        names.update({other.name, *other.synonyms})
        xrefs.update(other.xrefs)
        definition = definition or other.definition
    names.discard(base.name)
    return base.model_copy(update={"synonyms": sorted(names), "xrefs": sorted(xrefs), "definition": definition})


def build_graph(bundles: list[SourceBundle]) -> tuple[nx.MultiDiGraph, dict[str, str]]:
    """Build the typed multigraph; returns it with the alias map used for merging."""
    nodes, edges, alias = merge_records(bundles)
    provenance: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for bundle in bundles:
        for record in bundle.nodes:
            provenance[alias.get(record.node_id, record.node_id)].append(record.provenance.model_dump())
    graph = nx.MultiDiGraph()
    for node_id, node in sorted(nodes.items()):
        graph.add_node(
            node_id,
            type=node.type,
            name=node.name,
            synonyms=node.synonyms,
            definition=node.definition,
            xrefs=node.xrefs,
            provenance=provenance[node_id],
        )
    seen: set[tuple[str, str, str, str]] = set()
    dangling = 0
    for edge in edges:
        head, tail = alias.get(edge.head, edge.head), alias.get(edge.tail, edge.tail)
        if head not in graph or tail not in graph or head == tail:
            dangling += 1
            continue
        key = (head, edge.relation, tail, edge.provenance.source)
        if key in seen:
            continue
        seen.add(key)
        graph.add_edge(
            head,
            tail,
            key=f"{edge.relation}|{edge.provenance.source}",
            relation=edge.relation,
            weight=edge.weight,
            provenance=edge.provenance.model_dump(),
        )
    logger.info(
        "graph: %d nodes, %d edges (%d edges to unknown nodes skipped)",
        graph.number_of_nodes(),
        graph.number_of_edges(),
        dangling,
    )
    graph.graph["dangling_edges"] = dangling
    return graph, alias
