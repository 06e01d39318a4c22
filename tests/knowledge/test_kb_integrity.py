"""Knowledge-base hardening: never delete what we did not create, integrity on load, no mixed builds."""

from __future__ import annotations

import errno
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from knowledge import kb_layout
from knowledge.errors import (
    IndexCorruptError,
    KnowledgeBaseTargetError,
    KnowledgeBaseWriteError,
)
from knowledge.kb import KnowledgeBase, build_knowledge_base, open_build, verify_knowledge_base
from knowledge.settings import KnowledgeSettings
from knowledge.vectorstores import FaissVectorStore
from tests.conftest import TEST_DATA

DIM = 8


class HashEmbeddings:
    """Deterministic 8-d vectors from a text hash: builds in milliseconds, enough to test file handling."""

    model_name = "hash-embeddings"
    model_path = None  # no folder: a test fake
    dtype = "float32"
    device = "cpu"

    def embed_array(self, texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(DIM) for t in texts]
        vectors = np.asarray(rows, dtype="float32").reshape(len(texts), DIM)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def _settings(kb_dir: Path, *sources: str) -> KnowledgeSettings:
    return KnowledgeSettings(
        data_dir=TEST_DATA, kb_dir=kb_dir, sources=list(sources or ("disease_ontology",)), show_progress=False
    )


def _build(kb_dir: Path, *sources: str) -> None:
    build_knowledge_base(_settings(kb_dir, *sources), embeddings=HashEmbeddings())  # type: ignore[arg-type]


def _load(kb_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.load(kb_dir, embeddings=HashEmbeddings())  # type: ignore[arg-type]


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    path = tmp_path / "kb"
    _build(path, "disease_ontology", "symptom_ontology")
    return path


def _build_dir(kb_dir: Path) -> Path:
    return open_build(kb_dir)[0]


# ---------------------------------------------------------------------------------- never delete others' files
def test_non_empty_folder_that_is_not_a_kb_is_refused_and_untouched(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.docx").write_text("x")
    with pytest.raises(KnowledgeBaseTargetError, match="not a knowledge base"):
        _build(notes)
    assert sorted(p.name for p in notes.iterdir()) == ["thesis.docx"]
    assert (notes / "thesis.docx").read_text() == "x"


def test_a_file_as_target_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "kb"
    target.write_text("mine")
    with pytest.raises(KnowledgeBaseTargetError, match="is a file"):
        _build(target)
    assert target.read_text() == "mine"


def test_empty_folder_and_rebuild_are_fine_and_keep_the_users_extra_files(tmp_path: Path) -> None:
    target = tmp_path / "kb"
    target.mkdir()
    _build(target)
    (target / "README.txt").write_text("my notes about this knowledge base")
    _build(target, "disease_ontology", "symptom_ontology")
    assert (target / "README.txt").read_text().startswith("my notes")
    assert _load(target).manifest.sources == ["disease_ontology", "symptom_ontology"]


def test_layout_is_pointer_plus_versioned_builds(kb_dir: Path) -> None:
    names = sorted(p.name for p in kb_dir.iterdir())
    assert names == [".build.lock", "CURRENT", "builds"]
    build_dir = _build_dir(kb_dir)
    assert sorted(p.name for p in build_dir.iterdir()) == [
        "bm25",
        "chunks.jsonl",
        "dense",
        "graph.json.gz",
        "manifest.json",
    ]
    manifest = json.loads((build_dir / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        p.relative_to(build_dir).as_posix() for p in build_dir.rglob("*") if p.is_file() and p.name != "manifest.json"
    }
    assert not list(kb_dir.rglob("*.pkl"))


def test_old_builds_are_pruned_but_the_previous_one_is_kept_for_running_readers(kb_dir: Path) -> None:
    for _ in range(3):
        _build(kb_dir)
    builds = [p for p in (kb_dir / "builds").iterdir()]
    assert len(builds) == 1 + kb_layout.KEEP_PREVIOUS_BUILDS


def test_stale_temporary_builds_are_removed_by_the_next_build(kb_dir: Path) -> None:
    stale = kb_dir / "builds" / ".tmp-killed"
    stale.mkdir()
    (stale / "chunks.jsonl").write_text("half")
    legacy = kb_dir.parent / ".kb-build-abc123"  # what a killed format-1 builder left
    legacy.mkdir()
    _build(kb_dir)
    assert not stale.exists() and not legacy.exists()


def test_a_second_concurrent_builder_gets_a_clear_error(kb_dir: Path) -> None:
    with kb_layout.build_lock(kb_dir), pytest.raises(KnowledgeBaseTargetError, match="another"):
        _build(kb_dir)


def test_a_format_1_knowledge_base_is_reported_and_replaced_by_a_rebuild(tmp_path: Path) -> None:
    legacy = tmp_path / "kb"
    legacy.mkdir()
    for name in ("chunks.jsonl", "graph.json.gz"):
        (legacy / name).write_text("old")
    (legacy / "manifest.json").write_text(json.dumps({"format": 1}))
    (legacy / "dense").mkdir()
    with pytest.raises(IndexCorruptError, match="old layout"):
        _load(legacy)
    _build(legacy)
    assert sorted(p.name for p in legacy.iterdir()) == [".build.lock", "CURRENT", "builds"]


# ---------------------------------------------------------------------------------------- write failures
def test_full_disk_is_a_clear_error_and_the_old_build_survives(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (kb_dir / "CURRENT").read_text()

    def full(self: FaissVectorStore, folder: Path, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    monkeypatch.setattr(FaissVectorStore, "save", full)
    with pytest.raises(KnowledgeBaseWriteError, match="No space left on device.*free disk space"):
        _build(kb_dir)
    assert (kb_dir / "CURRENT").read_text() == before
    assert not list((kb_dir / "builds").glob(".tmp-*"))
    assert _load(kb_dir).manifest.sources == ["disease_ontology", "symptom_ontology"]


def test_read_only_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, which ignores permission bits: simulate what a read-only filesystem answers.
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "ro"))

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(KnowledgeBaseWriteError, match="Read-only file system.*writable --out"):
        _build(tmp_path / "ro")


# -------------------------------------------------------------------------------------------- integrity
def _rewrite(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path.write_bytes(edit(path.read_bytes()))


def test_edited_chunk_text_is_refused_even_at_the_same_size(kb_dir: Path) -> None:
    chunks = _build_dir(kb_dir) / "chunks.jsonl"
    _rewrite(chunks, lambda b: b.replace(b"disease", b"DISEASE", 1))
    with pytest.raises(IndexCorruptError, match="chunks.jsonl does not match the hash"):
        _load(kb_dir)


def test_two_swapped_chunk_lines_are_refused(kb_dir: Path) -> None:
    chunks = _build_dir(kb_dir) / "chunks.jsonl"
    lines = chunks.read_bytes().splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]
    chunks.write_bytes(b"".join(lines))
    with pytest.raises(IndexCorruptError, match="chunks.jsonl"):
        _load(kb_dir)


def test_edited_graph_is_refused(kb_dir: Path) -> None:
    import gzip

    graph = _build_dir(kb_dir) / "graph.json.gz"
    payload = json.loads(gzip.decompress(graph.read_bytes()))
    payload["nodes"][0]["name"] = "tampered"
    graph.write_bytes(gzip.compress(json.dumps(payload).encode()))
    with pytest.raises(IndexCorruptError, match="graph.json.gz"):
        _load(kb_dir)


@pytest.mark.parametrize(
    ("field", "value"),
    [("graph_hash", "0" * 16), ("embedding_dim", 384), ("embedding_model", "other-model")],
)
def test_edited_manifest_is_refused(kb_dir: Path, field: str, value: object) -> None:
    path = _build_dir(kb_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest[field] = value
    path.write_text(json.dumps(manifest, indent=2))
    with pytest.raises(IndexCorruptError, match="manifest.json was changed after the build"):
        _load(kb_dir)


def test_vector_dimension_must_match_the_manifest(kb_dir: Path) -> None:
    # Even a manifest re-hashed by hand (pointer updated too) cannot claim another dimension.
    build_dir = _build_dir(kb_dir)
    path = build_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["embedding_dim"] = 384
    path.write_text(json.dumps(manifest))
    pointer = json.loads((kb_dir / "CURRENT").read_text())
    pointer["manifest_sha256"] = kb_layout.sha256_file(path)
    (kb_dir / "CURRENT").write_text(json.dumps(pointer))
    with pytest.raises(IndexCorruptError, match="8 dimensions, the manifest says 384"):
        _load(kb_dir)


@pytest.mark.parametrize("victim", ["chunks.jsonl", "graph.json.gz", "bm25/params.index.json", "dense/faiss.index"])
def test_missing_file_is_named(kb_dir: Path, victim: str) -> None:
    (_build_dir(kb_dir) / victim).unlink()
    with pytest.raises(IndexCorruptError, match=f"{victim.split('/')[-1]} is missing"):
        _load(kb_dir)


@pytest.mark.parametrize("victim", ["chunks.jsonl", "graph.json.gz", "bm25/params.index.json", "dense/faiss.index"])
def test_garbage_file_is_refused(kb_dir: Path, victim: str) -> None:
    (_build_dir(kb_dir) / victim).write_bytes(b"\x00garbage")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        _load(kb_dir)


def test_same_size_garbage_in_a_binary_index_passes_the_fast_path_but_not_verify(kb_dir: Path) -> None:
    index = _build_dir(kb_dir) / "dense" / "faiss.index"
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0x01  # flip a bit inside the vectors: same size, different content
    index.write_bytes(bytes(data))
    _load(kb_dir)  # fast path checks sizes only for files it does not read whole
    report = verify_knowledge_base(kb_dir)
    assert not report.ok and report.problems == ["dense/faiss.index: content differs from the manifest"]


def test_verify_passes_on_a_clean_build(kb_dir: Path) -> None:
    report = verify_knowledge_base(kb_dir)
    assert report.ok and report.files_checked >= 5, report.problems


def test_pointer_to_a_missing_build_is_named(kb_dir: Path) -> None:
    shutil.rmtree(_build_dir(kb_dir))
    with pytest.raises(IndexCorruptError, match="is missing"):
        _load(kb_dir)


def test_garbage_pointer_is_refused(kb_dir: Path) -> None:
    (kb_dir / "CURRENT").write_bytes(b"\xff\xfe not json")
    with pytest.raises(IndexCorruptError, match="CURRENT is unreadable"):
        _load(kb_dir)


# ----------------------------------------------------------------------------------- concurrent rebuilds
def test_loads_during_rebuilds_never_mix_two_builds(tmp_path: Path) -> None:
    """Before: 2 of 787 loads combined `chunks.jsonl` of one build with the vectors of another."""
    kb_dir = tmp_path / "kb"
    small, large = ("disease_ontology",), ("disease_ontology", "symptom_ontology", "medquad")
    _build(kb_dir, *small)
    failures: list[BaseException] = []
    loads = 0
    done = threading.Event()

    def rebuild() -> None:
        try:
            for i in range(8):
                _build(kb_dir, *(large if i % 2 == 0 else small))
        except BaseException as exc:  # surfaced below
            failures.append(exc)
        finally:
            done.set()

    builder = threading.Thread(target=rebuild)
    builder.start()
    while not done.is_set() or loads == 0:
        try:
            kb = _load(kb_dir)
        except BaseException as exc:
            failures.append(exc)
            break
        loads += 1
        chunk_ids = {c.chunk_id for c in kb.chunks}
        dense_ids = set(kb.dense.ids())
        assert dense_ids <= chunk_ids, "dense vectors from another build"
        assert len(dense_ids) == kb.manifest.counts["embedded_chunks"]
        assert kb.bm25.rows == len(kb.chunks) == kb.manifest.counts["chunks"]
        assert kb.manifest.sources in (list(small), list(large))
    builder.join()
    assert not failures, failures
    assert loads > 0
