"""`--executor ray` on a local Ray instance the tests start and stop: the same rows as the local executor."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli import app
from model.diagnosis.output import DiagnosisRow, RowWriter
from model.diagnosis.records import PatientRecord, RecordError
from model.diagnosis.runner import run_batch

if os.environ.get("CI"):  # the README's test command installs the ray extra: CI must run these, not skip them
    import ray
else:
    ray = pytest.importorskip("ray", reason="install the ray extra: pip install -e '.[ray]'")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _diagnose(record: PatientRecord) -> DiagnosisRow:
    if record.text == "boom":
        raise ValueError("cannot score")
    return DiagnosisRow(id=record.id, status="ok", source=record.source, message=record.text.upper())


def _items(n: int) -> list[PatientRecord | RecordError]:
    items: list[PatientRecord | RecordError] = [
        PatientRecord(id=f"r{i}", source=f"f:{i}", text=f"t{i}") for i in range(n)
    ]
    items.insert(3, RecordError(id="f:bad", source="f:bad", message="f line 4: not JSON"))
    items.insert(7, PatientRecord(id="boom", source="f:boom", text="boom"))
    return items


def test_ray_writes_the_local_rows_in_input_order_and_resumes(local_ray: None, tmp_path: Path) -> None:
    local, distributed = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    with RowWriter.open(local) as writer:
        run_batch(_items(300), _diagnose, writer)
    with RowWriter.open(distributed) as writer:
        summary = run_batch(_items(200), _diagnose, writer, workers=2, executor="ray")
    assert summary.written == {"error": 2, "ok": 200}
    with RowWriter.open(distributed, resume=True) as writer:  # the rest, as after a crash
        resumed = run_batch(_items(300), _diagnose, writer, workers=2, executor="ray")
    assert resumed.skipped_existing == 202 and resumed.written == {"ok": 100}
    rows = [json.loads(line) for line in distributed.read_text().splitlines()]
    assert [r["id"] for r in rows] == [json.loads(line)["id"] for line in local.read_text().splitlines()]
    assert distributed.read_text() == local.read_text()
    boom = next(r for r in rows if r["id"] == "boom")
    assert boom["status"] == "error" and "ValueError: cannot score" in boom["message"]


def test_cli_ray_executor_matches_local_on_the_tiny_kb(local_ray: None, tiny_kb_dir: Path, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "text": "Myocarditis suspected: chest pain and fever, no cough."},
        {"id": "b", "text": "Paperwork all day."},
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines) + "{not json\n")
    outputs = {}
    for executor in ("local", "ray"):
        out = tmp_path / f"{executor}.jsonl"
        args = ["diagnose", str(records), "--out", str(out), "--kb", str(tiny_kb_dir), "--no-progress", "--json"]
        result = CliRunner().invoke(app, [*args, "--executor", executor, "--workers", "2"])
        assert result.exit_code == 1, result.output  # the malformed line is an error row
        assert json.loads(result.stdout)["written"] == {"error": 1, "no_findings": 1, "ok": 1}
        outputs[executor] = out.read_text()
    assert outputs["ray"] == outputs["local"]
