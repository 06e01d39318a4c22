"""`clinicalgpt diagnose` end to end on the tiny knowledge base: rows, exit codes, resume, usage errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from model.cli import app

runner = CliRunner()


def test_diagnose_writes_one_row_per_record_and_exits_1_when_one_failed(tiny_kb_dir: Path, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(
        json.dumps({"id": "a", "text": "Myocarditis suspected: chest pain and fever, no cough."})
        + "\n"
        + json.dumps({"id": "b", "text": "Paperwork all day."})
        + "\n"
        + "{not json\n"
    )
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(records), "--out", str(out), "--kb", str(tiny_kb_dir), "--no-progress", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["ok", "no_findings", "error"]
    assert rows[0]["differential"] and rows[0]["differential"][0]["supporting"]
    assert os.stat(out).st_mode & 0o777 == 0o600
    summary = json.loads(result.stdout)
    assert summary["written"] == {"error": 1, "no_findings": 1, "ok": 1}
    again = runner.invoke(app, args)  # the output exists: resuming must be asked for
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, [*args, "--resume"])
    assert json.loads(resumed.stdout)["skipped_existing"] == 3 and len(out.read_text().splitlines()) == 3


def test_diagnose_usage_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["diagnose", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad_columns = runner.invoke(app, ["diagnose", str(tmp_path), "--out", str(tmp_path / "o.jsonl"), "--columns", "id"])
    assert bad_columns.exit_code == 2 and "FIELD=COLUMN" in bad_columns.output


def test_diagnose_llm_stage_with_a_local_model(tiny_kb_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": "a", "text": "Chest pain and fever, no cough."}) + "\n")
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(records), "--out", str(out), "--kb", str(tiny_kb_dir), "--no-progress", "--json"]
    result = runner.invoke(app, [*args, "--llm", f"hf:{tiny_model_dir}"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    # a random tiny model writes no ranking line: the graph's order stands and the row says so
    assert row["status"] == "ok" and row["model"] == f"kg-idf-v3+llm:hf:{tiny_model_dir}"
    assert row["llm_status"] in {"reranked", "parse_error"} and row["differential"]
    refused = runner.invoke(app, [*args, "--llm", "default", "--workers", "2"])
    assert refused.exit_code == 2 and "--llm runs in one local process" in refused.output


def test_ray_address_needs_the_ray_executor(tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": "a", "text": "fever"}) + "\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["diagnose", str(records), "--out", str(out), "--ray-address", "ray://head:10001"])
    assert result.exit_code == 2 and "--executor ray" in result.output and not out.exists()
