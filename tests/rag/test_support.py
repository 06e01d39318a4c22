"""The support check: entities, numbers, negation and meaning, not shared words alone."""

from __future__ import annotations

from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.retrievers import BaseRetriever

from knowledge.kb import KnowledgeBase
from rag.chain import build_qa_chain, normalised_embedder
from rag.citations import support as lexical
from rag.retrieve import HybridSearcher
from rag.settings import AnswerSettings
from rag.support import check_support, negated

BP = (
    "Blood pressure medicines work in different ways to lower blood pressure. "
    "Some lower blood pressure by removing extra fluid and salt from your body."
)
DRUGS = {"alprazolam": "DRUG:alprazolam", "xanax": "DRUG:alprazolam", "lisinopril": "DRUG:lisinopril"}


def entities(text: str) -> set[str]:
    """A toy linker: the drugs of `DRUGS` named in the text."""
    low = text.lower()
    return {node for name, node in DRUGS.items() if name in low}


def test_another_drug_is_another_claim() -> None:
    sentence = "Alprazolam can lower blood pressure."
    assert lexical(sentence, [BP]) >= 0.5  # the old check passed it
    result = check_support(sentence, [BP], entities=entities)
    assert result.label == "unsupported" and "entity:DRUG:alprazolam" in result.reasons


def test_a_brand_name_is_the_same_drug() -> None:
    passage = "Xanax (alprazolam) can cause drowsiness and dizziness."
    assert check_support("Alprazolam can cause drowsiness.", [passage], entities=entities).label == "supported"


def test_numbers_must_be_stated_and_a_different_dose_contradicts() -> None:
    passage = "The usual adult dose is 500 mg once daily for 7 days."
    assert check_support("The usual adult dose is 500 mg once daily.", [passage]).label == "supported"
    wrong = check_support("The usual adult dose is 1000 mg once daily.", [passage])
    assert wrong.label == "contradicted" and any(r.startswith("dose:") for r in wrong.reasons)
    invented = check_support("The usual adult dose works in 90% of people.", [passage])
    assert invented.label == "unsupported" and "number:90" in invented.reasons


def test_flipped_negation_contradicts() -> None:
    passage = "Shingles is not contagious, but the virus can spread to people who never had chickenpox."
    assert check_support("Shingles is contagious.", [passage]).label == "contradicted"
    assert check_support("Shingles is not contagious.", [passage]).label == "supported"
    assert negated("It can't be cured") and not negated("It can be cured")


def test_meaning_needs_similar_embeddings(tiny_kb: KnowledgeBase) -> None:
    embed = normalised_embedder(tiny_kb.embeddings)
    passage = "Myocarditis can cause chest pain, shortness of breath and a fast heartbeat."
    close = check_support("Myocarditis can cause chest pain.", [passage], embed=embed)
    assert close.label == "supported" and close.similarity is not None and close.similarity > 0.55
    far = check_support(
        "Chest pain means myocarditis is caused by a fast heartbeat.", [passage], embed=embed, min_similarity=0.95
    )
    assert far.label == "unsupported" and any(r.startswith("similarity:") for r in far.reasons)


class Fixed(BaseRetriever):
    docs: list[Document]

    def _get_relevant_documents(self, query: str, *, run_manager: object) -> list[Document]:
        return list(self.docs)


class ToyVocabulary:
    def knows(self, term: str) -> bool:
        return True

    def unknown_words(self, text: str) -> list[str]:
        return []

    def focus_names(self, text: str) -> list[tuple[str, list[str]]]:
        return []

    def entity_ids(self, text: str) -> set[str]:
        return entities(text)

    def spelling(self, text: str) -> dict[str, str]:
        return {}


def test_generated_sentences_that_fail_the_check_are_withheld() -> None:
    doc = Document(id="medquad:bp#0", page_content=BP, metadata={"title": "High Blood Pressure", "trust": "curated"})
    reply = "Yes, alprazolam can lower blood pressure [1]. Blood pressure medicines work in different ways [1]."
    chain = build_qa_chain(Fixed(docs=[doc]), FakeListChatModel(responses=[reply]), vocabulary=ToyVocabulary())
    answer = chain.invoke("Can alprazolam lower blood pressure?")
    assert "alprazolam" not in answer.answer.lower()
    assert "Blood pressure medicines work" in answer.answer
    withheld = [s for s in answer.sentences if "alprazolam" in s.text.lower()]
    assert withheld and not withheld[0].supported and "unsupported:entity:DRUG:alprazolam" in withheld[0].issues
    off = build_qa_chain(
        Fixed(docs=[doc]),
        FakeListChatModel(responses=[reply]),
        AnswerSettings(support_check=False),
        vocabulary=ToyVocabulary(),
    ).invoke("Can alprazolam lower blood pressure?")
    assert "alprazolam" in off.answer.lower()  # the old, lexical-only behaviour, for comparison


def test_searcher_vocabulary_on_the_tiny_knowledge_base(tiny_kb: KnowledgeBase) -> None:
    searcher = HybridSearcher(tiny_kb)
    assert searcher.unknown_words("How are people treated with zorbitrex?") == ["zorbitrex"]  # "treated" is English
    assert searcher.unknown_words("Is zorbitrex used for myocarditis?") == []  # about a disease it knows
    assert searcher.unknown_words("How are peple treated with myocardits?") == []  # typos of known words
    # Two common words run together are no name (a LiveQA question was refused for "dinnertime").
    assert searcher.unknown_words("Is it safe to take my meds with wine at dinnertime?") == []
    # A real drug the knowledge base lacks is unknown; a brand whose generic it holds is not.
    assert searcher.unknown_words("is apixaban a blood thinner?") == ["apixaban"]
    assert searcher.unknown_words("is desonide safe in pregnancy?") == ["desonide"]  # not budesonide
    assert searcher.unknown_words("is tamiflu a blood thinner?") == []
    assert searcher.knows("myocarditis") and not searcher.knows("Kessler-Varn syndrome")
    assert searcher.knows("contracting myocarditis")  # a common word before a known name
    assert not searcher.knows("Hallgren-Tusk myocarditis")  # a made-up name before a known one
    assert any("myocarditis" in names for _, names in searcher.focus_names("what causes myocarditis"))
    assert searcher.entity_ids("Myocarditis is inflammation of the heart muscle.")


def test_the_support_thresholds_reach_the_chain() -> None:
    doc = Document(id="medquad:bp#0", page_content=BP, metadata={"title": "High Blood Pressure", "trust": "curated"})
    reply = "Blood pressure medicines work quickly and safely [1]."  # 4 of its 6 content words are in the passage

    def ask(settings: AnswerSettings) -> bool:
        chain = build_qa_chain(Fixed(docs=[doc]), FakeListChatModel(responses=[reply]), settings)
        return not chain.invoke("What should I know about my tablets for hypertension?").refused

    assert not ask(AnswerSettings(mode="generative", support_min_lexical=0.7, extractive_min_relevance=5.0))
    assert ask(AnswerSettings(mode="generative", support_min_lexical=0.6, extractive_min_relevance=5.0))


class MyocarditisVocabulary(ToyVocabulary):
    def focus_names(self, text: str) -> list[tuple[str, list[str]]]:
        return [("disease", ["myocarditis"])] if "myocarditis" in text.lower() else []


def test_generated_sentences_about_another_disease_are_withheld() -> None:
    """The shipped adapter answered "What are the symptoms of myocarditis?" with pericarditis's chest pain, every
    sentence supported by the pericarditis passage it cited: the sentence is true, and about the wrong disease."""
    peri = Document(
        id="medquad:peri#0",
        page_content="The most common sign of acute pericarditis is sharp, stabbing chest pain. It comes on quickly.",
        metadata={"title": "Pericarditis", "trust": "curated", "source": "medquad"},
    )
    myo = Document(
        id="medquad:myo#0",
        page_content="Signs and symptoms of myocarditis may include chest pain, abnormal heartbeat and fatigue.",
        metadata={"title": "Myocarditis", "trust": "curated", "source": "medquad"},
    )
    reply = (
        "The most common sign of acute pericarditis is sharp, stabbing chest pain [1]. "
        "Symptoms of myocarditis may include chest pain, abnormal heartbeat and fatigue [2]."
    )
    chain = build_qa_chain(
        Fixed(docs=[peri, myo]), FakeListChatModel(responses=[reply]), vocabulary=MyocarditisVocabulary()
    )
    answer = chain.invoke("What are the symptoms of myocarditis?")
    assert "pericarditis" not in answer.answer.lower() and "abnormal heartbeat" in answer.answer
    off = [s for s in answer.sentences if "pericarditis" in s.text.lower()]
    assert off and not off[0].supported and "unsupported:off_focus" in off[0].issues
    assert [c.title for c in answer.citations] == ["Myocarditis"]
