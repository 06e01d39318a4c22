"""Red flags, clarifying questions, citation parsing, support scores and context packing."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from rag.citations import check_sentences, parse_markers, render_answer, strip_markers, support
from rag.context import approx_tokens, pack_contexts
from rag.prompts import render_sources
from rag.safety import clarifying_question, detect_red_flags, missing_key_facts


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("I have chest pain and shortness of breath", "cardiac_chest_pain"),
        ("crushing pain in my chest spreading to the jaw", "cardiac_chest_pain"),
        ("my father's face is drooping and his speech is slurred speech", "stroke"),
        ("I want to kill myself", "suicidal_ideation"),
        ("after the bee sting her throat is swelling", "anaphylaxis"),
        ("he is vomiting blood", "severe_bleeding"),
        ("fever and a stiff neck since this morning", "meningitis"),
        ("my 6 week old baby has a fever", "infant_fever"),
        ("she had a seizure an hour ago", "seizure"),
    ],
)
def test_red_flags_fire(text: str, flag: str) -> None:
    assert flag in [f.id for f in detect_red_flags(text)]


@pytest.mark.parametrize(
    "text",
    ["What are the symptoms of myocarditis?", "How is asthma treated?", "chest pain after lifting weights yesterday"],
)
def test_red_flags_stay_quiet_on_ordinary_questions(text: str) -> None:
    assert detect_red_flags(text) == []


def test_missing_key_facts_only_for_personal_descriptions() -> None:
    assert missing_key_facts("What causes migraine?") == []
    assert missing_key_facts("I have a headache") == ["age", "how long it has lasted", "how severe it is"]
    assert missing_key_facts("I am 34 years old and I have had a severe headache for 3 days") == []
    question = clarifying_question(["age", "how severe it is"])
    assert question == "To give more specific information, could you tell me the patient's age and how severe it is?"
    assert clarifying_question([]) is None
    # Found asking "my 4 year old has had a fever of 102 for three days…": age and duration were given.
    assert clarifying_question(["how severe it is"]) == (
        "To give more specific information, could you tell me how severe it is?"
    )


def test_parse_markers_by_number_and_id() -> None:
    ids = ["medquad:1#0", "fact:DOID:820:has_symptom"]
    assert parse_markers("Fever [1][2]. Rash [1, 2]. [fact:DOID:820:has_symptom]", ids) == ([1, 2], [])
    assert parse_markers("Made up [3] and [medquad:999#0].", ids) == ([], ["3", "medquad:999#0"])
    assert strip_markers("Fever is common [1][2].") == "Fever is common."


def test_support_score_is_share_of_content_words() -> None:
    passage = "Myocarditis causes chest pain and shortness of breath."
    assert support("Chest pain is common in myocarditis.", [passage]) == pytest.approx(0.75)  # common: unsupported
    assert support("The moon is made of cheese.", [passage]) == 0.0
    assert support("It is.", [passage]) == 0.0  # no content words


def test_check_and_render() -> None:
    passages = ["Influenza is treated with rest and fluids.", "Antiviral drugs shorten influenza."]
    checks, unknown, origin = check_sentences(
        "Rest and fluids help with influenza [1]. Antivirals exist [5].",
        passages,
        ["a", "b"],
        min_support=0.5,
        attribute=True,
    )
    assert origin == "model" and unknown == ["5"]
    assert [c.supported for c in checks] == [True, False]
    assert render_answer(checks, drop_unsupported=True) == "Rest and fluids help with influenza [1]."
    checks, _, origin = check_sentences(
        "Antiviral drugs shorten influenza.", passages, ["a", "b"], min_support=0.5, attribute=True
    )
    assert origin == "attributed" and checks[0].citations == [2]


def test_pack_contexts_dedupes_and_respects_budget() -> None:
    long = " ".join(["word"] * 400)
    docs = [
        Document(id="a", page_content="Fever is common.", metadata={"title": "A", "source": "s"}),
        Document(id="a", page_content="Fever is common.", metadata={"title": "A", "source": "s"}),
        Document(id="b", page_content="fever is  COMMON.", metadata={"title": "B", "source": "s"}),
        Document(id="c", page_content=long, metadata={"title": "C", "source": "s", "url": "u"}),
    ]
    sources = pack_contexts(docs, budget_tokens=200)
    assert [d.id for d in sources] == ["a", "c"]
    assert sources[1].page_content.endswith("…")
    assert sum(approx_tokens(d.page_content) + 12 for d in sources) <= 215
    assert docs[3].page_content == long  # packing copies; the retrieved document is untouched
    rendered = render_sources(sources)
    assert rendered.startswith("<sources>") and "[2] (c) C" in rendered


def test_repeated_sentences_are_said_once() -> None:
    answer = "Fever is common [1]. Fever is common [1]. fever is  common [1]."
    checks, _, _ = check_sentences(answer, ["Fever is common in influenza."], ["a"], min_support=0.5, attribute=True)
    assert [c.text for c in checks] == ["Fever is common."]


@pytest.mark.timeout(30)  # a hang guard: the old marker pattern took 114 s for 14 words after an unclosed "["
def test_an_unclosed_bracket_is_rejected_without_backtracking() -> None:
    text = "See [" + "ab " * 200 + "and more. Myocarditis is inflammation [1]."
    assert strip_markers(text).endswith("Myocarditis is inflammation.")
    cited, unknown = parse_markers(text, ["medquad:1#0"])
    assert cited == [1] and unknown == []
