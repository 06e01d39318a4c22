"""Findings of a patient record as knowledge-graph node ids, present or absent.

- DDXPlus evidence codes map straight to the graph's evidence nodes (`DDXPLUS:E_…`).
- Text (chief complaint, findings, history, free text) is cut into clauses (sentence ends, ";", ":", ",", " but ",
  new lines) and each clause is linked with the knowledge base's entity linker (exact names and synonyms:
  Symptom Ontology, HPO layperson terms, HSDN's MeSH symptoms). A clause with a negation cue ("no", "denies",
  "without", "negative for", …) makes its findings absent: they count against a disease. A clause that only
  raises a possibility ("rule out", "possible", "?") is left out: it is neither for nor against. A family-
  history clause is left out too: a relative's illness is not the patient's finding.

The clause rule is deliberately simple and says so: "no fever but cough" is split at "but" and reads right;
"no fever, chills or cough" negates the whole clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.graph.link import EntityLinker
from model.diagnosis.records import PatientRecord

#: Node types a finding may link to.
FINDING_TYPES = frozenset({"symptom", "phenotype"})
_CLAUSE = re.compile(r"[.;:,\n!?]+|\bbut\b|\bhowever\b", re.IGNORECASE)
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
            links = [link.node_id for link in linker.link(clause, top=10, fuzzy=False) if link.type in FINDING_TYPES]
            (found.absent if _NEGATION.search(clause) else found.present).update(links)
    found.absent -= found.present  # stated present anywhere wins over a negated mention elsewhere
    return found
