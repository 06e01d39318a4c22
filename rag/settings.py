"""Retrieval settings: how many candidates each retriever contributes and how they are fused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SearchMode = Literal["dense", "bm25", "kg", "hybrid"]


class RetrievalSettings(BaseModel):
    """Hybrid retrieval: dense + BM25 + KG facts + entity-matched passages, fused by weighted RRF."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(default=5, ge=1, le=200, description="Results returned.")
    mode: SearchMode = Field(default="hybrid", description="`dense`, `bm25`, `kg` or `hybrid`.")
    candidates: int = Field(default=100, ge=1, description="Candidates each ranked list contributes.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant (Cormack et al. 2009).")
    weight_dense: float = Field(default=1.0, ge=0, description="RRF weight of the dense list.")
    weight_bm25: float = Field(default=1.0, ge=0, description="RRF weight of the BM25 list.")
    weight_kg: float = Field(default=0.5, ge=0, description="RRF weight of KG facts about linked entities.")
    weight_entity: float = Field(
        default=3.0, ge=0, description="RRF weight of passages about linked entities (tuned on a dev sample, seed 1)."
    )
    link_min_score: float = Field(default=0.8, ge=0, le=1, description="Entity links below this are ignored.")
    link_top: int = Field(default=3, ge=0, description="Linked entities used for KG facts and entity passages.")
    max_query_chars: int = Field(default=2000, ge=10, description="Longer queries are rejected.")
