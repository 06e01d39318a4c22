"""Hybrid retrieval on the tiny knowledge base: each mode, fusion, intent, errors."""

from __future__ import annotations

import pytest

from knowledge.kb import KnowledgeBase
from rag.errors import RetrievalError
from rag.intent import detect_intent, section_matches
from rag.retrieve import HybridSearcher
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
    assert result.hits[0].id == "medquad:T1-2#0"
    assert set(result.hits[0].via) == {"dense", "bm25", "entity", "section"}
    assert "fact:DOID:820:has_symptom" in [h.id for h in result.hits]
    hit = result.hits[0]
    assert (hit.source, hit.url, hit.licence) == ("medquad", "https://example.org/myocarditis", "CC BY 4.0")


def test_each_mode_returns_its_own_list(searcher: HybridSearcher) -> None:
    dense = searcher.search("flu medicine", k=3, mode="dense")
    assert len(dense.hits) == 3 and set(dense.hits[0].via) == {"dense"}
    bm25 = searcher.search("antiviral drugs", k=3, mode="bm25")
    assert bm25.hits[0].id == "medquad:T2-1#0" and bm25.hits[0].via == {"bm25": 1}
    kg = searcher.search("what medications treat the flu", k=3, mode="kg")
    assert kg.hits[0].id == "fact:DOID:8469:treated_with"
    assert all(h.kind == "fact" for h in kg.hits)
    scores = [h.score for h in dense.hits]
    assert scores == sorted(scores, reverse=True)


def test_bm25_and_kg_can_return_nothing(searcher: HybridSearcher) -> None:
    assert searcher.search("zzzz qqqq", mode="bm25").hits == []
    assert searcher.search("zzzz qqqq", mode="kg").hits == []


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
