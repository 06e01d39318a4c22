"""The medical knowledge graph: build, snapshot, facts and entity linking."""

from knowledge.graph.build import build_graph, merge_records
from knowledge.graph.facts import fact_id, node_facts, render_facts
from knowledge.graph.link import EntityLink, EntityLinker
from knowledge.graph.names import normalize
from knowledge.graph.snapshot import load_graph, save_graph

__all__ = [
    "EntityLink",
    "EntityLinker",
    "build_graph",
    "fact_id",
    "load_graph",
    "merge_records",
    "node_facts",
    "normalize",
    "render_facts",
    "save_graph",
]
