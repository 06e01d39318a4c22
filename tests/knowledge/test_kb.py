"""Knowledge base build/load on fixtures: manifest, atomic install, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from knowledge.errors import EmbeddingModelMissingError, IndexCorruptError, IndexNotBuiltError, SourceNotFoundError
from knowledge.kb import KnowledgeBase, build_knowledge_base, open_build, read_manifest
from knowledge.lexical import BM25Index
from knowledge.settings import KnowledgeSettings
from tests.conftest import TEST_DATA, TINY_SOURCES


def test_manifest_counts_and_reports(tiny_kb_dir: Path) -> None:
    manifest = read_manifest(tiny_kb_dir)
    assert manifest.sources == TINY_SOURCES
    reports = {r.source: r for r in manifest.reports}
    assert reports["medquad"].malformed == 2 and reports["hsdn"].malformed == 1
    assert reports["medquad"].licences == ["CC BY 4.0"] and reports["hsdn"].licences == ["CC0 1.0"]
    assert manifest.counts["chunks"] == manifest.counts["embedded_chunks"]  # tiny docs: one chunk each
    assert manifest.counts["fact_chunks"] > 0 and manifest.counts["merged_nodes"] > 0
    assert manifest.embedding_model == "all-MiniLM-L6-v2" and manifest.embedding_dim == 384
    assert sorted(p.name for p in tiny_kb_dir.iterdir()) == [".build.lock", "CURRENT", "builds"]
    assert sorted(p.name for p in open_build(tiny_kb_dir)[0].iterdir()) == [
        "bm25",
        "chunks.jsonl",
        "dense",
        "graph.json.gz",
        "manifest.json",
    ]
    assert not list(tiny_kb_dir.rglob("*.pkl")) and not list(tiny_kb_dir.rglob("*.pickle"))


def test_load_gives_consistent_indexes(tiny_kb: KnowledgeBase) -> None:
    assert len(tiny_kb.dense) == tiny_kb.manifest.counts["embedded_chunks"]
    ids = {c.chunk_id for c in tiny_kb.chunks}
    assert "fact:DOID:820:has_symptom" in ids and "medquad:T1-2#0" in ids
    assert tiny_kb.by_entity["DOID:820"]  # MedQuAD passages re-pointed to the merged entity
    assert tiny_kb.chunk("medquad:T1-2#0").entities == ["DOID:820"]


def _settings(kb_dir: Path, sources: tuple[str, ...] = ("disease_ontology",)) -> KnowledgeSettings:
    return KnowledgeSettings(data_dir=TEST_DATA, kb_dir=kb_dir, sources=list(sources), show_progress=False)


def test_failed_build_keeps_the_old_knowledge_base(
    tiny_kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(tiny_kb_dir, kb_dir)
    before = (kb_dir / "CURRENT").read_text()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(BM25Index, "build", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_knowledge_base(_settings(kb_dir))
    assert (kb_dir / "CURRENT").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb"]
    assert not list((kb_dir / "builds").glob(".tmp-*"))  # no temporary build folder left
    assert KnowledgeBase.load(kb_dir).manifest.sources == TINY_SOURCES


def test_rebuild_replaces_atomically(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    first = build_knowledge_base(_settings(kb_dir))
    second = build_knowledge_base(_settings(kb_dir, sources=("disease_ontology", "symptom_ontology")))
    assert read_manifest(kb_dir).sources == ["disease_ontology", "symptom_ontology"]
    assert second.counts["nodes"] > first.counts["nodes"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb"]


def test_missing_source_fails_before_touching_the_kb(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="CLINICALGPT_DATA_DIR"):
        build_knowledge_base(KnowledgeSettings(data_dir=tmp_path, kb_dir=tmp_path / "kb", sources=["hsdn"]))
    assert not (tmp_path / "kb").exists()


def test_errors_name_the_fix(tiny_kb_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuiltError, match="clinicalgpt kb build"):
        KnowledgeBase.load(tmp_path / "nothing")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_kb_dir, broken)
    manifest_path = open_build(broken)[0] / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["counts"]["chunks"] += 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="rebuild"):
        KnowledgeBase.load(broken)


def test_queries_use_the_model_the_knowledge_base_was_built_with(tmp_path: Path) -> None:
    """Issue 8: `load` embedded queries with the default model even when the passages used another."""
    from knowledge.embeddings import SentenceTransformerEmbeddings, default_model_path

    other = tmp_path / "my-encoder"  # same weights, another folder: the manifest must remember which one
    shutil.copytree(default_model_path(), other)
    settings = KnowledgeSettings(
        data_dir=TEST_DATA, kb_dir=tmp_path / "kb", sources=["medquad"], show_progress=False
    ).model_copy(update={"embedding": KnowledgeSettings().embedding.model_copy(update={"model_path": other})})
    build_knowledge_base(settings)
    manifest = read_manifest(tmp_path / "kb")
    assert manifest.embedding_model == "my-encoder" and manifest.embedding_model_path == str(other.resolve())

    kb = KnowledgeBase.load(tmp_path / "kb")
    assert kb.embeddings.model_path == str(other.resolve())

    with pytest.raises(IndexCorruptError, match="embedded with my-encoder.*all-MiniLM-L6-v2"):
        KnowledgeBase.load(tmp_path / "kb", embeddings=SentenceTransformerEmbeddings())

    shutil.rmtree(other)
    with pytest.raises(EmbeddingModelMissingError, match="model at .*my-encoder, which is gone"):
        KnowledgeBase.load(tmp_path / "kb")
