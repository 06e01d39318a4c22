"""The cited answer: a JSON-serialisable result stamped with model, settings and timings."""

from __future__ import annotations

from typing import Literal

from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field

from rag.citations import CitationOrigin, SentenceCheck
from rag.context import BlockTrust
from rag.safety import RedFlag


class Citation(BaseModel):
    """A source the answer cites, by its number in the answer."""

    model_config = ConfigDict(extra="forbid")

    n: int
    id: str
    source: str
    title: str
    url: str | None = None
    licence: str | None = None
    attribution: str | None = Field(default=None, description="Credit line the source's licence asks for.")
    trust: BlockTrust = Field(default="unknown", description="`curated`, `user` (the user's document) or `unknown`.")
    flags: list[str] = Field(default_factory=list, description="Instruction/markup codes found in the passage.")


class ModelInfo(BaseModel):
    """Which generator produced the answer."""

    model_config = ConfigDict(extra="forbid")

    name: str
    adapter: str | None = None


class CitedAnswer(BaseModel):
    """What `ask` returns."""

    model_config = ConfigDict(extra="forbid")

    question: str
    retrieval_query: str
    mode: Literal["extractive", "generative"] = Field(
        default="generative", description="Whether source sentences were quoted or a model wrote the answer."
    )
    lead: str | None = Field(default=None, description="One line restating the question's topic (extractive).")
    answer: str = Field(description="Answer text with [n] markers (or the refusal message).")
    citations: list[Citation] = Field(default_factory=list, description="Sources cited, each retrieved.")
    contexts: list[Document] = Field(
        default_factory=list, description="Sources shown to the model, numbered from 1 in this order."
    )
    sentences: list[SentenceCheck] = Field(default_factory=list)
    citation_origin: CitationOrigin = Field(
        default="none",
        description="`model`: the model cited; `attributed`: post-processing did; `extractive`: each quoted "
        "sentence cites the passage it came from.",
    )
    dropped_citations: list[str] = Field(default_factory=list, description="Cited ids that were not retrieved.")
    refused: bool = False
    refusal_reason: str | None = None
    red_flags: list[RedFlag] = Field(default_factory=list)
    policy_notices: list[str] = Field(
        default_factory=list,
        description="Why part of the answer is general or withheld: personal diagnostic questions, doses.",
    )
    clarifying_question: str | None = None
    notice: str
    model: ModelInfo
    settings_hash: str
    timings_ms: dict[str, float]

    def render_text(self) -> str:
        """Answer, urgent notices, clarifying question, references and the standing notice, as plain text."""
        lines = [f"URGENT: {flag.notice}" for flag in self.red_flags]
        if self.lead:
            lines.append(self.lead)
        lines.append(self.answer)
        lines += self.policy_notices
        if self.clarifying_question:
            lines.append(self.clarifying_question)
        if self.citations:
            lines.append("\nReferences:")
            lines += [
                f"[{c.n}] {c.title} ({c.id}){' ' + c.url if c.url else ''}"
                + (f" — {c.attribution}" if c.attribution else "")
                + (f" — trust: {c.trust}" if c.trust != "curated" else "")
                for c in self.citations
            ]
        lines.append(f"\n{self.notice}")
        return "\n".join(lines)
