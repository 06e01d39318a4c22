"""`clinicalgpt eval …` through the product CLI: ls, validate, run (fake model injected), report, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from model.cli import app
from tests.eval.test_runner import DATA, TASKS, fake

runner = CliRunner()


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chat model the CLI builds is the keyed fake."""
    monkeypatch.setattr("model.assistant.build_chat_model", lambda settings: fake())


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["eval", *args], catch_exceptions=False)


def test_ls_lists_the_shipped_tasks() -> None:
    result = invoke("ls")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("mirage-medqa "))
    assert "exam" in line and "mirage:en/mirage/benchmark.json" in line and "subset=medqa" in line
    assert json.loads(invoke("ls", "--json").stdout)[0]["name"]


def test_validate_good_and_bad_files() -> None:
    good = invoke("validate", str(TASKS / "runner_exam.yaml"))
    assert good.exit_code == 0 and "ok" in good.output and "runner-exam v1" in good.output
    bad = invoke("validate", str(TASKS / "runner_exam.yaml"), str(TASKS / "runner_bad.yaml"))
    assert bad.exit_code == 2
    assert "runner_bad.yaml" in bad.output and "promt_extra" in bad.output and "unknown field" in bad.output
    shipped = invoke("validate")
    assert shipped.exit_code == 0, shipped.output
    assert "task file(s) valid" in shipped.output


def test_run_then_report(fake_model: None, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", "--task", str(TASKS / "runner_exam.yaml"), "--mode", "closed", "--mc", "generate"]
    result = invoke(*args, "--data-dir", str(DATA), "--kb", str(tmp_path / "no-kb"), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert len(runs) == 1 and runs[0]["run_dir"] == str(out)
    summary = runs[0]["summary"]
    assert summary["statuses"] == {"ok": 4, "parse_error": 1, "error": 1}
    assert summary["metrics"]["accuracy"]["value"] == pytest.approx(0.5)
    assert runs[0]["header"]["generator"] == "default" and runs[0]["header"]["seed"] == 0
    assert len((out / "items.jsonl").read_text(encoding="utf-8").splitlines()) == 6

    again = invoke(*args, "--data-dir", str(DATA), "--kb", str(tmp_path / "no-kb"), "--out", str(out), "--resume")
    assert again.exit_code == 0, again.output
    assert "6 items (6 from an earlier run)" in again.output and "accuracy: 0.500" in again.output

    report = invoke("report", str(out), "--out", str(tmp_path / "rep"), "--no-baselines")
    assert report.exit_code == 0, report.output
    for name in ("report.json", "report.md", "metric_by_task.png", "modes.png"):
        assert (tmp_path / "rep" / name).is_file(), name


def test_errors_are_one_line_with_exit_2(fake_model: None, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["eval", "run", "--task", "mirage-medqq"])
    assert unknown.exit_code == 2
    assert "did you mean `mirage-medqa`" in unknown.output and "Traceback" not in unknown.output
    out = tmp_path / "run"
    base = ["eval", "run", "--task", str(TASKS / "runner_exam.yaml"), "--mc", "generate", "--data-dir", str(DATA)]
    assert runner.invoke(app, [*base, "--out", str(out), "--limit", "2", "--no-progress"]).exit_code == 0
    changed = runner.invoke(app, [*base, "--out", str(out), "--limit", "3", "--resume"])
    assert changed.exit_code == 2 and "limit 2 → 3" in changed.output
    no_kb = runner.invoke(
        app, [*base, "--mode", "rag", "--kb", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]
    )
    assert no_kb.exit_code == 2 and "error:" in no_kb.output


def test_report_needs_run_folders(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run folder" in result.output


def test_resume_without_out_continues_the_newest_run_of_that_name(
    fake_model: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "--task", str(TASKS / "runner_exam.yaml"), "--mc", "generate", "--data-dir", str(DATA)]
    first = invoke(*args, "--limit", "2", "--no-progress")
    assert first.exit_code == 0, first.output
    [run_dir] = list((tmp_path / "reports/eval/runs").iterdir())
    assert run_dir.name.startswith("runner-exam-closed-default-")
    again = invoke(*args, "--limit", "2", "--resume", "--no-progress")
    assert again.exit_code == 0 and "2 items (2 from an earlier run)" in again.output
    assert list((tmp_path / "reports/eval/runs").iterdir()) == [run_dir]


def test_run_rejects_adapter_with_no_adapter(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["eval", "run", "-t", "mirage-medqa", "--adapter", str(tmp_path), "--no-adapter", "--limit", "1"]
    )
    assert result.exit_code == 2 and "contradict" in result.output
