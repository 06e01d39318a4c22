"""What a question asks about (symptoms, treatment, …), from keyword rules.

The labels are MedQuAD's question types, which also name the sections of its passages, plus the KG
relations that answer each; retrieval uses them to prefer the matching section and fact.
"""

from __future__ import annotations

import re

# (label, pattern, KG fact relations) — first match wins, so specific rules come first.
_RULES: list[tuple[str, str, tuple[str, ...]]] = [
    ("genetic changes", r"\bgen(e|es|etic) (change|mutation|variant)s?\b|\bmutations?\b", ()),
    ("inheritance", r"\binherit|\bhereditary\b|\bpassed down\b|\brun in famil", ()),
    ("symptoms", r"\bsymptom|\bsigns?\b|\bpresent(s|ation)? with\b|\bfeel like\b", ("has_symptom", "has_evidence")),
    ("exams and tests", r"\bdiagnos|\btests?\b|\bexams?\b|\bscreen", ("has_test",)),
    ("treatment", r"\btreat|\btherap|\bmedicat|\bdrugs?\b|\bcure\b|\bmanage", ("treated_with",)),
    ("prevention", r"\bprevent|\bavoid\b|\bvaccin", ()),
    ("causes", r"\bcause|\bwhy do\b|\betiolog", ("has_risk_factor",)),
    ("susceptibility", r"\bat risk\b|\brisk factor|\bwho (gets|is likely)", ("has_risk_factor",)),
    ("frequency", r"\bhow (many|common)\b|\bprevalen|\bincidence|\bfrequen", ()),
    ("outlook", r"\boutlook\b|\bprognos|\bsurviv|\blife expectancy\b", ()),
    ("complications", r"\bcomplication", ()),
    ("stages", r"\bstages?\b|\bstaging\b", ()),
    ("research", r"\bresearch\b|\bclinical trials?\b", ()),
    ("considerations", r"\bwhat to do\b|\bdiet\b|\beat\b|\blifestyle\b", ()),
    ("information", r"\bwhat (is|are)\b|\bdefin|\bmeaning\b|\bexplain\b", ("about",)),
]
_COMPILED = [(label, re.compile(pattern, re.IGNORECASE), rels) for label, pattern, rels in _RULES]


def detect_intent(question: str) -> str | None:
    """The question type, or None when no rule fires."""
    for label, pattern, _ in _COMPILED:
        if pattern.search(question):
            return label
    return None


def intent_relations(intent: str | None) -> tuple[str, ...]:
    """KG fact relations that answer questions of this type."""
    for label, _, relations in _COMPILED:
        if label == intent:
            return relations
    return ()


def section_matches(intent: str | None, section: str | None) -> bool:
    """Whether a passage section answers this question type (`definition` answers `information`)."""
    if intent is None or section is None:
        return False
    if intent == "information":
        return section in {"information", "definition", "description"}
    return section == intent
