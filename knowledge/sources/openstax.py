"""OpenStax textbooks *Anatomy and Physiology 2e* and *Microbiology* as section-sized documents (CC BY 4.0).

Each book is a checkout of `openstax/osbooks-*`: `collections/<slug>.collection.xml` gives the reading order
(`<col:subcollection>`s are units and chapters), `modules/<mNNNNN>/index.cnxml` holds one page (CNXML).

One `SourceDoc` per `<section>`, holding the section's own prose: paragraphs, list items, feature boxes,
figure captions, simple tables and math as plain text. A nested section is a document of its own and its
parent keeps only the text outside it, so no sentence is indexed twice and a long page does not become one
huge document. The text before a page's first section (its "lead") and the page's glossary are documents too.
Exercises, review questions, learning objectives, "check your understanding" questions, links to videos,
references, footnotes and the preface are dropped: they are questions or pointers rather than knowledge, and
review questions would leak answers into exam-style evaluations.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from knowledge.errors import SourceFormatError
from knowledge.schema import Provenance, SourceDoc
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, require_file
from knowledge.sources.cnxml import MD, SAFE_ID, Page, parse_xml, read_page

logger = logging.getLogger(__name__)

LICENCE = "CC BY 4.0"
_COL = "{http://cnx.rice.edu/collxml}"


class OpenStaxBook(BaseModel):
    """Where one book lives and how it is named and cited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="Source name in `--sources`, e.g. `openstax_microbiology`.")
    id_prefix: str = Field(description="Doc id prefix, e.g. `openstax_micro`.")
    folder: str = Field(description="Folder under the data dir, e.g. `en/openstax_microbiology`.")
    slug: str = Field(description="openstax.org slug, which also names the collection file.")
    title: str = Field(description="Book title as OpenStax publishes it; the first part of every doc title.")

    @property
    def details_url(self) -> str:
        """The book's landing page."""
        return f"https://openstax.org/details/books/{self.slug}"


ANATOMY_PHYSIOLOGY = OpenStaxBook(
    source="openstax_anatomy_physiology",
    id_prefix="openstax_ap",
    folder="en/openstax_anatomy_physiology",
    slug="anatomy-and-physiology-2e",
    title="Anatomy and Physiology 2e",
)
MICROBIOLOGY = OpenStaxBook(
    source="openstax_microbiology",
    id_prefix="openstax_micro",
    folder="en/openstax_microbiology",
    slug="microbiology",
    title="Microbiology",
)


# Section classes of questions, objectives and bibliographies (all that occur in the two books).
class _Entry(NamedTuple):
    """A page as the collection lists it: its id and the chapter it sits in."""

    module: str
    chapter_number: int | None
    chapter: str | None


def read_collection(path: Path) -> tuple[str, list[_Entry]]:
    """Book title and pages in reading order; a subcollection holding pages is a chapter, numbered in order."""
    try:
        root = parse_xml(path.read_bytes())
    except ET.ParseError as exc:
        msg = f"{path}: invalid collection XML ({exc}); restore the file from the book's repository"
        raise SourceFormatError(msg) from exc
    entries: list[_Entry] = []
    chapters = 0

    def walk(content: ET.Element, number: int | None, chapter: str | None) -> None:
        nonlocal chapters
        for child in content:
            if child.tag == f"{_COL}module":
                entries.append(_Entry(child.get("document") or "", number, chapter))
            elif child.tag == f"{_COL}subcollection":
                inner = child.find(f"{_COL}content")
                if inner is None:
                    continue
                if any(c.tag == f"{_COL}module" for c in inner):
                    chapters += 1
                    walk(inner, chapters, clean_text(child.findtext(f"{MD}title") or f"Chapter {chapters}"))
                else:  # a unit: its chapters are numbered on through the book
                    walk(inner, number, chapter)

    content = root.find(f"{_COL}content")
    if content is None:
        msg = f"{path}: no <col:content> in the collection; restore the file from the book's repository"
        raise SourceFormatError(msg)
    walk(content, None, None)
    return clean_text(root.findtext(f"{_COL}metadata/{MD}title") or ""), entries


def page_slug(label: str, title: str) -> str:
    """openstax.org page slug: `1-1` + "Overview of Anatomy…" → `1-1-overview-of-anatomy…`."""
    words = re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", title.lower())).strip("-")
    return f"{label}-{words}" if label else words


class OpenStaxRead(BaseModel):
    """A loaded book and what was left out of it, by kind (for reports)."""

    model_config = ConfigDict(extra="forbid")

    bundle: SourceBundle
    dropped: dict[str, int] = Field(description="Dropped sections (`section:<class>`), notes, exercises, pages.")
    modules: int = Field(description="Pages read.")


def read_openstax(book: OpenStaxBook, data_dir: Path | None) -> OpenStaxRead:
    """Load one book; a page that is missing or malformed is counted in the report and skipped."""
    collection = require_file(data_dir, f"{book.folder}/collections/{book.slug}.collection.xml", book.source)
    base = collection.parent.parent
    report = LoadReport(source=book.source, files=[str(collection), str(base / "modules")])
    _, entries = read_collection(collection)
    dropped: Counter[str] = Counter()
    pages: list[tuple[_Entry, Page | None]] = []
    seen: set[str] = set()
    for entry in entries:
        rel = f"{book.folder}/modules/{entry.module}/index.cnxml"  # as `Provenance.file`: relative to the data dir
        if not SAFE_ID.fullmatch(entry.module) or entry.module in seen:
            report.bad(collection.name, None, f"module id {entry.module!r} is empty, unsafe or listed twice; ignored")
            continue
        seen.add(entry.module)
        path = base / "modules" / entry.module / "index.cnxml"
        page = None  # a page left out still holds its number, so later pages keep theirs
        if not path.is_file():
            report.skip(
                rel, None, "listed in the collection but missing on disk; restore it from the book's repository"
            )
        else:
            try:
                page = read_page(parse_xml(path.read_bytes()), dropped)
                report.records += 1
            except ET.ParseError as exc:
                line = exc.position[0] if getattr(exc, "position", None) else None
                report.bad(rel, line, f"invalid CNXML: {exc}")
            except OSError as exc:
                report.skip(rel, None, f"unreadable: {exc.strerror or exc}")
        pages.append((entry, page))
    docs = _documents(book, pages, dropped)
    logger.info("%s: %d pages, %d docs; dropped %s", book.source, report.records, len(docs), dict(dropped))
    return OpenStaxRead(bundle=SourceBundle(docs=docs, report=report), dropped=dict(dropped), modules=report.records)


def _places(book: OpenStaxBook, pages: list[tuple[_Entry, Page | None]]) -> list[tuple[str, str]]:
    """Each page's openstax.org label (`3`, `3-2`, `a`) and heading (`3.2 Title`), numbered as the book is.

    A page left out (missing, malformed) still takes its number, so the pages after it keep theirs; it counts
    as its chapter's introduction when it comes first, as every chapter of both books opens with one.
    """
    seen: Counter[int] = Counter()
    numbered: Counter[int] = Counter()
    appendices = 0
    places = []
    for entry, page in pages:
        title = page.title if page else ""
        number = entry.chapter_number
        if number is not None:
            first = not seen[number]
            seen[number] += 1
            if (page.cls == "introduction") if page else first:
                places.append((str(number), title))
                continue
            numbered[number] += 1
            places.append((f"{number}-{numbered[number]}", f"{number}.{numbered[number]} {title}"))
        elif page is not None and page.cls == "appendix":
            letter = "abcdefghijklmnopqrstuvwxyz"[appendices % 26]
            appendices += 1
            places.append((letter, f"Appendix {letter.upper()}: {title}"))
        else:
            places.append(("", title))
    return places


def _documents(book: OpenStaxBook, pages: list[tuple[_Entry, Page | None]], dropped: Counter[str]) -> list[SourceDoc]:
    """Documents with their place in the book: numbered chapter and page, title path, page URL, attribution."""
    docs: list[SourceDoc] = []
    for (entry, page), (label, head) in zip(pages, _places(book, pages), strict=True):
        if page is None:
            continue
        if page.cls == "preface":
            dropped["page:preface"] += 1
            continue
        url = f"https://openstax.org/books/{book.slug}/pages/{page_slug(label, page.title)}" if label else None
        url = url or book.details_url
        chapter = f"{entry.chapter_number} {entry.chapter}" if entry.chapter_number is not None else None
        rel = (Path(book.folder) / "modules" / entry.module / "index.cnxml").as_posix()
        for part in page.parts:
            path = [book.title, *([chapter] if chapter else []), head, *part.path]
            native = f"{entry.module}:{part.key}"
            docs.append(
                SourceDoc(
                    doc_id=f"{book.id_prefix}:{native}",
                    title=" › ".join(path),
                    text=part.text,
                    section=part.path[-1] if part.path else None,
                    provenance=Provenance(source=book.source, native_id=native, url=url, licence=LICENCE, file=rel),
                    metadata={
                        "attribution": attribution(book, url),
                        "book": book.title,
                        "chapter": entry.chapter,
                        "chapter_number": entry.chapter_number,
                        "module": entry.module,
                        "module_title": page.title,
                        "section_path": list(part.path),
                        "kind": part.kind,
                        "order": len(docs),
                    },
                )
            )
    return docs


def attribution(book: OpenStaxBook, url: str) -> str:
    """The credit CC BY 4.0 asks for: title, author, licence, link, and that the text was changed."""
    return f"{book.title}, OpenStax, {LICENCE}, {url} (text extracted; exercises and images left out)"


def load_openstax(book: OpenStaxBook, data_dir: Path | None) -> SourceBundle:
    """Documents of one OpenStax book (see the module docstring for what is kept)."""
    return read_openstax(book, data_dir).bundle


def load_openstax_anatomy_physiology(data_dir: Path | None) -> SourceBundle:
    """*Anatomy and Physiology 2e* (OpenStax, CC BY 4.0), one document per section."""
    return load_openstax(ANATOMY_PHYSIOLOGY, data_dir)


def load_openstax_microbiology(data_dir: Path | None) -> SourceBundle:
    """*Microbiology* (OpenStax, CC BY 4.0), one document per section."""
    return load_openstax(MICROBIOLOGY, data_dir)
