"""The cross-encoder reranker: its place in hybrid search, the shipped weights, and how its training data is cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import RetrievalError
from rag.rerank import RERANKER_DIR, load_card, load_reranker
from rag.retrieve import HybridSearcher
from rag.settings import RetrievalSettings


class ReversedReranker:
    """Scores passages in reverse of the order it is given them, and records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def score(self, question: str, passages: list[str]) -> list[float]:
        self.calls.append((question, len(passages)))
        return [float(i) for i in range(len(passages))]


def _searcher(tiny_kb, **settings) -> tuple[HybridSearcher, ReversedReranker]:  # type: ignore[no-untyped-def]
    searcher = HybridSearcher(tiny_kb, RetrievalSettings(**settings))
    fake = ReversedReranker()
    searcher.__dict__["reranker"] = fake  # the cached property, replaced before first use
    return searcher, fake


def test_rerank_reorders_the_first_n_fused_passages_and_leaves_the_rest(tiny_kb) -> None:  # type: ignore[no-untyped-def]
    plain, _ = _searcher(tiny_kb, rerank_top=0)
    before = [d.id for d in plain.search("What are the symptoms of myocarditis?", k=8).documents]
    searcher, fake = _searcher(tiny_kb, rerank_top=3)
    result = searcher.search("What are the symptoms of myocarditis?", k=8)
    after = [d.id for d in result.documents]
    assert fake.calls == [("What are the symptoms of myocarditis?", 3)]
    assert after[:3] == before[:3][::-1]
    assert after[3:] == before[3:]
    blocks = [d.metadata["retrieval"] for d in result.documents]
    assert [b["ranks"]["rerank"] for b in blocks[:3]] == [1, 2, 3]
    assert [b["scores"]["rerank"] for b in blocks[:3]] == [2.0, 1.0, 0.0]
    assert all("rerank" not in b["ranks"] for b in blocks[3:])


def test_rerank_is_off_at_zero_and_outside_hybrid(tiny_kb) -> None:  # type: ignore[no-untyped-def]
    searcher, fake = _searcher(tiny_kb, rerank_top=0)
    searcher.search("What are the symptoms of myocarditis?", k=5)
    searcher2, fake2 = _searcher(tiny_kb)
    for mode in ("dense", "bm25"):
        docs = searcher2.search("What are the symptoms of myocarditis?", k=5, mode=mode).documents
        assert all("rerank" not in d.metadata["retrieval"]["ranks"] for d in docs)
    assert fake.calls == [] and fake2.calls == []


def test_rerank_prior_keeps_the_fused_order_when_large(tiny_kb) -> None:  # type: ignore[no-untyped-def]
    """The fake's logits rise by 1 a position; a prior of 10 x ln(1 + position) outweighs them."""
    plain, _ = _searcher(tiny_kb, rerank_top=0)
    before = [d.id for d in plain.search("What are the symptoms of myocarditis?", k=4).documents]
    kept, _ = _searcher(tiny_kb, rerank_top=4, rerank_prior=10.0)
    assert [d.id for d in kept.search("What are the symptoms of myocarditis?", k=4).documents] == before
    flipped, _ = _searcher(tiny_kb, rerank_top=4, rerank_prior=0.0)
    assert [d.id for d in flipped.search("What are the symptoms of myocarditis?", k=4).documents] == before[::-1]


def test_rerank_path_setting_reaches_the_searcher(tiny_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    searcher = HybridSearcher(tiny_kb, RetrievalSettings(rerank_path=str(tmp_path)))
    with pytest.raises(RetrievalError, match=str(tmp_path)):
        searcher.search("What are the symptoms of myocarditis?", k=3)
    assert (
        HybridSearcher(tiny_kb, RetrievalSettings(rerank_path=str(tmp_path), rerank_top=0))
        .search("What are the symptoms of myocarditis?", k=3)
        .documents
    )


def test_shipped_reranker_prefers_the_passage_that_answers() -> None:
    reranker = load_reranker()
    question = "my doctor put me on metformin last week and my stomach is upset all the time, is that normal?"
    answering = (
        "Metformin — Adverse reactions: The most common adverse reactions are diarrhea, nausea, vomiting, "
        "flatulence, abdominal discomfort and indigestion, most often when treatment starts."
    )
    same_drug = "Metformin — Description: Metformin hydrochloride is a biguanide, a white crystalline compound."
    unrelated = "Bone tissue — Structure: Compact bone is the denser, stronger of the two types of bone tissue."
    scores = reranker.score(question, [unrelated, same_drug, answering])
    # Only "answers beats both" is asserted: the reranker learned from answer coverage, which rewards longer
    # passages, and it puts the one-line bone sentence a little above the one-line drug description.
    assert scores[2] > max(scores[0], scores[1])
    assert reranker.score(question, []) == []


def test_shipped_reranker_has_a_card_with_its_training_data_and_dev_scores() -> None:
    card = load_card()
    assert set(card["data"]["groups"]) == {"mediqa", "liveqa", "medquad"}
    assert card["dev"][f"hybrid+rerank top {RetrievalSettings().rerank_top}"] and card["dev"]["hybrid"]
    assert card["data"]["mediqa_questions_dropped_as_scored"] == 3  # trained after the leak was mended
    # The weights trained before the mend saw 30 MEDIQA test questions and said so in a "leak" entry.
    assert "leak" not in card and card["data"]["groups"]["liveqa"] < 319
    assert card["held_out"]["hybrid+rerank"]
    assert (RERANKER_DIR / "adapter_model.safetensors").stat().st_size < 5_000_000


def test_missing_reranker_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RetrievalError, match="rerank_train"):
        load_card(tmp_path)
    with pytest.raises(RetrievalError, match="rerank_top=0"):
        load_reranker(str(tmp_path / "nowhere"))


def test_shipped_adapter_config_names_no_machine_path(tmp_path: Path) -> None:
    from bench.rerank_train import BASE_MODEL_NAME, _portable_base_name

    shipped = json.loads((RERANKER_DIR / "adapter_config.json").read_text(encoding="utf-8"))
    assert shipped["base_model_name_or_path"] == BASE_MODEL_NAME
    # What peft writes after training: the trainer's venv path, rewritten before the adapter ships.
    config = tmp_path / "adapter_config.json"
    config.write_text(json.dumps({"base_model_name_or_path": "/home/me/.venv/site-packages/x/model", "r": 16}))
    _portable_base_name(config)
    assert json.loads(config.read_text()) == {"base_model_name_or_path": BASE_MODEL_NAME, "r": 16}
