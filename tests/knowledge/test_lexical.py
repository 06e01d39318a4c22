"""The BM25 index's vocabulary lookups."""

from __future__ import annotations

from knowledge.lexical import BM25Index, tokenize


def test_document_frequency_counts_the_texts_holding_a_token() -> None:
    index = BM25Index.build(["Rabies is spread by bites.", "Rabies vaccine", "Asthma attacks"])
    (rabies,) = tokenize("rabies")
    assert index.document_frequency(rabies) == 2
    assert index.document_frequency(tokenize("asthma")[0]) == 1
    assert index.document_frequency("nosuchtoken") == 0
