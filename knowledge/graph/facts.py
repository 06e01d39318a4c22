"""Render KG neighbourhoods into short, citable "fact" chunks (`fact:<node id>:<relation>`).

Facts let the graph be retrieved like text (dense, BM25) and cited like any passage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import networkx as nx

from knowledge.schema import Chunk
from knowledge.sources.indications import CATEGORY_NAMES, CATEGORY_WEIGHTS, RESOURCE_LABELS

#: Relation → how a fact about it reads. `{name}` is the head entity.
RELATION_TEMPLATES: dict[str, str] = {
    "has_symptom": "Symptoms and signs of {name}",
    "has_evidence": "Findings asked about when {name} is suspected (DDXPlus)",
    "has_risk_factor": "Risk factors and history relevant to {name} (DDXPlus)",
    "has_test": "Tests and procedures for {name}",
    "treated_with": "Medications used for {name}",
    "not_indicated": (
        "Drugs listed for {name} by some resource but judged NOT to treat it by physician curators "
        "(they may treat a complication or a co-occurring condition)"
    ),
}
#: Facts read from the tail's side: incoming relation → (fact section, template). A drug question ("what is
#: metformin used for?") links the drug, whose own edges are few; the conditions pointing at it answer it.
INVERSE_TEMPLATES: dict[str, tuple[str, str]] = {
    "treated_with": ("used_for", "Conditions {name} is used for"),
    "not_indicated": (
        "not_indicated_for",
        "Conditions {name} was listed for by some resource but judged NOT to treat by physician curators "
        "(it may treat a complication or a co-occurring condition there)",
    ),
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
    "indications": "Indications",
    "fda_labels": "FDA label",
}
#: Edge weight → what it means, for sources whose weight is a category rather than a strength.
_WEIGHT_NOTES = {"indications": {weight: CATEGORY_NAMES[c] for c, weight in CATEGORY_WEIGHTS.items()}}


def fact_id(node_id: str, relation: str) -> str:
    """Stable id of the fact about `relation` edges of `node_id`."""
    return f"fact:{node_id}:{relation}"


def _url(attrs: dict[str, Any]) -> str | None:
    return next((p.get("url") for p in attrs.get("provenance", []) if p.get("url")), None)


def _edges_url(edges: list[dict[str, Any]]) -> str | None:
    """The link a fact cites: the page of the resource that states most of its edges (ties: the first listed).

    A merged node's own first page belongs to whichever source loaded first; a fact listing ChatDoctor's
    medications must link to ChatDoctor, not to that page.
    """
    urls = [e["provenance"].get("url") for e in edges if e["provenance"].get("url")]
    return max(dict.fromkeys(urls), key=urls.count) if urls else None


def _licences(edges: list[dict[str, Any]]) -> str:
    return "; ".join(sorted({e["provenance"]["licence"] for e in edges}))


def node_facts(graph: nx.MultiDiGraph, node_id: str) -> list[Chunk]:
    """All fact chunks about one node: an identity fact, one per outgoing relation and one per incoming relation
    of `INVERSE_TEMPLATES`."""
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
            url=_edges_url(edges) or url,
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
        if by_relation.get(relation):
            chunks.append(_listing(graph, relation, template.format(name=name), by_relation[relation], make))
    incoming: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for head, _, data in graph.in_edges(node_id, data=True):
        incoming[data["relation"]][head].append(data)
    for relation, (section, template) in INVERSE_TEMPLATES.items():
        if incoming.get(relation):
            chunks.append(_listing(graph, section, template.format(name=name), incoming[relation], make))
    return chunks


def _resource(data: dict[str, Any]) -> str:
    """Who states an edge: the resource within the source when the source bundles several, else the source."""
    prov = data["provenance"]
    return RESOURCE_LABELS.get(prov.get("url") or "") or _SOURCE_LABELS.get(prov["source"], prov["source"])


def _edge_label(data: dict[str, Any]) -> str:
    """The resource, with what the edge's weight means when it is a category ("PharmacotherapyDB: symptomatic")."""
    notes = _WEIGHT_NOTES.get(data["provenance"]["source"], {})
    weight = data.get("weight")
    note = notes.get(weight) if weight is not None else None
    return f"{_resource(data)}: {note}" if note else _resource(data)


def _listing(
    graph: nx.MultiDiGraph,
    section: str,
    heading: str,
    others: dict[str, list[dict[str, Any]]],
    make: Callable[[str, str, list[dict[str, Any]]], Chunk],
) -> Chunk:
    """One fact listing the nodes at the other end of `section`'s edges, best supported first."""
    # Rank by how many resources agree, then by the strongest weight (HSDN TF-IDF, indication category).
    ranked = sorted(
        others.items(),
        key=lambda kv: (
            -len({_resource(d) for d in kv[1]}),
            -max((d.get("weight") or 0.0) for d in kv[1]),
            graph.nodes[kv[0]]["name"],
        ),
    )[:MAX_ITEMS]
    items = [
        f"{graph.nodes[other]['name']} [{', '.join(sorted({_edge_label(d) for d in datas}))}]"
        for other, datas in ranked
    ]
    edges = [d for _, ds in ranked for d in ds]
    return make(section, f"{heading}: " + "; ".join(items) + ".", edges)


def render_facts(graph: nx.MultiDiGraph, types: tuple[str, ...] = ("disease", "drug")) -> list[Chunk]:
    """Fact chunks for every node of the given types, in id order.

    Drugs are included so that a drug question finds the drug's names (brands, salts) and the conditions it
    is used for as one citable passage; symptoms and codes are reached through the diseases' facts.
    """
    return [c for n in sorted(graph.nodes) if graph.nodes[n]["type"] in types for c in node_facts(graph, n)]
