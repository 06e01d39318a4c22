"""A patient record as batch diagnosis reads it, and the row a record that cannot be read becomes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Sex = Literal["male", "female", "other", "unknown"]


class PatientRecord(BaseModel):
    """One patient, whatever file it came from (`model.diagnosis.readers`)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="The record id (the output row's `id`).")
    source: str = Field(description="Where it was read: `file:line` (or the file, for one record per file).")
    age: float | None = Field(default=None, ge=0, le=130, description="Age in years.")
    sex: Sex = "unknown"
    chief_complaint: str | None = None
    findings: list[str] = Field(default_factory=list, description="Stated findings, one per item.")
    history: list[str] = Field(default_factory=list, description="History, risk factors, known conditions.")
    text: str = Field(default="", description="Free text (a note, a vignette) for finding extraction.")
    evidence_codes: list[str] = Field(default_factory=list, description="DDXPlus evidence codes, when given.")

    def has_content(self) -> bool:
        """Whether there is anything to extract findings from."""
        return bool(self.findings or self.history or self.chief_complaint or self.text.strip())


class RecordError(BaseModel):
    """A record that could not be read: it still becomes exactly one output row, with status `error`."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The record's id when it could be read, else `file:line`.")
    source: str
    message: str = Field(description="What is wrong, naming the file, line and field, and the fix.")
    status: Literal["error"] = "error"
