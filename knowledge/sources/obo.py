"""A small reader for OBO 1.2 ontology files (Disease Ontology, Symptom Ontology)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.sources.base import LoadReport

_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*(\w+)?')


@dataclass
class OboTerm:
    """One `[Term]` stanza."""

    id: str
    name: str = ""
    definition: str | None = None
    synonyms: list[tuple[str, str]] = field(default_factory=list)  # (text, scope)
    xrefs: list[str] = field(default_factory=list)
    is_a: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)
    obsolete: bool = False
    line: int = 0


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\:", ":").replace("\\n", " ")


def read_obo(path: Path, report: LoadReport) -> Iterator[OboTerm]:
    """Yield the terms of an OBO file; stanzas without id or name are counted as malformed."""
    term: OboTerm | None = None
    with path.open(encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n")
            if line.startswith("["):
                if term is not None:
                    yield from _finish(term, path, report)
                term = OboTerm(id="", line=lineno) if line == "[Term]" else None
                continue
            if term is None or ":" not in line:
                continue
            tag, _, value = line.partition(":")
            value = value.strip()
            if tag == "id":
                term.id = value
            elif tag == "name":
                term.name = value
            elif tag == "def":
                match = _QUOTED.match(value)
                term.definition = _unescape(match.group(1)) if match else None
            elif tag == "synonym":
                match = _QUOTED.match(value)
                if match:
                    term.synonyms.append((_unescape(match.group(1)).strip(), match.group(2) or "RELATED"))
            elif tag == "xref":
                term.xrefs.append(value.split(" ")[0])
            elif tag == "is_a":
                term.is_a.append(value.split("!")[0].strip())
            elif tag == "alt_id":
                term.alt_ids.append(value)
            elif tag == "is_obsolete" and value == "true":
                term.obsolete = True
    if term is not None:
        yield from _finish(term, path, report)


def _finish(term: OboTerm, path: Path, report: LoadReport) -> Iterator[OboTerm]:
    if not term.id or not term.name:
        report.bad(path.name, term.line, "OBO term without id or name")
        return
    report.records += 1
    if not term.obsolete:
        yield term
