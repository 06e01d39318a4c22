"""Care-seeking questions about one's own symptoms (`rag.policies.care`)."""

from __future__ import annotations

import pytest

from rag.policies import care_question


@pytest.mark.parametrize(
    "question",
    [
        "my 4 year old has had a fever of 102 for three days and now has a rash on his chest, what should I do?",
        "I've had a cough for 3 weeks, should I see a doctor?",
        "my chest hurts when I breathe deeply, do I need to go to the ER?",
        "i'm dizzy and my vision is blurry what should i do",
        "should I take my daughter to urgent care for her ear pain?",
        "my son\u2019s fever won't go down, when should i worry?",
        "I have a sore throat and swollen glands, do I need to see a doctor?",
        "my baby has been vomiting since last night, should we go to the hospital?",
        "he has had diarrhea for a week, what should we do",
        "Iron Overdose Um...i took 25 iron pills...what do i do...this was last night",  # LiveQA test
        "My father is suffering from IBS and is loosing weight day by day. please help us and suggest us",
        "It hurts in my chest. I honestly don't know what to do.",
        "my son has a fever, do I need to be seen by someone?",
        "I have a rash, do we need to call anyone?",
        "My son accidentally took a double dose of Tylenol, what should we do?",
        "I took a double dose of my blood pressure pill and feel dizzy, what should I do?",
        "my husband has chest pain, should he go to the hospital?",
        "my dad fell and hit his head, should I call 911",
        "I cut my finger badly, do I need stitches?",
        "I was bitten by a tick yesterday, what should I do?",
        "Ive had diarrhea for 5 days what should I do",
        "my son has a fever, what should I do if it goes higher?",
    ],
)
def test_own_symptoms_and_what_to_do(question: str) -> None:
    assert care_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "What should I do if someone has a seizure?",  # first aid in general: the sources answer it
        "When should you see a doctor for a fever?",
        "what should I do if I miss a dose of my birth control pill?",  # a medicine routine
        "What are the symptoms of melanoma?",
        "Can I take ibuprofen with warfarin?",
        "my doctor said I have diabetes, what should I eat?",
        "what is the treatment for strep throat?",
        "I have a fever",  # no question of what to do
        "would you help me to find an article about Cri du chat syndrome",
        "I have a question, what should I do if someone has a seizure?",
        "My question is: what should I do if someone faints?",
        "I am writing a school report on asthma, please help",
        "I am a caregiver. What should I do when a patient with dementia wanders?",
        "I have read that turmeric helps arthritis, please advise",
        "my mother passed away from cancer, what can we do to lower our risk?",
        "I am traveling to Brazil, do I need to see a doctor before for vaccines?",
        "my doctor is on vacation and my prescription ran out, what should I do?",
        "What should I do if my child has a fever?",
        "What should I do if he has a seizure?",
        "I am searching for information on the causes of insulin-dependent diabetes in children. Please help.",
        "Hi I have heard in order to get benefit of calcium, it should take with Magnesium, is that right ? "
        "please help me",
    ],
)
def test_general_and_medicine_questions_are_not(question: str) -> None:
    assert not care_question(question)
