"""A differential from the knowledge graph's disease–finding evidence, with the reasons for each candidate.

Score (IDF-weighted overlap, documented so a clinician can check it): for disease d with findings N(d),
the patient's present findings P and absent findings A (both knowledge-graph node ids),

    raw(d)   = Σ_{f ∈ P ∩ N(d)} w(d, f) · idf(f)  −  ABSENT_PENALTY · Σ_{f ∈ A ∩ N(d)} w(d, f) · idf(f)
    score(d) = raw(d) / sqrt(Σ_{f ∈ N(d)} w(d, f) · idf(f))

`idf(f) = ln(1 + D / df(f))` over the D diseases with findings (a finding most diseases share, "fever", says
little); `w(d, f)` is the edge's weight scaled to [0, 1] within the disease (HSDN's co-occurrence TF-IDF) or 1
where the source gives none (DDXPlus definitions, Disease Ontology). Dividing by the square root of the
disease's total evidence keeps diseases with long finding lists from winning on size alone while still
rewarding a fuller match. Each candidate lists the findings that supported and argued against it, with the
source and the fact id of the link. No parameter was tuned on the DDXPlus test patients.

Diseases the record names itself (`Findings.named`: a working diagnosis in the chief complaint or the notes)
come first, in the order the record mentions them, each with its own score as above (0 when it has no
findings in the graph) and the evidence "named in the record"; the scored candidates follow. A rule, not a
weight: nothing to tune.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from model.diagnosis.output import Candidate, Evidence

#: Graph relations that link a disease to a finding.
FINDING_RELATIONS = ("has_symptom", "has_evidence", "has_risk_factor")
#: How much an absent finding of a disease counts against it, relative to a present one for it.
ABSENT_PENALTY = 0.5
#: Candidates returned.
TOP = 5


@dataclass
class Link:
    weight: float
    source: str
    fact_id: str


@dataclass
class Profile:
    kg_id: str
    name: str
    icd10: str | None
    findings: dict[str, Link] = field(default_factory=dict)


def _icd10(attrs: dict[str, Any]) -> str | None:
    for xref in attrs.get("xrefs") or []:
        if str(xref).startswith("ICD10CM:"):
            return str(xref).split(":", 1)[1]
    return None


class KGScorer:
    """Disease profiles built once from the graph; `rank` scores a patient's findings against all of them."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.profiles: dict[str, Profile] = {}
        raw: dict[str, dict[str, tuple[float | None, str, str]]] = {}
        for disease, finding, data in graph.edges(data=True):
            relation = data.get("relation")
            if relation not in FINDING_RELATIONS:
                continue
            source = str((data.get("provenance") or {}).get("source") or "")
            fact_id = f"fact:{disease}:{relation}"
            raw.setdefault(disease, {})[finding] = (data.get("weight"), source, fact_id)
        for disease, links in raw.items():
            attrs = graph.nodes[disease]
            weights = [w for w, _, _ in links.values() if w is not None]
            top = max(weights) if weights else 1.0
            profile = Profile(disease, str(attrs.get("name") or disease), _icd10(attrs))
            for finding, (weight, source, fact_id) in links.items():
                scaled = 1.0 if weight is None or top <= 0 else max(float(weight) / top, 0.05)
                profile.findings[finding] = Link(scaled, source, fact_id)
            self.profiles[disease] = profile
        df: dict[str, int] = {}
        for profile in self.profiles.values():
            for finding in profile.findings:
                df[finding] = df.get(finding, 0) + 1
        n = len(self.profiles)
        self.idf = {finding: math.log(1 + n / count) for finding, count in df.items()}
        self.by_finding: dict[str, list[str]] = {}
        for kg_id, profile in self.profiles.items():
            for finding in profile.findings:
                self.by_finding.setdefault(finding, []).append(kg_id)
        self.norm = {
            kg_id: math.sqrt(sum(link.weight * self.idf[f] for f, link in p.findings.items()))
            for kg_id, p in self.profiles.items()
        }

    def rank(
        self, present: Iterable[str], absent: Iterable[str] = (), *, named: Iterable[str] = (), top: int = TOP
    ) -> list[Candidate]:
        """Diseases the record names (in its order), then the best candidates sharing a present finding."""
        present, absent = set(present), set(absent)
        proposed = [self._candidate(kg_id, present, absent, named=True) for kg_id in dict.fromkeys(named)]
        first = [c for c in proposed if c is not None][:top]
        taken = {c.kg_id for c in first}
        candidates = {kg_id for f in present for kg_id in self.by_finding.get(f, []) if kg_id not in taken}
        scored = [c for kg_id in candidates if (c := self._candidate(kg_id, present, absent)) is not None]
        scored.sort(key=lambda c: (-c.score, c.name))
        return (first + scored)[:top]

    def _candidate(self, kg_id: str, present: set[str], absent: set[str], *, named: bool = False) -> Candidate | None:
        profile = self.profiles.get(kg_id)
        if profile is None:  # a disease with no findings in the graph: only a record naming it proposes it
            if not named or kg_id not in self.graph:
                return None
            attrs = self.graph.nodes[kg_id]
            profile = Profile(kg_id, str(attrs.get("name") or kg_id), _icd10(attrs))
        supporting = [self._evidence(f, profile.findings[f]) for f in present if f in profile.findings]
        against = [self._evidence(f, profile.findings[f]) for f in absent if f in profile.findings]
        raw = sum(e.weight for e in supporting) - ABSENT_PENALTY * sum(e.weight for e in against)
        norm = self.norm.get(kg_id, 0.0)
        score = raw / norm if norm else 0.0
        if named:
            supporting.insert(0, Evidence(finding="named in the record", source="record", fact_id=None, weight=0.0))
        return Candidate(
            name=profile.name,
            icd10=profile.icd10,
            kg_id=kg_id,
            score=round(score, 4),
            supporting=sorted(supporting, key=lambda e: (e.source != "record", -e.weight)),
            against=against,
            citations=sorted({e.fact_id for e in [*supporting, *against] if e.fact_id}),
        )

    def _evidence(self, finding: str, link: Link) -> Evidence:
        name = str(self.graph.nodes[finding].get("name") or finding) if finding in self.graph else finding
        return Evidence(
            finding=name, source=link.source, fact_id=link.fact_id, weight=round(link.weight * self.idf[finding], 4)
        )
