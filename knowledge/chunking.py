"""Deterministic, sentence-aware chunking with stable ids (`<doc_id>#<n>`)."""

from __future__ import annotations

import re

from knowledge.injection import injection_flags
from knowledge.schema import Chunk, SourceDoc
from knowledge.settings import ChunkingSettings

# Split after sentence punctuation (English and Chinese) followed by space, or after CJK punctuation.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace-trimmed, empties dropped."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _word_count(text: str) -> int:
    # CJK text has no spaces: count characters / 2 as a rough "word" budget.
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len(text.split()) + cjk // 2


def _pieces(sentence: str, max_words: int) -> list[str]:
    words = sentence.split()
    if len(words) <= max_words:
        return [sentence]
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]


def chunk_document(doc: SourceDoc, settings: ChunkingSettings) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_words`, repeating ~`overlap_words` between them.

    Same document and settings always give the same chunks and ids, so citations survive rebuilds. Each
    chunk is inspected for instruction-like text and markup (`knowledge.injection`); its `flags` hold the codes.
    """
    sentences = [p for s in split_sentences(doc.text) for p in _pieces(s, settings.max_words)]
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        n = _word_count(sentence)
        if current and size + n > settings.max_words:
            groups.append(current)
            overlap: list[str] = []
            carried = 0
            for prev in reversed(current):
                carried += _word_count(prev)
                if carried > settings.overlap_words:
                    break
                overlap.insert(0, prev)
            current, size = overlap, sum(_word_count(s) for s in overlap)
        current.append(sentence)
        size += n
    if current:
        groups.append(current)
    prov = doc.provenance
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{i}",
            doc_id=doc.doc_id,
            title=doc.title,
            section=doc.section,
            text=text,
            chunk_index=i,
            source=prov.source,
            native_id=prov.native_id,
            url=prov.url,
            licence=prov.licence,
            entities=list(doc.entities),
            flags=injection_flags(text, doc.title),
        )
        for i, text in enumerate(" ".join(group) for group in groups)
    ]
