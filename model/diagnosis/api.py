"""Python API: `diagnose(records)` and the LangChain tool `diagnose_record`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from knowledge.graph.link import EntityLinker
from knowledge.kb import load_kb_graph
from model.diagnosis.diagnose import Diagnoser
from model.diagnosis.output import DiagnosisRow
from model.diagnosis.records import PatientRecord
from model.diagnosis.scoring import KGScorer
from rag.safety import DISCLAIMER

#: Candidates named in the tool's text (the artifact has the full row).
TOOL_CANDIDATES = 5


def load_diagnoser(kb_dir: Path = Path("~/.cache/clinicalgpt/kb")) -> Diagnoser:
    """The knowledge-graph diagnoser over a built knowledge base (the graph is read and checked once)."""
    graph = load_kb_graph(Path(kb_dir).expanduser())
    return Diagnoser(KGScorer(graph), EntityLinker(graph))


def diagnose(
    records: Iterable[PatientRecord | Mapping[str, Any]], *, diagnoser: Diagnoser | None = None
) -> Iterator[DiagnosisRow]:
    """One row per record (dicts are read as `PatientRecord`s; `source` defaults to "api")."""
    diagnoser = diagnoser or load_diagnoser()
    for record in records:
        if not isinstance(record, PatientRecord):
            record = PatientRecord.model_validate({"source": "api", **record})
        yield diagnoser(record)


def render_row(row: DiagnosisRow) -> str:
    """The row as a short text: candidates with their supporting findings, red flags, the disclaimer."""
    if row.status != "ok":
        return f"No differential ({row.status}): {row.message or 'nothing to score'}. {DISCLAIMER}"
    lines = ["Differential to consider (knowledge-graph evidence; not a diagnosis):"]
    for n, candidate in enumerate(row.differential[:TOOL_CANDIDATES], start=1):
        support = ", ".join(e.finding for e in candidate.supporting[:4]) or "—"
        against = f"; against: {', '.join(e.finding for e in candidate.against[:3])}" if candidate.against else ""
        code = f" ({candidate.icd10})" if candidate.icd10 else ""
        lines.append(f"{n}. {candidate.name}{code} — supported by: {support}{against}")
    if row.red_flags:
        lines.append(f"Red flags: {', '.join(row.red_flags)} — seek emergency care now if this is happening.")
    lines.append(DISCLAIMER)
    return "\n".join(lines)


class DiagnoseRecordInput(BaseModel):
    """Arguments of `diagnose_record`."""

    text: str = Field(description="The patient's record or case description: symptoms, signs, history.")
    age: float | None = Field(default=None, ge=0, le=130, description="Age in years, if known.")
    sex: Literal["male", "female", "other", "unknown"] = Field(default="unknown", description="Sex, if known.")
    findings: list[str] = Field(default_factory=list, description="Findings listed separately, e.g. ['fever'].")


class DiagnoseRecordTool(BaseTool):
    """A ranked differential for one patient record, with the findings behind each candidate."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "diagnose_record"
    description: str = (
        "Suggest a differential diagnosis for one patient record from a medical knowledge graph: candidate "
        "conditions ranked by how well the record's findings match, each with the findings for and against it. "
        "Offline and deterministic; a list of things to consider, never a diagnosis."
    )
    args_schema: type[BaseModel] = DiagnoseRecordInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    diagnoser: Diagnoser = Field(exclude=True)

    def _run(
        self,
        text: str,
        age: float | None = None,
        sex: str = "unknown",
        findings: list[str] | None = None,
        **kwargs: Any,
    ) -> tuple[str, dict[str, Any]]:
        record = PatientRecord(id="record", source="tool", text=text, age=age, sex=sex, findings=findings or [])  # type: ignore[arg-type]
        row = self.diagnoser(record)
        return render_row(row), row.model_dump(mode="json")
