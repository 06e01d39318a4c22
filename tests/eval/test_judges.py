"""Entailment judges, the labelled judge pairs, and the citation and long-form metrics built on them.

The metric arithmetic is checked with `FactJudge`, a dict lookup, so every expected value is hand-computed;
the local judge runs on a few clear cases and on the TEST half of the labelled pairs (real bundled model).
"""

from __future__ import annotations

import networkx as nx
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bench.judge_agreement import agreement, load_pairs, run_judge, split_pairs
from eval.judges import (
    LABELS,
    ChatModelJudge,
    Judge,
    LocalJudge,
    Verdict,
    agreement_checks,
    default_judge,
    parse_label,
    split_sentences,
)
from eval.metrics import MetricNotApplicableError, ScoringContext
from eval.metrics.citations import citation_scores, grounded_accuracy
from eval.metrics.longform import comprehensiveness, hallucination, key_statements
from eval.schema import ItemResult, MCItem, QAItem
from knowledge.graph.link import EntityLinker


class FactJudge:
    """Deterministic judge: a hypothesis is supported when the premise holds every fact string it needs.

    `needs` maps hypothesis → facts; `contradicts` maps hypothesis → a fact whose presence contradicts it.
    """

    name = "fact-judge"

    def __init__(self, needs: dict[str, set[str]], contradicts: dict[str, str] | None = None) -> None:
        self.needs = needs
        self.contradicts = contradicts or {}
        self.calls: list[tuple[str, str]] = []

    def judge(self, premise: str, hypothesis: str) -> Verdict:
        self.calls.append((premise, hypothesis))
        if self.contradicts.get(hypothesis, "\0") in premise:
            return Verdict(label="contradicted", score=0.0)
        facts = self.needs.get(hypothesis)
        if facts and all(f in premise for f in facts):
            return Verdict(label="supported", score=1.0)
        return Verdict(label="unsupported", score=0.0)


def _result(sentences: list[tuple[str, list[str]]] | None, passages: dict[str, str], **kw: object) -> ItemResult:
    extras: dict[str, object] = {"passages": passages}
    if sentences is not None:
        extras["sentences"] = [{"text": t, "citations": c, "supported": True} for t, c in sentences]
    return ItemResult(id="q1", status="ok", extras=extras, **kw)  # type: ignore[arg-type]


def test_fakes_conform_to_the_protocol() -> None:
    assert isinstance(FactJudge({}), Judge)
    assert isinstance(LocalJudge(), Judge)  # construction loads nothing
    assert isinstance(default_judge(), LocalJudge)


# --- ALCE citation recall / precision -------------------------------------------------------------------

PASSAGES = {"p1": "fact one.", "p2": "fact two.", "p3": "fact three.", "p4": "noise."}
ALCE_SENTENCES = [
    ("S1 [1].", ["p1"]),  # one citation, supported: recall 1, precise 1/1
    ("S2.", ["p1", "p2"]),  # needs both: each needed, 2/2
    ("S3.", ["p3", "p4"]),  # p3 alone suffices, p4 is irrelevant: 1/2
    ("S4.", ["p4", "p3"]),  # citations do not support it: 0/2, recall 0
    ("S5.", []),  # no citation: recall 0, no citation counted
    ("S6.", ["p2", "ghost"]),  # unknown id = empty text: p2 precise, ghost irrelevant: 1/2
]
ALCE_NEEDS = {
    "S1.": {"fact one"},
    "S2.": {"fact one", "fact two"},
    "S3.": {"fact three"},
    "S4.": {"fact two"},
    "S5.": {"fact one"},
    "S6.": {"fact two"},
}


def test_alce_recall_and_precision_hand_computed() -> None:
    ctx = ScoringContext(judge=FactJudge(ALCE_NEEDS))
    item = QAItem(id="q1", question="?", reference="Anything at all here.")
    scores = citation_scores(_result(ALCE_SENTENCES, PASSAGES, prediction="x"), item, ctx)
    # recall: S1, S2, S3, S6 of 6 sentences; precision: (1 + 2 + 1 + 0 + 0 + 1) / (1 + 2 + 2 + 2 + 0 + 2)
    assert scores == {"citation_recall": 4 / 6, "citation_precision": 5 / 9}


def test_alce_citation_markers_are_not_part_of_the_judged_sentence() -> None:
    judge = FactJudge(ALCE_NEEDS)
    citation_scores(
        _result([("S1 [1].", ["p1"])], PASSAGES),
        QAItem(id="q1", question="?", reference="r"),
        ScoringContext(judge=judge),
    )
    assert judge.calls == [("fact one.", "S1.")]


def test_citation_scores_skip_closed_mode_answers() -> None:
    item = QAItem(id="q1", question="?", reference="r")
    with pytest.raises(MetricNotApplicableError, match="no cited answer sentences"):
        citation_scores(_result(None, {}, prediction="An answer."), item, ScoringContext(judge=FactJudge({})))


# --- grounded accuracy ------------------------------------------------------------------------------------


def test_grounded_accuracy_exam() -> None:
    judge = FactJudge({"Because of fact one.": {"fact one"}, "And fact two.": {"fact two"}})
    ctx = ScoringContext(judge=judge)
    item = MCItem(id="q1", question="?", options={"A": "a", "B": "b"}, answer="B")
    grounded = [("Because of fact one.", ["p1"]), ("And fact two.", ["p2"])]
    assert grounded_accuracy(_result(grounded, PASSAGES, prediction="B"), item, ctx) == {"grounded_accuracy": 1.0}
    by_score = _result(grounded, PASSAGES, prediction="b", scores={"accuracy": 1.0})
    assert grounded_accuracy(by_score, item, ctx) == {"grounded_accuracy": 1.0}
    wrong = _result(grounded, PASSAGES, prediction="A")
    assert grounded_accuracy(wrong, item, ctx) == {"grounded_accuracy": 0.0}
    one_unsupported = [("Because of fact one.", ["p1"]), ("And fact two.", ["p3"])]
    assert grounded_accuracy(_result(one_unsupported, PASSAGES, prediction="B"), item, ctx) == {
        "grounded_accuracy": 0.0
    }
    uncited = [("Because of fact one.", ["p1"]), ("And fact two.", [])]
    assert grounded_accuracy(_result(uncited, PASSAGES, prediction="B"), item, ctx) == {"grounded_accuracy": 0.0}
    closed = _result(None, {}, prediction="B")
    assert grounded_accuracy(closed, item, ctx) == {"grounded_accuracy": 0.0}


def test_grounded_accuracy_qa_needs_half_the_reference() -> None:
    reference = "Metformin treats type 2 diabetes. Metformin can cause diarrhea and nausea."
    needs = {
        "Metformin treats type 2 diabetes.": {"type 2"},
        "Metformin can cause diarrhea and nausea.": {"diarrhea"},
        "Metformin treats diabetes.": {"fact one"},
        "It causes diarrhea.": {"fact two"},
    }
    ctx = ScoringContext(judge=FactJudge(needs))
    item = QAItem(id="q1", question="?", reference=reference)
    # The answer text "Metformin treats diabetes. It causes diarrhea." holds "diarrhea" but not "type 2":
    # comprehensiveness 1/2 = 0.5 → correct; both sentences supported by their citations → grounded.
    answer = [("Metformin treats diabetes.", ["p1"]), ("It causes diarrhea.", ["p2"])]
    assert grounded_accuracy(_result(answer, PASSAGES), item, ctx) == {"grounded_accuracy": 1.0}
    only_first = [("Metformin treats diabetes.", ["p1"])]  # comprehensiveness 0 → not correct
    assert grounded_accuracy(_result(only_first, PASSAGES), item, ctx) == {"grounded_accuracy": 0.0}


# --- comprehensiveness and hallucination ---------------------------------------------------------------------


def test_key_statements_drop_short_and_boilerplate_sentences() -> None:
    text = (
        "Asthma is a chronic disease of the airways. Yes. Talk to your doctor about your symptoms. "
        "For more information, see the NIH page. It can be controlled with inhaled medicines [2]."
    )
    assert key_statements(text) == [
        "Asthma is a chronic disease of the airways.",
        "It can be controlled with inhaled medicines.",
    ]


def test_comprehensiveness_hand_computed() -> None:
    reference = (
        "Asthma narrows the airways. Wheezing and cough are common symptoms. Inhaled steroids control it. "
        "Ask your doctor about an action plan."  # boilerplate: not a key statement
    )
    needs = {
        "Asthma narrows the airways.": {"narrow"},
        "Wheezing and cough are common symptoms.": {"Wheezing"},
        "Inhaled steroids control it.": {"steroid"},
    }
    judge = FactJudge(needs)
    item = QAItem(id="q1", question="?", reference=reference)
    answer = [("Asthma makes the airways narrow [1].", ["p1"]), ("Wheezing is typical.", ["p1"])]
    assert comprehensiveness(_result(answer, PASSAGES), item, ScoringContext(judge=judge)) == {
        "comprehensiveness": 2 / 3
    }
    assert {premise for premise, _ in judge.calls} == {"Asthma makes the airways narrow. Wheezing is typical."}
    closed = _result(None, {}, prediction="Inhaled steroids are used.")
    assert comprehensiveness(closed, item, ScoringContext(judge=judge)) == {"comprehensiveness": 1 / 3}
    empty_ref = QAItem(id="q1", question="?", reference="See your doctor. Yes.")
    with pytest.raises(MetricNotApplicableError, match="no key statement"):
        comprehensiveness(closed, empty_ref, ScoringContext(judge=judge))


def test_hallucination_hand_computed() -> None:
    reference = "Aspirin thins the blood. Aspirin can cause stomach bleeding."
    passages = {"p1": "Aspirin is used to prevent heart attacks."}
    sentences = [
        ("Aspirin thins the blood [1].", ["p1"]),  # backed by the reference
        ("Aspirin prevents heart attacks [1].", ["p1"]),  # backed by the source only
        ("Aspirin cures migraine completely.", []),  # backed by neither
        ("Aspirin never causes stomach bleeding.", ["p1"]),  # contradicted by the reference, absent from source
        ("This information is not a substitute for advice from a clinician.", []),  # disclaimer: not a statement
    ]
    needs = {
        "Aspirin thins the blood.": {"thins the blood"},
        "Aspirin prevents heart attacks.": {"heart attacks"},
        "Aspirin cures migraine completely.": {"migraine"},
    }
    contradicts = {"Aspirin never causes stomach bleeding.": "stomach bleeding"}
    ctx = ScoringContext(judge=FactJudge(needs, contradicts))
    item = QAItem(id="q1", question="?", reference=reference)
    assert hallucination(_result(sentences, passages), item, ctx) == {"hallucination": 2 / 4}
    assert hallucination(_result([("Yes.", [])], passages), item, ctx) == {"hallucination": 0.0}


# --- chat model judge -----------------------------------------------------------------------------------------


def test_chat_model_judge_parses_one_label() -> None:
    judge = ChatModelJudge(FakeListChatModel(responses=["supported", "Label: Contradicted.", "**unsupported**"]))
    assert judge.name == "chat:fakelistchatmodel/fake-list-chat-model"
    assert judge.judge("p", "h") == Verdict(label="supported", score=1.0)
    assert judge.judge("p", "h").label == "contradicted"
    assert judge.judge("p", "h").label == "unsupported"
    assert (judge.calls, judge.failures) == (3, 0)


def test_chat_model_judge_counts_garbage_as_failure() -> None:
    judge = ChatModelJudge(FakeListChatModel(responses=["I think it is supported, mostly.", "supported or not"]))
    for _ in range(2):
        verdict = judge.judge("p", "h")
        assert verdict == Verdict(label="unsupported", score=0.0, reasons=("parse_error",))
    assert (judge.calls, judge.failures) == (2, 2)


def test_parse_label_is_strict() -> None:
    assert parse_label(" 'Supported' ") is not None
    assert parse_label("not supported") is None
    assert parse_label("") is None


# --- local judge ----------------------------------------------------------------------------------------------

METFORMIN = (
    "Metformin is used to treat type 2 diabetes. The usual starting dose is 500 mg twice a day with meals. "
    "Metformin does not cause weight gain. It may cause diarrhea and nausea."
)


def test_sentences_keep_abbreviations_whole() -> None:
    assert split_sentences("Take it with food, e.g. toast. Dr. Lee agreed.\nNew line") == [
        "Take it with food, e.g. toast.",
        "Dr. Lee agreed.",
        "New line",
    ]


def test_agreement_checks_without_the_model() -> None:
    assert agreement_checks(METFORMIN, "The usual starting dose is 850 mg twice a day.").conflicts == (
        "number_conflict:850 mg",
    )
    assert agreement_checks(METFORMIN, "The usual starting dose is 0.5 g twice a day.").numbers_missing == ()
    assert agreement_checks(METFORMIN, "Metformin causes weight gain.").conflicts == ("negation_mismatch",)
    assert agreement_checks(METFORMIN, "Glipizide is used to treat type 2 diabetes.").entities_missing == ("glipizide",)
    assert agreement_checks(METFORMIN, "It may cause diarrhea, nausea and lactic acidosis.").items_missing == (
        "lactic acidosis.",
    )
    lower = "Atorvastatin is used to lower LDL cholesterol."
    assert agreement_checks(lower, "Atorvastatin raises LDL cholesterol.").conflicts == (
        "direction_mismatch:raises/ldl",
    )


def test_agreement_checks_use_the_kg_linker_for_synonyms() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("DRUG:1", type="drug", name="paracetamol", synonyms=["acetaminophen"])
    graph.add_node("DRUG:2", type="drug", name="ibuprofen", synonyms=[])
    linker = EntityLinker(graph)
    premise = "Paracetamol may cause liver damage."
    assert agreement_checks(premise, "Acetaminophen may cause liver damage.").entities_missing == ("acetaminophen",)
    assert agreement_checks(premise, "Acetaminophen may cause liver damage.", linker).entities_missing == ()
    assert agreement_checks(premise, "Ibuprofen may cause liver damage.", linker).entities_missing == ("ibuprofen",)


@pytest.fixture(scope="module")
def local_judge() -> LocalJudge:
    return LocalJudge()


@pytest.mark.parametrize(
    ("hypothesis", "allowed"),
    [
        ("Metformin is used to treat type 2 diabetes.", {"supported"}),
        ("The usual starting dose is 1000 mg twice a day with meals.", {"unsupported", "contradicted"}),
        ("Metformin causes weight gain.", {"contradicted"}),
        ("Yes, alprazolam can lower blood pressure.", {"unsupported"}),
        ("Cataracts cause cloudy vision.", {"unsupported"}),
    ],
)
def test_local_judge_clear_cases(local_judge: LocalJudge, hypothesis: str, allowed: set[str]) -> None:
    verdict = local_judge.judge(METFORMIN, hypothesis)
    assert verdict.label in allowed, verdict
    assert 0.0 <= verdict.score <= 1.0
    assert (verdict.score >= local_judge.params.threshold) == (verdict.label == "supported")


# --- the labelled pairs and the judge's agreement with them ------------------------------------------------------


def test_judge_pairs_file_is_valid_and_split_disjoint() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 120
    assert len({p.id for p in pairs}) == len(pairs)
    counts = {label: sum(p.label == label for p in pairs) for label in LABELS}
    assert min(counts.values()) >= len(pairs) // 4, counts  # roughly balanced
    assert len({p.kind for p in pairs}) == 10
    dev, test = split_pairs(pairs)
    assert len(dev) + len(test) == len(pairs)
    assert not {p.id for p in dev} & {p.id for p in test}
    assert not {p.premise for p in dev} & {p.premise for p in test}
    assert min(len(dev), len(test)) >= len(pairs) // 3
    assert split_pairs(list(reversed(pairs)))[1] == sorted(test, key=lambda p: -pairs.index(p))  # order-free


def test_agreement_arithmetic() -> None:
    gold = ["supported", "supported", "unsupported", "contradicted"]
    pred = ["supported", "unsupported", "unsupported", "supported"]
    report = agreement(gold, pred)  # type: ignore[arg-type]
    assert report["accuracy"] == 0.5
    assert report["not_supported"] == {"precision": 0.5, "recall": 0.5}
    assert report["confusion"]["contradicted"]["supported"] == 1  # type: ignore[index]


@pytest.mark.slow
def test_local_judge_agreement_on_the_test_half(local_judge: LocalJudge) -> None:
    # Measured with the DEV-chosen constants: accuracy 0.814, binary 0.872, "not supported" recall 0.90
    # (`python -m bench.judge_agreement`). The floors sit a few points under, so only a real regression fails.
    _, test = split_pairs(load_pairs())
    report = run_judge(local_judge, test)
    assert report["accuracy"] >= 0.77, report
    assert report["binary_accuracy"] >= 0.83, report
    assert report["not_supported"]["recall"] >= 0.85, report  # type: ignore[index]


def test_registry_runs_every_judge_metric() -> None:
    from eval.metrics import score_item

    names = ["citation", "grounded_accuracy", "comprehensiveness", "hallucination"]
    ctx = ScoringContext(judge=FactJudge(ALCE_NEEDS))
    item = QAItem(id="q1", question="?", reference="S1. S2 is a longer reference statement here.")
    rag = score_item(_result(ALCE_SENTENCES, PASSAGES, prediction="x"), item, names, ctx)
    assert set(rag) == {
        "citation_recall",
        "citation_precision",
        "grounded_accuracy",
        "comprehensiveness",
        "hallucination",
    }
    skipped: dict[str, str] = {}
    closed = score_item(
        _result(None, {}, prediction="A closed-book answer sentence."), item, names, ctx, skipped=skipped
    )
    assert closed["grounded_accuracy"] == 0.0
    assert "citation" in skipped and "citation_recall" not in closed
