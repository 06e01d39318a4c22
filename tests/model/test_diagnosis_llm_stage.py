"""The LLM stage re-orders the graph's candidates as the model says, cites only passages it was shown, and keeps
the graph's row when the model's reply cannot be used."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.retrievers import BaseRetriever

from knowledge.graph.link import EntityLinker
from model.diagnosis.diagnose import Diagnoser
from model.diagnosis.llm_stage import LLMStageDiagnoser, build_prompt, parse_ranking
from model.diagnosis.records import PatientRecord
from model.diagnosis.scoring import KGScorer
from tests.model.test_diagnosis_scoring import _graph

RECORD = PatientRecord(id="p1", source="t", age=30, sex="female", text="Fever and cough, neck stiffness. No rash.")


class NameRetriever(BaseRetriever):
    """One passage per disease name, id `p:<name>`; nothing for unknown names."""

    known: tuple[str, ...] = ("influenza", "meningitis")

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        if query not in self.known:
            return []
        return [Document(id=f"p:{query}", page_content=f"{query.title()} is a disease with fever.")]


class FailingChat(FakeListChatModel):
    def _call(self, *args: Any, **kwargs: Any) -> str:
        raise TimeoutError("no answer in 60 s")


@pytest.fixture(scope="module")
def base() -> Diagnoser:
    graph = _graph()
    return Diagnoser(KGScorer(graph), EntityLinker(graph))


def test_parse_ranking_keeps_valid_unique_numbers_in_order() -> None:
    assert parse_ranking("Ranking: 3, 1, 3, 9, 2\nBecause [3].", 3) == [3, 1, 2]
    assert parse_ranking("ranking:2 > 1", 2) == [2, 1]
    assert parse_ranking("I think influenza.", 3) is None
    assert parse_ranking("Ranking: 7, 8", 3) is None


def test_the_model_reorders_the_head_and_cites_what_it_was_shown(base: Diagnoser) -> None:
    kg = base(RECORD)
    names = [c.name for c in kg.differential]
    assert names[:2] == ["influenza", "meningitis"]  # the graph's order, which the model reverses
    llm = FakeListChatModel(responses=["Ranking: 2, 1\nNeck stiffness points to meningitis [2]; see also [7]."])
    row = LLMStageDiagnoser(base, llm, NameRetriever(), name="fake")(RECORD)
    assert row.status == "ok" and row.llm_status == "reranked"
    assert [c.name for c in row.differential][:2] == ["meningitis", "influenza"]
    assert row.rationale == "Neck stiffness points to meningitis [2]; see also [7]."
    assert row.rationale_citations == ["p:meningitis"]  # [7] was never shown: dropped
    assert "p:meningitis" in row.differential[0].citations
    assert row.model == "kg-idf-v3+llm:fake"
    # every candidate of the head with a passage in the prompt, numbered as the ranking refers to them
    prompt = build_prompt(RECORD, kg, [None] * len(kg.differential))[1].content
    assert "[1] influenza" in prompt and "Findings absent: rash" in prompt and "30-year-old female" in prompt


def test_unparseable_reply_or_model_error_keeps_the_graph_order(base: Diagnoser) -> None:
    kg = [c.name for c in base(RECORD).differential]
    vague = LLMStageDiagnoser(
        base, FakeListChatModel(responses=["It could be many things."]), NameRetriever(), name="f"
    )
    row = vague(RECORD)
    assert row.llm_status == "parse_error" and [c.name for c in row.differential] == kg
    failing = LLMStageDiagnoser(base, FailingChat(responses=["x"]), NameRetriever(), name="f")(RECORD)
    assert failing.status == "ok" and failing.llm_status == "error"
    assert "TimeoutError: no answer in 60 s" in (failing.message or "")
    assert [c.name for c in failing.differential] == kg


def test_records_without_findings_skip_the_model(base: Diagnoser) -> None:
    llm = FakeListChatModel(responses=[])  # would raise if called
    row = LLMStageDiagnoser(base, llm, NameRetriever(), name="f")(PatientRecord(id="x", source="t", text="Paperwork."))
    assert row.status == "no_findings" and row.llm_status is None
