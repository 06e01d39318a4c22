"""Build and load a knowledge base: KG snapshot, chunk store, FAISS dense index and BM25 index.

Layout of a knowledge base folder:

    manifest.json     sources, load reports, counts, embedding model, settings hash, build time
    graph.json.gz     the knowledge graph snapshot (content-hashed)
    chunks.jsonl      every chunk (text and KG facts) with provenance; row i is BM25 row i
    dense/            FAISS index + JSONL docstore of the embedded chunks
    bm25/             bm25s index files

Builds are atomic: everything is written into a temporary sibling folder, and only a complete build
replaces the old folder, so a failed or interrupted build never damages a good knowledge base.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from tqdm.auto import tqdm

from knowledge.chunking import chunk_document
from knowledge.embeddings import SentenceTransformerEmbeddings, resolve_dtype
from knowledge.errors import IndexCorruptError, IndexNotBuiltError
from knowledge.graph import EntityLinker, build_graph, load_graph, render_facts, save_graph
from knowledge.lexical import BM25Index
from knowledge.schema import Chunk, SourceDoc, json_hash
from knowledge.settings import KnowledgeSettings
from knowledge.sources import DATA_LOADERS, LoadReport, SourceBundle, check_sources, load_icd10cm, load_user_docs
from knowledge.vectorstores import FaissVectorStore

logger = logging.getLogger(__name__)

KB_FORMAT = 1
MANIFEST = "manifest.json"


class KBManifest(BaseModel):
    """What a knowledge base holds and how it was built."""

    model_config = ConfigDict(extra="forbid")

    format: int = KB_FORMAT
    built_at: str
    build_seconds: float
    sources: list[str]
    reports: list[LoadReport]
    counts: dict[str, int] = Field(description="documents, chunks, embedded chunks, fact chunks, nodes, edges")
    node_types: dict[str, int]
    edge_types: dict[str, int]
    embedding_model: str
    embedding_dim: int
    embedding_dtype: str = Field(default="float32", description="Compute dtype the vectors were made with.")
    settings_hash: str
    graph_hash: str


def settings_hash(settings: KnowledgeSettings) -> str:
    """Hash of the settings that change the built content (paths and progress bars excluded)."""
    relevant = settings.model_dump(mode="json", exclude={"kb_dir", "show_progress", "data_dir"})
    relevant["embedding"].pop("device", None)
    relevant["embedding"].pop("batch_size", None)
    return json_hash(relevant)


def _load_sources(settings: KnowledgeSettings) -> list[SourceBundle]:
    check_sources(settings.sources)
    bundles: list[SourceBundle] = []
    names = [s for s in settings.sources if s != "icd10cm"]
    for name in tqdm(names, desc="load sources", disable=not settings.show_progress):
        started = time.perf_counter()
        bundle = DATA_LOADERS[name](settings.data_dir)
        logger.info(
            "%s: %d docs, %d nodes, %d edges, %d malformed (%.1fs)",
            name,
            len(bundle.docs),
            len(bundle.nodes),
            len(bundle.edges),
            bundle.report.malformed,
            time.perf_counter() - started,
        )
        bundles.append(bundle)
    if "icd10cm" in settings.sources:
        codes = {e.tail for b in bundles for e in b.edges if e.relation == "has_code"}
        bundles.append(load_icd10cm(codes))
    for folder in settings.user_docs:
        bundles.append(load_user_docs(folder))
    return bundles


def _chunks(docs: list[SourceDoc], alias: dict[str, str], settings: KnowledgeSettings) -> list[Chunk]:
    chunks: list[Chunk] = []
    limit = settings.index.embed_max_chunks_per_doc
    for doc in docs:
        entities = [alias.get(e, e) for e in doc.entities]
        for chunk in chunk_document(doc.model_copy(update={"entities": entities}), settings.chunking):
            chunk.embed = limit == 0 or chunk.chunk_index < limit
            chunks.append(chunk)
    return chunks


def build_knowledge_base(
    settings: KnowledgeSettings, *, embeddings: SentenceTransformerEmbeddings | None = None
) -> KBManifest:
    """Load the configured sources, build graph and indexes, and atomically install them at `kb_dir`."""
    started = time.perf_counter()
    bundles = _load_sources(settings)
    graph, alias = build_graph(bundles)
    docs = [d for b in bundles for d in b.docs]
    chunks = _chunks(docs, alias, settings) + render_facts(graph)
    dupes = sorted(i for i, n in Counter(c.chunk_id for c in chunks).items() if n > 1)[:5]
    if dupes:
        msg = f"duplicate chunk ids {dupes}: two sources produced the same document id"
        raise IndexCorruptError(msg)
    embeddings = embeddings or SentenceTransformerEmbeddings(
        model_path=str(settings.embedding.model_path) if settings.embedding.model_path else None,
        device=settings.embedding.device,
        batch_size=settings.embedding.batch_size,
        dtype=settings.embedding.dtype,
        show_progress=settings.show_progress,
    )
    target = settings.resolved_kb_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-build-", dir=target.parent))
    try:
        dense_chunks = [c for c in chunks if c.embed]
        logger.info("embedding %d of %d chunks", len(dense_chunks), len(chunks))
        vectors = embeddings.embed_array([c.index_text() for c in dense_chunks])
        store = FaissVectorStore(embeddings)
        store.add_embeddings(
            [c.text for c in dense_chunks],
            vectors,
            metadatas=[c.metadata() for c in dense_chunks],
            ids=[c.chunk_id for c in dense_chunks],
        )
        store.save(tmp / "dense")
        logger.info("indexing %d chunks for BM25", len(chunks))
        BM25Index.build([c.index_text() for c in chunks], show_progress=settings.show_progress).save(tmp / "bm25")
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk.model_dump_json() + "\n")
        graph_hash = save_graph(graph, tmp / "graph.json.gz")
        manifest = KBManifest(
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 1),
            sources=list(settings.sources) + [f"user:{p}" for p in settings.user_docs],
            reports=[b.report for b in bundles],
            counts={
                "documents": len(docs),
                "chunks": len(chunks),
                "embedded_chunks": len(dense_chunks),
                "fact_chunks": sum(c.kind == "fact" for c in chunks),
                "nodes": graph.number_of_nodes(),
                "edges": graph.number_of_edges(),
                "merged_nodes": len(alias),
            },
            node_types=_count(d["type"] for _, d in graph.nodes(data=True)),
            edge_types=_count(d["relation"] for _, _, d in graph.edges(data=True)),
            embedding_model=embeddings.model_name,
            embedding_dim=int(vectors.shape[1]) if len(vectors) else 0,
            embedding_dtype=resolve_dtype(embeddings.dtype, embeddings.device),
            settings_hash=settings_hash(settings),
            graph_hash=graph_hash,
        )
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        _install(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("knowledge base ready at %s (%.0fs)", target, manifest.build_seconds)
    return manifest


def _count(values: Any) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _install(tmp: Path, target: Path) -> None:
    """Swap the finished build into place; the old folder is removed only after the swap."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(kb_dir: Path) -> KBManifest:
    """The manifest of a built knowledge base, or a clear error naming the command to build one."""
    path = Path(kb_dir).expanduser() / MANIFEST
    if not path.exists():
        msg = (
            f"no knowledge base at {path.parent} (missing {MANIFEST}); "
            "run `clinicalgpt kb build` or set CLINICALGPT_KB_DIR"
        )
        raise IndexNotBuiltError(msg)
    try:
        manifest = KBManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        msg = f"{path} is unreadable ({exc.__class__.__name__}); rebuild with `clinicalgpt kb build`"
        raise IndexCorruptError(msg) from exc
    if manifest.format != KB_FORMAT:
        msg = f"{path}: format {manifest.format}, this version reads {KB_FORMAT}; rebuild with `clinicalgpt kb build`"
        raise IndexCorruptError(msg)
    return manifest


class KnowledgeBase:
    """A loaded knowledge base: chunks, graph, linker, dense and lexical indexes."""

    def __init__(
        self,
        kb_dir: Path,
        manifest: KBManifest,
        chunks: list[Chunk],
        graph: nx.MultiDiGraph,
        dense: FaissVectorStore,
        bm25: BM25Index,
        embeddings: SentenceTransformerEmbeddings,
    ) -> None:
        self.kb_dir = kb_dir
        self.manifest = manifest
        self.chunks = chunks
        self.row_of = {c.chunk_id: i for i, c in enumerate(chunks)}
        self.graph = graph
        self.dense = dense
        self.bm25 = bm25
        self.embeddings = embeddings
        self.by_entity: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            for entity in chunk.entities:
                self.by_entity.setdefault(entity, []).append(row)

    @classmethod
    def load(cls, kb_dir: Path, *, embeddings: SentenceTransformerEmbeddings | None = None) -> KnowledgeBase:
        """Open a built knowledge base (raises `IndexNotBuiltError` with the fix when absent)."""
        kb_dir = Path(kb_dir).expanduser()
        manifest = read_manifest(kb_dir)
        chunks_path = kb_dir / "chunks.jsonl"
        with chunks_path.open(encoding="utf-8") as fh:
            chunks = [Chunk.model_validate_json(line) for line in fh if line.strip()]
        if len(chunks) != manifest.counts["chunks"]:
            msg = f"{chunks_path}: {len(chunks)} chunks, manifest says {manifest.counts['chunks']}; rebuild"
            raise IndexCorruptError(msg)
        graph, _ = load_graph(kb_dir / "graph.json.gz")
        # Queries are embedded like the passages were (fp16 is GPU-only: fall back to `auto` elsewhere).
        dtype = manifest.embedding_dtype if manifest.embedding_dtype != "float16" else "auto"
        embeddings = embeddings or SentenceTransformerEmbeddings(dtype=dtype)  # type: ignore[arg-type]
        dense = FaissVectorStore.load(kb_dir / "dense", embeddings)
        return cls(kb_dir, manifest, chunks, graph, dense, BM25Index.load(kb_dir / "bm25"), embeddings)

    @cached_property
    def linker(self) -> EntityLinker:
        """Entity linker over the graph, built on first use."""
        return EntityLinker(self.graph)

    def chunk(self, chunk_id: str) -> Chunk:
        """A chunk by id (KeyError if unknown)."""
        return self.chunks[self.row_of[chunk_id]]

    def embed_query(self, text: str) -> np.ndarray:
        """Normalised query vector, shape (1, dim)."""
        return self.embeddings.embed_array([text])


def describe(manifest: KBManifest) -> dict[str, Any]:
    """A JSON-friendly summary for `clinicalgpt kb info`."""
    data = manifest.model_dump(mode="json")
    data["reports"] = [
        {k: r[k] for k in ("source", "records", "malformed")} | {"problems": r["problems"][:3]} for r in data["reports"]
    ]
    return data
