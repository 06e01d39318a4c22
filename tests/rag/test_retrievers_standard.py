"""`ClinicalRetriever` passes the langchain-tests retriever suite on the tiny knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from knowledge.kb import KnowledgeBase
from rag.retrieve import HybridSearcher
from rag.retrievers import ClinicalRetriever


class TestClinicalRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _kb(self, tiny_kb_dir: Path) -> None:
        type(self)._searcher = HybridSearcher(KnowledgeBase.load(tiny_kb_dir))

    @property
    def retriever_constructor(self) -> type[ClinicalRetriever]:
        return ClinicalRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"searcher": type(self)._searcher}

    @property
    def retriever_query_example(self) -> str:
        return "What are the symptoms of myocarditis?"


def test_documents_carry_ids_and_provenance(tiny_kb: KnowledgeBase) -> None:
    retriever = ClinicalRetriever(searcher=HybridSearcher(tiny_kb), k=4)
    docs = retriever.invoke("What are the symptoms of myocarditis?")
    assert len(docs) == 4
    first = docs[0]
    assert first.id == "medquad:T1-2#0" == first.metadata["chunk_id"]
    assert first.metadata["source"] == "medquad" and first.metadata["url"] == "https://example.org/myocarditis"
    assert [d.id for d in retriever.invoke("flu", k=2, mode="kg")] == [
        d.id for d in ClinicalRetriever(searcher=retriever.searcher, k=2, mode="kg").invoke("flu")
    ]
