"""Unknown disease and drug names (`rag.policies.unknown_terms`)."""

from __future__ import annotations

import pytest

from rag.policies import candidate_terms, normalize_term, unknown_term_message, unknown_terms

KNOWN = {normalize_term(t) for t in ("hypothyroidism", "Crohn disease", "ibuprofen", "warfarin", "melanoma")}


def is_known(term: str) -> bool:
    return normalize_term(term) in KNOWN


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("what is Kessler-Varn syndrome?", ["Kessler-Varn syndrome"]),
        ("treatment for Grobnik's disease", ["Grobnik's disease"]),
        ("is blue lantern fever contagious", ["blue lantern fever"]),
        ("zorbital poisoning in dogs", ["zorbital poisoning"]),
        ("can i take Varnex tablets with alcohol", ["Varnex"]),
        ("can i take varnex with ibuprofen", ["varnex", "ibuprofen"]),
        ("what is hypothyroidism", ["hypothyroidism"]),
        ("Crohn\u2019s disease diet", ["Crohn's disease"]),
        ("Hashimoto's thyroiditis and pregnancy", ["Hashimoto's thyroiditis"]),
        ("non-Hodgkin lymphoma survival rate", ["non-Hodgkin lymphoma"]),
        ("i have irritable bowel syndrome", ["irritable bowel syndrome"]),
        ("what is chronic fatigue syndrome", ["chronic fatigue syndrome"]),
        ("side effects of lisinopril and atorvastatin", ["lisinopril", "atorvastatin"]),
        ("started on sertraline last week", ["sertraline"]),
        ("Can I take ibuprofen with warfarin?", ["ibuprofen", "warfarin"]),
    ],
)
def test_candidate_terms(question: str, terms: list[str]) -> None:
    assert candidate_terms(question) == terms


@pytest.mark.parametrize(
    "question",
    [
        "i have a high fever and pain",
        "what is this disease",
        "syndrome",
        "my infection wont go away",
        "is it a rare disease",
        "what is the diagnosis and prognosis",
        "can i take it with food",
        "should i take my medicine with milk",
        "I have a fever and a cough",
        "Is my baby's fever of 39 dangerous?",
        "what is the best treatment for type 2 diabetes",
    ],
)
def test_generic_words_are_never_candidates(question: str) -> None:
    assert candidate_terms(question) == []


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("What is Kessler-Varn syndrome and how is it treated?", ["Kessler-Varn syndrome"]),
        ("is blue lantern fever contagious", ["blue lantern fever"]),
        ("my dog ate something, could it be zorbital poisoning", ["zorbital poisoning"]),
        ("can i take Varnex tablets with ibuprofen", ["Varnex"]),
        ("symptoms of Grobnik's disease", ["Grobnik's disease"]),
    ],
)
def test_fictional_terms_are_reported(question: str, unknown: list[str]) -> None:
    passages = ["Ibuprofen is a nonsteroidal anti-inflammatory drug.", "Fever is a raised body temperature."]
    assert unknown_terms(question, is_known=is_known, passages=passages) == unknown


@pytest.mark.parametrize(
    "question",
    [
        "what is hypothyroidism",
        "Crohn's disease diet",
        "can i take ibuprofen with warfarin",
        "Is the mole on my back melanoma?",
        "what causes hay fever",  # not known, but a passage names it
        "west nile virus symptoms",  # a passage names it with other case and hyphens
        "Lyme diseases in children",  # plural in the question, singular in the passage
    ],
)
def test_known_or_mentioned_terms_are_not_reported(question: str) -> None:
    passages = [
        "Hay fever (allergic rhinitis) causes sneezing and itchy eyes.",
        "West-Nile Virus is spread by mosquitoes.",
        "Lyme disease is spread by ticks.",
    ]
    assert unknown_terms(question, is_known=is_known, passages=passages) == []


def test_normalize_term() -> None:
    assert normalize_term("Crohn's disease") == normalize_term("crohns diseases") == normalize_term("Crohn disease")


def test_message_names_the_terms() -> None:
    assert unknown_term_message(["Kessler-Varn syndrome"]) == (
        "I found nothing about 'Kessler-Varn syndrome' in the knowledge base, so I cannot answer. "
        "Check the spelling, or ask a clinician."
    )
    assert "'Varnex' or 'zorbital poisoning'" in unknown_term_message(["Varnex", "zorbital poisoning"])
    with pytest.raises(ValueError, match="terms"):
        unknown_term_message([])
