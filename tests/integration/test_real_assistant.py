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


@pytest.fixture(scope="module")
def generative(real_kb: KnowledgeBase) -> ClinicalAssistant:
    return ClinicalAssistant(AppSettings(kb_dir=real_kb.kb_dir, answer={"mode": "generative"}), kb=real_kb)


def quoted(passage: str) -> str:
    """A passage as the composer quotes it: whitespace collapsed, square brackets made round."""
    return " ".join(passage.replace("[", "(").replace("]", ")").split())


def test_default_mode_quotes_the_sources_without_loading_the_model(real_kb: KnowledgeBase) -> None:
    assistant = ClinicalAssistant(AppSettings(kb_dir=real_kb.kb_dir), kb=real_kb)
    answer = assistant.ask("What are the symptoms of myocarditis?")
    assert answer.mode == "extractive" and answer.model.name == "extractive"
    assert "llm" not in assistant.__dict__  # the generator was never built
    assert not answer.refused, answer.refusal_reason
    assert answer.lead and "myocarditis" in answer.lead.lower()
    texts = {c.id: c.page_content for c in answer.contexts}
    for sentence in answer.sentences:
        # Every quoted sentence cites exactly the passage it was taken from, word for word.
        assert len(sentence.citations) == 1
        source = answer.contexts[sentence.citations[0] - 1]
        assert sentence.text.rstrip(".") in quoted(texts[source.id])
    assert any(s in answer.answer.lower() for s in ("chest pain", "shortness of breath", "fatigue", "heartbeat"))


def test_default_generator_answers_with_checked_citations(generative: ClinicalAssistant) -> None:
    answer = generative.ask("What are the symptoms of myocarditis?")
    # The base model writes either sentences that survive the checks or nothing that does; then the answer is
    # the sources' own words, labelled as such. Which one depends on the passages' order: with the reranker
    # retrained on 2026-12-07 the base model writes "The symptoms of myocarditis are:" and starts reciting a
    # source ("[6] (medquad:…) Pericarditis"), which the stops cut, so this question now takes the fallback.
    assert answer.timings_ms["generate"] > 0  # the model was called either way
    if answer.mode == "generative":
        assert answer.model.name == "gemma-3-270m"
    else:
        assert (answer.mode, answer.model.name) == ("extractive", "extractive (after gemma-3-270m)")
    assert answer.contexts and answer.contexts[0].id
    context_ids = {c.id for c in answer.contexts}
    assert all(c.id in context_ids for c in answer.citations)  # never cites what was not retrieved
    # The knowledge base holds MedQuAD's myocarditis pages: the answer must come from them, not refuse, and
    # name symptoms those pages list.
    assert not answer.refused, answer.refusal_reason
    assert answer.citations and all("myocarditis" in c.title.lower() for c in answer.citations)
    assert any(s in answer.answer.lower() for s in ("chest pain", "shortness of breath", "fatigue", "heartbeat"))
    shown = [s for s in answer.sentences if s.supported]
    assert shown and all(s.citations for s in shown)
    assert answer.timings_ms["generate"] > 0 and "not a substitute" in answer.notice


#: Written before their answers were seen; on 2026-12-07 the base model's own sentences survived the checks for the
#: last three (the myocarditis answer takes the fallback, above).
GENERATIVE_QUESTIONS = (
    "What are the symptoms of myocarditis?",
    "What are the symptoms of glaucoma?",
    "What causes cystic fibrosis?",
    "What is influenza?",
)


def test_the_base_model_itself_writes_checked_cited_sentences(generative: ClinicalAssistant) -> None:
    """At least one of these answers must be the model's own words, each shown sentence supported and cited: the
    fallback alone would hide a generator that never writes anything usable."""
    for question in GENERATIVE_QUESTIONS:
        answer = generative.ask(question)
        if answer.mode == "generative":
            break
    else:
        pytest.fail(f"every answer fell back to the sources' words: {GENERATIVE_QUESTIONS}")
    assert answer.model.name == "gemma-3-270m" and not answer.refused
    shown = [s for s in answer.sentences if s.supported]
    assert len(shown) >= 2 and all(s.citations for s in shown)
    context_ids = {c.id for c in answer.contexts}
    assert answer.citations and all(c.id in context_ids for c in answer.citations)


def test_off_topic_question_is_refused_without_generating(assistant: ClinicalAssistant) -> None:
    answer = assistant.ask("How do I change a flat tyre on a car?")
    assert answer.refused and answer.refusal_reason == "low_retrieval_confidence"
    assert answer.timings_ms["generate"] < 5  # the model was not called


def test_red_flag_question(assistant: ClinicalAssistant) -> None:
    answer = assistant.ask("My father has sudden weakness on one side of his body and slurred speech, what is it?")
    assert "stroke" in [f.id for f in answer.red_flags]


def test_learned_red_flag_catches_what_the_rules_miss(assistant: ClinicalAssistant) -> None:
    # No phrase rule knows "whistling noise" or a belly "caving in below the ribs" (the rules read "sucking in under
    # the ribs"); the classifier, over the knowledge base's real query embedder, reads it as a breathing emergency.
    text = "my toddler is making a whistling noise with every breath and her belly is caving in below the ribs"
    answer = assistant.ask(text)
    assert [(f.id, f.matched_by) for f in answer.red_flags] == [("breathing", "classifier")]
    harmless = assistant.ask("can you explain how epipens work?")
    assert harmless.red_flags == []
