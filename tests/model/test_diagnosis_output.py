"""One row per record, written as it goes, 0600, resumable after SIGKILL with no loss and no duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from model.diagnosis.output import Candidate, DiagnosisRow, RowWriter
from model.diagnosis.records import PatientRecord, RecordError
from model.diagnosis.runner import run_batch


def _fake_diagnose(record: PatientRecord) -> DiagnosisRow:
    """A stand-in for the scorer (unit test): 'boom' raises, no text means no findings."""
    if "boom" in record.text:
        raise RuntimeError("scorer exploded")
    if not record.text:
        return DiagnosisRow(id=record.id, status="no_findings", source=record.source)
    candidate = Candidate(name="Influenza", kg_id="DOID:8469", score=0.7)
    return DiagnosisRow(id=record.id, status="ok", differential=[candidate], model="fake")


def _records(n: int) -> list[PatientRecord]:
    return [PatientRecord(id=f"r{i}", source=f"in.jsonl:{i + 1}", text=f"fever {i}") for i in range(n)]


def test_every_input_gets_exactly_one_row_with_a_status(tmp_path: Path) -> None:
    items = [
        *_records(2),
        RecordError(id="in.jsonl:3", source="in.jsonl:3", message="in.jsonl:3: invalid JSON"),
        PatientRecord(id="empty", source="in.jsonl:4"),
        PatientRecord(id="bad", source="in.jsonl:5", text="boom"),
    ]
    out = tmp_path / "out.jsonl"
    with RowWriter.open(out) as writer:
        summary = run_batch(items, _fake_diagnose, writer)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["status"]) for r in rows] == [
        ("r0", "ok"),
        ("r1", "ok"),
        ("in.jsonl:3", "error"),
        ("empty", "no_findings"),
        ("bad", "error"),
    ]
    assert "scorer exploded" in rows[4]["message"] and rows[2]["message"].endswith("invalid JSON")
    assert summary.written == {"error": 2, "no_findings": 1, "ok": 2} and summary.failed
    assert os.stat(out).st_mode & 0o777 == 0o600


def test_an_existing_output_needs_resume_and_resume_skips_written_rows(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with RowWriter.open(out) as writer:
        run_batch(_records(3), _fake_diagnose, writer)
    with pytest.raises(FileExistsError, match="--resume"):
        RowWriter.open(out)
    os.chmod(out, 0o644)
    with RowWriter.open(out, resume=True) as writer:
        summary = run_batch(_records(5), _fake_diagnose, writer)
    assert summary.skipped_existing == 3 and summary.written == {"ok": 2}
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == ["r0", "r1", "r2", "r3", "r4"] and os.stat(out).st_mode & 0o777 == 0o600


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_torn_last_line_is_cut_on_resume(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    with RowWriter.open(out, fmt) as writer:  # type: ignore[arg-type]
        run_batch(_records(2), _fake_diagnose, writer)
    with out.open("a") as handle:
        handle.write('{"id": "r2", "sta' if fmt == "jsonl" else "r2,ok,")  # killed mid-row
    with RowWriter.open(out, fmt, resume=True) as writer:  # type: ignore[arg-type]
        assert writer.written == {"r0", "r1"}
        run_batch(_records(3), _fake_diagnose, writer)
    text = out.read_text()
    if fmt == "csv":
        import csv

        rows = list(csv.DictReader(text.splitlines()))
        assert [r["id"] for r in rows] == ["r0", "r1", "r2"]
        assert json.loads(rows[0]["differential"])[0]["name"] == "Influenza"
    else:
        assert [json.loads(line)["id"] for line in text.splitlines()] == ["r0", "r1", "r2"]


SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from model.diagnosis.output import DiagnosisRow, RowWriter
    from model.diagnosis.records import PatientRecord
    from model.diagnosis.runner import run_batch

    def slow(record):
        time.sleep(0.01)
        return DiagnosisRow(id=record.id, status="ok")

    records = [PatientRecord(id=f"r{i}", source="x", text="t") for i in range(int(sys.argv[2]))]
    with RowWriter.open(Path(sys.argv[1]), resume=True) as writer:
        run_batch(records, slow, writer)
    """
)


def test_a_run_killed_midway_resumes_with_no_loss_and_no_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    process = subprocess.Popen([sys.executable, str(script), str(out), "400"], env=env)
    deadline = time.time() + 60
    while time.time() < deadline and (not out.exists() or out.read_text().count("\n") < 20):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = out.read_text().count("\n")
    assert 20 <= partial < 400  # killed midway
    subprocess.run([sys.executable, str(script), str(out), "400"], env=env, check=True)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert len(ids) == 400 and set(ids) == {f"r{i}" for i in range(400)}


def test_workers_write_the_same_rows_in_input_order(tmp_path: Path) -> None:
    items = [*_records(150), PatientRecord(id="bad", source="x", text="boom")]
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        with RowWriter.open(out) as writer:
            summary = run_batch(items, _fake_diagnose, writer, workers=workers)
        assert summary.written == {"error": 1, "ok": 150}
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
