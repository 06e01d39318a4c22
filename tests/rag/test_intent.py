"""Question typing by wording cues before the centroids (`rag.intent.cue_intent`)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.intent import addresses_aspect, cue_intent, default_classifier, detect_intent


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("what is metformin used for", "indication"),
        ("qvar 40mg what is it for", "indication"),
        ("what are the side effects of lisinopril?", "side effects"),
        ("what medication not to take with lithium", "interactions with medications"),
        ("does grapefruit juice interact with statins", "interactions with foods"),
        ("I forgot to take my morning dose of warfarin", "forget a dose"),
        ("how much oxazepam could cause an overdose?", "emergency or overdose"),
        ("how does amoxicillin clavulanic acid work", "how does it work"),
        ("what time should i take memantine", "usage"),
        ("How should abacavir be used and what is the dosage?", "usage"),
        ("how many mg of ibuprofen can I take", "dose"),
        ("what can cause hypoglycemia", "causes"),
        ("how do you get a prolapsed bladder", "causes"),
        ("how is epilepsy diagnosed", "exams and tests"),
        ("how common is cystic fibrosis", "frequency"),
        ("is optic atrophy inherited?", "inheritance"),
        ("what are the different strenths of dexamethasone?", "dose"),
        ("how strong is 360 mg diltiazem", "dose"),
        ("how to deal with anxiety", "treatment"),
        ("how can i manage my gout", "treatment"),
    ],
)
def test_wordings_that_state_a_type_outright(question: str, intent: str) -> None:
    assert cue_intent(question) == intent


@pytest.mark.parametrize(
    "question",
    [
        "what is hereditary spherocytosis?",  # a disease's name, not a question about inheritance
        "What is glycogen storage disease type 1?",  # "storage" names the disease
        "My husband was just diagnosed with hairy cell leukemia, what happens next?",  # his story, not a test
        "what is acute diverticulitis",
        "how to build muscle strength after a stroke",
    ],
)
def test_names_and_stories_are_left_to_the_centroids(question: str) -> None:
    assert cue_intent(question) is None


def test_a_cue_wins_over_the_vector_and_no_cue_leaves_the_vector_to_decide() -> None:
    classifier = default_classifier()
    treatment = classifier.centroids[classifier.labels.index("treatment")]
    model = str(classifier.model)
    assert detect_intent(treatment, model) == "treatment"
    assert detect_intent(treatment, model, "what are the side effects of lisinopril?") == "side effects"
    assert detect_intent(treatment, model, "tell me about lupus") == "treatment"
    assert detect_intent(np.zeros_like(treatment), model, "tell me about lupus") is None


def test_a_long_message_is_left_to_the_centroids() -> None:
    story = (
        "My brother died young from Louis Bar syndrome and two of my children had symptoms of it too, "
        "so I would like to know whether it is possible that my other children carry it"
    )
    assert cue_intent(story) is None


def test_an_aspect_is_answered_by_its_section_or_its_words() -> None:
    assert not addresses_aspect("usage", "Statins are drugs used to lower cholesterol.", "information")
    assert addresses_aspect("usage", "Take it once a day with food.", "information")
    assert addresses_aspect("usage", "Swallow the tablets whole.", None)
    assert addresses_aspect("dose", "Tablets of 0.5 mg, 1 mg and 4 mg.", None)
    assert addresses_aspect("dose", "Anything at all.", "dosage forms and strengths")
    assert not addresses_aspect("dose", "Dexamethasone is used for: asthma; arthritis.", "used_for")
    # Types the check leaves alone, and untyped questions, are always answered.
    assert addresses_aspect("symptoms", "Bulimia is binge eating and purging.", "information")
    assert addresses_aspect(None, "Anything.", None)
