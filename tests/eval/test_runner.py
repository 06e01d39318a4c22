"""The runner: statuses and failure accounting, resume after a kill, the leakage guard, modes, likelihood."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import LangSmithParams
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from langchain_tests.unit_tests import ChatModelUnitTests

from eval.errors import EvalError, LeakageError
from eval.leakage import check_contexts, context_spans
from eval.modes import parse_diagnoses
from eval.runner import ITEMS, read_header, read_results, run
from eval.tasks import validate_task_file
from model.settings import AppSettings

TASKS = Path(__file__).resolve().parents[1] / "data" / "eval"
DATA = TASKS.parent

#: What the fake model answers to each exam item, by the key in its question.
EXAM_ANSWERS = {
    "K1": "The answer is A.",
    "K2": "Answer: C",  # wrong
    "K3": "no idea, sorry",  # garbage → parse_error
    "K4": "RAISE",  # the model fails → error, the run goes on
    "K5": "B",
    "K6": "(D) Narrowed airways",
}


class KeyedFakeChatModel(FakeListChatModel):
    """`FakeListChatModel` that answers by a key found in the prompt, so the answers do not depend on order.

    `RAISE` raises a RuntimeError, `TIMEOUT` a TimeoutError and `INTERRUPT` a KeyboardInterrupt (a kill), for
    the failure tests.
    """

    answers: dict[str, str] = {}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_model_name"] = kwargs.get("model", "keyed-fake")
        return params

    def _call(  # type: ignore[override]
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> str:
        prompt = str(messages[-1].content)
        if self.sleep:
            time.sleep(self.sleep)
        for key, answer in self.answers.items():
            if key in prompt:
                if answer == "TIMEOUT":
                    raise TimeoutError("the server did not answer in time")
                if answer == "RAISE":
                    raise RuntimeError("the model fell over")
                if answer == "INTERRUPT":
                    raise KeyboardInterrupt
                return answer
        return super()._call(messages, stop=stop, run_manager=run_manager, **kwargs)


class TestKeyedFakeChatModelUnit(ChatModelUnitTests):
    """The fake conforms to the chat-model interface like any real model (house rule 21)."""

    @property
    def chat_model_class(self) -> type[KeyedFakeChatModel]:
        return KeyedFakeChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"responses": ["B"], "answers": {"K1": "A"}}


def fake(answers: dict[str, str] | None = None) -> KeyedFakeChatModel:
    return KeyedFakeChatModel(responses=["A"], answers=answers or EXAM_ANSWERS)


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return AppSettings(data_dir=DATA, kb_dir=tmp_path / "no-kb")


def exam_task() -> Any:
    return validate_task_file(TASKS / "runner_exam.yaml")


def lines(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / ITEMS).read_text(encoding="utf-8").splitlines()]


def test_failures_are_counted_and_the_run_goes_on(settings: AppSettings, tmp_path: Path) -> None:
    result = run(exam_task(), mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=tmp_path / "r")
    statuses = {r.id: r.status for r in result.results}
    assert statuses == {"q1": "ok", "q2": "ok", "q3": "parse_error", "q4": "error", "q5": "ok", "q6": "ok"}
    by_id = {r.id: r for r in result.results}
    assert by_id["q4"].error is not None and "fell over" in by_id["q4"].error
    assert by_id["q3"].raw == "no idea, sorry" and by_id["q3"].prediction is None
    assert [by_id[i].scores["accuracy"] for i in ("q1", "q2", "q5", "q6")] == [1.0, 0.0, 1.0, 1.0]
    accuracy = result.summary["metrics"]["accuracy"]
    assert accuracy["value"] == pytest.approx(3 / 6)  # a failed item counts as wrong
    assert accuracy["n_scored"] == 4 and accuracy["n_failed"] == {"parse_error": 1, "error": 1}
    assert result.summary["statuses"] == {"ok": 4, "parse_error": 1, "error": 1}
    assert set(result.summary["by_subject"]) == {"cardiology", "infection", "respiratory"}
    assert result.summary["by_subject"]["cardiology"]["accuracy"]["value"] == 0.5
    infection = result.summary["by_subject"]["infection"]["accuracy"]
    assert infection["n_scored"] == 0 and infection["n_failed"] == {"parse_error": 1, "error": 1}
    # Every item is one line, written as it went; the header came first and says what ran.
    assert [row["id"] for row in lines(result.run_dir)] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    header = read_header(result.run_dir)
    assert header.task == "runner-exam" and header.mode == "closed" and header.mc == "generate"
    assert header.seed == 0 and header.n_items == 6 and header.machine.cores
    assert header.kb_manifest_hash is None and not header.leakage.checked


def test_resume_after_a_kill_loses_nothing_and_duplicates_nothing(settings: AppSettings, tmp_path: Path) -> None:
    out = tmp_path / "run"
    killer = fake({**EXAM_ANSWERS, "K4": "INTERRUPT"})
    with pytest.raises(KeyboardInterrupt):
        run(exam_task(), mode="closed", settings=settings, llm=killer, mc="generate", out_dir=out)
    assert [row["id"] for row in lines(out)] == ["q1", "q2", "q3"]
    with (out / ITEMS).open("a", encoding="utf-8") as fh:  # killed while writing q4's line
        fh.write('{"id": "q4", "status": "ok", "predic')
    _, torn = read_results(out / ITEMS)
    assert torn

    result = run(exam_task(), mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=out, resume=True)
    ids = [row["id"] for row in lines(out)]
    assert sorted(ids) == ["q1", "q2", "q3", "q4", "q5", "q6"] and len(ids) == len(set(ids))
    assert result.resumed == 3
    assert [r.id for r in result.results] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert result.summary["n_items"] == 6
    assert len(read_header(out).resumed_at) == 1


def test_resume_refuses_a_different_run_and_says_which_field(settings: AppSettings, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run(exam_task(), mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=out, limit=4)
    with pytest.raises(EvalError, match=r"seed 0 → 1") as info:
        run(
            exam_task(),
            mode="closed",
            settings=settings,
            llm=fake(),
            mc="generate",
            out_dir=out,
            limit=4,
            seed=1,
            resume=True,
        )
    assert "cannot resume" in str(info.value)
    with pytest.raises(EvalError, match="already holds a run"):
        run(exam_task(), mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=out, limit=4)


def test_read_results_cuts_only_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / ITEMS
    good = '{"id": "x", "status": "ok"}\n'
    path.write_text(good + '{"id": "y", "sta', encoding="utf-8")
    results, torn = read_results(path, repair=True)
    assert [r.id for r in results] == ["x"] and torn
    assert path.read_text(encoding="utf-8") == good
    path.write_text("not json\n" + good, encoding="utf-8")
    with pytest.raises(EvalError, match=r"items.jsonl:1"):
        read_results(path)


def test_rag_mode_retrieves_with_the_question_only(tiny_kb: Any, tmp_path: Path) -> None:
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    result = run(
        exam_task(), mode="rag", settings=settings, llm=fake(), kb=tiny_kb, mc="generate", out_dir=tmp_path / "r"
    )
    ok = [r for r in result.results if r.status == "ok"]
    assert ok and all(r.extras["retrieved_ids"] for r in ok)
    header = read_header(result.run_dir)
    assert header.kb_manifest_hash and header.leakage.checked and not header.open_book


def test_rag_qa_goes_through_the_product_chain(tiny_kb: Any, tmp_path: Path) -> None:
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    llm = fake({"symptoms": "Myocarditis can cause chest pain and shortness of breath [1].", "flu": "RAISE"})
    task = validate_task_file(TASKS / "runner_qa.yaml")
    result = run(task, mode="rag", settings=settings, llm=llm, kb=tiny_kb, out_dir=tmp_path / "qa")
    first = result.results[0]
    assert first.status == "ok" and first.scores["rougeL"] > 0
    assert first.prediction.startswith("Myocarditis can cause") and "[" not in first.prediction  # no markers
    sentence = first.extras["sentences"][0]
    assert sentence["citations"] and set(sentence["citations"]) <= set(first.extras["passages"])
    assert result.results[1].status == "error", result.results[1].error
    assert result.header.open_book and result.header.leakage.open_book_sources == ["medquad"]


def test_retrieval_only_exam_needs_no_generator(tiny_kb: Any, tmp_path: Path) -> None:
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir, generator={"spec": "hf:/nowhere"})
    result = run(exam_task(), mode="retrieval-only", settings=settings, kb=tiny_kb, out_dir=tmp_path / "ro")
    assert result.header.generator is None
    assert all(r.status == "ok" for r in result.results)
    q1 = next(r for r in result.results if r.id == "q1")
    assert q1.prediction == "A"  # "heart muscle" is what the myocarditis passage says
    assert set(q1.extras["option_support"]) == {"A", "B", "C", "D"}


def test_leakage_guard_refuses_forbidden_sources(tiny_kb: Any, tmp_path: Path) -> None:
    task = exam_task()
    task = type(task).model_validate({**task.model_dump(), "leakage": {"forbidden_sources": ["medquad"]}})
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    with pytest.raises(LeakageError, match=r"`medquad`.*--mode closed"):
        run(task, mode="rag", settings=settings, llm=fake(), kb=tiny_kb, out_dir=tmp_path / "leak")
    assert not (tmp_path / "leak").exists()  # refused before anything was written
    closed = run(task, mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=tmp_path / "closed")
    assert len(closed.results) == 6  # closed book reads no knowledge base: nothing to leak


def test_leakage_guard_finds_gold_contexts_verbatim(tiny_kb: Any, tmp_path: Path) -> None:
    task = validate_task_file(TASKS / "runner_leak.yaml")
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    with pytest.raises(LeakageError, match=r"item `l1`"):
        run(task, mode="rag", settings=settings, llm=fake(), kb=tiny_kb, out_dir=tmp_path / "leak")


def test_context_spans_and_lookup() -> None:
    text = "Short one. " + "A sentence long enough to count as evidence of a leaked gold context in the index."
    assert context_spans(text) == [text.split(". ", 1)[1].casefold()]
    task = validate_task_file(TASKS / "runner_leak.yaml")
    from eval.datasets import load_items

    items = load_items(task, DATA)
    assert check_contexts(task, items[1:], ["unrelated passage"], "kb") == 1
    with pytest.raises(LeakageError):
        check_contexts(
            task,
            items,
            [
                "xx PEOPLE with myocarditis may have chest pain, shortness of breath, a fast "
                "or irregular heartbeat,   and tiredness. yy"
            ],
            "kb",
        )


def test_parse_diagnoses() -> None:
    assert parse_diagnoses("1. Pneumonia - because of fever\n2. Bronchitis (acute)\n3) URTI") == [
        "Pneumonia",
        "Bronchitis",
        "URTI",
    ]
    assert parse_diagnoses("Most likely diagnosis: Influenza, COVID-19; common cold") == [
        "Influenza",
        "COVID-19",
        "common cold",
    ]
    assert parse_diagnoses("   \n") is None


def test_option_likelihood_matches_a_manual_computation(tiny_model_dir: Path) -> None:
    import torch

    from eval.likelihood import choose, continuation_text, score_options
    from model.generators import HFGenerator

    generator = HFGenerator(tiny_model_dir)
    messages = [{"role": "user", "content": "What is myocarditis?\nAnswer:"}]
    options = {"A": "Myocarditis is inflammation of the heart muscle", "B": "fever cough", "C": "Influenza is treated"}
    cached = score_options(generator, messages, options)
    tokenizer, model = generator.load()
    prompt = generator.prompt_ids(messages)
    tail = tokenizer.decode(prompt[0, -1:])
    for score, (letter, text) in zip(cached, options.items(), strict=True):
        ids = tokenizer(continuation_text(tail, text), add_special_tokens=False, return_tensors="pt")["input_ids"]
        full = torch.cat([prompt, ids], dim=1)
        with torch.no_grad():
            logprobs = torch.log_softmax(model(full).logits[0].float(), dim=-1)
        n = prompt.shape[1]
        manual = sum(float(logprobs[n - 1 + i, ids[0, i]]) for i in range(ids.shape[1]))
        assert score.letter == letter and score.tokens == ids.shape[1]
        assert score.logprob == pytest.approx(manual, abs=1e-3)
    uncached = score_options(generator, messages, options, reuse_cache=False)
    assert [s.logprob for s in uncached] == pytest.approx([s.logprob for s in cached], abs=1e-3)
    assert choose(cached) == max(cached, key=lambda s: s.logprob / s.bytes).letter


def test_closed_exam_with_a_local_model_scores_option_likelihood(tiny_model_dir: Path, tmp_path: Path) -> None:
    settings = AppSettings(data_dir=DATA, kb_dir=tmp_path / "no-kb", generator={"spec": f"hf:{tiny_model_dir}"})
    result = run(exam_task(), mode="closed", settings=settings, limit=2, out_dir=tmp_path / "lk")
    assert result.header.mc == "likelihood" and result.header.generator == f"hf:{tiny_model_dir}"
    assert result.header.generator_name == tiny_model_dir.name
    for r in result.results:
        assert r.status == "ok" and r.extras["method"] == "likelihood"
        assert r.prediction == max(
            r.extras["option_logprobs"], key=lambda k: r.extras["option_logprobs"][k] / len(_options(r.id)[k].encode())
        )


def _options(item_id: str) -> dict[str, str]:
    for line in (TASKS / "runner_exam.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == item_id:
            return row["options"]
    raise KeyError(item_id)


def test_diagnosis_generated_lists_and_parse_errors(settings: AppSettings, tmp_path: Path) -> None:
    task = validate_task_file(TASKS / "runner_dx.yaml")
    llm = fake({"R1": "1. Influenza\n2. Common cold", "R2": "1. Myocarditis - chest pain\n2. Pericarditis", "R3": ""})
    result = run(task, mode="closed", settings=settings, llm=llm, out_dir=tmp_path / "dx")
    by_id = {r.id: r for r in result.results}
    assert by_id["d1"].prediction == ["Influenza", "Common cold"] and by_id["d1"].scores["dx_top1"] == 1.0
    assert by_id["d2"].prediction[0] == "Myocarditis"
    assert by_id["d3"].status == "parse_error"
    assert result.summary["metrics"]["dx_top1"]["n_failed"] == {"parse_error": 1}


def test_diagnosis_retrieval_only_ranks_kg_diseases_by_linked_symptoms(tiny_kb: Any, tmp_path: Path) -> None:
    task = validate_task_file(TASKS / "runner_dx.yaml")
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    result = run(task, mode="retrieval-only", settings=settings, kb=tiny_kb, out_dir=tmp_path / "dx")
    by_id = {r.id: r for r in result.results}
    assert by_id["d1"].prediction[0].lower() == "influenza"
    assert "myocarditis" in [name.lower() for name in by_id["d2"].prediction]
    assert by_id["d3"].status == "no_context"  # no symptom to go on: said so, not guessed


def test_retrieval_family_runs_one_searcher_mode(tiny_kb: Any, tmp_path: Path) -> None:
    task = validate_task_file(TASKS / "runner_retrieval.yaml")
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    result = run(task, settings=settings, kb=tiny_kb, search_mode="bm25", out_dir=tmp_path / "ret")
    assert result.header.mode == "retrieval-only" and result.header.search_mode == "bm25"
    first = result.results[0]
    assert first.status == "ok" and first.extras["search_mode"] == "bm25"
    assert len(first.extras["ranked_urls"]) == len(first.prediction)
    # s1's page is BM25's second hit; for s2 ("How do you treat influenza?") BM25 ranks ChatDoctor's flu entry and
    # facts first, which link to their own resources, not to the MedQuAD flu page (before facts linked to their
    # resource, a fact carrying the node's first page, MedQuAD's, counted as that page: 1.0 was inflated).
    by_id = {r.id: r for r in result.results}
    assert by_id["s1"].scores["recall@5"] == 1.0 and by_id["s2"].scores["recall@5"] == 0.0
    assert result.summary["metrics"]["recall@5"]["value"] == 0.5
    with pytest.raises(EvalError, match="retrieval-only"):
        run(task, mode="rag", settings=settings, kb=tiny_kb, out_dir=tmp_path / "bad")


def test_closed_qa_generates_and_counts_empty_answers(settings: AppSettings, tmp_path: Path) -> None:
    task = validate_task_file(TASKS / "runner_qa.yaml")
    llm = fake({"myocarditis": "Chest pain and shortness of breath.", "flu": "   "})
    result = run(task, mode="closed", settings=settings, llm=llm, out_dir=tmp_path / "qa")
    assert [r.status for r in result.results] == ["ok", "parse_error"]
    assert result.results[0].scores["rouge1"] > 0 and result.header.judge


def test_timeouts_are_their_own_status(tmp_path: Path) -> None:
    settings = AppSettings(data_dir=DATA, kb_dir=tmp_path / "no-kb", generator={"timeout": 0.05})
    slow = KeyedFakeChatModel(responses=["A"], answers={"K1": "TIMEOUT"}, sleep=0.06)
    result = run(exam_task(), mode="closed", settings=settings, llm=slow, mc="generate", out_dir=tmp_path / "t")
    by_id = {r.id: r for r in result.results}
    assert {r.status for r in result.results} == {"timeout"}
    assert "did not answer" in (by_id["q1"].error or "")  # the server's own timeout
    assert "past generator.timeout" in (by_id["q2"].error or "")  # generation ran into the limit
    assert result.summary["metrics"]["accuracy"]["n_failed"] == {"timeout": 6}


def test_naive_baseline_is_plain_rrf_of_dense_and_bm25(tiny_kb: Any, tmp_path: Path) -> None:
    """`naive` fuses the same two lists with equal weights: no entity, fact or question-type list."""
    from eval.modes import naive_retrieve
    from rag.retrieve import HybridSearcher

    task = validate_task_file(TASKS / "runner_retrieval.yaml")
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    result = run(task, settings=settings, kb=tiny_kb, search_mode="naive", out_dir=tmp_path / "naive")
    assert result.header.search_mode == "naive" and result.results[0].extras["search_mode"] == "naive"

    class _Res:  # just what naive_retrieve reads
        searcher = HybridSearcher(tiny_kb)

    res: Any = _Res()
    res.settings = settings
    query = "What are the symptoms of myocarditis?"
    dense = [d.id for d in res.searcher.search(query, k=20, mode="dense").documents]
    bm25 = [d.id for d in res.searcher.search(query, k=20, mode="bm25").documents]
    expected: dict[str, float] = {}
    for ranked in (dense, bm25):
        for rank, chunk_id in enumerate(ranked, start=1):
            expected[str(chunk_id)] = expected.get(str(chunk_id), 0.0) + 1.0 / (60 + rank)
    top = sorted(expected, key=lambda c: (-expected[c], tiny_kb.row_of[c]))[:5]
    assert [d.id for d in naive_retrieve(res, query, 5)] == top
