"""The learned red-flag classifier: training, the threshold, the model guard, and how it joins the rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import rag.red_flag_classifier as rfc
from rag.red_flag_classifier import RedFlagClassifier, message_units, word_ngrams
from rag.red_flags import RED_FLAG_IDS, bare_drug_question, classifier_text, detect_red_flags

DIM = 4


def _axis(i: int) -> np.ndarray:
    return np.eye(DIM, dtype=np.float32)[i]


def _toy_classifier(threshold: float = 0.5, model: str | None = "toy") -> RedFlagClassifier:
    """Hand-set weights: the word "droop" and vector axis 1 mean an emergency; axis 1 is "stroke", axis 2
    "seizure"."""
    vocabulary = {"droop": 0, "face": 1, "my face": 2}
    weights = np.array([6.0, 0.0, 0.0, 0.0, 4.0, 4.0, 0.0], dtype=np.float32)  # 3 word columns + 4 dims
    return RedFlagClassifier(
        vocabulary=vocabulary,
        idf=np.ones(3),
        weights=weights,
        bias=-3.0,
        flags=["seizure", "stroke"],
        flag_weights=np.array([[0, 0, 1, 0], [0, 1, 0, 0]], dtype=np.float32),
        flag_bias=np.zeros(2),
        threshold=threshold,
        model=model,
    )


def test_word_pairs_are_counted_like_the_trainer() -> None:
    assert word_ngrams("My face, a droop!") == ["my", "face", "droop", "my face", "face droop"]
    clf = _toy_classifier()
    row = clf.tfidf(["my face face"])[0]
    # sub-linear counts (1 + ln 2 for "face"), unit length
    expected = np.array([0.0, 1 + np.log(2), 1.0])
    np.testing.assert_allclose(row, expected / np.linalg.norm(expected), rtol=1e-6)


def test_tfidf_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["My dad's face droops and he can't lift his arm", "what are the signs of a stroke?", "face face droop"]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    clf = RedFlagClassifier(
        vocabulary={k: int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_,
        weights=np.zeros(len(vectorizer.idf_) + DIM),
        bias=0.0,
        flags=["stroke"],
        flag_weights=np.zeros((1, DIM)),
        flag_bias=np.zeros(1),
        threshold=0.5,
        model=None,
    )
    np.testing.assert_allclose(clf.tfidf(texts), vectorizer.transform(texts).toarray(), atol=1e-6)


def test_predict_names_the_flag_of_the_most_alarming_unit() -> None:
    clf = _toy_classifier()
    flag, score = clf.predict(["nothing here"], _axis(0)[None, :])
    assert flag is None and score < 0.5
    flag, score = clf.predict(["my face droop"], _axis(1)[None, :])
    assert flag == "stroke" and score > 0.9
    # A long message: the whole reads harmless, one sentence is the emergency.
    flag, _ = clf.predict(["whole", "calm", "droop"], np.stack([_axis(0), _axis(0), _axis(2)]))
    assert flag == "seizure"
    assert _toy_classifier(threshold=0.9999).predict(["droop"], _axis(0)[None, :])[0] is None


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    clf = _toy_classifier(threshold=0.42)
    path = tmp_path / "clf.json"
    clf.save(path, metadata={"note": "toy"})
    data = json.loads(path.read_text())
    assert data["metadata"] == {"note": "toy"} and data["threshold"] == 0.42
    loaded = RedFlagClassifier.load(path)
    vectors = np.stack([_axis(i) for i in range(3)])
    texts = ["droop", "my face", "x"]
    np.testing.assert_allclose(loaded.emergency_scores(texts, vectors), clf.emergency_scores(texts, vectors), atol=1e-5)
    assert loaded.model == "toy" and loaded.flags == clf.flags


def test_weights_must_cover_vocabulary_and_vector() -> None:
    with pytest.raises(ValueError, match="vocabulary"):
        RedFlagClassifier(
            vocabulary={"a": 0},
            idf=np.ones(1),
            weights=np.zeros(2),
            bias=0.0,
            flags=["stroke"],
            flag_weights=np.zeros((1, DIM)),
            flag_bias=np.zeros(1),
            threshold=0.5,
            model=None,
        )


def test_long_messages_are_also_read_sentence_by_sentence() -> None:
    short = "my face feels odd"
    assert message_units(short) == [short]
    long = ("We went to the market and bought bread and cheese and talked for ages. " * 3) + "Now her face droops."
    units = message_units(long)
    assert units[0] == long.strip() and units[-1] == "Now her face droops."


def test_general_questions_are_left_out_of_what_the_classifier_reads() -> None:
    assert classifier_text("What are the signs of a stroke?") == ""
    assert classifier_text("What are the signs of a stroke? My dad's face droops") == "My dad's face droops"


@pytest.fixture
def toy_default(monkeypatch: pytest.MonkeyPatch) -> RedFlagClassifier:
    clf = _toy_classifier()
    monkeypatch.setattr(rfc, "default_classifier", lambda: clf)
    return clf


def _embed_by_keyword(texts: list[str]) -> np.ndarray:
    """A stand-in embedder: 'wobbly' lands on the stroke axis, everything else on a harmless one."""
    return np.stack([_axis(1) if "wobbly" in t else _axis(0) for t in texts])


def test_a_bare_drug_question_gets_no_classifier_alarm(toy_default: RedFlagClassifier) -> None:
    """Real MedicationQA questions the shipped classifier alarmed on: a drug name and one word more."""
    assert bare_drug_question("seniors and premarin?") and bare_drug_question("topiramate?")
    assert not bare_drug_question("too many ambien tonight")  # two words beside the drug: the classifier reads it
    assert not bare_drug_question("seniors and exercise?")  # no drug
    assert detect_red_flags("wobbly premarin?", embed=_embed_by_keyword, model="toy") == []
    flags = detect_red_flags("went wobbly on one side after premarin", embed=_embed_by_keyword, model="toy")
    assert [(f.id, f.matched_by) for f in flags] == [("stroke", "classifier")]


def test_classifier_names_a_flag_the_rules_missed(toy_default: RedFlagClassifier) -> None:
    text = "everything went wobbly on one side of him just now"
    assert detect_red_flags(text) == []  # the rules alone miss it
    flags = detect_red_flags(text, embed=_embed_by_keyword, model="toy")
    assert [(f.id, f.matched_by) for f in flags] == [("stroke", "classifier")]
    assert "stroke" in flags[0].notice.lower()


def test_rules_win_and_the_classifier_is_off_for_another_model(toy_default: RedFlagClassifier) -> None:
    rule_text = "My chest hurts and I cannot breathe"
    flags = detect_red_flags(rule_text, embed=_embed_by_keyword, model="toy")
    assert flags and all(f.matched_by == "rules" for f in flags)
    wobbly = "everything went wobbly on one side of him just now"
    assert detect_red_flags(wobbly, embed=_embed_by_keyword, model="another-model") == []
    assert detect_red_flags("harmless words", embed=_embed_by_keyword, model="toy") == []


def test_shipped_classifier_names_only_known_flags() -> None:
    clf = rfc.default_classifier()
    if clf is None:
        pytest.fail(f"{rfc.CLASSIFIER_FILE} is missing: run `python -m bench.red_flag_train`")
    assert set(clf.flags) == set(RED_FLAG_IDS)
    assert clf.flag_weights.shape == (len(RED_FLAG_IDS), 384) and 0 < clf.threshold < 1
    assert clf.model == "all-MiniLM-L6-v2"


def test_a_sure_classifier_withdraws_a_rule_alarm_only_under_its_veto(toy_default: RedFlagClassifier) -> None:
    rule_text = "My chest hurts and I cannot breathe"  # a rule fires; the toy scores it ~0.05
    assert detect_red_flags(rule_text, embed=_embed_by_keyword, model="toy")  # veto 0: rules always stand
    toy_default.veto = 0.1
    assert detect_red_flags(rule_text, embed=_embed_by_keyword, model="toy") == []
    alarming = "My chest hurts and I cannot breathe, everything went wobbly"  # the toy scores it ~0.73
    assert detect_red_flags(alarming, embed=_embed_by_keyword, model="toy")
    assert detect_red_flags(rule_text) and detect_red_flags(rule_text, embed=_embed_by_keyword, model="other")
    saved = RedFlagClassifier.from_json(json.loads(json.dumps(toy_default.to_json({}))))
    assert saved.veto == 0.1


def test_a_fever_in_a_young_infant_is_never_vetoed(toy_default: RedFlagClassifier) -> None:
    """The shipped classifier vetoed "my 2 month old has a temperature of 38.3, should i worry?"."""
    toy_default.veto = 1.0  # the classifier would withdraw every rule alarm
    assert detect_red_flags("My chest hurts and I cannot breathe", embed=_embed_by_keyword, model="toy") == []
    infant = detect_red_flags("my 2 month old has a temperature of 38.3", embed=_embed_by_keyword, model="toy")
    assert [(f.id, f.matched_by) for f in infant] == [("infant_fever", "rules")]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # heldout5: a support worker's and a teaching assistant's notes the shipped classifier vetoed.
        ("client disclosed active SI with plan to jump from car park tonight", "suicidal_ideation"),
        ("pupil had a tonic-clonic seizure in the playground, now post-ictal, GCS approx 10", "seizure"),
        ("resident acute SOB, SpO2 84% on 2L, unable to complete sentences", "breathing"),
        # The test split's message the retrained classifier vetoed: a method named is a plan.
        ("lost my job, honestly I've started thinking about how I'd do it, like which bridge", "suicidal_ideation"),
        ("my pills are all lined up on the table", "suicidal_ideation"),
    ],
)
def test_an_alarm_beside_a_clinical_term_is_never_vetoed(toy_default: RedFlagClassifier, text: str, flag: str) -> None:
    toy_default.veto = 1.0  # the classifier would withdraw every rule alarm
    flags = detect_red_flags(text, embed=_embed_by_keyword, model="toy")
    assert (flag, "rules") in [(f.id, f.matched_by) for f in flags]


def _toy_infant_bleeding() -> RedFlagClassifier:
    """Axis 1 means an infant fever, axis 2 heavy bleeding, axis 0 nothing (no word weights)."""
    return RedFlagClassifier(
        vocabulary={"baby": 0},
        idf=np.ones(1),
        weights=np.array([0.0, 0.0, 4.0, 4.0, 0.0], dtype=np.float32),
        bias=-3.0,
        flags=["infant_fever", "severe_bleeding"],
        flag_weights=np.array([[0, 1, 0, 0], [0, 0, 1, 0]], dtype=np.float32),
        flag_bias=np.zeros(2),
        threshold=0.5,
        model="toy",
    )


def _embed_infant_bleeding(texts: list[str]) -> np.ndarray:
    return np.stack([_axis(1) if "week old" in t else _axis(2) if "bled" in t else _axis(0) for t in texts])


def test_what_the_message_states_overrules_the_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rfc, "default_classifier", _toy_infant_bleeding)

    def ids(text: str) -> list[tuple[str, str]]:
        return [(f.id, f.matched_by) for f in detect_red_flags(text, embed=_embed_infant_bleeding, model="toy")]

    assert ids("my 3 week old seems off and sleepy") == [("infant_fever", "classifier")]
    assert ids("my 3 week old has cold hands but her temp is normal") == []  # no fever, said outright
    assert ids("my 3 week old's rectal reading was 37.1, is she too cold?") == []
    assert ids("my finger bled for ages after the cut") == [("severe_bleeding", "classifier")]
    assert ids("my finger bled for ages after the cut but it's stopped now") == []


def test_jokes_and_fiction_are_not_read_by_the_classifier() -> None:
    text = "cant breathe 😂 that was the funniest video. omg I tripped in class, kill me now 💀\nHe went wobbly"
    assert classifier_text(text) == "He went wobbly"
    assert "novel" not in classifier_text("I read a novel where the main character dies by suicide. I feel fine.")


def test_a_lethal_amount_asked_about_beside_despair_is_never_vetoed(toy_default: RedFlagClassifier) -> None:
    toy_default.veto = 0.1  # the toy scores both messages under it
    lethal = "how much of my insulin would be lethal? honestly I'm tired of it all"
    assert [f.id for f in detect_red_flags(lethal, embed=_embed_by_keyword, model="toy")] == ["suicidal_ideation"]
    assert detect_red_flags("how much insulin would be lethal for a type 1 diabetic?") == []  # a question, no despair
    assert detect_red_flags("My chest hurts and I cannot breathe", embed=_embed_by_keyword, model="toy") == []
