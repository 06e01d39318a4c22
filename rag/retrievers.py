"""`ClinicalRetriever`: the hybrid search as a LangChain `BaseRetriever`.

Documents carry the stable chunk id (`Document.id`) and full provenance in metadata, so a chain or agent
can cite them. `k` can be set in the constructor or per call: `retriever.invoke(q, k=3)`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.retrieve import Hit, HybridSearcher
from rag.settings import SearchMode


def hit_to_document(hit: Hit) -> Document:
    """A retrieved chunk as a LangChain document (id = chunk id, provenance in metadata)."""
    metadata = hit.model_dump(exclude={"text", "id"})
    metadata["chunk_id"] = hit.id
    return Document(id=hit.id, page_content=hit.text, metadata=metadata)


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
        result = self.searcher.search(query, k=k, mode=mode)
        return [hit_to_document(h) for h in result.hits]
