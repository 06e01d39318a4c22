"""The reranker's dev sweep orders passages exactly as hybrid search with those settings would (issue 8)."""

from __future__ import annotations

import zlib

import pytest

from bench.rerank_train import fused_rows, reranked, setting_name
from knowledge.kb import KnowledgeBase
from rag.retrieve import HybridSearcher
from rag.settings import RetrievalSettings

QUESTIONS = ("What are the symptoms of myocarditis?", "my chest hurts when i breathe, is it my heart?")


class HashReranker:
    """Logits from a hash of the passage: an order unrelated to the fused one, the same on every call."""

    def score(self, question: str, passages: list[str]) -> list[float]:
        return [(zlib.crc32(p.encode()) % 1000) / 250 for p in passages]


def _search(tiny_kb: KnowledgeBase, window: int, prior: float, question: str, k: int) -> list[int]:
    searcher = HybridSearcher(tiny_kb, RetrievalSettings(rerank_top=window, rerank_prior=prior))
    searcher.__dict__["reranker"] = HashReranker()
    return [tiny_kb.row_of[str(d.id)] for d in searcher.search(question, k=k).documents]


@pytest.mark.parametrize(("window", "prior"), [(3, 0.0), (5, 1.0), (8, 0.5), (8, 4.0)])
def test_sweep_order_is_the_search_order(tiny_kb: KnowledgeBase, window: int, prior: float) -> None:
    plain = HybridSearcher(tiny_kb, RetrievalSettings(rerank_top=0))
    model = HashReranker()
    for question in QUESTIONS:
        rows = fused_rows(plain, question)
        logits = model.score(question, [tiny_kb.chunks[r].index_text() for r in rows[:10]])  # the widest window
        swept = reranked(rows, logits, window, prior)[:10]
        assert swept == _search(tiny_kb, window, prior, question, 10)
        assert len(rows) > window and sorted(swept[:window]) == sorted(rows[:window])  # only the window moves


def test_sweep_differs_from_fused_order_so_the_comparison_means_something(tiny_kb: KnowledgeBase) -> None:
    rows = fused_rows(HybridSearcher(tiny_kb, RetrievalSettings(rerank_top=0)), QUESTIONS[0])
    logits = HashReranker().score(QUESTIONS[0], [tiny_kb.chunks[r].index_text() for r in rows[:8]])
    assert reranked(rows, logits, 8, 0.0) != rows


def test_setting_names_keep_the_default_prior_unsaid() -> None:
    default = RetrievalSettings()
    assert setting_name(default.rerank_top, default.rerank_prior) == f"hybrid+rerank top {default.rerank_top}"
    assert setting_name(40, 0.5) == "hybrid+rerank top 40 prior 0.5"
