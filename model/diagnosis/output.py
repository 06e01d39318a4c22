"""Batch-diagnosis output: exactly one row per input record, written as it goes, resumable after a kill.

Rows are appended one whole line per `write` and flushed, so a kill leaves at most one partial last line;
`RowWriter.open(resume=True)` cuts that line off and reports the ids already written, which the runner
skips. Files are created readable by the user only (0600): they hold patient data.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["ok", "no_findings", "error"]
OutputFormat = Literal["jsonl", "csv"]
CSV_COLUMNS = (
    "id",
    "status",
    "message",
    "source",
    "differential",
    "red_flags",
    "model",
    "settings_hash",
    "llm_status",
    "rationale",
    "rationale_citations",
)


class Evidence(BaseModel):
    """A finding that argued for or against a candidate, with where the link comes from."""

    model_config = ConfigDict(extra="forbid")

    finding: str
    source: str = Field(description="Knowledge source of the disease–finding link (HSDN, DDXPlus, …).")
    fact_id: str | None = Field(default=None, description="Knowledge-graph fact id, citable like a passage.")
    weight: float = 0.0


class Candidate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    icd10: str | None = None
    kg_id: str
    score: float
    supporting: list[Evidence] = Field(default_factory=list)
    against: list[Evidence] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)


class DiagnosisRow(BaseModel):
    """One output row: the record's id and status, and for `ok` the ranked differential."""

    model_config = ConfigDict(extra="forbid")

    id: str
    status: Status
    message: str | None = None
    source: str | None = None
    differential: list[Candidate] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)
    model: str = ""
    settings_hash: str = ""
    llm_status: Literal["reranked", "parse_error", "error"] | None = Field(
        default=None, description="What the optional LLM stage did (None: no LLM stage)."
    )
    rationale: str | None = Field(default=None, description="The LLM stage's explanation of its first choice.")
    rationale_citations: list[str] = Field(
        default_factory=list, description="Passage ids the rationale cites (only passages it was shown)."
    )

    def csv_row(self) -> dict[str, str]:
        """Flat cells: nested fields as JSON (one line each, so a kill can only cut the last line)."""
        data = self.model_dump(mode="json")
        return {
            key: json.dumps(data[key], ensure_ascii=False)
            if isinstance(data[key], list)
            else ("" if data[key] is None else str(data[key]).replace("\n", " "))
            for key in CSV_COLUMNS
        }


class RowWriter:
    """Appends rows to a JSONL or CSV file (0600), one line per row; see the module doc for resume."""

    def __init__(self, path: Path, fmt: OutputFormat, handle: io.TextIOWrapper, written: set[str]) -> None:
        self.path = path
        self.fmt = fmt
        self._handle = handle
        self.written = written

    @classmethod
    def open(cls, path: Path, fmt: OutputFormat = "jsonl", *, resume: bool = False) -> RowWriter:
        """Open `path` for appending; with `resume`, the ids already there are in `written` (a torn last line
        is removed first). Without `resume`, an existing file is an error: it would be overwritten."""
        path = Path(path)
        if path.exists() and not resume:
            msg = f"{path} exists; pass --resume to continue it, or choose another --out"
            raise FileExistsError(msg)
        written = _repair_and_read(path, fmt) if resume and path.exists() else set()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(path, 0o600)  # also when the file already existed with wider permissions
        handle = io.TextIOWrapper(os.fdopen(fd, "wb", buffering=0), encoding="utf-8", newline="", write_through=True)
        writer = cls(path, fmt, handle, written)
        if fmt == "csv" and not written and path.stat().st_size == 0:
            writer._write_line(_csv_line(dict(zip(CSV_COLUMNS, CSV_COLUMNS, strict=True))))
        return writer

    def write(self, row: DiagnosisRow) -> None:
        line = row.model_dump_json() + "\n" if self.fmt == "jsonl" else _csv_line(row.csv_row())
        self._write_line(line)
        self.written.add(row.id)

    def _write_line(self, line: str) -> None:
        self._handle.write(line)  # one write of the whole line (unbuffered): a kill tears at most this line
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _csv_line(cells: dict[str, str]) -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _repair_and_read(path: Path, fmt: OutputFormat) -> set[str]:
    """Ids of the complete rows in `path`, after cutting a torn (unterminated or unreadable) last line."""
    data = path.read_bytes()
    keep = data[: data.rfind(b"\n") + 1]  # everything up to the last full line
    lines = keep.decode("utf-8").splitlines()
    ids: list[str] = []
    if fmt == "jsonl":
        for line in lines:
            ids.append(json.loads(line)["id"])
    else:
        ids = [row["id"] for row in csv.DictReader(lines)]
    if len(keep) != len(data):
        with path.open("r+b") as handle:
            handle.truncate(len(keep))
    return set(ids)
