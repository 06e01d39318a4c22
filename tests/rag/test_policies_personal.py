"""Personal diagnostic questions and verdict sentences (`rag.policies.personal`)."""

from __future__ import annotations

import pytest

from rag.policies import PERSONAL_NOTICE, is_verdict, personal_verdict_question, strip_verdicts


@pytest.mark.parametrize(
    ("question", "kind", "topic"),
    [
        ("Is the mole on my left shoulder melanoma?", "own_diagnosis", "melanoma"),
        ("studying for my exam, but is the mole on my arm melanoma?", "own_diagnosis", "melanoma"),
        ("do i have diabetes", "own_diagnosis", "diabetes"),
        ("doe i have skin cancer??", "own_diagnosis", "skin cancer"),
        ("does my son have autism?", "own_diagnosis", "autism"),
        ("could I be pregnant?", "own_diagnosis", "pregnancy"),
        ("could i be allergic to penicillin", "own_diagnosis", "penicillin allergy"),
        ("is my son autistic", "own_diagnosis", "autism"),
        ("could i have a uti or just irritation from soap", "own_diagnosis", "uti"),
        ("based on my results, do I have lupus?", "own_diagnosis", "lupus"),
        ("does this mean i have cancer", "own_diagnosis", "cancer"),
        ("do you think i have adhd", "own_diagnosis", "adhd"),
        ("am i having a heart attack", "own_diagnosis", "heart attack"),
        ("what's wrong with me", "own_diagnosis", None),
        ("is this mole cancerous", "own_diagnosis", "cancer"),
        ("my blood test shows high ferritin, is that bad?", "own_results", "ferritin"),
        ("my tsh is 6.2 is that bad", "own_results", "tsh"),
        ("what does my MRI mean", "own_results", "mri"),
        ("What do my blood test results mean?", "own_results", "blood test"),
        ("is my blood pressure too high? it was 150/95", "own_results", "blood pressure"),
        ("Based on my results should I be worried", "own_results", None),
        ("is it normal that my period is 10 days late", "own_symptoms", "period"),
        ("I have a lump on my neck. Is this normal?", "own_symptoms", "lump"),
        ("i have a red rash on my arm, could it be shingles?", "own_symptoms", "shingles"),
        ("is my rash contagious", "own_symptoms", "rash"),
        ("Is my baby’s fever of 39 dangerous?", "own_symptoms", "fever"),
        ("my husband snores a lot, could he have sleep apnea?", "own_diagnosis", "sleep apnea"),
        ("Wat does my ecg result mean", "own_results", "ecg"),
        ("do i hav an ear infection", "own_diagnosis", "ear infection"),
    ],
)
def test_personal_questions(question: str, kind: str, topic: str | None) -> None:
    found = personal_verdict_question(question)
    assert found is not None
    assert found.kind == kind
    assert found.general_topic == topic
    assert found.phrase and found.phrase in question.lower().replace("\u2019", "'")


@pytest.mark.parametrize(
    "question",
    [
        "What are the symptoms of melanoma?",
        "Can I take ibuprofen with warfarin?",
        "my doctor said I have diabetes, what should I eat?",
        "How is my blood pressure medicine supposed to work?",
        "Do I have to take metformin with food?",
        "is my metformin dose too high?",
        "my cholesterol is high, what should i eat?",
        "is it normal to feel tired after the flu shot?",
        "can i have a glass of wine with amoxicillin",
        "Is the flu contagious?",
        "can shingles be cured?",
        "How do I know if I have diabetes?",
        "I was diagnosed with lupus last year, which foods help?",
        "should i be worried about taking ibuprofen every day",
        "What is a normal blood pressure for a 60 year old?",
        "is it safe to take tylenol while pregnant",
        "how long does shingles last",
        "Is the rash of shingles contagious?",
        "is the pain from shingles worse at night",
        "I have a cold, is it ok to take ibuprofen?",
        "i have diabetes. is it bad to drink alcohol on metformin?",
        # A student's "my" is no case of their own.
        "studying for my nursing exam, what is the fever cutoff for a septic workup in neonates?",
    ],
)
def test_general_questions_are_not_personal(question: str) -> None:
    assert personal_verdict_question(question) is None


@pytest.mark.parametrize(
    "sentence",
    [
        "Yes, it is melanoma.",
        "You have diabetes [1].",
        "No, you do not have cancer.",
        "This is likely shingles.",
        "Your results are normal.",
        "Yes, you are pregnant.",
        "It sounds like you have eczema.",
        "Your son has autism.",
        "Based on your symptoms, you probably have the flu.",
        "It is not cancer.",
        "Your mole looks benign [2].",
        "You don't need to worry.",
        "Your MRI shows a herniated disc.",
        "It's probably nothing serious.",
        "This could be melanoma [2].",
        "You\u2019re not diabetic.",
        "The mole is likely benign.",
        "No.",
        "you probably have a uti",
        "Your blood pressure readings of 150/95 are high.",
    ],
)
def test_verdicts(sentence: str) -> None:
    assert is_verdict(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Melanoma is a type of skin cancer [1].",
        "People with diabetes have high blood sugar.",
        "You should see a doctor if the mole changes shape.",
        "If you have diabetes, you may feel thirsty.",
        "Your doctor can examine the mole.",
        "Symptoms of shingles include a painful rash [2].",
        "Do you have a fever?",
        "It is normal to feel tired after the vaccine.",
        "It may be caused by a virus.",
        "It is not known why some moles become cancerous.",
        "When you have shingles, the rash usually appears on one side.",
        "It is a serious form of skin cancer.",
        "If your TSH is high, your thyroid may be underactive.",
        "No single test can diagnose lupus.",
        "It may be helpful to keep a symptom diary.",
        "You have to see a doctor for a biopsy.",
        "",
    ],
)
def test_general_sentences_are_not_verdicts(sentence: str) -> None:
    assert not is_verdict(sentence)


def test_strip_verdicts_keeps_general_sentences_in_order() -> None:
    sentences = [
        "Yes, it is melanoma [1].",
        "Melanoma is a skin cancer that starts in pigment cells [1].",
        "Your mole looks benign.",
        "Warning signs include a mole that changes size, shape or colour [2].",
    ]
    assert strip_verdicts(sentences) == [sentences[1], sentences[3]]


def test_notice_says_general_sources_and_clinician() -> None:
    assert "in general" in PERSONAL_NOTICE
    assert "clinician" in PERSONAL_NOTICE
