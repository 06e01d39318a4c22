"""End to end on the embedded default: real knowledge base, real Gemma 3 270M, real chain."""

from __future__ import annotations

import pytest

from knowledge.kb import KnowledgeBase
from model.assistant import ClinicalAssistant
from model.settings import AppSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def assistant(real_kb: KnowledgeBase) -> ClinicalAssistant:
    return ClinicalAssistant(AppSettings(kb_dir=real_kb.kb_dir), kb=real_kb)


def test_default_generator_answers_with_checked_citations(assistant: ClinicalAssistant) -> None:
    answer = assistant.ask("What are the symptoms of myocarditis?")
    assert answer.model.name == "gemma-3-270m"
    assert answer.contexts and answer.contexts[0].id
    context_ids = {c.id for c in answer.contexts}
    assert all(c.id in context_ids for c in answer.citations)  # never cites what was not retrieved
    # The knowledge base holds MedQuAD's myocarditis pages: the default model must answer from them (it
    # did on this machine), not refuse, and name symptoms those pages list.
    assert not answer.refused, answer.refusal_reason
    assert answer.citations and all("myocarditis" in c.title.lower() for c in answer.citations)
    assert any(s in answer.answer.lower() for s in ("chest pain", "shortness of breath", "fatigue", "heartbeat"))
    shown = [s for s in answer.sentences if s.supported]
    assert shown and all(s.citations for s in shown)
    assert answer.timings_ms["generate"] > 0 and "not a substitute" in answer.notice


def test_off_topic_question_is_refused_without_generating(assistant: ClinicalAssistant) -> None:
    answer = assistant.ask("How do I change a flat tyre on a car?")
    assert answer.refused and answer.refusal_reason == "low_retrieval_confidence"
    assert answer.timings_ms["generate"] < 5  # the model was not called


def test_red_flag_question(assistant: ClinicalAssistant) -> None:
    answer = assistant.ask("My father has sudden weakness on one side of his body and slurred speech, what is it?")
    assert "stroke" in [f.id for f in answer.red_flags]
