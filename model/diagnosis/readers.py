"""Readers for patient-record files: JSONL, CSV, FHIR R4 JSON, a folder of plain-text notes, DDXPlus patients.

`read_records(paths)` yields one `PatientRecord` or one `RecordError` per record it meets, so the runner can
write exactly one output row per input record: a malformed JSON line, a CSV row with the wrong number of
fields, a FHIR file that is not a Bundle or Patient, an empty, unreadable or non-UTF-8 file, and a repeated
record id each become an error naming the file and line, and reading goes on.

Formats (`fmt="auto"` picks by extension, then content):

- `jsonl` (`.jsonl`, `.ndjson`): one object per line, `{"id": …, "text": …}` at least; optional `age`, `sex`,
  `chief_complaint`, `findings` and `history` (lists of strings, or one string split on ";").
- `csv` (`.csv`, `.tsv`): a header row; columns named as the JSONL keys by default, or mapped with
  `columns={"id": "patient_id", "text": "note", …}`; list cells are split on ";".
- `fhir` (`.json` with a `resourceType`): an R4 Bundle (or a lone Patient) is one record: Patient (id,
  gender, birthDate → age), Condition (history), Observation (findings, with values and interpretation),
  DocumentReference / Composition narrative (free text). Other resource types are not read.
- `txt`: a folder of `.txt` notes, one record per file, the id being the file name without `.txt`.
- `ddxplus`: DDXPlus patients (the release's CSV or its test file's `.txt` CSV), evidences rendered with
  `release_evidences.json` from the same folder (`knowledge.ddxplus`).
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from knowledge.ddxplus import DDX_COLUMNS, SEX, evidence_answer
from model.diagnosis.records import PatientRecord, RecordError

Format = Literal["auto", "jsonl", "csv", "fhir", "txt", "ddxplus"]
Read = PatientRecord | RecordError
RECORD_FIELDS = ("id", "text", "age", "sex", "chief_complaint", "findings", "history")
_SEXES = {
    "m": "male",
    "male": "male",
    "man": "male",
    "f": "female",
    "female": "female",
    "woman": "female",
    "other": "other",
    "unknown": "unknown",
    "u": "unknown",
    "": "unknown",
}
#: FHIR resources read; every other type in a bundle is skipped (billing, practitioners, encounters…).
FHIR_TYPES = ("Patient", "Condition", "Observation", "DocumentReference", "Composition")
_TAG = re.compile(r"<[^>]+>")


def detect_format(path: Path) -> Format:
    """The format of `path` by extension, then content (a DDXPlus header, a FHIR `resourceType`)."""
    if path.is_dir():
        return "txt"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "fhir"
    head = _first_line(path).lower()
    if suffix in (".csv", ".tsv", ".txt") and {"evidences", "features"} & set(re.split(r"[,\t]", head)):
        return "ddxplus"
    if suffix in (".csv", ".tsv"):
        return "csv"
    msg = f"{path}: cannot tell its format from the name; pass --format jsonl|csv|fhir|txt|ddxplus"
    raise ValueError(msg)


def _first_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.readline().strip()
    except OSError:
        return ""


def read_records(
    paths: list[Path], fmt: Format = "auto", *, columns: Mapping[str, str] | None = None
) -> Iterator[Read]:
    """Every record of every path, in order; a repeated id becomes an error row (the first one stands)."""
    seen: dict[str, str] = {}
    for path in paths:
        try:
            chosen = detect_format(path) if fmt == "auto" else fmt
        except ValueError as exc:
            yield RecordError(id=str(path), source=str(path), message=str(exc))
            continue
        for item in _READERS[chosen](path, columns or {}):
            if isinstance(item, PatientRecord):
                if item.id in seen:
                    yield RecordError(
                        id=item.id,
                        source=item.source,
                        message=f"{item.source}: duplicate record id {item.id!r} (first at {seen[item.id]}); "
                        "give every record its own id",
                    )
                    continue
                seen[item.id] = item.source
            yield item


# -- helpers -------------------------------------------------------------------------------------------
def _text_of(path: Path) -> tuple[str | None, RecordError | None]:
    """The whole file's UTF-8 text (one note, one FHIR document), or the error row saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8"), None
    except (UnicodeDecodeError, OSError) as exc:
        return _text_error(path, exc)


class _NotUtf8(Exception):
    """Raised while streaming a file when its bytes stop being UTF-8."""


def _stream(path: Path) -> tuple[Iterator[str], RecordError | None]:
    """The lines of a UTF-8 file, read as they are consumed (memory stays flat in the file's size), or the error
    row when the file cannot be opened, is empty, or does not start as UTF-8 text. A later undecodable byte
    raises `_NotUtf8` from the iterator."""
    try:
        handle = path.open(encoding="utf-8", newline="")
        first = handle.readline()
    except (UnicodeDecodeError, OSError) as exc:
        _, error = _text_error(path, exc)
        return iter(()), error
    if not first:
        handle.close()
        message = f"{path}: the file is empty: no record to read"
        return iter(()), RecordError(id=str(path), source=str(path), message=message)

    def lines() -> Iterator[str]:
        with handle:
            yield first
            try:
                yield from handle
            except UnicodeDecodeError as exc:
                raise _NotUtf8(str(exc)) from exc

    return lines(), None


def _text_error(path: Path, exc: BaseException) -> tuple[None, RecordError]:
    if isinstance(exc, UnicodeDecodeError):
        msg = f"{path}: not UTF-8 text (byte {exc.start}); convert it, e.g. `iconv -f latin1 -t utf-8`"
    else:
        msg = f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})"
    return None, RecordError(id=str(path), source=str(path), message=msg)


def _not_utf8(path: Path, after_line: int) -> RecordError:
    msg = f"{path}: not UTF-8 text after line {after_line}; the rest of the file is skipped: convert it, e.g. "
    return RecordError(id=f"{path.name}:{after_line + 1}", source=f"{path}:{after_line + 1}", message=msg + "`iconv`")


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    msg = f"must be a list of strings or a ';'-separated string, not {type(value).__name__}"
    raise ValueError(msg)


def _age(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return float(value)


def _record(data: Mapping[str, Any], source: str, fallback_id: str) -> Read:
    """A record from a JSONL object or CSV row, or the error naming the field to fix."""
    rid = str(data.get("id") or "").strip()
    if not rid:
        return RecordError(id=fallback_id, source=source, message=f"{source}: field `id` is missing or empty")
    try:
        sex_raw = str(data.get("sex") or "").strip().lower()
        if sex_raw not in _SEXES:
            msg = f"{source}: field `sex` is {data.get('sex')!r}; use male, female, other or unknown (or M/F)"
            return RecordError(id=rid, source=source, message=msg)
        record = PatientRecord(
            id=rid,
            source=source,
            age=_age(data.get("age")),
            sex=_SEXES[sex_raw],  # type: ignore[arg-type]
            chief_complaint=(str(data["chief_complaint"]).strip() or None) if data.get("chief_complaint") else None,
            findings=_listed(data.get("findings")),
            history=_listed(data.get("history")),
            text=str(data.get("text") or ""),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        return RecordError(id=rid, source=source, message=f"{source}: field `{field}`: {first['msg']}")
    except (TypeError, ValueError) as exc:
        return RecordError(id=rid, source=source, message=f"{source}: {exc}")
    return record


# -- formats -------------------------------------------------------------------------------------------
def read_jsonl(path: Path, _columns: Mapping[str, str]) -> Iterator[Read]:
    lines, error = _stream(path)
    if error is not None:
        yield error
        return
    line_no = 0
    seen_content = False
    try:
        for line_no, line in enumerate(lines, start=1):  # noqa: B007  (line_no is read after the loop)
            if not line.strip():
                continue
            seen_content = True
            source = f"{path}:{line_no}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield RecordError(
                    id=f"{path.name}:{line_no}",
                    source=source,
                    message=f"{source}: invalid JSON at column {exc.colno}: {exc.msg}; each line must be one JSON "
                    "object",
                )
                continue
            if not isinstance(data, dict):
                yield RecordError(id=f"{path.name}:{line_no}", source=source, message=f"{source}: not a JSON object")
                continue
            yield _record(data, source, f"{path.name}:{line_no}")
    except _NotUtf8:
        yield _not_utf8(path, line_no)
        return
    if not seen_content:
        yield RecordError(id=str(path), source=str(path), message=f"{path}: the file is empty: no record to read")


def read_csv(path: Path, columns: Mapping[str, str]) -> Iterator[Read]:
    lines, error = _stream(path)
    if error is not None:
        yield error
        return
    unknown = sorted(set(columns) - set(RECORD_FIELDS))
    if unknown:
        msg = f"--columns names {', '.join(unknown)}, which records do not have; use {', '.join(RECORD_FIELDS)}"
        yield RecordError(id=str(path), source=str(path), message=msg)
        return
    reader = csv.DictReader(lines, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        header = reader.fieldnames or []
    except _NotUtf8:
        yield _not_utf8(path, 0)
        return
    mapping = {field: columns.get(field, field) for field in RECORD_FIELDS}
    missing = [f"{field} (column {col!r})" for field, col in mapping.items() if field == "id" and col not in header]
    if missing:
        msg = f"{path}: no id column ({missing[0]}); name one with --columns id=COLUMN (header: {', '.join(header)})"
        yield RecordError(id=str(path), source=str(path), message=msg)
        return
    try:
        for row in reader:
            line_no = reader.line_num
            source = f"{path}:{line_no}"
            if None in row or any(v is None for v in row.values()):
                msg = f"{source}: {len(header)} columns in the header, a different number in this row; quote cells"
                yield RecordError(id=f"{path.name}:{line_no}", source=source, message=msg + " that hold commas")
                continue
            data = {field: row.get(col) for field, col in mapping.items() if col in row}
            yield _record(data, source, f"{path.name}:{line_no}")
    except _NotUtf8:
        yield _not_utf8(path, reader.line_num)


def read_txt_folder(path: Path, _columns: Mapping[str, str]) -> Iterator[Read]:
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    if not files:
        yield RecordError(id=str(path), source=str(path), message=f"{path}: no .txt notes in this folder")
        return
    for file in files:
        text, error = _text_of(file)
        if error is not None:
            yield error.model_copy(update={"id": file.stem})
        elif not (text or "").strip():
            yield RecordError(id=file.stem, source=str(file), message=f"{file}: the note is empty")
        else:
            yield PatientRecord(id=file.stem, source=str(file), text=text or "")


def _fhir_age(birth: str | None, today: date | None = None) -> float | None:
    if not birth:
        return None
    born = date.fromisoformat(birth[:10] if len(birth) >= 10 else f"{birth[:4]}-07-01")
    today = today or date.today()
    return float(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


def _concept(value: Any) -> str:
    """A CodeableConcept's text, or its first coding's display."""
    if not isinstance(value, dict):
        return ""
    codings = value.get("coding") or [{}]
    return str(value.get("text") or codings[0].get("display") or codings[0].get("code") or "").strip()


def _observation(resource: dict[str, Any]) -> str:
    name = _concept(resource.get("code"))
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and "value" in quantity:
        value = f"{quantity['value']} {quantity.get('unit') or quantity.get('code') or ''}".strip()
    else:
        value = str(resource.get("valueString") or _concept(resource.get("valueCodeableConcept")) or "")
    flags = [_concept(i) for i in resource.get("interpretation") or []]
    return " ".join(part for part in (name, value, f"({', '.join(flags)})" if any(flags) else "") if part)


def read_fhir(path: Path, _columns: Mapping[str, str]) -> Iterator[Read]:
    text, error = _text_of(path)
    if error is not None:
        yield error
        return
    if not (text or "").strip():
        yield RecordError(id=str(path), source=str(path), message=f"{path}: the file is empty: no record to read")
        return
    assert text is not None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield RecordError(id=path.stem, source=str(path), message=f"{path}:{exc.lineno}: invalid JSON: {exc.msg}")
        return
    kind = data.get("resourceType") if isinstance(data, dict) else None
    if kind == "Patient":
        resources = [data]
    elif kind == "Bundle":
        resources = [e.get("resource") for e in data.get("entry") or [] if isinstance(e, dict)]
    else:
        msg = f"{path}: a FHIR {kind or 'file without resourceType'}; batch diagnosis reads a Bundle or a Patient"
        yield RecordError(id=path.stem, source=str(path), message=msg)
        return
    patients = [r for r in resources if isinstance(r, dict) and r.get("resourceType") == "Patient"]
    patient = patients[0] if patients else {}
    findings, history, notes = [], [], []
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        rtype = resource.get("resourceType")
        if rtype == "Condition" and _concept(resource.get("code")):
            history.append(_concept(resource.get("code")))
        elif rtype == "Observation" and _observation(resource):
            findings.append(_observation(resource))
        elif rtype in ("DocumentReference", "Composition"):
            narrative = (resource.get("text") or {}).get("div") or ""
            sections = [(s.get("text") or {}).get("div") or "" for s in resource.get("section") or []]
            notes += [_TAG.sub(" ", div) for div in [narrative, *sections] if div]
    try:
        age = _fhir_age(patient.get("birthDate"))
    except ValueError:
        msg = f"{path}: Patient.birthDate {patient.get('birthDate')!r} is not a date (YYYY-MM-DD)"
        yield RecordError(id=str(patient.get("id") or path.stem), source=str(path), message=msg)
        return
    yield PatientRecord(
        id=str(patient.get("id") or path.stem),
        source=str(path),
        age=age,
        sex=_SEXES.get(str(patient.get("gender") or "").lower(), "unknown"),  # type: ignore[arg-type]
        findings=findings,
        history=history,
        text=" ".join(" ".join(notes).split()),
    )


def read_ddxplus(path: Path, _columns: Mapping[str, str]) -> Iterator[Read]:
    evidences_path = path.with_name("release_evidences.json")
    try:
        evidences = json.loads(evidences_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        msg = f"{path}: DDXPlus patients need release_evidences.json beside them ({evidences_path}: {exc})"
        yield RecordError(id=str(path), source=str(path), message=msg)
        return
    lines, error = _stream(path)
    if error is not None:
        yield error
        return
    reader = csv.DictReader(lines)
    try:
        yield from _ddxplus_rows(path, reader, evidences)
    except _NotUtf8:
        yield _not_utf8(path, reader.line_num)


def _ddxplus_rows(path: Path, reader: csv.DictReader[str], evidences: dict[str, Any]) -> Iterator[Read]:
    for number, raw in enumerate(reader, start=1):
        source = f"{path}:{reader.line_num}"
        row = {DDX_COLUMNS[k.strip().lower()]: v for k, v in raw.items() if k and k.strip().lower() in DDX_COLUMNS}
        rid = f"{path.stem}-{number}"
        try:
            codes = [str(c) for c in ast.literal_eval(row.get("features") or "[]")]
            findings: list[str] = []
            history: list[str] = []
            for entry in codes:
                code, _, value = entry.partition("_@_")
                if code not in evidences:
                    raise ValueError(f"unknown evidence code {code!r} (not in release_evidences.json)")
                evidence = evidences[code]
                line = f"{evidence['question_en']} {evidence_answer(evidence, value)}"
                (history if evidence.get("is_antecedent") else findings).append(line)
            initial = (row.get("feature_id") or "").strip()
            yield PatientRecord(
                id=rid,
                source=source,
                age=_age(row.get("age")),
                sex=_SEXES.get(SEX.get((row.get("sex") or "").strip().upper(), "").lower(), "unknown"),  # type: ignore[arg-type]
                chief_complaint=evidences[initial]["question_en"] if initial in evidences else None,
                findings=findings,
                history=history,
                evidence_codes=codes,
            )
        except (ValueError, SyntaxError, KeyError, TypeError) as exc:
            yield RecordError(id=rid, source=source, message=f"{source}: unreadable evidences ({exc})")


_READERS = {"jsonl": read_jsonl, "csv": read_csv, "fhir": read_fhir, "txt": read_txt_folder, "ddxplus": read_ddxplus}
