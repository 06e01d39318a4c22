"""Budget-aware packing of retrieved documents into the numbered sources the model sees and cites as `[n]`.

A source is the retrieved `Document` itself (its number is its position, from 1): the knowledge layer's
chunk record in `metadata`, read through the declared keys below. Documents from any `BaseRetriever` are
accepted; packing fills in the two keys the safety checks rely on, so nothing downstream guesses:

- `trust`: `curated` (public source), `user` (the user's documents) or `unknown` (a document from a
  retriever that does not say: it supports ordinary sentences but cannot confirm a dose, see `rag.doses`);
- `flags`: the instruction/markup codes of `knowledge.injection`, stored at build time merged with a fresh
  inspection of the passage, so documents from any retriever (and older builds) are inspected too.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.documents import Document

from knowledge.injection import injection_flags

BlockTrust = Literal["curated", "user", "unknown"]

#: Metadata keys of a source that the chain, prompts and citations read (`knowledge.schema.Chunk.metadata`).
CHUNK_ID, TITLE, SECTION, SOURCE, URL, LICENCE = "chunk_id", "title", "section", "source", "url", "licence"
TRUST, FLAGS, ATTRIBUTION = "trust", "flags", "attribution"


def block_trust(meta: dict[str, Any]) -> BlockTrust:
    """Trust of a retrieved document from its metadata (`unknown` unless the retriever states it)."""
    trust = meta.get(TRUST)
    if trust in ("curated", "user"):
        return trust
    if meta.get(SOURCE) == "user":
        return "user"
    return "unknown"


def block_flags(meta: dict[str, Any], text: str, title: str) -> list[str]:
    """Flags stored with the chunk merged with a fresh inspection of its text and title."""
    stored = meta.get(FLAGS)
    known = [str(f) for f in stored] if isinstance(stored, (list, tuple)) else []
    return sorted(set(known) | set(injection_flags(text, title)))


def source_title(doc: Document) -> str:
    """Title of a source (its id when the retriever gave none)."""
    return str(doc.metadata.get(TITLE) or doc.id)


def source_trust(doc: Document) -> BlockTrust:
    """`trust` of a packed source."""
    return block_trust(doc.metadata)


def source_flags(doc: Document) -> list[str]:
    """`flags` of a packed source."""
    return [str(f) for f in doc.metadata.get(FLAGS) or []]


def approx_tokens(text: str) -> int:
    """Rough token count (≈ 1.3 per English word, 1 per CJK character): budgets need no tokenizer."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return int(len(text.split()) * 1.3) + cjk


def pack_contexts(
    docs: list[Document], budget_tokens: int, *, max_blocks: int = 8, min_block_tokens: int = 40
) -> list[Document]:
    """Copies of the documents in rank order, de-duplicated by id and text, until the token budget is spent.

    Each copy has an id (the retriever's, else `chunk_id`, else `doc<n>`), `trust` and merged `flags` in its
    metadata. The last one that does not fit whole is cut at a word boundary if at least `min_block_tokens`
    remain.
    """
    sources: list[Document] = []
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    left = budget_tokens
    for doc in docs:
        meta = dict(doc.metadata)
        doc_id = str(doc.id or meta.get(CHUNK_ID) or f"doc{len(sources) + 1}")
        key = " ".join(doc.page_content.split()).lower()
        if doc_id in seen_ids or key in seen_text or not key:
            continue
        text = doc.page_content.strip()
        meta[FLAGS] = block_flags(meta, text, str(meta.get(TITLE) or doc_id))  # the whole passage, before any cut
        meta[TRUST] = block_trust(meta)
        cost = approx_tokens(text) + 12  # header line
        if cost > left:
            if left < min_block_tokens:
                break
            words = text.split()
            text = " ".join(words[: max(1, int((left - 12) / 1.3))]) + " …"
            cost = left
        seen_ids.add(doc_id)
        seen_text.add(key)
        sources.append(Document(id=doc_id, page_content=text, metadata=meta))
        left -= cost
        if len(sources) >= max_blocks or left <= 0:
            break
    return sources
