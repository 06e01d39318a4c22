"""The per-record diagnosis function every executor runs: findings → differential → one output row."""

from __future__ import annotations

from typing import TypedDict

from knowledge.graph.link import EntityLinker
from knowledge.schema import json_hash
from model.diagnosis.findings import extract_findings
from model.diagnosis.output import DiagnosisRow
from model.diagnosis.priors import conflict, with_demographics
from model.diagnosis.records import PatientRecord
from model.diagnosis.scoring import ABSENT_PENALTY, TOP, KGScorer
from rag.red_flags import detect_red_flags

#: What `model` says in every row of a knowledge-graph-only run.
KG_MODEL = "kg-idf-v3"
#: Extra candidates scored so that those ruled out by sex or age can be replaced.
SPARE = 10


class _Common(TypedDict):
    """The fields every row of a record carries, whatever its status."""

    id: str
    source: str
    model: str
    settings_hash: str


class Diagnoser:
    """Scorer and linker built once from the graph; `__call__` diagnoses one record."""

    def __init__(self, scorer: KGScorer, linker: EntityLinker, *, top: int = TOP) -> None:
        self.scorer = scorer
        self.linker = linker
        self.top = top
        self.settings_hash = json_hash({"model": KG_MODEL, "top": top, "absent_penalty": ABSENT_PENALTY})

    def __call__(self, record: PatientRecord) -> DiagnosisRow:
        record = with_demographics(record)
        findings = extract_findings(record, self.linker)
        text = " ".join([record.chief_complaint or "", *record.findings, record.text])
        common: _Common = {
            "id": record.id,
            "source": record.source,
            "model": KG_MODEL,
            "settings_hash": self.settings_hash,
        }
        flags = [flag.id for flag in detect_red_flags(text)]
        if not findings:
            message = (
                "no finding or diagnosis in the record links to the knowledge graph (symptoms, signs, diseases, "
                "DDXPlus evidences)"
            )
            return DiagnosisRow(status="no_findings", message=message, red_flags=flags, **common)
        # Ranked beyond `top`, so that dropping candidates the patient's sex or age rules out still leaves `top`.
        ranked = self.scorer.rank(findings.present, findings.absent, named=findings.named, top=self.top + SPARE)
        differential = [c for c in ranked if conflict(c.icd10, record.sex, record.age) is None][: self.top]
        return DiagnosisRow(status="ok", differential=differential, red_flags=flags, **common)
