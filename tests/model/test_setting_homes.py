"""Every setting has one home and reaches every entry point (issue 8: settings that were silently lost)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from knowledge.kb import KnowledgeBase
from model.assistant import ClinicalAssistant
from model.errors import ConfigError
from model.settings import load_settings
from model.tools import ClinicalQATool

_LLM_REPLY = "Myocarditis can cause chest pain and shortness of breath [1]."


def _assistant(tiny_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, **env: str) -> ClinicalAssistant:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(None, kb_dir=tiny_kb.kb_dir)
    return ClinicalAssistant(settings, kb=tiny_kb, llm=FakeListChatModel(responses=[_LLM_REPLY]))


@pytest.mark.parametrize("name", ["KB_DIR", "DATA_DIR"])
def test_nested_folder_settings_are_refused_not_overwritten(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"CLINICALGPT_KNOWLEDGE__{name}", "/somewhere/else")
    with pytest.raises(ConfigError, match=f"`knowledge.{name.lower()}` is not read.*CLINICALGPT_{name}"):
        load_settings(None)


def test_top_level_folders_reach_the_knowledge_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("CLINICALGPT_KB_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("CLINICALGPT_DATA_DIR", str(tmp_path / "data"))
    ks = load_settings(None).knowledge_settings()
    assert ks.kb_dir == tmp_path / "kb" and ks.data_dir == tmp_path / "data"


@pytest.mark.parametrize("mode", ["dense", "bm25", "kg"])
def test_retrieval_mode_setting_reaches_ask(mode: str, tiny_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    assistant = _assistant(tiny_kb, monkeypatch, CLINICALGPT_RETRIEVAL__MODE=mode)
    docs = assistant.retriever.invoke("What are the symptoms of myocarditis?")
    assert docs, "the tiny knowledge base has myocarditis passages in every mode"
    assert {name for d in docs for name in d.metadata["retrieval"]["ranks"]} == {mode}


def test_retrieval_k_setting_reaches_ask_and_the_tool(tiny_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    assistant = _assistant(tiny_kb, monkeypatch, CLINICALGPT_RETRIEVAL__K="2")
    assert len(assistant.retriever.invoke("myocarditis symptoms")) == 2
    seen: list[int] = []
    original = assistant.retriever.searcher.search

    def spy(query: str, **kwargs: Any) -> Any:
        result = original(query, **kwargs)
        seen.append(len(result.documents))
        return result

    monkeypatch.setattr(assistant.retriever.searcher, "search", spy)
    ClinicalQATool(assistant=assistant).invoke({"question": "What are the symptoms of myocarditis?"})
    ClinicalQATool(assistant=assistant).invoke({"question": "What are the symptoms of myocarditis?", "k": 4})
    assert seen == [2, 4]


def test_extractive_answers_retrieve_their_own_number_of_passages(
    tiny_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quoting has no prompt to fit: `answer.extractive_sources` passages are retrieved, unless `-k` says more."""
    assistant = _assistant(
        tiny_kb,
        monkeypatch,
        CLINICALGPT_ANSWER__MODE="extractive",
        CLINICALGPT_RETRIEVAL__K="2",
        CLINICALGPT_ANSWER__EXTRACTIVE_SOURCES="7",
    )
    assert assistant.chain().retriever.k == 7
    assert assistant.chain(9).retriever.k == 9
    generative = _assistant(tiny_kb, monkeypatch, CLINICALGPT_ANSWER__MODE="generative", CLINICALGPT_RETRIEVAL__K="2")
    assert generative.chain().retriever.k is None  # the searcher reads `retrieval.k` (2) itself


@pytest.mark.parametrize(("top", "reranked"), [("0", False), ("3", True)])
def test_rerank_setting_reaches_ask(
    top: str, reranked: bool, tiny_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = _assistant(tiny_kb, monkeypatch, CLINICALGPT_RETRIEVAL__RERANK_TOP=top)
    docs = assistant.retriever.invoke("What are the symptoms of myocarditis?")
    ranked = [d for d in docs if "rerank" in d.metadata["retrieval"]["ranks"]]
    assert len(ranked) == (min(3, len(docs)) if reranked else 0)
