"""The policies applied to one answer: what the chain asks of `rag.policies` before and after answering.

Before answering (`screen_question`): a question naming a disease or drug the knowledge base does not know,
and no retrieved passage names, is refused with the unknown term named; a personal diagnostic question is
answered as the general question it contains, with a notice why a clinician must examine the case; a question
about one's own symptoms that asks what to do gets the care notice (who can judge it, and when not to wait); a
question about doses or taking medicines together gets the dose notice.

After answering (`screen_sentences`, over the checked sentences): fragments are never shown; verdicts on the
asker's own case ("Yes, it is melanoma") are never shown; a dose, frequency or "take with" statement is shown
only as a quote of a cited curated passage, else it is withheld and the dose notice added. An answer that
only echoes the question (`is_echo`) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from rag.citations import SentenceCheck
from rag.policies.care import CARE_NOTICE, care_question
from rag.policies.doses import DOSE_NOTICE, dose_statement, is_label_quote
from rag.policies.fragments import is_echo, is_fragment
from rag.policies.personal import PERSONAL_NOTICE, PersonalQuestion, is_verdict, personal_verdict_question
from rag.policies.unknown_terms import unknown_term_message, unknown_terms

# Questions about amounts and combinations: "how much", "what dose", "how often", "can I take X with Y".
_DOSE_QUESTION = re.compile(
    r"\b(?:how (?:much|many|often)|(?:what|which|max(?:imum)?|right|correct|usual|safe) (?:dose|dosage|amount)|"
    r"dos(?:e|age|ing)\b|overdose|(?:take|taking|mix|mixing|combine|combining)\b.{0,40}\b(?:with|and|together)\b)",
    re.IGNORECASE,
)


class Vocabulary(Protocol):
    """What the knowledge base knows by name (`rag.retrieve.HybridSearcher` implements it)."""

    def knows(self, term: str) -> bool:
        """Whether the knowledge graph names this disease or drug."""
        ...

    def unknown_words(self, text: str) -> list[str]:
        """Words of `text` that occur in no passage and match no drug name."""
        ...

    def focus_names(self, text: str) -> list[tuple[str, list[str]]]:
        """`(type, names)` of each disease or drug `text` links to: names normalised, synonyms included."""
        ...

    def entity_ids(self, text: str) -> set[str]:
        """Ids of the diseases and drugs `text` names exactly."""
        ...

    def spelling(self, text: str) -> dict[str, str]:
        """Misspelt disease and drug names of `text` → their corrections (lower case)."""
        ...


class Screening(BaseModel):
    """What the question-level policies decided."""

    model_config = ConfigDict(extra="forbid")

    refusal: str | None = Field(default=None, description="Refusal reason (`unknown_term`), or None to answer.")
    message: str | None = Field(default=None, description="The refusal text, when it says more than the default.")
    personal: PersonalQuestion | None = None
    notices: list[str] = Field(default_factory=list, description="Policy notices to show with the answer.")


def screen_question(question: str, passages: Sequence[str], vocabulary: Vocabulary | None = None) -> Screening:
    """Question-level policies, given the retrieved passages; without a `vocabulary`, only the passages can
    vouch for a term."""
    terms = unknown_terms(
        question, is_known=vocabulary.knows if vocabulary else (lambda _term: False), passages=passages
    )
    if vocabulary is not None:
        # Words no passage of the whole knowledge base contains ("varnex"): a name the term rules missed.
        text = " ".join(passages).lower()
        named = " ".join(terms).lower()
        terms += [w for w in vocabulary.unknown_words(question) if w.lower() not in text and w.lower() not in named]
    if terms:
        return Screening(refusal="unknown_term", message=unknown_term_message(terms))
    personal = personal_verdict_question(question)
    notices = [PERSONAL_NOTICE] if personal else []
    if care_question(question):
        notices.append(CARE_NOTICE)
    if _DOSE_QUESTION.search(question) or dose_statement(question):
        notices.append(DOSE_NOTICE)
    return Screening(personal=personal, notices=notices)


def screen_sentences(
    checks: list[SentenceCheck],
    passages: Sequence[str],
    trust: Sequence[str],
    *,
    personal: bool,
) -> list[str]:
    """Withhold fragments, personal verdicts and unquoted dose statements (in place); the notices they call for."""
    notices: list[str] = []
    for check in checks:
        if check.dropped:
            continue
        if is_fragment(check.text):
            check.issues.append("fragment")
        elif personal and is_verdict(check.text):
            check.issues.append("personal_verdict")
        elif dose_statement(check.text):
            quoted = any(
                is_label_quote(check.text, passages[n - 1]) for n in check.citations if trust[n - 1] == "curated"
            )
            if quoted:
                notices.append(DOSE_NOTICE)  # a quote of the source, with the reminder that the label decides
                continue
            if not any(i.startswith("dose_unconfirmed") for i in check.issues):  # said once is enough
                check.issues.append("dose_not_quoted")
            notices.append(DOSE_NOTICE)
        else:
            continue
        check.dropped, check.supported = True, False
    return list(dict.fromkeys(notices))


def echoes(checks: list[SentenceCheck], question: str) -> bool:
    """Whether the sentences left to show only repeat the question."""
    shown = " ".join(c.text for c in checks if not c.dropped)
    return bool(shown) and is_echo(shown, question)
