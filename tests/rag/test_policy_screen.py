"""The safety policies as the chain applies them: personal questions, unknown terms, echoes, fragments, doses."""

from __future__ import annotations

from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.retrievers import BaseRetriever

from rag.chain import build_qa_chain
from rag.policies import CARE_NOTICE, DOSE_NOTICE, PERSONAL_NOTICE
from rag.settings import AnswerSettings

MELANOMA = Document(
    id="medquad:melanoma#0",
    page_content=(
        "Melanoma is a type of skin cancer that begins in the cells that make pigment. "
        "A change in the size, shape or colour of a mole can be a sign of melanoma."
    ),
    metadata={"title": "Melanoma", "section": "information", "source": "medquad", "trust": "curated"},
)
LABEL = Document(
    id="fda_labels:levo:dosage#0",
    page_content="The usual dose of levofloxacin tablets is 500 mg once daily for 7 days for chronic bronchitis.",
    metadata={
        "title": "Levofloxacin",
        "section": "Dosage and administration",
        "source": "fda_labels",
        "trust": "curated",
    },
)


class Recording(BaseRetriever):
    """A plain retriever that remembers its queries."""

    docs: list[Document]
    queries: list[str] = []

    def _get_relevant_documents(self, query: str, *, run_manager: object) -> list[Document]:
        self.queries.append(query)
        return list(self.docs)


class Knows:
    """A vocabulary that knows every Kessler term and no unknown words."""

    def knows(self, term: str) -> bool:
        return term.lower().startswith("kessler")

    def unknown_words(self, text: str) -> list[str]:
        return [w for w in text.split() if w.lower() == "varnex"]

    def focus_names(self, text: str) -> list[tuple[str, list[str]]]:
        return []

    def entity_ids(self, text: str) -> set[str]:
        return set()

    def spelling(self, text: str) -> dict[str, str]:
        # "Kesler" is how a reader misspells the Kessler terms this vocabulary knows.
        return {"kesler": "kessler"} if "kesler" in text.lower() else {}


def fake(reply: str) -> FakeListChatModel:
    return FakeListChatModel(responses=[reply])


def test_personal_question_is_answered_in_general_without_a_verdict() -> None:
    retriever = Recording(docs=[MELANOMA], queries=[])
    reply = "Yes, it is melanoma [1]. A change in the size, shape or colour of a mole can be a sign of melanoma [1]."
    answer = build_qa_chain(retriever, fake(reply)).invoke("Is the mole on my left shoulder melanoma?")
    assert retriever.queries == ["melanoma"]  # the general question is what is looked up
    assert not answer.refused
    assert "Yes, it is melanoma" not in answer.answer
    assert "sign of melanoma" in answer.answer
    assert PERSONAL_NOTICE in answer.policy_notices and PERSONAL_NOTICE in answer.render_text()
    assert any("personal_verdict" in s.issues for s in answer.sentences)


def test_general_question_gets_no_personal_notice() -> None:
    answer = build_qa_chain(
        Recording(docs=[MELANOMA], queries=[]), fake("Melanoma is a type of skin cancer [1].")
    ).invoke("What is melanoma?")
    assert not answer.refused and answer.policy_notices == []


def test_unknown_disease_is_refused_by_name_without_generating() -> None:
    model = fake("Kessler-Varn syndrome is treated with rest [1].")
    answer = build_qa_chain(Recording(docs=[MELANOMA], queries=[]), model).invoke(
        "How is Kessler-Varn syndrome treated?"
    )
    assert answer.refused and answer.refusal_reason == "unknown_term"
    assert "Kessler-Varn syndrome" in answer.answer and model.i == 0
    assert answer.citations == [] and answer.policy_notices == []


def test_a_term_the_graph_knows_is_not_unknown() -> None:
    chain = build_qa_chain(
        Recording(docs=[MELANOMA], queries=[]),
        fake("Melanoma is a type of skin cancer [1]."),
        vocabulary=Knows(),
    )
    answer = chain.invoke("How is Kessler-Varn syndrome treated?")
    assert answer.refusal_reason != "unknown_term"


def test_a_misspelt_known_term_is_answered_as_corrected_and_says_so() -> None:
    retriever = Recording(docs=[MELANOMA], queries=[])
    chain = build_qa_chain(retriever, fake("Melanoma is a type of skin cancer [1]."), vocabulary=Knows())
    answer = chain.invoke("How is Kesler-Varn syndrome treated?")
    # Retrieved and screened as the vocabulary spells it: known, so not refused as unknown.
    assert retriever.queries[-1] == "How is Kessler-Varn syndrome treated?"
    assert answer.refusal_reason != "unknown_term"
    assert any("“kesler” as “kessler”" in n for n in answer.policy_notices)
    assert answer.question == "How is Kesler-Varn syndrome treated?"  # the user's own words are kept


def test_an_echo_is_replaced_by_the_sources_words_or_refused() -> None:
    q = "What are the signs of melanoma in a mole?"
    echo = fake("What are the signs of melanoma in a mole? [1]")
    answer = build_qa_chain(Recording(docs=[MELANOMA], queries=[]), echo).invoke(q)
    assert not answer.refused and answer.mode == "extractive" and "(after" in answer.model.name
    assert "sign of melanoma" in answer.answer and "What are the signs" not in answer.answer
    strict = AnswerSettings(extractive_min_relevance=5.0)  # no source sentence can qualify
    echo = fake("What are the signs of melanoma in a mole? [1]")
    answer = build_qa_chain(Recording(docs=[MELANOMA], queries=[]), echo, strict).invoke(q)
    assert answer.refused and answer.refusal_reason == "echo"


def test_fragments_are_never_shown() -> None:
    reply = "Treatment aims to address the [1]. Melanoma is a type of skin cancer [1]."
    answer = build_qa_chain(
        Recording(docs=[MELANOMA], queries=[]), fake(reply), AnswerSettings(unsupported="flag")
    ).invoke("What is melanoma?")
    assert "address the" not in answer.answer and "skin cancer" in answer.answer
    assert any("fragment" in s.issues and s.dropped for s in answer.sentences)


def test_an_invented_dose_is_withheld_and_the_dose_notice_shown() -> None:
    reply = "Take 1000 mg of levofloxacin tablets for bronchitis [1]. Levofloxacin is used for chronic bronchitis [1]."
    answer = build_qa_chain(
        Recording(docs=[LABEL], queries=[]), fake(reply), AnswerSettings(unsupported="flag")
    ).invoke("how much levofloxacin should I take for bronchitis")
    assert "1000 mg" not in answer.answer
    assert DOSE_NOTICE in answer.policy_notices


def test_a_dose_quoted_from_a_cited_label_is_shown_with_the_notice() -> None:
    reply = "The usual dose of levofloxacin tablets is 500 mg once daily for 7 days for chronic bronchitis [1]."
    answer = build_qa_chain(Recording(docs=[LABEL], queries=[]), fake(reply)).invoke(
        "What is the usual levofloxacin dose for chronic bronchitis?"
    )
    assert "500 mg once daily" in answer.answer
    assert DOSE_NOTICE in answer.policy_notices


def test_extractive_answers_follow_the_same_policies() -> None:
    chain = build_qa_chain(
        Recording(docs=[MELANOMA], queries=[]), settings=AnswerSettings(extractive_min_relevance=0.1)
    )
    answer = chain.invoke("is this mole on my back melanoma??")
    assert not answer.refused and answer.mode == "extractive"
    assert PERSONAL_NOTICE in answer.policy_notices
    assert all(not s.text.lower().startswith(("yes", "no")) for s in answer.sentences)


def test_a_word_no_passage_of_the_knowledge_base_contains_is_refused_by_name() -> None:
    chain = build_qa_chain(Recording(docs=[MELANOMA], queries=[]), fake("It is safe [1]."), vocabulary=Knows())
    answer = chain.invoke("is varnex safe during pregnancy")
    assert answer.refused and answer.refusal_reason == "unknown_term" and "'varnex'" in answer.answer


def test_own_symptoms_asking_what_to_do_get_the_care_notice_with_the_answer() -> None:
    fever = Document(
        id="medquad:fever#0",
        page_content="A fever is a body temperature that is higher than normal. Most fevers go away in a few days.",
        metadata={"title": "Fever", "section": "information", "source": "medquad", "trust": "curated"},
    )
    q = "My 4 year old has had a fever for three days and now has a rash, what should I do?"
    answer = build_qa_chain(Recording(docs=[fever], queries=[]), fake("Most fevers go away in a few days [1].")).invoke(
        q
    )
    assert CARE_NOTICE in answer.policy_notices and CARE_NOTICE in answer.render_text()
    general = build_qa_chain(Recording(docs=[fever], queries=[]), fake("A fever is a high temperature [1].")).invoke(
        "What is a fever?"
    )
    assert CARE_NOTICE not in general.policy_notices
