"""Deterministic, sentence-aware chunking with stable ids (`<doc_id>#<n>`)."""

from __future__ import annotations

import re

from sentencex import segment

from knowledge.injection import injection_flags
from knowledge.schema import Chunk, SourceDoc
from knowledge.settings import ChunkingSettings

_LINE_BREAKS = re.compile(r"\s*\n\s*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: CJK characters per budget "word" (see `_word_count`).
_CJK_CHARS_PER_WORD = 2


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace-trimmed, empties dropped; a line break always ends a sentence.

    `sentencex` (Wikimedia, MIT) knows common abbreviations ("e.g.", "i.e.", "Dr.") and CJK punctuation, which
    a punctuation regex splits wrongly. Known limits: it still splits after some abbreviations before a number
    ("approx. 3") and after a list number ("1. Rest"). Line breaks end sentences too: answers are often lists.
    """
    sentences: list[str] = []
    for line in _LINE_BREAKS.split(text):
        if line.strip():
            language = "zh" if _CJK.search(line) else "en"  # the zh rules also split Latin text correctly
            sentences += [s.strip() for s in segment(language, line) if s.strip()]
    return sentences


def _word_count(text: str) -> int:
    # CJK text has no spaces: count characters / 2 as a rough "word" budget.
    cjk = len(_CJK.findall(text))
    return len(text.split()) + cjk // _CJK_CHARS_PER_WORD


def _pieces(sentence: str, max_words: int) -> list[str]:
    """`sentence` cut into pieces within the word budget: at spaces, or between characters for CJK text."""
    if _word_count(sentence) <= max_words:
        return [sentence]
    if _CJK.search(sentence):
        # A CJK sentence may have no space to cut at; a piece also counts as one "word", hence max_words - 1.
        step = (max_words - 1) * _CJK_CHARS_PER_WORD
        return [sentence[i : i + step].strip() for i in range(0, len(sentence), step) if sentence[i : i + step].strip()]
    words = sentence.split()
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
            attribution=doc.metadata.get("attribution"),
        )
        for i, text in enumerate(" ".join(group) for group in groups)
    ]
