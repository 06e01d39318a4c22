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

from knowledge.graph.link import EntityLink, EntityLinker
from model.diagnosis.records import PatientRecord

#: Node types a finding may link to.
FINDING_TYPES = frozenset({"symptom", "phenotype"})
#: Node types a diagnosis named in the record may link to.
DISEASE_TYPES = frozenset({"disease"})
_CLAUSE = re.compile(
    r"[.;:\n!?]+|\b(?:but|however|although|though|except|reports?|complains? of|c/o|presents? with)\b", re.IGNORECASE
)
_NEGATION = re.compile(
    r"\b(?:no|not|denies|denied|denying|without|negative for|absence of|absent|free of|never|none)\b", re.IGNORECASE
)
_UNCERTAIN = re.compile(r"\b(?:rule out|r/o|possible|possibly|suspected|query|\?)", re.IGNORECASE)
_POST_NEGATION = re.compile(r"([^,;]*?)\s*(?:\(\s*-\s*\)|\bnegative\b(?!\s+for))", re.IGNORECASE)
_PAST = re.compile(r"\b(?:history|previous(?:ly)?|prior|past|h/o|years? ago|since childhood)\b", re.IGNORECASE)
_FAMILY = re.compile(r"\b(?:family history|mother|father|sister|brother|aunt|uncle|grand\w+)\b", re.IGNORECASE)


@dataclass
class Findings:
    present: set[str] = field(default_factory=set)
    absent: set[str] = field(default_factory=set)
    named: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.present or self.named)


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


def _linked(text: str, linker: EntityLinker) -> list[EntityLink]:
    return linker.link(text, top=10, fuzzy=False) if text.strip() else []


def _ids(links: list[EntityLink], types: frozenset[str] = FINDING_TYPES) -> list[str]:
    return list(dict.fromkeys(link.node_id for link in links if link.type in types))


def _post_negated(clause: str) -> tuple[str, list[str]]:
    """The clause without its "X (-)" / "X negative" segments, and those segments."""
    segments = [m.group(1) for m in _POST_NEGATION.finditer(clause) if m.group(1).strip()]
    return _POST_NEGATION.sub(" ", clause), segments


def extract_findings(record: PatientRecord, linker: EntityLinker) -> Findings:
    """Present and absent finding node ids of `record` (see the module doc)."""
    found = Findings(present={"DDXPLUS:" + code.split("_@_")[0] for code in record.evidence_codes})
    if record.evidence_codes:
        return found  # a structured DDXPlus record: its evidences are the findings
    texts = [record.chief_complaint or "", *record.findings, *record.history, record.text]
    named: dict[str, None] = {}
    for text in texts:
        for clause in clauses(text):
            if _FAMILY.search(clause):
                continue
            clause, negated = _post_negated(clause)
            cue = _NEGATION.search(clause)
            before, after = (clause[: cue.start()], clause[cue.end() :]) if cue else (clause, "")
            linked = _linked(before, linker)  # one linker pass serves the named diseases and the findings
            if not _PAST.search(before):
                named.update(dict.fromkeys(_ids(linked, DISEASE_TYPES)))
            if _UNCERTAIN.search(clause):
                continue  # a possibility raised: a working diagnosis, but its findings are neither for nor against
            found.present.update(_ids(linked))
            found.absent.update(_ids(_linked(after, linker)))
            for segment in negated:
                found.absent.update(_ids(_linked(segment, linker)))
    found.absent -= found.present  # stated present anywhere wins over a negated mention elsewhere
    found.named = list(named)
    return found
