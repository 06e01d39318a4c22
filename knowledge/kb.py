"""Build and load a knowledge base: KG snapshot, chunk store, FAISS dense index and BM25 index.

One build folder holds:

    manifest.json     sources, load reports, counts, embedding model, settings hash, size + SHA-256 of every file
    graph.json.gz     the knowledge graph snapshot (content-hashed)
    chunks.jsonl      every chunk (text and KG facts) with provenance; row i is BM25 row i
    dense/            FAISS index + JSONL docstore of the embedded chunks
    bm25/             bm25s index files

Builds are versioned folders behind an atomic pointer (`knowledge/kb_layout.py`): a failed or interrupted
build never damages a good knowledge base, and a load during a rebuild reads one build, never a mix.
Loading checks the manifest's hash, every file's size, and the hashes of the files it reads whole.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import numpy as np
from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tqdm.auto import tqdm

from knowledge import kb_layout
from knowledge.chunking import chunk_document
from knowledge.embeddings import SentenceTransformerEmbeddings, resolve_dtype
from knowledge.errors import (
    ClinicalAssistantError,
    EmbeddingModelMissingError,
    IndexCorruptError,
    SourceFormatError,
)
from knowledge.graph import EntityLinker, build_graph, render_facts, save_graph
from knowledge.graph.drugs import DrugLexicon
from knowledge.graph.names import normalize
from knowledge.graph.snapshot import load_graph_bytes
from knowledge.kb_layout import REBUILD, FileRecord
from knowledge.lexical import BM25Index
from knowledge.schema import Chunk, EdgeRecord, NodeRecord, SourceDoc, json_hash
from knowledge.settings import KnowledgeSettings
from knowledge.sources import DATA_LOADERS, LoadReport, SourceBundle, check_sources, load_icd10cm, load_user_docs
from knowledge.vectorstores import FaissVectorStore

logger = logging.getLogger(__name__)

#: 3: the dense index keeps only its id map (`dense/ids.jsonl`); passages are read from `chunks.jsonl`.
KB_FORMAT = 3
MANIFEST = kb_layout.MANIFEST
CHUNKS = "chunks.jsonl"
GRAPH = "graph.json.gz"
#: Times a load re-resolves the pointer when a concurrent build removed the build it was reading.
LOAD_ATTEMPTS = 3
T = TypeVar("T")


class FlaggedPassage(BaseModel):
    """A chunk whose text reads like instructions or markup (see `knowledge.injection`): kept, never obeyed."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str
    source: str
    reasons: list[str]


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
    embedding_model_path: str | None = Field(
        default=None, description="Model folder the passages were embedded with; None = the bundled default."
    )
    embedding_dim: int
    embedding_dtype: str = Field(default="float32", description="Compute dtype the vectors were made with.")
    settings_hash: str
    graph_hash: str
    files: dict[str, FileRecord] = Field(description="Size and SHA-256 of every file of the build but the manifest.")
    flagged: list[FlaggedPassage] = Field(default_factory=list, description="Passages flagged at build time.")


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
    for bundle in bundles:  # every record states its licence; `kb info` lists them per source
        records: list[SourceDoc | NodeRecord | EdgeRecord] = [*bundle.docs, *bundle.nodes, *bundle.edges]
        bundle.report.licences = sorted({r.provenance.licence for r in records})
    return bundles


#: A title names its entity when the whole last segment of the title ("Anthrax", "Headache") is an entity's
#: name or synonym: such documents join the entity's passages in retrieval, whatever their source.
TITLE_LINK_MIN_SCORE = 0.9
#: Separator of a title path ("Microbiology › 21 Skin and Eye Infections › … › Anthrax").
TITLE_PATH_SEPARATOR = "›"


def title_entities(title: str, linker: EntityLinker) -> list[str]:
    """Entities a document is about by its title: the last title segment, matched whole (not fuzzily)."""
    segment = title.split(TITLE_PATH_SEPARATOR)[-1].strip()
    words = len(normalize(segment).split())
    return [
        link.node_id
        for link in linker.link(segment, top=3, fuzzy=False)
        if link.score >= TITLE_LINK_MIN_SCORE and len(link.surface.split()) == words
    ][:1]


def _chunks(
    docs: list[SourceDoc], alias: dict[str, str], settings: KnowledgeSettings, graph: nx.MultiDiGraph
) -> list[Chunk]:
    chunks: list[Chunk] = []
    limit = settings.index.embed_max_chunks_per_doc
    linker: EntityLinker | None = None
    for doc in docs:
        entities = [alias.get(e, e) for e in doc.entities]
        if not entities:
            # Textbook sections and the user's documents name no entity: their title may (see title_entities).
            linker = linker or EntityLinker(graph)
            entities = title_entities(doc.title, linker)
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
    chunks = _chunks(docs, alias, settings, graph) + render_facts(graph)
    _refuse_duplicate_ids(docs)
    if not chunks:
        msg = f"the sources {settings.sources} produced no passages to index; add a source with text, e.g. medquad"
        raise SourceFormatError(msg)
    embeddings = embeddings or SentenceTransformerEmbeddings(
        model_path=str(settings.embedding.model_path.expanduser().resolve()) if settings.embedding.model_path else None,
        device=settings.embedding.device,
        batch_size=settings.embedding.batch_size,
        dtype=settings.embedding.dtype,
        show_progress=settings.show_progress,
    )
    target = settings.resolved_kb_dir()
    kb_layout.check_target(target)
    created = not target.exists()
    try:
        with kb_layout.build_lock(target):
            for path in kb_layout.remove_stale_temporaries(target):
                logger.info("removed an unfinished build left by a killed builder: %s", path)
            manifest = _write_build(
                target, settings, bundles, graph, docs, chunks, embeddings, started, merged_nodes=len(alias)
            )
    except BaseException:
        if created:  # leave no empty shell behind for a first build that failed
            shutil.rmtree(target, ignore_errors=True)
        raise
    logger.info("knowledge base ready at %s (%.0fs)", target, manifest.build_seconds)
    return manifest


def _write_build(
    target: Path,
    settings: KnowledgeSettings,
    bundles: list[SourceBundle],
    graph: nx.MultiDiGraph,
    docs: list[SourceDoc],
    chunks: list[Chunk],
    embeddings: SentenceTransformerEmbeddings,
    started: float,
    merged_nodes: int,
) -> KBManifest:
    """Write every file into a temporary build folder, record their hashes, then swap the pointer."""
    tmp = kb_layout.new_build_dir(target)
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
        store.save(tmp / "dense", documents=False)  # passages live once, in chunks.jsonl
        logger.info("indexing %d chunks for BM25", len(chunks))
        BM25Index.build([c.index_text() for c in chunks], show_progress=settings.show_progress).save(tmp / "bm25")
        with (tmp / CHUNKS).open("w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk.model_dump_json() + "\n")
        graph_hash = save_graph(graph, tmp / GRAPH)
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
                "merged_nodes": merged_nodes,
                "dropped_edges": int(graph.graph.get("dangling_edges", 0)),
            },
            node_types=_count(d["type"] for _, d in graph.nodes(data=True)),
            edge_types=_count(d["relation"] for _, _, d in graph.edges(data=True)),
            embedding_model=embeddings.model_name,
            embedding_model_path=embeddings.model_path,
            embedding_dim=int(vectors.shape[1]) if len(vectors) else 0,
            embedding_dtype=resolve_dtype(embeddings.dtype, embeddings.device),
            settings_hash=settings_hash(settings),
            graph_hash=graph_hash,
            files=kb_layout.record_files(tmp),
            flagged=[FlaggedPassage(chunk_id=c.chunk_id, source=c.source, reasons=c.flags) for c in chunks if c.flags],
        )
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        kb_layout.install_build(target, tmp)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, ClinicalAssistantError):
            raise
        raise kb_layout.write_error(target, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _refuse_duplicate_ids(docs: list[SourceDoc]) -> None:
    """Two documents with one id would make citations ambiguous: name both files (e.g. two --docs folders
    that both hold `notes/a.md`)."""
    first: dict[str, SourceDoc] = {}
    for doc in docs:
        other = first.setdefault(doc.doc_id, doc)
        if other is not doc:
            where = [f"{d.provenance.source}:{d.provenance.file or d.provenance.native_id}" for d in (other, doc)]
            msg = (
                f"duplicate document id {doc.doc_id!r} in {where[0]} and {where[1]}; "
                "give one of them another id or path (or build the two folders separately)"
            )
            raise SourceFormatError(msg)


def _count(values: Any) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _parse_manifest(path: Path, data: bytes) -> KBManifest:
    try:
        manifest = KBManifest.model_validate_json(data)
    except (ValidationError, UnicodeDecodeError) as exc:
        msg = f"{path} is unreadable ({exc.__class__.__name__}); {REBUILD}"
        raise IndexCorruptError(msg) from exc
    if manifest.format != KB_FORMAT:
        msg = f"{path}: format {manifest.format}, this version reads {KB_FORMAT}; {REBUILD}"
        raise IndexCorruptError(msg)
    return manifest


def open_build(kb_dir: Path) -> tuple[Path, KBManifest]:
    """The current build folder and its manifest, after the fast integrity check (manifest hash, file sizes)."""
    build_dir, data = kb_layout.read_manifest_bytes(Path(kb_dir).expanduser())
    manifest = _parse_manifest(build_dir / MANIFEST, data)
    kb_layout.check_sizes(build_dir, manifest.files)
    return build_dir, manifest


def read_manifest(kb_dir: Path) -> KBManifest:
    """The manifest of a built knowledge base, or a clear error naming the command to build one."""
    return open_build(kb_dir)[1]


def _read_checked(build_dir: Path, manifest: KBManifest, rel: str) -> bytes:
    """A file read whole, checked against its recorded hash (cheap: we read it anyway)."""
    path = build_dir / rel
    data = path.read_bytes()
    kb_layout.check_hash(path, data, manifest.files.get(rel))
    return data


def _read_chunks(build_dir: Path, manifest: KBManifest) -> list[Chunk]:
    path = build_dir / CHUNKS
    data = _read_checked(build_dir, manifest, CHUNKS)
    try:
        chunks = [Chunk.model_validate_json(line) for line in data.splitlines() if line.strip()]
    except ValidationError as exc:
        msg = f"{path} holds an unreadable chunk ({exc.error_count()} errors); {REBUILD}"
        raise IndexCorruptError(msg) from exc
    if len(chunks) != manifest.counts["chunks"]:
        msg = f"{path}: {len(chunks)} chunks, the manifest says {manifest.counts['chunks']}; {REBUILD}"
        raise IndexCorruptError(msg)
    return chunks


def _read_graph(build_dir: Path, manifest: KBManifest) -> nx.MultiDiGraph:
    path = build_dir / GRAPH
    graph, content_hash = load_graph_bytes(_read_checked(build_dir, manifest, GRAPH), path)
    if content_hash != manifest.graph_hash:
        msg = f"{path}: graph hash {content_hash} differs from the manifest's {manifest.graph_hash}; {REBUILD}"
        raise IndexCorruptError(msg)
    return graph


def load_kb_graph(kb_dir: Path) -> nx.MultiDiGraph:
    """Only the knowledge graph of the current build (checked), for commands that need no index."""
    return _with_retry(Path(kb_dir).expanduser(), lambda build_dir, manifest: _read_graph(build_dir, manifest))


def _with_retry(kb_dir: Path, read: Callable[[Path, KBManifest], T]) -> T:
    """Read the build the pointer names; if a concurrent build swapped the pointer and removed that build
    while we read it, read the new one instead (a real missing or damaged file still raises)."""
    for attempt in range(LOAD_ATTEMPTS):
        build_dir, manifest = open_build(kb_dir)
        try:
            return read(build_dir, manifest)
        except EmbeddingModelMissingError:
            raise  # not a file of the build: rereading another build cannot help
        except (FileNotFoundError, IndexCorruptError) as exc:
            moved = kb_layout.read_pointer(kb_dir).build != build_dir.name
            if moved and attempt < LOAD_ATTEMPTS - 1:
                logger.info("knowledge base was rebuilt while loading; reading the new build")
                continue
            if isinstance(exc, IndexCorruptError):
                raise
            msg = f"{exc.filename} is missing from the knowledge base; {REBUILD}"
            raise IndexCorruptError(msg) from exc
    raise AssertionError("unreachable: the last attempt returns or raises")


class VerifyReport(BaseModel):
    """What `clinicalgpt kb verify` found."""

    model_config = ConfigDict(extra="forbid")

    kb_dir: str
    build: str
    files_checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when every file matches the manifest."""
        return not self.problems


def verify_knowledge_base(kb_dir: Path) -> VerifyReport:
    """Full integrity check: the manifest's hash, then the size and SHA-256 of every file of the build."""
    kb_dir = Path(kb_dir).expanduser()
    build_dir, data = kb_layout.read_manifest_bytes(kb_dir)
    manifest = _parse_manifest(build_dir / MANIFEST, data)
    problems = kb_layout.verify_hashes(build_dir, manifest.files)
    if not problems:
        try:
            _read_graph(build_dir, manifest)
        except IndexCorruptError as exc:
            problems.append(str(exc))
    return VerifyReport(kb_dir=str(kb_dir), build=build_dir.name, files_checked=len(manifest.files), problems=problems)


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
        """Open a built knowledge base after checking it (raises `IndexNotBuiltError`/`IndexCorruptError`
        with the fix). A load that overlaps a rebuild reads the build the pointer named when it started."""
        kb_dir = Path(kb_dir).expanduser()
        return _with_retry(kb_dir, lambda build_dir, manifest: cls._load_build(kb_dir, build_dir, manifest, embeddings))

    @classmethod
    def _load_build(
        cls,
        kb_dir: Path,
        build_dir: Path,
        manifest: KBManifest,
        embeddings: SentenceTransformerEmbeddings | None,
    ) -> KnowledgeBase:
        chunks = _read_chunks(build_dir, manifest)
        graph = _read_graph(build_dir, manifest)
        # Queries are embedded like the passages were (fp16 is GPU-only: fall back to `auto` elsewhere).
        dtype = manifest.embedding_dtype if manifest.embedding_dtype != "float16" else "auto"
        embeddings = embeddings or _query_embeddings(manifest, dtype)
        if embeddings.model_name != manifest.embedding_model:
            # Vectors of two models live in unrelated spaces: every search would return noise.
            msg = (
                f"the knowledge base at {kb_dir} was embedded with {manifest.embedding_model}, but queries would "
                f"be embedded with {embeddings.model_name}; load it without `embeddings` or rebuild it"
            )
            raise IndexCorruptError(msg)
        row_of = {c.chunk_id: row for row, c in enumerate(chunks)}

        def lookup(chunk_id: str) -> Document:
            return chunks[row_of[chunk_id]].to_document()

        dense = _guarded(
            build_dir / "dense", lambda: FaissVectorStore.load(build_dir / "dense", embeddings, lookup=lookup)
        )
        if not set(dense.ids()) <= row_of.keys():
            msg = f"{build_dir / 'dense'}: the vector index names passages that chunks.jsonl does not hold; {REBUILD}"
            raise IndexCorruptError(msg)
        if dense.dimension not in (None, manifest.embedding_dim):
            msg = f"{build_dir / 'dense'}: vectors have {dense.dimension} dimensions, the manifest says "
            msg += f"{manifest.embedding_dim}; {REBUILD}"
            raise IndexCorruptError(msg)
        bm25 = _guarded(build_dir / "bm25", lambda: BM25Index.load(build_dir / "bm25"))
        if bm25.rows != len(chunks):
            msg = f"{build_dir / 'bm25'}: {bm25.rows} rows for {len(chunks)} chunks; {REBUILD}"
            raise IndexCorruptError(msg)
        return cls(kb_dir, manifest, chunks, graph, dense, bm25, embeddings)

    @cached_property
    def drug_lexicon(self) -> DrugLexicon:
        """Every name of every drug node (brands, salts; fuzzy for misspellings), built on first use."""
        return DrugLexicon.from_graph(self.graph)

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


def _query_embeddings(manifest: KBManifest, dtype: str) -> SentenceTransformerEmbeddings:
    """The embedder the passages were built with, so queries land in the same vector space."""
    path = manifest.embedding_model_path
    if path is not None and not Path(path).is_dir():
        msg = (
            f"the knowledge base was embedded with the model at {path}, which is gone; put the model back there "
            "or rebuild with `clinicalgpt kb build` (setting `knowledge.embedding.model_path`)"
        )
        raise EmbeddingModelMissingError(msg)
    return SentenceTransformerEmbeddings(model_path=path, dtype=dtype)  # type: ignore[arg-type]


def _guarded(folder: Path, load: Callable[[], T]) -> T:
    """Run a third-party index reader; whatever it raises on a damaged file becomes one clear error."""
    try:
        return load()
    except (ClinicalAssistantError, FileNotFoundError):
        raise
    except Exception as exc:  # faiss and bm25s raise RuntimeError, ValueError, KeyError, … on garbage
        msg = f"{folder} is unreadable ({exc.__class__.__name__}); {REBUILD}"
        raise IndexCorruptError(msg) from exc


def describe(manifest: KBManifest) -> dict[str, Any]:
    """A JSON-friendly summary for `clinicalgpt kb info --json`: everything, every problem included."""
    data = manifest.model_dump(mode="json", exclude={"files"})
    data["files"] = len(manifest.files)
    data["problem_count"] = sum(len(r.problems) + r.problems_not_kept for r in manifest.reports)
    return data
