"""Hybrid retrieval on the tiny knowledge base: each mode, fusion, intent, errors."""

from __future__ import annotations

import pytest

from knowledge.kb import KnowledgeBase
from rag.errors import RetrievalError
from rag.intent import detect_intent, section_matches
from rag.retrieve import RETRIEVAL_KEY, HybridSearcher, RetrievalInfo, SearchResult, retrieval_info
from rag.settings import RetrievalSettings


@pytest.fixture(scope="module")
def searcher(tiny_kb: KnowledgeBase) -> HybridSearcher:
    return HybridSearcher(tiny_kb)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What are the symptoms of myocarditis?", "symptoms"),
        ("How is influenza treated?", "treatment"),
        ("Is achondroplasia inherited?", "inheritance"),
        ("How many people are affected by asthma?", "frequency"),
        ("What is asthma?", "information"),
        ("asthma", None),
    ],
)
def test_detect_intent(question: str, intent: str | None) -> None:
    assert detect_intent(question) == intent


def test_section_matching() -> None:
    assert section_matches("information", "definition")
    assert section_matches("symptoms", "symptoms") and not section_matches("symptoms", "treatment")


def test_hybrid_puts_the_matching_section_first(searcher: HybridSearcher) -> None:
    result = searcher.search("What are the symptoms of myocarditis?", k=5)
    assert result.intent == "symptoms"
    assert [e.node_id for e in result.entities][:1] == ["DOID:820"]
    top = result.documents[0]
    assert top.id == "medquad:T1-2#0"
    info = retrieval_info(top)
    assert info is not None and set(info.ranks) == {"dense", "bm25", "entity", "section"}
    assert "fact:DOID:820:has_symptom" in [d.id for d in result.documents]
    meta = top.metadata
    assert (meta["source"], meta["url"], meta["licence"]) == ("medquad", "https://example.org/myocarditis", "CC BY 4.0")


def test_documents_are_the_chunk_record_plus_one_retrieval_block(searcher: HybridSearcher) -> None:
    """Issue 8: one record from index to citation (no `Hit` copy with renamed fields)."""
    for doc in searcher.search("What are the symptoms of myocarditis?", k=5).documents:
        chunk = searcher.kb.chunk(str(doc.id))
        assert doc.page_content == chunk.text
        assert {k: v for k, v in doc.metadata.items() if k != RETRIEVAL_KEY} == chunk.metadata()
        assert RetrievalInfo.model_validate(doc.metadata[RETRIEVAL_KEY]).mode == "hybrid"


def test_each_mode_returns_its_own_list(searcher: HybridSearcher) -> None:
    def infos(result: SearchResult) -> list[RetrievalInfo]:
        return [info for info in map(retrieval_info, result.documents) if info is not None]

    dense = searcher.search("flu medicine", k=3, mode="dense")
    assert len(dense.documents) == 3 and set(infos(dense)[0].ranks) == {"dense"}
    bm25 = searcher.search("antiviral drugs", k=3, mode="bm25")
    assert bm25.documents[0].id == "medquad:T2-1#0" and infos(bm25)[0].ranks == {"bm25": 1}
    kg = searcher.search("what medications treat the flu", k=3, mode="kg")
    assert kg.documents[0].id == "fact:DOID:8469:treated_with"
    assert all(d.metadata["kind"] == "fact" for d in kg.documents)
    scores = [info.score for info in infos(dense)]
    assert scores == sorted(scores, reverse=True)


def test_bm25_and_kg_can_return_nothing(searcher: HybridSearcher) -> None:
    assert searcher.search("zzzz qqqq", mode="bm25").documents == []
    assert searcher.search("zzzz qqqq", mode="kg").documents == []


def test_bad_requests_name_the_field(searcher: HybridSearcher) -> None:
    with pytest.raises(RetrievalError, match="`query` is empty"):
        searcher.search("   ")
    with pytest.raises(RetrievalError, match="`k` must be"):
        searcher.search("asthma", k=0)
    with pytest.raises(RetrievalError, match="unknown search mode"):
        searcher.search("asthma", mode="magic")  # type: ignore[arg-type]
    short = HybridSearcher(searcher.kb, RetrievalSettings(max_query_chars=10))
    with pytest.raises(RetrievalError, match="max_query_chars"):
        short.search("a question that is far too long")
