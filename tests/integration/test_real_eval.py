"""End to end through the CLI: MIRAGE MedQA with the real default model, closed book and RAG, then a report.

Five seeded questions per mode (option log-likelihood, no generation): about a minute on two shared cores.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.schema import STATUSES
from knowledge.kb import KnowledgeBase
from model.cli import app
from tests.integration.conftest import real_data_dir

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# As `clinicalgpt eval run` does: spinning OpenMP threads on a shared 2-core machine make every forward pass
# ~12x slower. Set at collection, before any test starts torch's thread pool.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

runner = CliRunner()


def _run(mode: str, kb: KnowledgeBase, out: Path) -> dict:
    args = ["eval", "run", "--task", "mirage-medqa", "--mode", mode, "--limit", "5", "--seed", "0"]
    args += ["--kb", str(kb.kb_dir), "--data-dir", str(real_data_dir()), "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    [run] = json.loads(result.stdout)  # progress and logs go to stderr
    return run


def test_mirage_medqa_closed_and_rag_then_report(real_kb: KnowledgeBase, tmp_path: Path) -> None:
    runs = {mode: _run(mode, real_kb, tmp_path / mode) for mode in ("closed", "rag")}
    for mode, run in runs.items():
        rows = [json.loads(line) for line in (tmp_path / mode / "items.jsonl").read_text().splitlines()]
        assert len(rows) == 5 and len({r["id"] for r in rows}) == 5
        assert all(r["status"] in STATUSES for r in rows)
        assert run["header"]["generator"] == "default" and run["header"]["mc"] == "likelihood"
        accuracy = run["summary"]["metrics"]["accuracy"]
        assert accuracy["n_scored"] + sum(accuracy["n_failed"].values()) == 5
        assert accuracy["value"] is None or 0.0 <= accuracy["value"] <= 1.0
    ok_rag = [json.loads(line) for line in (tmp_path / "rag" / "items.jsonl").read_text().splitlines()]
    assert any(r["extras"].get("retrieved_ids") for r in ok_rag)  # RAG really retrieved
    assert runs["rag"]["header"]["kb_manifest_hash"] and runs["closed"]["header"]["kb_manifest_hash"] is None
    # The same five questions in both modes (same seed): the comparison is item for item.
    assert runs["rag"]["header"]["sampled_ids_hash"] == runs["closed"]["header"]["sampled_ids_hash"]

    report = runner.invoke(
        app,
        [
            "eval",
            "report",
            str(tmp_path / "closed"),
            str(tmp_path / "rag"),
            "--out",
            str(tmp_path / "report"),
            "--data-dir",
            str(real_data_dir()),
        ],
    )
    assert report.exit_code == 0, report.output
    md = (tmp_path / "report" / "report.md").read_text()
    assert "closed · default" in md and "rag · default" in md
    assert "GPT-4 MedRAG (MIRAGE predictions)" in md  # published systems scored on our five questions
    for name in ("report.json", "metric_by_task.png", "modes.png", "baselines.png"):
        assert (tmp_path / "report" / name).is_file(), name
