"""Render KG neighbourhoods into short, citable "fact" chunks (`fact:<node id>:<relation>`).

Facts let the graph be retrieved like text (dense, BM25) and cited like any passage.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from knowledge.schema import Chunk

#: Relation → how a fact about it reads. `{name}` is the head entity.
RELATION_TEMPLATES: dict[str, str] = {
    "has_symptom": "Symptoms and signs of {name}",
    "has_evidence": "Findings asked about when {name} is suspected (DDXPlus)",
    "has_risk_factor": "Risk factors and history relevant to {name} (DDXPlus)",
    "has_test": "Tests and procedures for {name}",
    "treated_with": "Medications used for {name}",
}
#: Keep facts short enough for the embedder's window and a prompt.
MAX_ITEMS = 25
_SOURCE_LABELS = {
    "disease_ontology": "Disease Ontology",
    "hsdn": "HSDN",
    "ddxplus": "DDXPlus",
    "chatdoctor": "ChatDoctor",
    "symptom_ontology": "Symptom Ontology",
    "hpo": "HPO",
    "icd10cm": "ICD-10-CM",
    "medquad": "MedQuAD",
}


def fact_id(node_id: str, relation: str) -> str:
    """Stable id of the fact about `relation` edges of `node_id`."""
    return f"fact:{node_id}:{relation}"


def _url(attrs: dict[str, Any]) -> str | None:
    return next((p.get("url") for p in attrs.get("provenance", []) if p.get("url")), None)


def _licences(edges: list[dict[str, Any]]) -> str:
    return "; ".join(sorted({e["provenance"]["licence"] for e in edges}))


def node_facts(graph: nx.MultiDiGraph, node_id: str) -> list[Chunk]:
    """All fact chunks about one node: an identity fact and one per outgoing relation."""
    attrs = graph.nodes[node_id]
    name = attrs["name"]
    by_relation: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for _, tail, data in graph.out_edges(node_id, data=True):
        by_relation[data["relation"]][tail].append(data)
    chunks: list[Chunk] = []
    url = _url(attrs)

    def make(relation: str, text: str, edges: list[dict[str, Any]]) -> Chunk:
        return Chunk(
            chunk_id=fact_id(node_id, relation),
            doc_id=f"kg:{node_id}",
            kind="fact",
            title=name,
            section=relation,
            text=text,
            source="knowledge_graph",
            native_id=node_id,
            url=url,
            licence=_licences(edges) if edges else "CC0 1.0",
            entities=[node_id],
        )

    identity: list[str] = []
    if attrs.get("synonyms"):
        identity.append("Also known as: " + "; ".join(attrs["synonyms"][:12]) + ".")
    parents = [graph.nodes[t]["name"] for t in by_relation.get("is_a", {})]
    if parents:
        identity.append("It is a kind of: " + "; ".join(parents[:6]) + ".")
    codes = [graph.nodes[t]["name"] for t in by_relation.get("has_code", {})]
    if codes:
        identity.append("ICD-10-CM: " + "; ".join(codes[:6]) + ".")
    if identity:
        edges = [d for rel in ("is_a", "has_code") for ds in by_relation.get(rel, {}).values() for d in ds]
        chunks.append(make("about", f"{name} ({node_id}, {attrs['type']}). " + " ".join(identity), edges))
    for relation, template in RELATION_TEMPLATES.items():
        tails = by_relation.get(relation)
        if not tails:
            continue
        # Rank by how many sources agree, then by the strongest weight (HSDN TF-IDF).
        ranked = sorted(
            tails.items(),
            key=lambda kv: (
                -len({d["provenance"]["source"] for d in kv[1]}),
                -max((d.get("weight") or 0.0) for d in kv[1]),
                graph.nodes[kv[0]]["name"],
            ),
        )[:MAX_ITEMS]
        items = []
        for tail, datas in ranked:
            sources = sorted({_SOURCE_LABELS.get(d["provenance"]["source"], d["provenance"]["source"]) for d in datas})
            items.append(f"{graph.nodes[tail]['name']} [{', '.join(sources)}]")
        edges = [d for _, ds in ranked for d in ds]
        chunks.append(make(relation, f"{template.format(name=name)}: " + "; ".join(items) + ".", edges))
    return chunks


def render_facts(graph: nx.MultiDiGraph, types: tuple[str, ...] = ("disease",)) -> list[Chunk]:
    """Fact chunks for every node of the given types, in id order."""
    return [c for n in sorted(graph.nodes) if graph.nodes[n]["type"] in types for c in node_facts(graph, n)]
