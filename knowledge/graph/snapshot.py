"""Versioned, hashed JSON snapshots of the knowledge graph (no pickle)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import networkx as nx

from knowledge.errors import IndexCorruptError, IndexNotBuiltError
from knowledge.schema import json_hash

SNAPSHOT_VERSION = 1


def graph_payload(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Deterministic JSON form: sorted nodes and edges, plus a content hash over both."""
    nodes = [{"id": n, **graph.nodes[n]} for n in sorted(graph.nodes)]
    edges = sorted(
        ({"head": u, "tail": v, "key": k, **d} for u, v, k, d in graph.edges(keys=True, data=True)),
        key=lambda e: (e["head"], e["tail"], e["key"]),
    )
    return {"version": SNAPSHOT_VERSION, "content_hash": json_hash([nodes, edges]), "nodes": nodes, "edges": edges}


def save_graph(graph: nx.MultiDiGraph, path: Path) -> str:
    """Write `graph.json.gz`; returns the content hash."""
    payload = graph_payload(graph)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    return str(payload["content_hash"])


def load_graph(path: Path, *, verify: bool = False) -> tuple[nx.MultiDiGraph, str]:
    """Read a snapshot; with `verify`, recompute the content hash and fail on mismatch."""
    if not path.exists():
        msg = f"knowledge graph snapshot not found at {path}; run `clinicalgpt kb build`"
        raise IndexNotBuiltError(msg)
    return load_graph_bytes(path.read_bytes(), path, verify=verify)


def load_graph_bytes(data: bytes, path: Path, *, verify: bool = False) -> tuple[nx.MultiDiGraph, str]:
    """Parse snapshot bytes read from `path` (named in errors); damaged data raises `IndexCorruptError`."""
    rebuild = "rebuild with `clinicalgpt kb build`"
    try:
        payload = json.loads(gzip.decompress(data).decode("utf-8"))
        nodes, edges, content_hash = payload["nodes"], payload["edges"], str(payload["content_hash"])
        version = payload.get("version")
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
        msg = f"{path} is not a readable graph snapshot ({exc.__class__.__name__}); {rebuild}"
        raise IndexCorruptError(msg) from exc
    if version != SNAPSHOT_VERSION:
        msg = f"{path}: snapshot version {version} != {SNAPSHOT_VERSION}; {rebuild}"
        raise IndexCorruptError(msg)
    if verify and json_hash([nodes, edges]) != content_hash:
        msg = f"{path}: content hash mismatch (file changed after the build); {rebuild}"
        raise IndexCorruptError(msg)
    graph = nx.MultiDiGraph()
    try:
        for node in nodes:
            attrs = dict(node)
            graph.add_node(attrs.pop("id"), **attrs)
        for edge in edges:
            attrs = dict(edge)
            graph.add_edge(attrs.pop("head"), attrs.pop("tail"), key=attrs.pop("key"), **attrs)
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"{path} holds a malformed node or edge ({exc.__class__.__name__}); {rebuild}"
        raise IndexCorruptError(msg) from exc
    return graph, content_hash
