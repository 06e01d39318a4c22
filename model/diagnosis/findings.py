"""Findings of a patient record as knowledge-graph node ids, present or absent.

- DDXPlus evidence codes map straight to the graph's evidence nodes (`DDXPLUS:E_…`).
- Text (chief complaint, findings, history, free text) is cut into clauses at sentence ends, ";", ":", new
  lines and scope breakers ("but", "however", "although", "except", "reports", "complains of", "c/o",
  "presents with"), and each clause is linked with the knowledge base's entity linker (exact names and
  synonyms: Symptom Ontology, HPO layperson terms, HSDN's MeSH symptoms). Negation works forward, as NegEx
  does: findings after a negation cue ("no", "denies", "without", "negative for", …) up to the end of the
  clause are absent and count against a disease; findings before it are present ("cough and fever, no chest
  pain or chills"). A clause that only raises a possibility ("rule out", "possible", "?") is left out: it is
  neither for nor against. A family-history clause is left out too: a relative's illness is not the patient's.

The rule is deliberately simple and says so: a list after one cue is negated as a whole ("no fever, chills or
cough"), and a finding stated present after a cue in the same clause ("denies pain, has a fever") needs a
scope breaker to read right. Measured by `python -m bench.finding_extraction`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.graph.link import EntityLinker
from model.diagnosis.records import PatientRecord

#: Node types a finding may link to.
FINDING_TYPES = frozenset({"symptom", "phenotype"})
_CLAUSE = re.compile(
    r"[.;:\n!?]+|\b(?:but|however|although|though|except|reports?|complains? of|c/o|presents? with)\b", re.IGNORECASE
)
_NEGATION = re.compile(
    r"\b(?:no|not|denies|denied|denying|without|negative for|absence of|absent|free of|never|none)\b", re.IGNORECASE
)
_UNCERTAIN = re.compile(r"\b(?:rule out|r/o|possible|possibly|suspected|query|\?)", re.IGNORECASE)
_FAMILY = re.compile(r"\b(?:family history|mother|father|sister|brother|aunt|uncle|grand\w+)\b", re.IGNORECASE)


@dataclass
class Findings:
    present: set[str] = field(default_factory=set)
    absent: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.present)


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


def _linked(text: str, linker: EntityLinker) -> set[str]:
    if not text.strip():
        return set()
    return {link.node_id for link in linker.link(text, top=10, fuzzy=False) if link.type in FINDING_TYPES}


def extract_findings(record: PatientRecord, linker: EntityLinker) -> Findings:
    """Present and absent finding node ids of `record` (see the module doc)."""
    found = Findings(present={"DDXPLUS:" + code.split("_@_")[0] for code in record.evidence_codes})
    if record.evidence_codes:
        return found  # a structured DDXPlus record: its evidences are the findings
    texts = [record.chief_complaint or "", *record.findings, *record.history, record.text]
    for text in texts:
        for clause in clauses(text):
            if _UNCERTAIN.search(clause) or _FAMILY.search(clause):
                continue
            cue = _NEGATION.search(clause)
            before, after = (clause[: cue.start()], clause[cue.end() :]) if cue else (clause, "")
            found.present.update(_linked(before, linker))
            found.absent.update(_linked(after, linker))
    found.absent -= found.present  # stated present anywhere wins over a negated mention elsewhere
    return found
