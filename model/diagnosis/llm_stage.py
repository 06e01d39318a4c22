"""The optional LLM stage of batch diagnosis (`clinicalgpt diagnose --llm GENERATOR`).

The knowledge-graph differential stays the backbone: the model only re-orders its top candidates and writes a
short rationale. For each of the first `top` candidates the knowledge base's hybrid search finds one passage
about that disease; the model sees the patient's findings (present and absent, as the extractor read them),
the candidates each with its numbered passage, and is asked for a ranking line ("Ranking: 2, 1, 3") and one
or two sentences citing the passages by number. What it says is parsed, never trusted blindly:

- a ranking that names no valid candidate leaves the graph's order (`llm_status: parse_error`);
- candidates it leaves out keep their graph order after the ones it ranked;
- citations are kept only when they name a passage it was shown (the rationale's `[n]` become passage ids);
- a model error leaves the graph's row as it was (`llm_status: error`, the message says why): the record
  keeps its `ok` row, nothing is lost.

Privacy: the prompt holds the record's findings, not its text; with an `openai:` endpoint they leave this
machine, so point it at a server you run. Nothing of the record is logged above DEBUG.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.retrievers import BaseRetriever

from model.diagnosis.diagnose import KG_MODEL, Diagnoser
from model.diagnosis.output import Candidate, DiagnosisRow
from model.diagnosis.priors import with_demographics
from model.diagnosis.records import PatientRecord

logger = logging.getLogger(__name__)

#: Candidates the model re-orders (the rest of the differential keeps the graph's order after them).
TOP = 5
#: Characters of each candidate's passage shown to the model.
PASSAGE_CHARS = 500
SYSTEM = (
    "You are a careful clinical reasoning assistant. Use only the patient's findings and the numbered sources. "
    "This is a list of possibilities for a clinician to consider, not a diagnosis."
)
_RANKING = re.compile(r"ranking\s*:\s*([0-9][0-9,\s>]*)", re.IGNORECASE)
_CITATION = re.compile(r"\[(\d+)\]")


def _patient_line(record: PatientRecord, row: DiagnosisRow) -> str:
    who = []
    if record.age is not None:
        who.append(f"{record.age:g}-year-old")
    if record.sex in ("male", "female"):
        who.append(record.sex)
    present = sorted({e.finding for c in row.differential for e in c.supporting if e.source != "record"})
    named = [c.name for c in row.differential if any(e.source == "record" for e in c.supporting)]
    absent = sorted({e.finding for c in row.differential for e in c.against})
    lines = [f"Patient: {' '.join(who) or 'age and sex not given'}."]
    lines.append(f"Findings present: {', '.join(present) or 'none linked'}.")
    if absent:
        lines.append(f"Findings absent: {', '.join(absent)}.")
    if named:
        lines.append(f"Diagnoses the record itself names: {', '.join(named)}.")
    return "\n".join(lines)


def build_prompt(record: PatientRecord, row: DiagnosisRow, passages: list[Document | None]) -> list[Any]:
    """The messages for one record: findings, candidates with their passages, the answer format."""
    blocks = []
    for n, (candidate, passage) in enumerate(zip(row.differential, passages, strict=True), start=1):
        text = " ".join(passage.page_content.split())[:PASSAGE_CHARS] if passage else "(no passage found)"
        blocks.append(f"[{n}] {candidate.name}\nSource [{n}]: {text}")
    n = len(blocks)
    user = (
        f"{_patient_line(record, row)}\n\nCandidate diagnoses:\n" + "\n\n".join(blocks) + "\n\n"
        f"Rank the {n} candidates from most to least likely for this patient. Reply with one line "
        "'Ranking:' followed by the candidate numbers separated by commas, most likely first, "
        "then one or two sentences explaining the first choice, citing sources like [1]."
    )
    return [SystemMessage(SYSTEM), HumanMessage(user)]


def parse_ranking(text: str, n: int) -> list[int] | None:
    """Candidate numbers (1-based) in the model's order, valid and without repeats; None when there are none."""
    match = _RANKING.search(text)
    if not match:
        return None
    order: list[int] = []
    for token in re.findall(r"\d+", match.group(1)):
        number = int(token)
        if 1 <= number <= n and number not in order:
            order.append(number)
    return order or None


def rationale_of(text: str) -> str:
    """What follows the ranking line, trimmed (the model's explanation)."""
    match = _RANKING.search(text)
    rest = text[match.end() :] if match else text
    return " ".join(rest.split()).strip(" .-") + ("." if rest.strip() else "")


class LLMStageDiagnoser:
    """The graph's `Diagnoser`, then a chat model re-ranking its top candidates with a cited rationale."""

    def __init__(
        self, base: Diagnoser, llm: BaseChatModel, retriever: BaseRetriever, *, name: str, top: int = TOP
    ) -> None:
        self.base = base
        self.llm = llm
        self.retriever = retriever
        self.top = top
        self.model = f"{KG_MODEL}+llm:{name}"

    def _passage(self, candidate: Candidate) -> Document | None:
        documents = self.retriever.invoke(candidate.name)
        return documents[0] if documents else None

    def __call__(self, record: PatientRecord) -> DiagnosisRow:
        record = with_demographics(record)  # the prompt states the age and sex the graph stage read
        row = self.base(record)
        row = row.model_copy(update={"model": self.model})
        if row.status != "ok":
            return row
        head, tail = row.differential[: self.top], row.differential[self.top :]
        try:
            passages = [self._passage(c) for c in head]
            reply = self.llm.invoke(build_prompt(record, row.model_copy(update={"differential": head}), passages))
            text = str(reply.content)
        except Exception as exc:  # the graph's row stands; the message says what failed
            logger.debug("LLM stage failed for %s", record.id, exc_info=True)
            note = f"LLM stage failed ({exc.__class__.__name__}: {exc}); graph order kept"
            return row.model_copy(update={"llm_status": "error", "message": note})
        ids = [p.id if p else None for p in passages]
        head = [
            c.model_copy(update={"citations": [*c.citations, pid]}) if pid else c
            for c, pid in zip(head, ids, strict=True)
        ]
        order = parse_ranking(text, len(head))
        if order:
            head = [head[i - 1] for i in order] + [c for i, c in enumerate(head, start=1) if i not in order]
        rationale = rationale_of(text)
        cited = sorted({int(n) for n in _CITATION.findall(rationale) if 1 <= int(n) <= len(ids)})
        return row.model_copy(
            update={
                "differential": head + tail,
                "llm_status": "reranked" if order else "parse_error",
                "rationale": rationale or None,
                "rationale_citations": [ids[n - 1] for n in cited if ids[n - 1]],
            }
        )
