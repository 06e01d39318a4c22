"""The records every evaluation task reads and writes.

Each task family reads one generic item shape (also the documented JSONL format users write their own data
in) and every scored item becomes one `ItemResult` line in the run's `items.jsonl`, with a status: a failure
is a row with a reason, never a silent number.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Family = Literal["exam", "qa", "consultation", "diagnosis", "retrieval"]
Mode = Literal["closed", "rag", "retrieval-only"]
Status = Literal["ok", "parse_error", "refused", "no_context", "timeout", "error"]
STATUSES: tuple[Status, ...] = ("ok", "parse_error", "refused", "no_context", "timeout", "error")


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id within the task (used for resume and for comparing runs).")
    subject: str | None = Field(default=None, description="Subset name for per-subject breakdowns.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Anything else the source provides.")


class MCItem(_Item):
    """Multiple choice: `{id, question, options, answer}`; options map letters to texts."""

    question: str
    options: dict[str, str] = Field(description='Letter → option text, e.g. {"A": "...", "B": "..."}.')
    answer: str = Field(description="The correct letter.")


class QAItem(_Item):
    """Long-form question answering: `{id, question, reference}`."""

    question: str
    reference: str = Field(description="Reference answer written by experts.")
    reference_urls: list[str] = Field(default_factory=list, description="Source pages of the reference answer.")


class ConsultationItem(_Item):
    """Consultation: `{id, dialogue, reference}`: a doctor–patient dialogue and the expected note or reply."""

    dialogue: str
    reference: str
    target: str | None = Field(default=None, description="What to write, e.g. a note section or 'next turn'.")


class DiagnosisItem(_Item):
    """Diagnosis from a record: `{id, record, diagnosis, differential?}`."""

    record: str
    diagnosis: str = Field(description="The gold diagnosis (name, or ICD-10 code when `icd10` is set).")
    icd10: str | None = Field(default=None, description="Gold ICD-10 code, when the source gives one.")
    differential: list[str] = Field(default_factory=list, description="Gold differential, most likely first.")


class RetrievalItem(_Item):
    """Retrieval: `{id, question, relevant_ids | relevant_urls}`."""

    question: str
    relevant_ids: list[str] = Field(default_factory=list, description="Chunk or document ids that answer it.")
    relevant_urls: list[str] = Field(default_factory=list, description="Source pages that answer it.")


Item = MCItem | QAItem | ConsultationItem | DiagnosisItem | RetrievalItem
ITEM_TYPES: dict[Family, type[_Item]] = {
    "exam": MCItem,
    "qa": QAItem,
    "consultation": ConsultationItem,
    "diagnosis": DiagnosisItem,
    "retrieval": RetrievalItem,
}


class ItemResult(BaseModel):
    """One scored item, as written to `items.jsonl` while the run goes."""

    model_config = ConfigDict(extra="forbid")

    id: str
    status: Status
    subject: str | None = None
    prediction: Any = Field(default=None, description="The parsed answer (letter, text, ranked ids, …).")
    raw: str | None = Field(default=None, description="The generator's raw output, when there was one.")
    scores: dict[str, float] = Field(default_factory=dict, description="Per-item metric values (no NaN).")
    error: str | None = Field(default=None, description="Why the status is not `ok`.")
    seconds: float = 0.0
    extras: dict[str, Any] = Field(default_factory=dict, description="Citations, retrieved ids, judge verdicts, …")
