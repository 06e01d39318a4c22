"""Safety policies over question and answer text: pure functions the answer chain applies.

- `personal`: questions asking for a verdict on the asker's own case, and verdict sentences to drop.
- `unknown_terms`: disease- and drug-like names the knowledge base does not know.
- `fragments`: answers that echo the question, and sentences that are broken pieces.
- `spelling`: questions read with misspelt disease and drug names corrected, and the notice saying so.
- `care`: questions about one's own symptoms that ask what to do, and the notice on who can judge them.
- `doses`: dose, frequency and co-administration statements, kept only as quotes of a drug label.
"""

from rag.policies.care import CARE_NOTICE, care_question
from rag.policies.doses import DOSE_NOTICE, dose_statement, is_label_quote
from rag.policies.fragments import is_echo, is_fragment
from rag.policies.personal import (
    PERSONAL_NOTICE,
    PersonalKind,
    PersonalQuestion,
    is_verdict,
    personal_verdict_question,
    strip_verdicts,
)
from rag.policies.spelling import respell, spelling_notice
from rag.policies.unknown_terms import candidate_terms, normalize_term, unknown_term_message, unknown_terms

__all__ = [
    "CARE_NOTICE",
    "DOSE_NOTICE",
    "PERSONAL_NOTICE",
    "PersonalKind",
    "PersonalQuestion",
    "candidate_terms",
    "care_question",
    "dose_statement",
    "is_echo",
    "is_fragment",
    "is_label_quote",
    "is_verdict",
    "normalize_term",
    "personal_verdict_question",
    "respell",
    "spelling_notice",
    "strip_verdicts",
    "unknown_term_message",
    "unknown_terms",
]
