"""`ClinicalRetriever`: the hybrid search as a LangChain `BaseRetriever`.

Documents are the knowledge base's chunk records (`knowledge.schema.Chunk.to_document`: stable chunk id,
full provenance) plus one `retrieval` block (`rag.retrieve.RetrievalInfo`), so a chain or agent can cite
them. `k` and `mode` can be set in the constructor or per call: `retriever.invoke(q, k=3)`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.retrieve import HybridSearcher
from rag.settings import SearchMode


class ClinicalRetriever(BaseRetriever):
    """Hybrid (dense + BM25 + knowledge-graph) retrieval over a ClinicalGPT knowledge base."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: HybridSearcher = Field(description="Searcher over a loaded knowledge base.")
    # None = the searcher's `RetrievalSettings` (`retrieval.k`, `retrieval.mode`): one home for each setting.
    k: int | None = Field(default=None, ge=1, description="Documents returned; None = `retrieval.k`.")
    mode: SearchMode | None = Field(
        default=None, description="`dense`, `bm25`, `kg`, `hybrid`; None = `retrieval.mode`."
    )

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = kwargs.get("k", self.k)
        mode = kwargs.get("mode", self.mode)
        return self.searcher.search(query, k=k, mode=mode).documents
