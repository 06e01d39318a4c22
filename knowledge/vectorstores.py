"""A FAISS vector store with cosine similarity, upsert by id and pickle-free persistence.

Vectors are L2-normalised on add and on query and kept in `IndexIDMap2(IndexFlatIP)`, so inner
product is cosine similarity and an exact match always ranks first, whatever the embedder. String
ids map to int64 faiss ids, which makes delete and upsert possible. Documents live in a dict and are
saved as JSONL next to `faiss.index`; nothing is unpickled on load.

A store inside a knowledge base keeps no documents of its own: it saves only its id map (`ids.jsonl`) and
reads documents from the knowledge base's chunk records through a lookup, so each passage is stored once.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from knowledge.errors import IndexCorruptError, IndexNotBuiltError, KnowledgeError

logger = logging.getLogger(__name__)

INDEX_FILE = "faiss.index"
DOCSTORE_FILE = "docstore.jsonl"
#: Id map of a store whose documents live elsewhere (`save(..., documents=False)`).
IDS_FILE = "ids.jsonl"

MetadataFilter = dict[str, Any] | Callable[[dict[str, Any]], bool]
#: Document of an id, for stores whose documents live outside them.
DocumentLookup = Callable[[str], Document]


def _normalise(vectors: Any) -> np.ndarray:
    """Row-wise L2 normalisation into a new C-contiguous float32 array (zero rows stay zero)."""
    array = np.array(vectors, dtype=np.float32, ndmin=2, copy=True)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(array / norms)


def _matches(metadata: dict[str, Any], flt: MetadataFilter | None) -> bool:
    if callable(flt):
        return bool(flt(metadata))
    return flt is None or all(metadata.get(key) == value for key, value in flt.items())


class FaissVectorStore(VectorStore):
    """In-memory FAISS store; cosine similarity scores (higher is better).

    Args:
        embedding: Embedder for texts and queries. The index dimension is taken from its first vector.
    """

    def __init__(self, embedding: Embeddings, *, lookup: DocumentLookup | None = None) -> None:
        self._embedding = embedding
        self._index: Any = None  # faiss.IndexIDMap2, created on the first add
        self._docs: dict[str, Document] = {}
        # Set for a store read from a knowledge base: documents come from its chunks, and the store is read-only.
        self._lookup = lookup
        self._str_to_int: dict[str, int] = {}
        self._int_to_str: dict[int, str] = {}
        self._next_int = 0
        # Async methods run the sync ones in executor threads; faiss and the dicts must change together.
        self._lock = threading.RLock()

    @property
    def embeddings(self) -> Embeddings:
        """The embedder used for texts and queries."""
        return self._embedding

    def __len__(self) -> int:
        return len(self._str_to_int)

    def ids(self) -> list[str]:
        """Ids of every stored document."""
        with self._lock:
            return list(self._str_to_int)

    def _doc(self, sid: str) -> Document | None:
        """The stored document of `sid`, or None."""
        if sid not in self._str_to_int:
            return None
        return self._lookup(sid) if self._lookup is not None else self._docs[sid]

    def _writable(self) -> None:
        if self._lookup is not None:
            msg = "this vector store belongs to a knowledge base and is read-only; rebuild with `clinicalgpt kb build`"
            raise KnowledgeError(msg)

    @property
    def dimension(self) -> int | None:
        """Vector dimension of the index (None until the first vector is added)."""
        return None if self._index is None else int(self._index.d)

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed and add texts; an existing id is replaced, never duplicated (see `add_embeddings`)."""
        texts = list(texts)
        if not texts:
            return []
        vectors = np.asarray(self._embedding.embed_documents(texts), dtype=np.float32)
        return self.add_embeddings(texts, vectors, metadatas=metadatas, ids=ids)

    def add_embeddings(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Add texts with precomputed vectors (bulk builds); upserts on existing ids.

        Args:
            texts: Page contents.
            vectors: Array of shape `(len(texts), dim)`; normalised into a copy.
            metadatas: One metadata dict per text (copied).
            ids: One id per text; missing or `None` ids get a uuid4.

        Returns:
            The ids, in input order.
        """
        n = len(texts)
        metadatas = list(metadatas) if metadatas is not None else [{} for _ in range(n)]
        str_ids = [i if i else str(uuid.uuid4()) for i in ids] if ids is not None else []
        str_ids += [str(uuid.uuid4()) for _ in range(n - len(str_ids))]
        matrix = _normalise(vectors) if n else np.zeros((0, 0), dtype=np.float32)
        if not (len(metadatas) == len(str_ids) == matrix.shape[0] == n):
            raise ValueError(
                f"add_embeddings: {n} texts, {matrix.shape[0]} vectors, {len(metadatas)} metadatas "
                f"and {len(str_ids)} ids must have the same length"
            )
        if n == 0:
            return []
        self._writable()
        # The same id twice in one batch: the last one wins, as a sequence of upserts would.
        last = {sid: pos for pos, sid in enumerate(str_ids)}
        keep = sorted(last.values())
        with self._lock:
            self._ensure_index(matrix.shape[1])
            self._remove(list(last))
            int_ids = np.arange(self._next_int, self._next_int + len(keep), dtype=np.int64)
            self._next_int += len(keep)
            self._index.add_with_ids(np.ascontiguousarray(matrix[keep]), int_ids)
            for pos, int_id in zip(keep, int_ids.tolist(), strict=True):
                sid = str_ids[pos]
                self._str_to_int[sid] = int_id
                self._int_to_str[int_id] = sid
                self._docs[sid] = Document(id=sid, page_content=texts[pos], metadata=dict(metadatas[pos] or {}))
        return str_ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Delete documents by id (unknown ids are ignored; `None` deletes everything); returns True."""
        self._writable()
        with self._lock:
            self._remove(list(self._str_to_int) if ids is None else ids)
        return True

    def _remove(self, ids: Iterable[str]) -> None:
        int_ids = [self._str_to_int.pop(sid) for sid in ids if sid in self._str_to_int]
        if not int_ids:
            return
        self._index.remove_ids(np.asarray(int_ids, dtype=np.int64))
        for int_id in int_ids:
            self._docs.pop(self._int_to_str.pop(int_id), None)

    def _ensure_index(self, dim: int) -> None:
        if self._index is None:
            import faiss

            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        elif self._index.d != dim:
            raise KnowledgeError(
                f"Vectors have dimension {dim} but the index has {self._index.d}: "
                "was it built with a different embedding model?"
            )

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents for the ids that exist, in the order given."""
        with self._lock:
            found = [self._doc(sid) for sid in ids]
            return [doc.model_copy(deep=True) for doc in found if doc is not None]

    def search_vectors(self, query_vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Batched search: for each row of `query_vectors`, up to `k` `(id, cosine)` pairs, best first."""
        queries = _normalise(query_vectors)
        with self._lock:
            if self._index is None or self._index.ntotal == 0 or k <= 0:
                return [[] for _ in range(queries.shape[0])]
            self._ensure_index(queries.shape[1])
            scores, labels = self._index.search(queries, min(k, self._index.ntotal))
            names = self._int_to_str
            return [
                [(names[lab], s) for lab, s in zip(row_l, row_s, strict=True) if lab >= 0]
                for row_l, row_s in zip(labels.tolist(), scores.tolist(), strict=True)
            ]

    def similarity_search_with_score_by_vector(
        self, embedding: list[float], k: int = 4, filter: MetadataFilter | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Up to `k` `(Document, cosine similarity)` pairs, best first.

        `filter` is a metadata equality dict or a predicate on the metadata.
        """
        total, fetch = len(self), k if filter is None else max(4 * k, 50)
        while True:
            hits = self.search_vectors(np.asarray([embedding], dtype=np.float32), min(fetch, total))[0]
            with self._lock:
                docs = [(self._doc(sid), s) for sid, s in hits]
                found = [(doc, s) for doc, s in docs if doc is not None and _matches(doc.metadata, filter)]
                # A selective filter may need a wider search; stop once everything has been seen.
                if len(found) >= k or fetch >= total:
                    return [(doc.model_copy(deep=True), s) for doc, s in found[:k]]
            fetch *= 4

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[Document, float]]:
        """Nearest documents to a query with cosine similarity scores (higher is better)."""
        return self.similarity_search_with_score_by_vector(self._embedding.embed_query(query), k, **kwargs)

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[Document]:
        """Nearest documents to a vector."""
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k, **kwargs)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """Nearest documents to a query; `filter=` restricts by metadata."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    @staticmethod
    def _cosine_to_relevance(score: float) -> float:
        return min(1.0, max(0.0, (score + 1.0) / 2.0))

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        # Scores are already cosine similarities in [-1, 1]; map them linearly onto [0, 1].
        return self._cosine_to_relevance

    @classmethod
    def from_texts(
        cls, texts: list[str], embedding: Embeddings, metadatas: list[dict] | None = None, **kwargs: Any
    ) -> FaissVectorStore:
        """Build a store from texts."""
        store = cls(embedding)
        store.add_texts(texts, metadatas=metadatas, ids=kwargs.get("ids"))
        return store

    def save(self, folder: Path, *, documents: bool = True) -> None:
        """Write `faiss.index` and `docstore.jsonl` into `folder` (created if needed).

        With `documents=False` the documents are not written, only the id map (`ids.jsonl`): for stores
        whose documents are kept elsewhere (a knowledge base's chunks), read back with `load(..., lookup=)`.
        A store that never received a vector has no dimension yet, so only the (empty) docstore is
        written; `load` reads that back as an empty store.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._index is not None:
                import faiss

                faiss.write_index(self._index, str(folder / INDEX_FILE))
            with open(folder / (DOCSTORE_FILE if documents else IDS_FILE), "w", encoding="utf-8") as fh:
                for sid, int_id in self._str_to_int.items():
                    rec: dict[str, Any] = {"id": sid, "int_id": int_id}
                    if documents:
                        doc = self._doc(sid)
                        assert doc is not None  # every id in the map has a document
                        rec |= {"page_content": doc.page_content, "metadata": doc.metadata}
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        logger.info("Saved %d vectors to %s", len(self), folder)

    @classmethod
    def load(cls, folder: Path, embedding: Embeddings, *, lookup: DocumentLookup | None = None) -> FaissVectorStore:
        """Read a store written by `save`; one saved without documents needs `lookup` (id → Document).

        Raises:
            IndexNotBuiltError: The folder or one of its files is missing.
            IndexCorruptError: The files cannot be read or disagree with each other.
        """
        folder = Path(folder)
        index_path = folder / INDEX_FILE
        rebuild = "run `clinicalgpt kb build` to (re)build it"
        with_docs = lookup is None
        docstore_path = folder / (DOCSTORE_FILE if with_docs else IDS_FILE)
        if not docstore_path.is_file():
            raise IndexNotBuiltError(f"No vector index in {folder} (missing {docstore_path.name}); {rebuild}.")
        store = cls(embedding, lookup=lookup)
        try:
            with open(docstore_path, encoding="utf-8") as fh:
                records = [json.loads(line) for line in fh if line.strip()]
            for rec in records:
                sid, int_id = str(rec["id"]), int(rec["int_id"])
                if with_docs:
                    store._docs[sid] = Document(id=sid, page_content=rec["page_content"], metadata=rec["metadata"])
                store._str_to_int[sid], store._int_to_str[int_id] = int_id, sid
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"Unreadable {docstore_path}: {exc}; {rebuild}.") from exc
        if not index_path.is_file():
            if records:  # only a store that never held a vector is saved without an index
                raise IndexNotBuiltError(f"No vector index in {folder} (missing {INDEX_FILE}); {rebuild}.")
            return store
        import faiss

        try:
            store._index = faiss.read_index(str(index_path))
            stored_ids = set(faiss.vector_to_array(store._index.id_map).tolist())
        except (RuntimeError, AttributeError) as exc:
            raise IndexCorruptError(f"Unreadable {index_path}: {exc}; {rebuild}.") from exc
        counts = {store._index.ntotal, len(records), len(store._str_to_int), len(store._int_to_str)}
        if len(counts) != 1 or stored_ids != set(store._int_to_str):
            raise IndexCorruptError(
                f"{index_path} holds {store._index.ntotal} vectors but {docstore_path} has {len(records)} "
                f"records (or their ids differ); {rebuild}."
            )
        store._next_int = max(stored_ids, default=-1) + 1
        return store
