"""Batch-diagnosis readers (issue 11): every format, and every bad input becomes one clear error row."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from model.diagnosis.readers import _fhir_age, detect_format, read_records
from model.diagnosis.records import PatientRecord, RecordError

DDXPLUS = Path(__file__).parent.parent / "data" / "eval" / "en" / "ddxplus" / "release_test_patients_mini_version.txt"


def _ids(items: list[PatientRecord | RecordError]) -> list[tuple[str, str]]:
    return [(i.id, "error" if isinstance(i, RecordError) else "ok") for i in items]


def test_jsonl_records_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    lines = [
        json.dumps({"id": "p1", "text": "Fever and a stiff neck since this morning.", "age": 34, "sex": "F"}),
        '{"id": "p2", "text": "broken',
        json.dumps({"text": "no id here"}),
        json.dumps({"id": 7, "findings": "cough; fever", "history": ["asthma"], "sex": "male"}),
        json.dumps({"id": "p5", "sex": "dragon", "text": "x"}),
        json.dumps({"id": "p6", "age": 400, "text": "x"}),
        json.dumps(["not", "an", "object"]),
    ]
    path.write_text("\n".join(lines) + "\n")
    items = list(read_records([path]))
    assert _ids(items) == [
        ("p1", "ok"),
        ("records.jsonl:2", "error"),
        ("records.jsonl:3", "error"),
        ("7", "ok"),
        ("p5", "error"),
        ("p6", "error"),
        ("records.jsonl:7", "error"),
    ]
    first, _, no_id, seventh, dragon, old, array = items
    assert isinstance(first, PatientRecord) and first.sex == "female" and first.age == 34
    assert (
        isinstance(seventh, PatientRecord) and seventh.findings == ["cough", "fever"] and seventh.history == ["asthma"]
    )
    messages = [i.message for i in items if isinstance(i, RecordError)]
    assert f"{path}:2: invalid JSON" in messages[0]
    assert "field `id` is missing" in messages[1]
    assert "field `sex`" in messages[2] and "field `age`" in messages[3] and "not a JSON object" in messages[4]


def test_csv_with_column_mapping_and_a_ragged_row(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('patient,note,age\nA1,"Cough, fever",40\nA2,too,many,cells\nA3,Chest pain,\n')
    items = list(read_records([path], columns={"id": "patient", "text": "note"}))
    assert _ids(items) == [("A1", "ok"), ("notes.csv:3", "error"), ("A3", "ok")]
    assert items[0].text == "Cough, fever" and items[2].age is None  # type: ignore[union-attr]
    assert "columns" in items[1].message  # type: ignore[union-attr]
    no_id = list(read_records([path]))  # default column names: there is no `id`
    assert len(no_id) == 1 and "--columns id=" in no_id[0].message  # type: ignore[union-attr]


def test_txt_folder_one_record_per_note(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "case-01.txt").write_text("55-year-old with crushing chest pain.")
    (folder / "case-02.txt").write_bytes("Fi\xe8vre".encode("latin-1"))
    (folder / "case-03.txt").write_text("  ")
    items = list(read_records([folder]))
    assert _ids(items) == [("case-01", "ok"), ("case-02", "error"), ("case-03", "error")]
    assert "not UTF-8" in items[1].message and "empty" in items[2].message  # type: ignore[union-attr]


def test_fhir_bundle_becomes_one_record(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "pat-9", "gender": "female", "birthDate": "1980-05-01"}},
            {"resource": {"resourceType": "Condition", "code": {"text": "Type 2 diabetes"}}},
            {
                "resource": {
                    "resourceType": "Observation",
                    "code": {"coding": [{"display": "Body temperature"}]},
                    "valueQuantity": {"value": 39.2, "unit": "Cel"},
                    "interpretation": [{"text": "high"}],
                }
            },
            {"resource": {"resourceType": "Encounter", "id": "e1"}},
            {"resource": {"resourceType": "DocumentReference", "text": {"div": "<div>Neck stiffness.</div>"}}},
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    (record,) = list(read_records([path]))
    assert isinstance(record, PatientRecord) and record.id == "pat-9" and record.sex == "female"
    assert record.history == ["Type 2 diabetes"] and record.findings == ["Body temperature 39.2 Cel (high)"]
    assert record.text == "Neck stiffness." and record.age is not None and record.age >= 45
    assert _fhir_age("1980-05-01", today=date(2026, 4, 30)) == 45.0


def test_fhir_of_an_unexpected_type_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "obs.json"
    path.write_text(json.dumps({"resourceType": "Observation"}))
    (error,) = list(read_records([path]))
    assert (
        isinstance(error, RecordError)
        and "FHIR Observation" in error.message
        and "Bundle or a Patient" in error.message
    )


def test_ddxplus_patients_with_their_evidences() -> None:
    items = list(read_records([DDXPLUS]))
    assert detect_format(DDXPLUS) == "ddxplus"
    records = [i for i in items if isinstance(i, PatientRecord)]
    errors = [i for i in items if isinstance(i, RecordError)]
    # The fixture holds one patient with an evidence code the release does not define: an error row, not a stop.
    assert len(records) == 3 and len(errors) == 1 and "unknown evidence code 'E_999'" in errors[0].message
    first = records[0]
    assert first.evidence_codes and first.findings and first.sex in ("male", "female") and first.chief_complaint


def test_empty_unreadable_and_duplicate_inputs_each_give_an_error_row(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    folder_as_file = tmp_path / "gone.jsonl"
    folder_as_file.symlink_to(tmp_path / "nowhere.jsonl")  # a dangling link: the file cannot be opened
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps({"id": "x", "text": "cough"}) + "\n")
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps({"id": "x", "text": "fever"}) + "\n")
    unknown = tmp_path / "records.xml"
    unknown.write_text("<x/>")
    items = list(read_records([empty, folder_as_file, first, second, unknown]))
    assert [type(i).__name__ for i in items] == [
        "RecordError",
        "RecordError",
        "PatientRecord",
        "RecordError",
        "RecordError",
    ]
    assert "empty" in items[0].message and "cannot be read" in items[1].message  # type: ignore[union-attr]
    assert "duplicate record id 'x'" in items[3].message and str(first) in items[3].message  # type: ignore[union-attr]
    assert "--format" in items[4].message  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "fmt"), [("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a.json", "fhir")])
def test_detect_format_by_extension(tmp_path: Path, name: str, fmt: str) -> None:
    path = tmp_path / name
    path.write_text("{}")
    assert detect_format(path) == fmt


def test_a_file_that_stops_being_utf8_keeps_the_records_before(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    good = "".join(json.dumps({"id": f"r{i}", "text": "cough " * 20}) + "\n" for i in range(400))
    path.write_bytes(good.encode() + b'{"id": "bad", "text": "fi\xe8vre"}\n')  # latin-1 after ~60 KB of UTF-8
    items = list(read_records([path]))
    records = [i for i in items if isinstance(i, PatientRecord)]
    errors = [i for i in items if isinstance(i, RecordError)]
    assert len(errors) == 1 and "not UTF-8 text after line" in errors[0].message
    assert len(records) >= 300  # what was read before the bad bytes stands (reading is in chunks)
    assert len({r.id for r in records}) == len(records)
