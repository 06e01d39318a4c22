"""langchain-tests standard suite and persistence checks for `FaissVectorStore`."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from knowledge.errors import IndexCorruptError, IndexNotBuiltError, KnowledgeError
from knowledge.vectorstores import DOCSTORE_FILE, INDEX_FILE, FaissVectorStore


class TestFaissVectorStoreStandard(VectorStoreIntegrationTests):
    @pytest.fixture()
    def vectorstore(self) -> Generator[VectorStore, None, None]:  # type: ignore[override]
        store = FaissVectorStore(embedding=self.get_embeddings())
        try:
            yield store
        finally:
            store.delete()

    @property
    def has_async(self) -> bool:
        return True

    @property
    def has_get_by_ids(self) -> bool:
        return True


TEXTS = [
    "fever and cough for three days",
    "itchy red rash on both arms",
    "crushing chest pain on exertion",
    "sudden severe headache",
    "burning pain when urinating",
]


@pytest.fixture()
def store() -> FaissVectorStore:
    emb = DeterministicFakeEmbedding(size=16)
    metas = [{"n": i, "kind": "even" if i % 2 == 0 else "odd"} for i in range(len(TEXTS))]
    return FaissVectorStore.from_texts(TEXTS, emb, metadatas=metas, ids=[f"d{i}" for i in range(len(TEXTS))])


def test_save_load_roundtrip(store: FaissVectorStore, tmp_path: Path) -> None:
    store.delete(["d1"])  # a hole in the int ids must survive the roundtrip
    store.save(tmp_path)
    loaded = FaissVectorStore.load(tmp_path, store.embeddings)
    assert len(loaded) == len(store) == 4
    for query in TEXTS:
        assert loaded.similarity_search_with_score(query, k=3) == store.similarity_search_with_score(query, k=3)
    assert loaded.get_by_ids(["d0", "d1", "d4"]) == store.get_by_ids(["d0", "d4"])
    assert loaded.get_by_ids(["d4"])[0].metadata == {"n": 4, "kind": "even"}
    # New ids after a load must not collide with the stored ones.
    loaded.add_texts(["new text"], ids=["d9"])
    assert len(loaded) == 5
    assert loaded.similarity_search("new text", k=1)[0].id == "d9"
    assert loaded.similarity_search(TEXTS[4], k=1)[0].id == "d4"


def test_save_writes_no_pickle(store: FaissVectorStore, tmp_path: Path) -> None:
    store.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([INDEX_FILE, DOCSTORE_FILE])
    assert not list(tmp_path.glob("*.pkl")) and not list(tmp_path.glob("*.pickle"))


def test_empty_store_roundtrip(tmp_path: Path) -> None:
    emb = DeterministicFakeEmbedding(size=8)
    FaissVectorStore(emb).save(tmp_path)
    loaded = FaissVectorStore.load(tmp_path, emb)
    assert len(loaded) == 0
    assert loaded.similarity_search("x") == []


def test_load_missing_folder_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(IndexNotBuiltError, match="clinicalgpt kb build") as info:
        FaissVectorStore.load(missing, DeterministicFakeEmbedding(size=8))
    assert str(missing) in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_load_missing_index_file_raises(store: FaissVectorStore, tmp_path: Path) -> None:
    store.save(tmp_path)
    (tmp_path / INDEX_FILE).unlink()
    with pytest.raises(IndexNotBuiltError, match="clinicalgpt kb build"):
        FaissVectorStore.load(tmp_path, store.embeddings)


def test_load_count_mismatch_raises(store: FaissVectorStore, tmp_path: Path) -> None:
    store.save(tmp_path)
    lines = (tmp_path / DOCSTORE_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / DOCSTORE_FILE).write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        FaissVectorStore.load(tmp_path, store.embeddings)


def test_load_garbage_docstore_raises(store: FaissVectorStore, tmp_path: Path) -> None:
    store.save(tmp_path)
    (tmp_path / DOCSTORE_FILE).write_text("{not json\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        FaissVectorStore.load(tmp_path, store.embeddings)


def test_upsert_does_not_duplicate(store: FaissVectorStore) -> None:
    before = len(store)
    ids = store.add_texts(["totally new content"], metadatas=[{"n": 99}], ids=["d2"])
    assert ids == ["d2"]
    assert len(store) == before
    assert store._index.ntotal == before
    assert store.get_by_ids(["d2"]) == [Document(id="d2", page_content="totally new content", metadata={"n": 99})]
    # The same id twice in one batch: last one wins, one entry.
    store.add_texts(["a", "b"], ids=["dup", "dup"])
    assert len(store) == before + 1
    assert store.get_by_ids(["dup"])[0].page_content == "b"


def test_add_does_not_mutate_inputs() -> None:
    docs = [Document(page_content="x", metadata={"a": 1})]
    metas = [{"a": 1}]
    store = FaissVectorStore(DeterministicFakeEmbedding(size=8))
    store.add_documents(docs)
    store.add_texts(["y"], metadatas=metas)
    assert docs == [Document(page_content="x", metadata={"a": 1})]
    assert metas == [{"a": 1}]
    store.get_by_ids(store.add_texts(["z"], metadatas=metas))[0].metadata["a"] = 2
    assert metas == [{"a": 1}]


def test_search_vectors_matches_similarity_search(store: FaissVectorStore) -> None:
    emb = store.embeddings
    queries = np.asarray(emb.embed_documents(TEXTS), dtype=np.float32)
    batched = store.search_vectors(queries, k=3)
    assert len(batched) == len(TEXTS)
    for query, hits in zip(TEXTS, batched, strict=True):
        single = store.similarity_search_with_score(query, k=3)
        assert [sid for sid, _ in hits] == [doc.id for doc, _ in single]
        assert [s for _, s in hits] == pytest.approx([s for _, s in single], abs=1e-6)
        assert hits[0][0] == f"d{TEXTS.index(query)}"
        assert hits[0][1] == pytest.approx(1.0, abs=1e-5)


def test_scores_and_relevance(store: FaissVectorStore) -> None:
    scored = store.similarity_search_with_score(TEXTS[0], k=5)
    scores = [s for _, s in scored]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 - 1e-5 <= s <= 1.0 + 1e-5 for s in scores)
    relevance = store.similarity_search_with_relevance_scores(TEXTS[0], k=5)
    assert all(0.0 <= r <= 1.0 for _, r in relevance)
    assert relevance[0][1] == pytest.approx(1.0, abs=1e-5)


def test_metadata_filter(store: FaissVectorStore) -> None:
    odd = store.similarity_search(TEXTS[0], k=5, filter={"kind": "odd"})
    assert sorted(d.id for d in odd) == ["d1", "d3"]
    big = store.similarity_search(TEXTS[0], k=2, filter=lambda m: m["n"] >= 3)
    assert {d.id for d in big} == {"d3", "d4"}


def test_retriever(store: FaissVectorStore) -> None:
    docs = store.as_retriever(search_kwargs={"k": 2}).invoke(TEXTS[3])
    assert [d.id for d in docs][0] == "d3" and len(docs) == 2


def test_delete_all_and_dimension_mismatch(store: FaissVectorStore) -> None:
    assert store.delete() is True
    assert len(store) == 0 and store.similarity_search(TEXTS[0]) == []
    with pytest.raises(KnowledgeError, match="dimension"):
        store.add_embeddings(["x"], np.ones((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="same length"):
        store.add_embeddings(["x", "y"], np.ones((1, 16), dtype=np.float32))
    vectors = np.full((1, 16), 3.0, dtype=np.float32)
    store.add_embeddings(["x"], vectors, ids=["x"])
    assert vectors[0, 0] == 3.0  # the caller's array is not normalised in place
    assert store.search_vectors(vectors, k=5) == [[("x", pytest.approx(1.0, abs=1e-6))]]
