"""Retrieval settings: how many candidates each retriever contributes and how they are fused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.support import MIN_LEXICAL, MIN_SIMILARITY

SearchMode = Literal["dense", "bm25", "kg", "hybrid"]


class RetrievalSettings(BaseModel):
    """Hybrid retrieval: dense + BM25 + KG facts + entity-matched passages, fused by weighted RRF."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(default=5, ge=1, le=200, description="Results returned.")
    mode: SearchMode = Field(default="hybrid", description="`dense`, `bm25`, `kg` or `hybrid`.")
    candidates: int = Field(default=100, ge=1, description="Candidates each ranked list contributes.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant (Cormack et al. 2009).")
    # Weights chosen with `python -m bench.retrieval_sweep` on dev questions only (400 MedQuAD dev + 60 patient
    # rewrites dev, recall@5 0.958 / 0.833; reports/retrieval_sweep.json). The best row there (BM25 at 0, section
    # 1) scores one dev question more; BM25 is kept at 0.5 for exact drug and gene names, which dev lacks. KG facts
    # need no list of their own: they are embedded and BM25-indexed like passages (weight 0 ties on dev).
    weight_dense: float = Field(default=1.0, ge=0, description="RRF weight of the dense list.")
    weight_bm25: float = Field(default=0.5, ge=0, description="RRF weight of the BM25 list.")
    weight_kg: float = Field(default=0.0, ge=0, description="RRF weight of KG facts about linked entities.")
    weight_entity: float = Field(
        default=0.0,
        ge=0,
        description="RRF weight of every passage about a linked entity (0: on dev it only pulled in other sections).",
    )
    weight_section: float = Field(
        default=2.0, ge=0, description="RRF weight of passages about linked entities answering the question type."
    )
    link_min_score: float = Field(default=0.8, ge=0, le=1, description="Entity links below this are ignored.")
    link_top: int = Field(default=3, ge=0, description="Linked entities used for KG facts and entity passages.")
    max_query_chars: int = Field(default=2000, ge=10, description="Longer queries are rejected.")
    intent_cues: bool = Field(
        default=True,
        description='Type a question by its wording first (`rag.intent.cue_intent`: "side effects", "used for", '
        '"how is … diagnosed") and by the embedding centroids only when no cue matches; false: centroids only.',
    )
    expand_query: bool = Field(
        default=True,
        description=(
            "In `hybrid`, add the generic name of each drug linked in the query (a brand's generic name, a misspelt "
            "name's right spelling) to the text that BM25 and dense search."
        ),
    )
    rerank_top: int = Field(
        default=20,
        ge=0,
        le=200,
        description="In `hybrid`, the first N fused passages are re-ordered by the cross-encoder reranker "
        "(`rag.rerank`, ~1 s for 20 on two shared CPU cores); 0 turns it off.",
    )
    # Chosen on dev (LiveQA training fold 86, MedQuAD dev 400, patient rewrites dev 60; bench.rerank_train):
    # 0 (the reranker alone) gains most on consumer questions but loses 0.14 of MedQuAD dev recall@5; 1 keeps
    # MedQuAD and the rewrites and still adds +0.04 answer coverage on the consumer fold.
    rerank_prior: float = Field(
        default=1.0,
        ge=0,
        description="Reranked order = reranker logit - rerank_prior x ln(1 + fused position): how much the fused "
        "order still counts.",
    )
    rerank_path: str | None = Field(
        default=None, description="Reranker folder (LoRA adapter + card); None = the one shipped in rag/data/reranker."
    )


AnswerMode = Literal["auto", "extractive", "generative"]


class AnswerSettings(BaseModel):
    """How answers are grounded, checked and refused."""

    model_config = ConfigDict(extra="forbid")

    mode: AnswerMode = Field(
        default="auto",
        description="`extractive` (sentences quoted from the sources), `generative` (the chat model writes, every "
        "sentence checked) or `auto`: extractive for the embedded default model, generative for `hf:`/`openai:` "
        "models and for a chain given a chat model.",
    )
    extractive_max_sentences: int = Field(default=4, ge=1, description="Most source sentences in an extractive answer.")
    extractive_max_words: int = Field(default=110, ge=10, description="Word budget of an extractive answer.")
    extractive_min_relevance: float = Field(
        default=0.40,  # 0.45 before the dev-question check of `python -m bench.answer_dev` (+0.002 coverage)
        description="Relevance a source sentence needs to be quoted (embedding cosine + 0.5 x question-word overlap, "
        "see `rag.extractive`); no sentence above it means a refusal.",
    )
    intent_cues: bool = Field(
        default=True,
        description="Type the question for the extractive composer by its wording first (`rag.intent.cue_intent`), "
        "by the embedding centroids only when no cue matches; false: centroids only.",
    )
    extractive_section_bonus: float = Field(
        default=0.2,  # chosen on dev questions: `python -m bench.answer_dev` (0, 0.1, 0.2)
        ge=0,
        description="Relevance added to a sentence whose passage's section answers the question's type "
        "(treatment, inheritance, side effects…; `rag.intent`).",
    )
    aspect_check: bool = Field(
        default=True,
        description="Refuse (`aspect_not_found`) an answer none of whose sentences says what a question's wording "
        'asks for ("how to take statins" answered with what statins are; `rag.intent.ASPECT_WORDS`); needs '
        "`answer.intent_cues`.",
    )
    extractive_pair_bonus: float = Field(
        default=0.25,
        ge=0,
        description="Relevance added, for a question naming two or more drugs, to a sentence naming two of them "
        '("can she take Tylenol with Coumadin?" → the sentence on acetaminophen and warfarin).',
    )
    extractive_sources: int = Field(
        default=10,
        ge=1,
        description="Passages an extractive answer may quote from: the assistant retrieves at least this many, and "
        "knowledge-graph listings (never quoted) take no place among them.",
    )
    extractive_context_tokens: int = Field(
        default=3000,
        ge=50,
        description="Token budget of the passages an extractive answer quotes from (no prompt to fit: whole "
        "passages, not the generator's `context_tokens`).",
    )

    context_tokens: int = Field(default=700, ge=50, description="Token budget for the numbered sources in the prompt.")
    max_blocks: int = Field(default=6, ge=1, description="Most sources shown to the model.")
    max_new_tokens: int = Field(default=160, ge=1, description="Most tokens generated per answer.")
    min_support: float = Field(
        default=0.5, ge=0, le=1, description="Share of a sentence's content words found in its cited passages."
    )
    support_check: bool = Field(
        default=True,
        description="Check generated sentences beyond shared words: entities, numbers, negation, meaning "
        "(`rag.support`).",
    )
    support_min_similarity: float = Field(
        default=MIN_SIMILARITY,
        ge=-1,
        le=1,
        description="Embedding cosine a sentence needs to its closest cited passage sentence.",
    )
    support_min_lexical: float = Field(
        default=MIN_LEXICAL,
        ge=0,
        le=1,
        description="Share of content words the support check needs in the cited passages.",
    )
    unsupported: Literal["flag", "drop"] = Field(
        # Drop by default: a flagged sentence is still read, and an unconfirmed dose must not be read at all.
        default="drop",
        description="Drop unsupported sentences from the answer, or keep them marked '(unsupported)'.",
    )
    attribute_uncited: bool = Field(
        default=True, description="When the model cites nothing, attribute sentences to their best passage."
    )
    # Both floors chosen with `python -m bench.gate_calibration` (reports/gate_calibration.json): on the dev half of
    # real consumer questions (LiveQA, MedicationQA, MEDIQA calibration bucket) and unanswerable ones, the best
    # balanced accuracy of "passes" against "a top-5 passage holds ≥ 25 % of the reference answer's words";
    # test half 0.617 against 0.583 for the earlier hand-set 0.5 / 0.35.
    min_dense_score: float = Field(
        default=0.575,
        ge=-1,
        le=1,
        description="Refuse without answering when the best dense cosine is below this (no entity linked).",
    )
    min_dense_score_linked: float = Field(
        default=0.4, ge=-1, le=1, description="The same floor when a KG entity was linked in the question."
    )
    max_question_chars: int = Field(default=2000, ge=10, description="Longer questions are rejected.")
    history_turns: int = Field(default=6, ge=0, description="Earlier turns kept in consultation mode.")
