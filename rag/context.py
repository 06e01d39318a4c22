"""Budget-aware packing of retrieved documents into numbered, id-labelled context blocks.

Each block carries how far it can be trusted: `trust` (`curated` public source, `user` document, or
`unknown` for a document from a retriever that does not say) and `flags`, the instruction/markup codes of
`knowledge.injection`. Flags stored at build time are merged with a fresh inspection of the passage, so
documents from any retriever (and knowledge bases built before flags existed) are inspected too.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field

from knowledge.injection import injection_flags

BlockTrust = Literal["curated", "user", "unknown"]


class ContextBlock(BaseModel):
    """One numbered passage shown to the model and cited back as `[n]`."""

    model_config = ConfigDict(extra="forbid")

    n: int
    id: str
    title: str
    section: str | None = None
    text: str
    source: str
    url: str | None = None
    licence: str | None = None
    score: float | None = None
    trust: BlockTrust = Field(
        default="unknown", description="`curated`, `user`, or `unknown` when the retriever does not say."
    )
    flags: list[str] = Field(default_factory=list, description="Instruction/markup codes found in the passage.")


def block_trust(meta: dict[str, Any]) -> BlockTrust:
    """Trust of a retrieved document from its metadata.

    Our retriever states it (`trust`). A document from another retriever is `unknown`, not `curated`:
    nothing vouches for it, so it supports ordinary sentences but cannot confirm a dose (see `rag.doses`).
    """
    trust = meta.get("trust")
    if trust in ("curated", "user"):
        return trust  # type: ignore[no-any-return]  # narrowed by the membership test
    if meta.get("source") == "user":
        return "user"
    return "unknown"


def block_flags(meta: dict[str, Any], text: str, title: str) -> list[str]:
    """Flags stored with the chunk merged with a fresh inspection of its text and title."""
    stored = meta.get("flags")
    known = [str(f) for f in stored] if isinstance(stored, (list, tuple)) else []
    return sorted(set(known) | set(injection_flags(text, title)))


def approx_tokens(text: str) -> int:
    """Rough token count (≈ 1.3 per English word, 1 per CJK character): budgets need no tokenizer."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return int(len(text.split()) * 1.3) + cjk


def pack_contexts(
    docs: list[Document], budget_tokens: int, *, max_blocks: int = 8, min_block_tokens: int = 40
) -> list[ContextBlock]:
    """Number documents in rank order, de-duplicated by id and text, until the token budget is spent.

    The last block that does not fit whole is cut at a word boundary if at least `min_block_tokens` remain.
    """
    blocks: list[ContextBlock] = []
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    left = budget_tokens
    for doc in docs:
        meta = doc.metadata
        doc_id = str(doc.id or meta.get("chunk_id") or f"doc{len(blocks) + 1}")
        key = " ".join(doc.page_content.split()).lower()
        if doc_id in seen_ids or key in seen_text or not key:
            continue
        text = doc.page_content.strip()
        title = str(meta.get("title") or doc_id)
        flags = block_flags(meta, text, title)  # the whole passage, before any cut
        cost = approx_tokens(text) + 12  # header line
        if cost > left:
            if left < min_block_tokens:
                break
            words = text.split()
            text = " ".join(words[: max(1, int((left - 12) / 1.3))]) + " …"
            cost = left
        seen_ids.add(doc_id)
        seen_text.add(key)
        blocks.append(
            ContextBlock(
                n=len(blocks) + 1,
                id=doc_id,
                title=title,
                section=meta.get("section"),
                text=text,
                source=str(meta.get("source") or "unknown"),
                url=meta.get("url"),
                licence=meta.get("licence"),
                score=meta.get("score"),
                trust=block_trust(meta),
                flags=flags,
            )
        )
        left -= cost
        if len(blocks) >= max_blocks or left <= 0:
            break
    return blocks
