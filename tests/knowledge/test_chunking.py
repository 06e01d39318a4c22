"""Chunking: stable ids, word budget, sentence overlap, determinism."""

from __future__ import annotations

from knowledge.chunking import _word_count, chunk_document, split_sentences
from knowledge.schema import Provenance, SourceDoc
from knowledge.settings import ChunkingSettings


def _doc(text: str) -> SourceDoc:
    return SourceDoc(
        doc_id="test:1",
        title="T",
        section="symptoms",
        text=text,
        entities=["DOID:1"],
        provenance=Provenance(source="test", native_id="1", licence="CC0 1.0", url="https://x"),
    )


def test_split_sentences_handles_english_and_chinese() -> None:
    assert split_sentences("Fever is common. Cough too! Rest?") == ["Fever is common.", "Cough too!", "Rest?"]
    assert split_sentences("发热常见。咳嗽也常见。") == ["发热常见。", "咳嗽也常见。"]


def test_split_sentences_keeps_abbreviations_and_ends_at_line_breaks() -> None:
    """Issue 8: the punctuation regex split after "e.g." and "Dr."."""
    text = "Take it with food, e.g. after breakfast. Dr. Smith agrees (approx. 2 weeks).\n- Rest\n- Fluids"
    assert split_sentences(text) == [
        "Take it with food, e.g. after breakfast.",
        "Dr. Smith agrees (approx. 2 weeks).",
        "- Rest",
        "- Fluids",
    ]


def test_long_cjk_text_is_cut_within_the_budget() -> None:
    """Issue 8: a long Chinese sentence has no space to cut at and became one oversized chunk."""
    doc = SourceDoc(
        doc_id="zh:1",
        title="高血压",
        text="高血压是一种常见的慢性疾病" * 60 + "。",
        provenance=Provenance(source="user", native_id="1", licence="CC0"),
    )
    chunks = chunk_document(doc, ChunkingSettings(max_words=50, overlap_words=0))
    assert len(chunks) > 1
    assert all(_word_count(c.text) <= 50 for c in chunks)  # the budget as chunking counts it
    assert "".join(c.text for c in chunks) == doc.text


def test_chunks_respect_budget_overlap_and_ids() -> None:
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(30)]
    settings = ChunkingSettings(max_words=40, overlap_words=10)
    chunks = chunk_document(_doc(" ".join(sentences)), settings)
    assert len(chunks) > 3
    assert [c.chunk_id for c in chunks] == [f"test:1#{i}" for i in range(len(chunks))]
    assert all(len(c.text.split()) <= 40 for c in chunks)
    # The last sentence of a chunk opens the next one (overlap of one 7-word sentence ≤ 10 words).
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.text.startswith(split_sentences(a.text)[-1])
    # Every sentence survives chunking.
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)
    first = chunks[0]
    assert (first.source, first.url, first.licence, first.entities) == ("test", "https://x", "CC0 1.0", ["DOID:1"])
    assert first.index_text().startswith("T — symptoms: Sentence number 0")


def test_chunking_is_deterministic_and_splits_giant_sentences() -> None:
    text = " ".join(["word"] * 500)
    settings = ChunkingSettings(max_words=100, overlap_words=0)
    a = chunk_document(_doc(text), settings)
    b = chunk_document(_doc(text), settings)
    assert [c.model_dump() for c in a] == [c.model_dump() for c in b]
    assert len(a) == 5 and all(len(c.text.split()) == 100 for c in a)


def test_a_sources_attribution_reaches_every_chunk_and_its_document() -> None:
    """CC BY books ask each citation to credit them: the loader's credit line travels with every chunk."""
    doc = _doc("Anthrax is caused by Bacillus anthracis. " * 40).model_copy(
        update={"metadata": {"attribution": "Microbiology, OpenStax, CC BY 4.0, https://openstax.org/x"}}
    )
    chunks = chunk_document(doc, ChunkingSettings(max_words=60, overlap_words=0))
    assert len(chunks) > 1
    assert {c.attribution for c in chunks} == {"Microbiology, OpenStax, CC BY 4.0, https://openstax.org/x"}
    assert chunks[0].to_document().metadata["attribution"] == chunks[0].attribution


def test_index_text_says_a_heading_once() -> None:
    chunk = chunk_document(_doc("Spores persist in soil."), ChunkingSettings())[0]
    titled = chunk.model_copy(update={"title": "Microbiology › 21 Skin Infections › Anthrax", "section": "Anthrax"})
    assert titled.index_text() == "Microbiology › 21 Skin Infections › Anthrax: Spores persist in soil."
    assert chunk.index_text() == "T — symptoms: Spores persist in soil."
