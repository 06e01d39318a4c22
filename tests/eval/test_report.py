"""Reports: JSON + Markdown + PNGs from run folders, numbers that match the items, MIRAGE baselines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from eval.baselines import PREDICTIONS, baseline_results, load_predictions
from eval.report import REPORT_JSON, REPORT_MD, build_report, find_run_dirs
from eval.runner import ITEMS, SUMMARY, run
from eval.tasks import validate_task_file
from model.settings import AppSettings
from tests.eval.test_runner import DATA, TASKS, exam_task, fake

#: A miniature MIRAGE: four MedQA questions, and the published systems' answers to them.
BENCHMARK = {
    "medqa": {
        f"000{i}": {
            "question": f"K{i} question {i}?",
            "options": {"A": "alpha", "B": "beta", "C": "gamma", "D": "delta"},
            "answer": gold,
        }
        for i, gold in enumerate("ABCD", start=1)
    }
}
PREDICTIONS_ROWS = [
    {"dataset": "medqa", "setting": setting, "corpus_retriever": None, "model": model, "qid": f"000{i}", "pred": p}
    for model, setting, preds in [
        ("gpt-4-32k", "rag_32", ["A", "B", None, "C"]),  # 2 right, 1 unparsed, 1 wrong
        ("gpt-35-turbo-16k", "cot", ["A", "A", "C", "D"]),  # 3 right
    ]
    for i, p in enumerate(preds, start=1)
]
MINI_TASK = """
name: mini-medqa
version: 1
family: exam
description: four MedQA-style questions in a miniature MIRAGE layout
dataset: {path: en/mirage/benchmark.json, loader: mirage, options: {subset: medqa}}
prompt: "{question}\\n{options}\\nAnswer:"
target: answer
metrics: [accuracy]
published: {"GPT-4 MedRAG (paper)": 0.82}
"""


@pytest.fixture
def mirage_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "en" / "mirage").mkdir(parents=True)
    (data / "en" / "mirage" / "benchmark.json").write_text(json.dumps(BENCHMARK), encoding="utf-8")
    with gzip.open(data / PREDICTIONS, "wt", encoding="utf-8") as fh:
        for row in PREDICTIONS_ROWS:
            fh.write(json.dumps(row) + "\n")
    (tmp_path / "mini-medqa.yaml").write_text(MINI_TASK, encoding="utf-8")
    return data


def _expected_accuracy(run_dir: Path) -> tuple[float, dict[str, int]]:
    rows = [json.loads(line) for line in (run_dir / ITEMS).read_text(encoding="utf-8").splitlines()]
    values = [row["scores"]["accuracy"] if row["status"] == "ok" else 0.0 for row in rows]
    failed: dict[str, int] = {}
    for row in rows:
        if row["status"] != "ok":
            failed[row["status"]] = failed.get(row["status"], 0) + 1
    return sum(values) / len(values), failed


def test_report_from_two_runs_side_by_side(tiny_kb: Any, tmp_path: Path) -> None:
    settings = AppSettings(data_dir=DATA, kb_dir=tiny_kb.kb_dir)
    closed = run(exam_task(), mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=tmp_path / "runs/c")
    rag = run(
        exam_task(), mode="rag", settings=settings, llm=fake(), kb=tiny_kb, mc="generate", out_dir=tmp_path / "runs/r"
    )
    out = tmp_path / "report"
    report = build_report([tmp_path / "runs"], out)
    assert {Path(v.run_dir) for v in report.runs} == {closed.run_dir, rag.run_dir}
    for name in (REPORT_JSON, REPORT_MD, "metric_by_task.png", "modes.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "metric_by_task.png").read_bytes()[:4] == b"\x89PNG"
    data = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    for view in data["runs"]:
        value, failed = _expected_accuracy(Path(view["run_dir"]))
        accuracy = view["summary"]["metrics"]["accuracy"]
        assert accuracy["value"] == pytest.approx(value)
        assert accuracy["n_failed"] == failed
        assert accuracy["ci_low"] <= accuracy["value"] <= accuracy["ci_high"]
    md = (out / REPORT_MD).read_text(encoding="utf-8")
    assert "nan" not in md.lower()
    assert "closed · injected_fake-list-chat-model" in md or "closed ·" in md
    assert "rag ·" in md and "Side by side" in md and "by subject" in md and "Time per item" in md
    assert "error 1, parse_error 1" in md  # failures shown beside the metric
    assert "| infection |" in md and "—" in md  # a subject nothing could score shows a dash, not NaN


def test_report_recomputes_a_missing_summary(tmp_path: Path) -> None:
    settings = AppSettings(data_dir=DATA, kb_dir=tmp_path / "no-kb")
    result = run(exam_task(), mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=tmp_path / "r")
    (result.run_dir / SUMMARY).unlink()
    report = build_report([result.run_dir], tmp_path / "out", plots=False)
    assert report.runs[0].summary["metrics"] == result.summary["metrics"]
    assert not (tmp_path / "out" / "modes.png").exists()


def test_runs_that_differ_only_in_settings_get_distinct_labels(tmp_path: Path) -> None:
    """A reranker on and off: same task, mode and generator; the report must not show two identical columns."""
    from model.settings import RetrievalSettings

    base = AppSettings(data_dir=DATA, kb_dir=tmp_path / "no-kb")
    other = AppSettings(data_dir=DATA, kb_dir=tmp_path / "no-kb", retrieval=RetrievalSettings(rerank_top=0))
    assert base.settings_hash() != other.settings_hash()
    for name, settings in (("a", base), ("b", other)):
        run(exam_task(), mode="closed", settings=settings, llm=fake(), mc="generate", out_dir=tmp_path / "runs" / name)
    report = build_report([tmp_path / "runs"], tmp_path / "out", plots=False, baselines=False)
    labels = [v.label for v in report.runs]
    assert len(set(labels)) == 2
    assert {label.rsplit(" · settings ", 1)[1] for label in labels} == {
        base.settings_hash()[:8],
        other.settings_hash()[:8],
    }
    md = (tmp_path / "out" / REPORT_MD).read_text(encoding="utf-8")
    assert all(label in md for label in labels)
    # One run alone keeps its plain label.
    alone = build_report([tmp_path / "runs" / "a"], tmp_path / "out1", plots=False, baselines=False)
    assert " · settings " not in alone.runs[0].label


def test_find_run_dirs_names_a_folder_without_runs(tmp_path: Path) -> None:
    from eval.errors import EvalError

    with pytest.raises(EvalError, match="not a run folder"):
        find_run_dirs([tmp_path])


def test_mirage_baselines_scored_with_our_code_on_our_items(mirage_dir: Path, tmp_path: Path) -> None:
    task = validate_task_file(tmp_path / "mini-medqa.yaml")
    settings = AppSettings(data_dir=mirage_dir, kb_dir=tmp_path / "no-kb")
    answers = {"K1": "A", "K2": "B", "K3": "A", "K4": "D"}  # 3 of 4 right
    result = run(
        task,
        mode="closed",
        settings=settings,
        llm=fake(answers),
        mc="generate",
        limit=3,
        seed=5,
        out_dir=tmp_path / "run",
    )
    ours = {r.id for r in result.results}
    report = build_report([result.run_dir], tmp_path / "rep", data_dir=mirage_dir)
    section = report.tasks["mini-medqa"]
    rows = {(b["model"], b["setting"], b["scope"]): b["summary"] for b in section.baselines}
    gpt4_all = rows[("gpt-4-32k", "rag_32", "all")]
    assert gpt4_all["value"] == pytest.approx(0.5) and gpt4_all["n_failed"] == {"parse_error": 1}
    assert rows[("gpt-35-turbo-16k", "cot", "all")]["value"] == pytest.approx(0.75)
    preds = dict(zip(["0001", "0002", "0003", "0004"], ["A", "B", None, "C"], strict=True))
    gold = {"0001": "A", "0002": "B", "0003": "C", "0004": "D"}
    expected = sum(preds[i] == gold[i] for i in ours) / len(ours)
    assert rows[("gpt-4-32k", "rag_32", "our items")]["value"] == pytest.approx(expected)
    md = (tmp_path / "rep" / REPORT_MD).read_text(encoding="utf-8")
    assert "GPT-4 MedRAG (MIRAGE predictions)" in md and "GPT-4 MedRAG (paper) (published)" in md
    assert (tmp_path / "rep" / "baselines.png").is_file()


def test_baseline_results_mark_unparsed_predictions() -> None:
    from eval.schema import MCItem

    items = [MCItem(id=i, question="q", options={"A": "a", "B": "b"}, answer="A") for i in ("x", "y", "z")]
    results = baseline_results({"x": "a", "y": None}, items)
    assert [(r.id, r.status, r.prediction) for r in results] == [("x", "ok", "A"), ("y", "parse_error", None)]


def test_load_predictions_needs_the_file(tmp_path: Path) -> None:
    from eval.errors import DatasetError

    with pytest.raises(DatasetError, match="CLINICALGPT_DATA_DIR"):
        load_predictions(tmp_path, "medqa")
    assert TASKS.is_dir()
