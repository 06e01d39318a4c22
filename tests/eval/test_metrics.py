"""Metric registry and metrics, each checked against numbers worked out by hand on tiny fixtures."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest

from eval.metrics import (
    METRICS,
    MetricInputError,
    MetricNotApplicableError,
    MetricSpec,
    ScoringContext,
    UnknownMetricError,
    aggregate,
    get_metric,
    score_item,
)
from eval.metrics.choice import accuracy, parse_choice
from eval.metrics.diagnosis import default_normalize_dx, dx_top1, dx_top5, icd10_category, is_icd10
from eval.metrics.retrieval import mrr, ndcg_at_10, recall_at_k
from eval.metrics.stats import bootstrap_ci, bootstrap_statistic
from eval.metrics.text import bleu, bleu_corpus, distinct, gleu, gleu_corpus, rouge, tokens
from eval.schema import ConsultationItem, DiagnosisItem, Item, ItemResult, MCItem, QAItem, RetrievalItem
from knowledge.errors import ClinicalAssistantError

CTX = ScoringContext()


def ok(item_id: str, prediction: Any, **extras: Any) -> ItemResult:
    return ItemResult(id=item_id, status="ok", prediction=prediction, extras=extras)


def failed(item_id: str, status: str = "parse_error") -> ItemResult:
    return ItemResult(id=item_id, status=status, error="no letter in the output")  # type: ignore[arg-type]


def qa(item_id: str, reference: str) -> QAItem:
    return QAItem(id=item_id, question="?", reference=reference)


def mc(item_id: str, answer: str = "B") -> MCItem:
    return MCItem(id=item_id, question="?", options={"A": "a", "B": "b", "C": "c", "D": "d"}, answer=answer)


# stats ---------------------------------------------------------------------------------------------------


def test_bootstrap_ci_exact_for_binary_data() -> None:
    # Five 1s and five 0s: a resample mean is Binomial(10, ½)/10. P(mean ≤ 0.1) = 11/1024 ≈ 1.1% and
    # P(mean ≤ 0.2) = 56/1024 ≈ 5.5%, so among 1000 resamples the 25th/26th smallest are 0.2 (the 2.5th
    # percentile) and symmetrically the 97.5th percentile is 0.8; the mean is 5/10 = 0.5.
    assert bootstrap_ci([1.0] * 5 + [0.0] * 5, seed=0) == (0.5, 0.2, 0.8)
    assert bootstrap_ci([1.0] * 5 + [0.0] * 5, seed=3) == (0.5, 0.2, 0.8)
    # [0, 1]: a resample mean is 0 (p=¼), ½ (p=½) or 1 (p=¼), so the 2.5th/97.5th percentiles are 0 and 1.
    assert bootstrap_ci([0.0, 1.0]) == (0.5, 0.0, 1.0)


def test_bootstrap_ci_pinned_output_and_properties() -> None:
    # Mean by hand: (0.1 + 0.4 + 0.35 + 0.8) / 4 = 1.65 / 4 = 0.4125. The bounds are the pinned output of
    # numpy's Generator(0) (regression: a change in the resampling scheme shows up here).
    mean, low, high = bootstrap_ci([0.1, 0.4, 0.35, 0.8], seed=0)
    assert mean == pytest.approx(0.4125)
    assert (low, high) == pytest.approx((0.175, 0.6875))
    assert bootstrap_ci([0.1, 0.4, 0.35, 0.8], seed=0) == (mean, low, high)  # same seed, same interval
    small = bootstrap_ci([0.0, 1.0] * 5)
    large = bootstrap_ci([0.0, 1.0] * 50)
    for m, lo, hi in (small, large):
        assert lo <= m <= hi
    assert large[2] - large[1] < small[2] - small[1]
    # The standard error falls from 0.5/√10 ≈ 0.16 to 0.5/√100 = 0.05: ±1.96·0.05 ≈ [0.40, 0.60].
    assert large == pytest.approx((0.5, 0.4, 0.6), abs=0.011)


def test_bootstrap_ci_edge_cases() -> None:
    assert bootstrap_ci([0.7]) == (0.7, 0.7, 0.7)
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="non-finite"):
        bootstrap_ci([0.5, math.nan])
    with pytest.raises(ValueError, match="non-finite"):
        bootstrap_ci([0.5, math.inf])
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci([0.5, 0.6], n_resamples=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([0.5, 0.6], confidence=1.0)


def test_bootstrap_statistic_matches_bootstrap_ci_for_the_mean() -> None:
    values = [0.1, 0.4, 0.35, 0.8]
    [(low, high)] = bootstrap_statistic(len(values), lambda idx: [sum(values[i] for i in idx) / len(idx)])
    assert (low, high) == pytest.approx(bootstrap_ci(values)[1:])
    with pytest.raises(ValueError, match="finite"):
        bootstrap_statistic(2, lambda idx: [math.nan])


# choice --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B", "B"),
        ("Answer: B", "B"),
        ("(b)", "B"),
        ("B.", "B"),
        ("The answer is C because the patient is hypoxic.", "C"),
        ("**D**", "D"),
        ("The correct answer is **D**.", "D"),
        ("B. Metformin 500 mg twice daily", "B"),
        ('{"answer": "A"}', "A"),
        ('```json\n{"Answer": "C. Warfarin"}\n```', "C"),
        ("Final answer: (d)", "D"),
        ("\\boxed{C}", "C"),
        ("answer: b", "B"),
        ("Option A is incorrect. Option C is correct.", "C"),
        ("The answer is C, not A.", "C"),
        ("The answer is B, a beta-blocker.", "B"),
        ("Let's think.\nOption A fails because x. Option B: y.\n\nAnswer: B", "B"),
        ("I would go with B", "B"),
        ("答案：B", "B"),
        ("答案是Ｃ", "C"),  # full-width letter
        ("故选D。", "D"),
        # ambiguous or no answer → None
        ("The answer is A or C.", None),
        ("Answer: A, B", None),
        ("A and B are both correct.", None),
        ("The answer is a combination of factors.", None),  # the article "a", not option A
        ("I would choose option E", None),  # not one of the letters
        ("A 45-year-old man with B12 deficiency", None),
        ("I'm not sure.", None),
        ("", None),
        ('{"answer": "unsure"}', None),
    ],
)
def test_parse_choice(text: str, expected: str | None) -> None:
    assert parse_choice(text, "ABCD") == expected


def test_parse_choice_option_text() -> None:
    options = {"A": "Vitamin A", "B": "Vitamin D", "C": "Aspirin", "D": "Aspirin and clopidogrel"}
    assert parse_choice("Vitamin D deficiency explains it", "ABCD", options) == "B"  # the "D" inside is no answer
    assert parse_choice("aspirin and clopidogrel.", "ABCD", options) == "D"  # longer option wins over "Aspirin"
    assert parse_choice("Aspirin", "ABCD", options) == "C"
    assert parse_choice("Give aspirin or vitamin D", "ABCD", options) == None  # noqa: E711 (two options named)
    assert parse_choice("Vitamin D deficiency explains it", "ABCD") is None  # without options: no letter
    with pytest.raises(ValueError, match="single ASCII letters"):
        parse_choice("A", ["A", "BB"])


def test_accuracy() -> None:
    item = mc("q1", answer="B")
    assert accuracy(ok("q1", "B"), item, CTX) == {"accuracy": 1.0}
    assert accuracy(ok("q1", "b"), item, CTX) == {"accuracy": 1.0}
    assert accuracy(ok("q1", "C"), item, CTX) == {"accuracy": 0.0}
    assert accuracy(ok("q1", None), item, CTX) == {"accuracy": 0.0}
    with pytest.raises(MetricInputError, match="chosen letter"):
        accuracy(ok("q1", ["B"]), item, CTX)
    with pytest.raises(MetricInputError, match="multiple-choice"):
        accuracy(ok("x", "B"), qa("x", "ref"), CTX)


# text ----------------------------------------------------------------------------------------------------

P1 = ("the cat sat on the mat", "the cat is on the mat")  # (prediction, reference)
P2 = ("the dog", "the cat sat")


def test_rouge_by_hand() -> None:
    # Stemmed tokens: prediction [the, cat, run, fast], reference [the, cat, are, run, fast].
    # ROUGE-1: 4 overlaps, P = 4/4, R = 4/5, F = 2·1·0.8/1.8 = 8/9.
    # ROUGE-2: prediction bigrams (the cat)(cat run)(run fast), reference 4 bigrams; overlap 2:
    #          P = 2/3, R = 2/4, F = 2·(2/3)(1/2)/(7/6) = 4/7.   ROUGE-L: LCS "the cat run fast" = 4 → 8/9.
    scores = rouge(ok("1", "the cat runs fast"), qa("1", "The cats are running fast"), CTX)
    assert scores == pytest.approx({"rouge1": 8 / 9, "rouge2": 4 / 7, "rougeL": 8 / 9})


def test_rouge_chinese_characters_are_tokens() -> None:
    # 我喜欢狗 vs 我喜欢猫: 3 of 4 characters shared → ROUGE-1 F = 3/4; bigrams 我喜, 喜欢 shared of 3 → 2/3;
    # LCS 我喜欢 = 3 → 3/4. (rouge-score's own tokenizer drops Chinese and would give 0.)
    scores = rouge(ok("1", "我喜欢狗"), qa("1", "我喜欢猫"), CTX)
    assert scores == pytest.approx({"rouge1": 0.75, "rouge2": 2 / 3, "rougeL": 0.75})


def test_rouge_english_equals_rouge_score_defaults() -> None:
    from rouge_score import rouge_scorer

    reference, prediction = "Patients with asthma need inhaled steroids daily.", "Asthmatic patients inhale steroids."
    expected = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True).score(reference, prediction)
    scores = rouge(ok("1", prediction), qa("1", reference), CTX)
    assert scores == pytest.approx({key: value.fmeasure for key, value in expected.items()})


def test_bleu_by_hand() -> None:
    # P1 n-gram matches/totals: 5/6, 3/5, 1/4, 0/3 (exp smoothing: 1/(2·3) = 1/6); lengths 6 = 6 so BP = 1.
    # BLEU = (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = (1/48)^(1/4) = 0.379918.
    assert bleu(ok("1", P1[0]), qa("1", P1[1]), CTX) == pytest.approx({"bleu": (1 / 48) ** 0.25})
    # P2, effective order (only 1- and 2-grams exist): 1/2 and 0/1 → 1/(2·1) = 1/2; BP = exp(1 − 3/2).
    # BLEU = (1/2 · 1/2)^(1/2) · e^(−1/2) = 0.5 · 0.606531 = 0.303265.
    assert bleu(ok("2", P2[0]), qa("2", P2[1]), CTX) == pytest.approx({"bleu": 0.5 * math.exp(-0.5)})
    assert bleu(ok("3", "same words"), qa("3", "same words"), CTX) == pytest.approx({"bleu": 1.0})


def test_bleu_corpus_by_hand_and_against_sacrebleu() -> None:
    import sacrebleu

    pairs: list[tuple[ItemResult, Item]] = [(ok("1", P1[0]), qa("1", P1[1])), (ok("2", P2[0]), qa("2", P2[1]))]
    # Summed: matches 6/8, 3/6, 1/4, 0/3 → 1/6 (exp smoothing); lengths 8 vs 9 → BP = exp(1 − 9/8).
    # BLEU = (3/4 · 1/2 · 1/4 · 1/6)^(1/4) · e^(−1/8) = (1/64)^(1/4) · 0.882497 = 0.312010.
    expected = (1 / 64) ** 0.25 * math.exp(-1 / 8)
    assert bleu_corpus(pairs) == pytest.approx({"bleu_corpus": expected})
    reference = sacrebleu.corpus_bleu([P1[0], P2[0]], [[P1[1], P2[1]]]).score / 100
    assert expected == pytest.approx(reference)
    assert bleu_corpus([]) == {}


def test_gleu_by_hand_and_against_nltk() -> None:
    from nltk.translate.gleu_score import corpus_gleu

    # P1, 1–4-grams: prediction 6+5+4+3 = 18, reference 18; matches 5 + 3 + 1 + 0 = 9 → 9/18 = 0.5.
    assert gleu(ok("1", P1[0]), qa("1", P1[1]), CTX) == pytest.approx({"gleu": 0.5})
    # P2: prediction 2+1 = 3 n-grams, reference 3+2+1 = 6; one match ("the") → 1/max(3, 6) = 1/6.
    assert gleu(ok("2", P2[0]), qa("2", P2[1]), CTX) == pytest.approx({"gleu": 1 / 6})
    pairs: list[tuple[ItemResult, Item]] = [(ok("1", P1[0]), qa("1", P1[1])), (ok("2", P2[0]), qa("2", P2[1]))]
    # Corpus: (9 + 1) / (18 + 6) = 10/24 = 5/12.
    assert gleu_corpus(pairs) == pytest.approx({"gleu_corpus": 5 / 12})
    nltk_value = corpus_gleu([[tokens(P1[1])], [tokens(P2[1])]], [tokens(P1[0]), tokens(P2[0])])
    assert nltk_value == pytest.approx(5 / 12)


def test_distinct_by_hand() -> None:
    # Tokens [the, cat, sat, on, the, mat] + [the, dog]: 8 unigrams, 6 distinct → 0.75;
    # bigrams 5 + 1 = 6, all distinct → 1.0 (no bigram spans two answers).
    pairs: list[tuple[ItemResult, Item]] = [(ok("1", P1[0]), qa("1", P1[1])), (ok("2", P2[0]), qa("2", P2[1]))]
    assert distinct(pairs) == pytest.approx({"distinct1": 0.75, "distinct2": 1.0})
    # Chinese characters are tokens: 头痛头晕 → 4 unigrams, 3 distinct; 3 bigrams, all distinct.
    assert distinct([(ok("1", "头痛头晕"), qa("1", "x"))]) == pytest.approx({"distinct1": 0.75, "distinct2": 1.0})
    assert distinct([(ok("1", "one"), qa("1", "x"))]) == {"distinct1": 1.0}  # no bigram: key left out


def test_text_metrics_check_inputs() -> None:
    with pytest.raises(MetricInputError, match="answer text"):
        rouge(ok("1", ["not", "text"]), qa("1", "ref"), CTX)
    with pytest.raises(MetricNotApplicableError, match="empty reference"):
        bleu(ok("1", "text"), qa("1", "  "), CTX)
    consult = ConsultationItem(id="c", dialogue="Patient: cough", reference="Take rest")
    assert bleu(ok("c", "Take rest"), consult, CTX) == pytest.approx({"bleu": 1.0})


# diagnosis -----------------------------------------------------------------------------------------------


def test_default_normalize_dx() -> None:
    assert default_normalize_dx("Asthma, unspecified") == {"asthma"}
    assert default_normalize_dx("Kidney stones") == default_normalize_dx("kidney stone") == {"kidney stone"}
    assert default_normalize_dx("Allergies") == {"allergy"}
    assert default_normalize_dx("Abscesses") == {"abscess"}
    # "diabetes" → "diabete" on both sides; "mellitus" keeps its "-us".
    assert default_normalize_dx("Type-2 diabetes mellitus") == {"type 2 diabete mellitus"}
    assert default_normalize_dx("type 2 Diabetes Mellitus") == {"type 2 diabete mellitus"}
    assert default_normalize_dx("Unspecified") == set()


def test_icd10() -> None:
    assert icd10_category("J45.909") == "J45"
    assert icd10_category(" j45909 ") == "J45"
    assert icd10_category("C7A.1") == "C7A"
    assert is_icd10("S72.001A") and not is_icd10("asthma") and not is_icd10("COPD")
    with pytest.raises(ValueError, match="not an ICD-10 code"):
        icd10_category("asthma")


def test_dx_top_k_by_hand() -> None:
    item = DiagnosisItem(id="r1", record="...", diagnosis="Asthma")
    ranked = ["Bronchitis", "asthma, unspecified", "COPD"]
    # First prediction "bronchitis" ≠ "asthma" → top-1 = 0; "asthma, unspecified" → "asthma" at rank 2 → top-5 = 1.
    assert dx_top1(ok("r1", ranked), item, CTX) == {"dx_top1": 0.0}
    assert dx_top5(ok("r1", ranked), item, CTX) == {"dx_top5": 1.0}
    # Rank 6 is outside the top five.
    late = ["a", "b", "c", "d", "e", "Asthma"]
    assert dx_top5(ok("r1", late), item, CTX) == {"dx_top5": 0.0}
    assert dx_top1(ok("r1", []), item, CTX) == {"dx_top1": 0.0}
    plural = DiagnosisItem(id="r2", record="...", diagnosis="Kidney stones")
    assert dx_top1(ok("r2", ["kidney stone"]), plural, CTX) == {"dx_top1": 1.0}
    with pytest.raises(MetricInputError, match="ranked list"):
        dx_top1(ok("r1", "Asthma"), item, CTX)


def test_dx_icd10_category_and_custom_normaliser() -> None:
    coded = DiagnosisItem(id="r3", record="...", diagnosis="J45.909", icd10="J45.909")
    # Same category J45 → match; J44 (COPD) → no match.
    assert dx_top1(ok("r3", ["J45.20"]), coded, CTX) == {"dx_top1": 1.0}
    assert dx_top1(ok("r3", ["J44.9"]), coded, CTX) == {"dx_top1": 0.0}
    named = DiagnosisItem(id="r4", record="...", diagnosis="Asthma", icd10="J45.909")
    assert dx_top1(ok("r4", ["J45"]), named, CTX) == {"dx_top1": 1.0}  # a code prediction against the item's code
    synonyms = {"heart attack": {"DOID:5844"}, "myocardial infarction": {"DOID:5844"}}
    ctx = ScoringContext(normalize_dx=lambda name: synonyms.get(name.casefold(), {name.casefold()}))
    mi = DiagnosisItem(id="r5", record="...", diagnosis="Myocardial infarction")
    assert dx_top1(ok("r5", ["Heart attack"]), mi, ctx) == {"dx_top1": 1.0}
    assert dx_top1(ok("r5", ["Heart attack"]), mi, CTX) == {"dx_top1": 0.0}
    # A named prediction carrying its code (the graph diagnoser's `dx_codes`) matches a coded item on category.
    purpura = DiagnosisItem(id="r6", record="...", diagnosis="Thrombocytopenic purpura", icd10="D69.405")
    named_with_code = ok("r6", ["dengue fever", "thrombocytopenia"], dx_codes=["A90", "D69.6"])
    assert dx_top1(named_with_code, purpura, CTX) == {"dx_top1": 0.0}
    assert dx_top5(named_with_code, purpura, CTX) == {"dx_top5": 1.0}
    assert dx_top5(ok("r6", ["thrombocytopenia"]), purpura, CTX) == {"dx_top5": 0.0}  # no code, no category
    assert dx_top5(named_with_code, mi, CTX) == {"dx_top5": 0.0}  # an item without a code matches by name only
    gerd = DiagnosisItem(id="r7", record="...", diagnosis="GERD")
    ranked, aliases = ["peptic ulcer", "gastroesophageal reflux disease"], [["ulcer"], ["GERD", "Acid reflux"]]
    aliased = ok("r7", ranked, dx_aliases=aliases)
    assert dx_top1(aliased, gerd, CTX) == {"dx_top1": 0.0} and dx_top5(aliased, gerd, CTX) == {"dx_top5": 1.0}


# retrieval -----------------------------------------------------------------------------------------------


def test_retrieval_by_ids_by_hand() -> None:
    item = RetrievalItem(id="q", question="?", relevant_ids=["d1", "d2"])
    result = ok("q", ["d3", "d1", "d9", "d2", "d7"])  # relevant at ranks 2 and 4
    ctx = ScoringContext(ks=(1, 2, 5))
    # recall@1 = 0/2, recall@2 = 1/2 (d1), recall@5 = 2/2.
    assert recall_at_k(result, item, ctx) == {"recall@1": 0.0, "recall@2": 0.5, "recall@5": 1.0}
    # DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606; ideal = 1 + 1/log2(3) = 1.630930 → 0.650921.
    assert ndcg_at_10(result, item, ctx) == pytest.approx({"ndcg@10": 1.061606 / 1.630930}, abs=1e-6)
    assert mrr(result, item, ctx) == {"mrr": 0.5}  # first relevant at rank 2
    assert mrr(ok("q", ["x"]), item, ctx) == {"mrr": 0.0}


def test_retrieval_repeated_document_counts_once() -> None:
    item = RetrievalItem(id="q", question="?", relevant_ids=["a", "b"])
    # "a" at 1, its repeat at 2 gains nothing, "b" at 3: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3)
    # = 1.630930 → 0.919721 (counting the repeat would give 2.13, above the ideal).
    assert ndcg_at_10(ok("q", ["a", "a", "b"]), item, CTX) == pytest.approx({"ndcg@10": 1.5 / 1.630930}, abs=1e-6)


def test_retrieval_by_urls_by_hand() -> None:
    item = RetrievalItem(id="q", question="?", relevant_urls=["https://www.NLM.nih.gov/medlineplus/asthma.html/"])
    ranked_urls = [
        "http://example.org/a",
        "http://nlm.nih.gov/medlineplus/asthma.html#top",  # same page after normalisation
        "https://nlm.nih.gov/medlineplus/asthma.html",  # repeat: counts once, at rank 2
        "https://nlm.nih.gov/medlineplus/asthma.html?lang=es",  # a query names another page
    ]
    result = ok("q", ["c1", "c2", "c3"], ranked_urls=ranked_urls)
    assert recall_at_k(result, item, CTX) == {"recall@1": 0.0, "recall@5": 1.0, "recall@20": 1.0}
    assert mrr(result, item, CTX) == {"mrr": 0.5}
    # DCG = 1/log2(3) = 0.630930; ideal (one relevant page) = 1.
    assert ndcg_at_10(result, item, CTX) == pytest.approx({"ndcg@10": 1 / math.log2(3)})
    with pytest.raises(MetricInputError, match="ranked_urls"):
        mrr(ok("q", ["c1"]), item, CTX)


@pytest.mark.parametrize(
    "url",
    [
        " HTTP://www.NLM.nih.gov/medlineplus/ency/article/000001.htm#top ",
        "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=abc/",
        "www.example.org/a/",
        "example.org:8080/x",
        "https://example.org:443/",
        "not a url",
        "ftp://files.example.org/x",
        "",
    ],
)
def test_url_relevance_uses_the_dataset_loaders_rules(url: str) -> None:
    from eval.metrics.retrieval import _url_normalizer

    expected = {
        " HTTP://www.NLM.nih.gov/medlineplus/ency/article/000001.htm#top ": (
            "https://nlm.nih.gov/medlineplus/ency/article/000001.htm"
        ),
        "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=abc/": (
            "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=abc/"
        ),
        "www.example.org/a/": "https://example.org/a",
        "example.org:8080/x": "https://example.org:8080/x",
        "https://example.org:443/": "https://example.org",
        "not a url": "not a url",
        "ftp://files.example.org/x": "ftp://files.example.org/x",
        "": "",
    }[url]
    assert _url_normalizer()(url) == expected
    with pytest.raises(MetricNotApplicableError, match="neither"):
        mrr(ok("q", ["c1"]), RetrievalItem(id="q", question="?"), CTX)


# registry ------------------------------------------------------------------------------------------------


def test_unknown_metric_suggests_near_names() -> None:
    with pytest.raises(UnknownMetricError, match=r"unknown metric `rogue`; did you mean `rouge`") as caught:
        get_metric("rogue")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ClinicalAssistantError)
    assert str(caught.value).startswith("unknown metric")  # not quoted as KeyError messages are
    with pytest.raises(UnknownMetricError, match="did you mean `accuracy`"):
        get_metric("acuracy")
    with pytest.raises(UnknownMetricError, match="known: accuracy"):
        aggregate([], ["zzzz"])


def test_registry_names_and_functions() -> None:
    assert {
        "accuracy", "rouge", "bleu", "gleu", "distinct", "dx_top1", "dx_top5", "recall_at_k", "ndcg_at_10", "mrr",
        "answer_coverage_at_5", "citation", "grounded_accuracy", "comprehensiveness", "hallucination",
    } == set(METRICS)  # fmt: skip
    assert get_metric("citation").keys == ("citation_recall", "citation_precision")
    assert get_metric("citation").item.__name__ == "eval.metrics.citations:citation_scores"  # type: ignore[union-attr]
    assert get_metric("hallucination").higher_is_better is False
    assert get_metric("accuracy").failure_value == 0.0 and get_metric("rouge").failure_value is None
    for spec in METRICS.values():
        assert spec.item or spec.corpus, spec.name
        assert "0–1" in spec.description, spec.name
        for fn in (spec.item, spec.corpus):
            if fn is None:
                continue
            module, _, name = fn.__name__.partition(":")
            if module in {"eval.metrics.citations", "eval.metrics.longform"}:
                continue  # written in parallel elsewhere
            assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_importing_the_registry_loads_no_scoring_library() -> None:
    code = (
        "import sys, eval.metrics; print(','.join(m for m in ('rouge_score', 'sacrebleu', 'nltk') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_score_item_runs_several_metrics_and_skips_with_reason() -> None:
    scores = score_item(ok("1", P1[0]), qa("1", P1[1]), ["rouge", "bleu", "distinct"], CTX)
    assert set(scores) == {"rouge1", "rouge2", "rougeL", "bleu"}  # distinct is corpus-only
    skipped: dict[str, str] = {}
    item = RetrievalItem(id="q", question="?")
    assert score_item(ok("q", ["d1"]), item, ["mrr", "ndcg_at_10"], CTX, skipped=skipped) == {}
    assert skipped == {"mrr": "item `q` lists neither relevant ids nor relevant urls"} | {
        "ndcg_at_10": "item `q` lists neither relevant ids nor relevant urls"
    }


def test_score_item_refuses_bad_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MetricInputError, match="status `parse_error`"):
        score_item(failed("q1"), mc("q1"), ["accuracy"], CTX)
    with pytest.raises(MetricInputError, match="does not apply to exam items"):
        score_item(ok("q1", "B"), mc("q1"), ["rouge"], CTX)
    with pytest.raises(MetricInputError, match="both yield `rouge1`"):
        score_item(ok("1", "a"), qa("1", "a"), ["rouge", "rouge"], CTX)
    with pytest.raises(MetricInputError, match="matching item"):
        score_item(ok("q2", "B"), mc("q1"), ["accuracy"], CTX)

    def nan_metric(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
        return {"nan_key": math.nan}

    spec = MetricSpec("nan_metric", frozenset({"exam"}), nan_metric, None, True, None, "test (0–1)", ("nan_key",))
    monkeypatch.setitem(METRICS, "nan_metric", spec)
    with pytest.raises(MetricInputError, match="finite"):
        score_item(ok("q1", "B"), mc("q1"), ["nan_metric"], CTX)


# aggregate -----------------------------------------------------------------------------------------------


def test_aggregate_counts_failures_as_wrong_for_accuracy() -> None:
    items = [mc(f"q{i}", answer="B") for i in range(4)]
    results = [ok("q0", "B"), ok("q1", "C"), ok("q2", "B"), failed("q3", "parse_error")]
    for result, item in zip(results, items, strict=True):
        if result.status == "ok":
            result.scores = score_item(result, item, ["accuracy"], CTX)
    summary = aggregate(list(zip(results, items, strict=True)), ["accuracy"])["accuracy"]
    # (1 + 0 + 1 + 0 for the parse error) / 4 = 0.5
    assert summary.value == 0.5
    assert summary.n_scored == 3 and summary.n_failed == {"parse_error": 1} and summary.failure_value == 0.0
    assert summary.ci_low is not None and summary.ci_high is not None
    assert summary.ci_low <= 0.5 <= summary.ci_high
    assert summary.metric == "accuracy" and summary.level == "item" and summary.higher_is_better


def test_aggregate_excludes_failures_for_rouge_but_counts_them() -> None:
    def scored(item_id: str, r1: float, r2: float, rl: float) -> ItemResult:
        return ItemResult(id=item_id, status="ok", prediction="x", scores={"rouge1": r1, "rouge2": r2, "rougeL": rl})

    pairs: list[tuple[ItemResult, Item]] = [
        (scored("1", 0.8, 0.5, 0.6), qa("1", "r")),
        (scored("2", 0.4, 0.1, 0.2), qa("2", "r")),
        (failed("3", "parse_error"), qa("3", "r")),
        (failed("4", "timeout"), qa("4", "r")),
        (ItemResult(id="5", status="ok", prediction="z"), qa("5", "r")),  # scored by nothing: shown, not averaged
    ]
    out = aggregate(pairs, ["rouge"])
    assert list(out) == ["rouge1", "rouge2", "rougeL"]
    # rouge1: (0.8 + 0.4) / 2 = 0.6; the two failures are left out of the mean but listed.
    assert out["rouge1"].value == pytest.approx(0.6)
    assert out["rouge1"].n_scored == 2 and out["rouge1"].n_unscored == 1
    assert out["rouge1"].n_failed == {"parse_error": 1, "timeout": 1} and out["rouge1"].failure_value is None


def test_aggregate_never_reports_nan() -> None:
    pairs: list[tuple[ItemResult, Item]] = [
        (failed("1", "timeout"), qa("1", "r")),
        (failed("2", "refused"), qa("2", "r")),
    ]
    out = aggregate(pairs, ["rouge", "bleu", "distinct"])
    for summary in out.values():
        assert summary.value is None and summary.ci_low is None and summary.ci_high is None
        assert summary.n_scored == 0 and summary.n_failed == {"timeout": 1, "refused": 1}
    json.dumps([s.model_dump(mode="json") for s in out.values()], allow_nan=False)  # raises on NaN
    assert aggregate([], ["accuracy"])["accuracy"].value is None
    stored_nan = [(ItemResult(id="1", status="ok", prediction="x", scores={"rouge1": math.nan}), qa("1", "r"))]
    with pytest.raises(MetricInputError, match="must be finite"):
        aggregate(stored_nan, ["rouge"])  # type: ignore[arg-type]


def test_aggregate_corpus_metrics() -> None:
    pairs: list[tuple[ItemResult, Item]] = [
        (ok("1", P1[0]), qa("1", P1[1])),
        (ok("2", P2[0]), qa("2", P2[1])),
        (failed("3"), qa("3", "left out of the corpus")),
    ]
    for result, item in pairs[:2]:
        result.scores = score_item(result, item, ["bleu", "gleu"], CTX)
    out = aggregate(pairs, ["bleu", "gleu", "distinct"], n_resamples=200)
    # Item BLEU mean: (0.379918 + 0.303265) / 2 = 0.341592; corpus BLEU 0.312010 and GLEU 5/12 as above.
    assert out["bleu"].value == pytest.approx(((1 / 48) ** 0.25 + 0.5 * math.exp(-0.5)) / 2)
    corpus = out["bleu_corpus"]
    assert corpus.level == "corpus" and corpus.value == pytest.approx((1 / 64) ** 0.25 * math.exp(-1 / 8))
    assert corpus.n_scored == 2 and corpus.n_failed == {"parse_error": 1}
    assert corpus.ci_low is not None and corpus.ci_high is not None
    assert corpus.ci_low <= corpus.value <= corpus.ci_high
    assert out["gleu_corpus"].value == pytest.approx(5 / 12)
    assert out["distinct1"].value == pytest.approx(0.75) and out["distinct1"].ci_low is None  # no interval
    assert aggregate(pairs, ["bleu"], n_resamples=200) == aggregate(pairs, ["bleu"], n_resamples=200)  # seeded


def test_aggregate_recall_keys_follow_the_scores() -> None:
    item = RetrievalItem(id="q", question="?", relevant_ids=["d1", "d2"])
    result = ok("q", ["d3", "d1", "d9", "d2"])
    result.scores = score_item(result, item, ["recall_at_k"], ScoringContext(ks=(1, 3)))
    out = aggregate([(result, item), (failed("q2"), item)], ["recall_at_k"])
    # recall@1 = 0, recall@3 = 1/2; the failure counts 0 → means 0 and 0.25.
    assert list(out) == ["recall@1", "recall@3"]
    assert out["recall@3"].value == pytest.approx(0.25) and out["recall@3"].n_failed == {"parse_error": 1}
    assert list(aggregate([], ["recall_at_k"])) == ["recall@1", "recall@5", "recall@20"]


def test_aggregate_refuses_metrics_of_another_family() -> None:
    with pytest.raises(MetricInputError, match="does not apply to qa items"):
        aggregate([(ok("1", "B"), qa("1", "r"))], ["accuracy"])


def test_accuracy_of_a_subset_where_every_item_failed_is_zero_not_missing() -> None:
    from eval.metrics import aggregate
    from eval.schema import ItemResult, MCItem

    item = MCItem(id="q1", question="?", options={"A": "a", "B": "b"}, answer="A")
    failed = ItemResult(id="q1", status="parse_error", error="no letter")
    summary = aggregate([(failed, item)], ["accuracy"])["accuracy"]
    assert summary.value == 0.0 and summary.n_scored == 0 and summary.n_failed == {"parse_error": 1}


def test_answer_coverage_is_the_best_passages_share_of_reference_content_words() -> None:
    from eval.metrics.retrieval import answer_coverage_at_5

    # Reference content words (stemmed, stop words out): take, ibuprofen, food, avoid, stomach, upset → 6.
    item = RetrievalItem(
        id="r1",
        question="q",
        relevant_urls=["https://x"],
        meta={"references": ["Take ibuprofen with food to avoid stomach upset."]},
    )
    texts = [
        "Ibuprofen can upset the stomach.",  # ibuprofen, upset, stomach → 3 of 6
        "Take it with food; food helps avoid stomach pain.",  # take, food, avoid, stomach → 4 of 6
        "Unrelated.",
        "x",
        "y",
        "Take ibuprofen with food to avoid stomach upset.",  # 6th passage: beyond the cut-off
    ]
    result = ItemResult(id="r1", status="ok", prediction=["a"], extras={"top_texts": texts})
    assert answer_coverage_at_5(result, item, CTX) == {"answer_coverage@5": pytest.approx(4 / 6)}
    with pytest.raises(MetricNotApplicableError, match="no reference answer"):
        answer_coverage_at_5(result, item.model_copy(update={"meta": {}}), CTX)
    with pytest.raises(MetricInputError, match="top_texts"):
        answer_coverage_at_5(result.model_copy(update={"extras": {}}), item, CTX)
