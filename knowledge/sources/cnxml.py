"""CNXML (OpenStax's page format) to plain text: one page's sections, lead and glossary as text parts.

Paragraphs, list items, feature boxes, figure captions, simple tables and math become plain sentences;
exercises, review questions, objectives, links to videos, references, footnotes and credits are dropped (see
`DROPPED_SECTION_CLASSES`, `DROPPED_NOTE_CLASSES`). `knowledge.sources.openstax` turns the parts into documents.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import NamedTuple

from knowledge.sources.base import clean_text

_CNX = "{http://cnx.rice.edu/cnxml}"
MD = "{http://cnx.rice.edu/mdml}"
_MATHML = "{http://www.w3.org/1998/Math/MathML}"

DROPPED_SECTION_CLASSES = frozenset(
    {
        "multiple-choice",
        "free-response",
        "critical-thinking",
        "fill-in-the-blank",
        "short-answer",
        "true-false",
        "matching",
        "review-questions",
        "interactive-exercise",
        "learning-objectives",
        "references",
        "contrib-auth",
        "sr-contrib-auth",
    }
)
# Feature boxes that only ask questions or point at videos and other sites.
DROPPED_NOTE_CLASSES = frozenset({"interactive", "check-your-understanding", "link-to-learning", "chapter-objectives"})
# Feature boxes kept, with the label the printed book shows before their title.
_FEATURES = {
    "disorders": "Disorders",
    "diseases": "Diseases",
    "aging": "Aging",
    "homeostatic": "Homeostatic imbalances",
    "everyday": "Everyday connection",
    "career": "Career connection",
    "clinical-focus": "Clinical focus",
    "micro-connection": "Micro connections",
    "disease-profile": "Disease profile",
    "eye-on-ethics": "Eye on ethics",
    "case-in-point": "Case in point",
}
# Markup with no readable text of its own (media are kept only as table images, see `_Renderer.media`).
_SILENT = frozenset({"footnote", "label", "metadata", "glossary", "image", "problem", "solution", "commentary"})
# Microbiology prints its disease-profile tables as images whose alt text is the whole table.
_TABLE_ALT = re.compile(r"^\s*(?:this tables?|table)\b", re.IGNORECASE)
_CREDIT = re.compile(r"\(\s*credit", re.IGNORECASE)
_END = re.compile(r"[.!?:;]\W*$")
SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sentence(text: str) -> str:
    """`text` ending in punctuation, so the chunker's sentence splitter sees where a heading or item ends."""
    text = text.strip()
    return text if not text or _END.search(text) else text + "."


# `knowledge.injection` reads "System: …" opening a sentence as a chat-role label and distrusts the whole passage;
# a table header or glossary term that is such a word ("System" in A&P's stress table) gets a dash instead.
_ROLE_WORD = re.compile(r"(?:system|assistant|developer|ai|bot|chatbot)(?:\s+(?:message|prompt))?", re.IGNORECASE)


def _labelled(label: str, text: str) -> str:
    """`label: text`, or `label — text` when the label would read as a chat role."""
    return f"{label} — {text}" if _ROLE_WORD.fullmatch(label.strip()) else f"{label}: {text}"


def _drop_credits(caption: str) -> str:
    """Caption without its "(credit a: …; credit b: …)" parentheticals, nested parentheses included."""
    while match := _CREDIT.search(caption):
        depth, end = 0, len(caption)
        for i in range(match.start(), len(caption)):
            depth += {"(": 1, ")": -1}.get(caption[i], 0)
            if depth == 0:
                end = i + 1
                break
        caption = caption[: match.start()] + caption[end:]
    return caption


def _tidy(text: str) -> str:
    """Collapse whitespace and mend the gaps left by dropped cross-references ("(Figure)", "( a)", " .")."""
    text = clean_text(text).replace(". . .", "…")
    text = re.sub(r"\(\s*(?:see\s+)?(?:(?:Figure|Table)\s*)?\)", "", text)
    text = re.sub(r"([.!?])\s+\.(?=\s|$)", r"\1", text)  # "microorganisms. (Figure)." lost its reference
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return clean_text(text)


def parse_xml(data: bytes) -> ET.Element:
    """Parse pinned local XML, refusing any DOCTYPE.

    CNXML never declares a DOCTYPE, so refusing one is free and rules out entity-expansion ("billion laughs")
    and external-entity tricks before expat sees the file; ElementTree is otherwise fine for these local files.
    """
    if b"<!DOCTYPE" in data:
        msg = "declares a DOCTYPE (refused: CNXML has none, and entity declarations can blow up the parser)"
        raise ET.ParseError(msg)
    return ET.fromstring(data)


class _Renderer:
    """Plain text of CNXML elements; counts what it drops in `dropped`."""

    def __init__(self, root: ET.Element, dropped: Counter[str]) -> None:
        self.dropped = dropped
        # Empty <link target-id=…/> elements point at figures and tables the page numbers for itself.
        self.figures = {e.get("id") for e in root.iter(f"{_CNX}figure")}
        self.tables = {e.get("id") for e in root.iter(f"{_CNX}table")}

    def inner(self, el: ET.Element) -> str:
        """Text of `el` and its children, tails included."""
        parts = [el.text or ""]
        after_sub = False
        for child in el:
            piece, tag = self.element(child), _local(child.tag)
            # A superscript number right after a number is a power (10^−6); a charge (Ca2+, HPO4 2−) keeps none.
            if tag == "sup" and not after_sub and _is_power(piece) and _ends_in_digit(parts):
                piece = "^" + piece
            parts += [piece, child.tail or ""]
            after_sub = tag == "sub" and not (child.tail or "").strip()
        return "".join(parts)

    def element(self, el: ET.Element) -> str:
        if el.tag.startswith(_MATHML):
            return math_text(el)
        tag = _local(el.tag)
        if tag in _SILENT:
            return ""
        if tag == "exercise":
            self.dropped["exercise"] += 1
            return ""
        if tag == "media":
            return self.media(el)
        if tag in {"newline", "space"}:
            return " "
        if tag == "link":
            text = self.inner(el)
            if text.strip() or el.get("target-id") is None:
                return text
            target = el.get("target-id")
            # Trailing space: the panel letter often follows at once ("<link/><emphasis>a</emphasis>").
            return "Figure " if target in self.figures else "Table " if target in self.tables else ""
        if tag == "title":
            return f" {_sentence(self.inner(el))} "
        if tag == "item":
            return f" {_sentence(self.item(el))} "
        if tag == "note":
            return self.note(el)
        if tag in {"figure", "subfigure"}:
            return self.figure(el)
        if tag == "table":
            return self.table(el)
        if tag in {"para", "list", "equation", "example", "section", "quote", "caption", "preformat", "code", "div"}:
            return f" {self.inner(el)} "
        return self.inner(el)  # term, emphasis, sub, sup, foreign, span, cite…: their text, inline

    def item(self, el: ET.Element) -> str:
        first = el[0] if len(el) else None
        # The glossary appendix writes "<emphasis>term</emphasis> definition": give it a colon.
        if first is not None and not (el.text or "").strip() and _local(first.tag) == "emphasis":
            if first.get("effect") is None and (first.tail or "").strip()[:1].isalpha():
                term = self.inner(first).strip()
                rest = (first.tail or "") + "".join(self.element(c) + (c.tail or "") for c in el[1:])
                return _labelled(term, rest.strip())
        return self.inner(el)

    def note(self, el: ET.Element) -> str:
        classes = (el.get("class") or "").split()
        for cls in classes:
            if cls in DROPPED_NOTE_CLASSES:
                self.dropped[f"note:{cls}"] += 1
                return ""
        label = next((_FEATURES[c] for c in classes if c in _FEATURES), "")
        body = clean_text(self.inner(el))
        return f" {label}: {body} " if label and body else f" {body} "

    def media(self, el: ET.Element) -> str:
        alt = el.get("alt") or ""
        return f" {_sentence(alt)} " if _TABLE_ALT.match(alt) else ""

    def figure(self, el: ET.Element) -> str:
        pieces = []
        for child in el:
            tag = _local(child.tag)
            if tag == "title":
                pieces.append(_sentence(self.inner(child)))
            elif tag == "caption":
                pieces.append(_sentence(_drop_credits(clean_text(self.inner(child)))))
            elif tag in {"media", "subfigure", "table"}:
                pieces.append(self.element(child))
        text = clean_text(" ".join(pieces))
        if not text:
            return ""
        return f" Figure: {text} " if _local(el.tag) == "figure" else f" {text} "

    def table(self, el: ET.Element) -> str:
        """Rows as sentences; "Header: cell; …" when the table has one plain header row."""
        out = [_sentence(self.inner(t)) for t in el.findall(f"{_CNX}title")]
        for group in el.findall(f"{_CNX}tgroup"):
            header: list[str] | None = None
            for row in group.iterfind(f"{_CNX}thead/{_CNX}row"):
                cells = [clean_text(self.inner(e)) for e in row.findall(f"{_CNX}entry")]
                if len(cells) == 1:  # a title row spanning the table ("top-titled")
                    out.append(_sentence(cells[0]))
                else:
                    header = cells if not any(_spans(e) for e in row.findall(f"{_CNX}entry")) else None
            for row in group.iterfind(f"{_CNX}tbody/{_CNX}row"):
                entries = row.findall(f"{_CNX}entry")
                cells = [clean_text(self.inner(e)) for e in entries]
                if header and len(cells) == len(header) and not any(_spans(e) for e in entries):
                    text = "; ".join(_labelled(h, c) if h else c for h, c in zip(header, cells, strict=True) if c)
                else:
                    text = "; ".join(c for c in cells if c)
                out.append(_sentence(text))
        for caption in el.findall(f"{_CNX}caption"):
            out.append(_sentence(_drop_credits(clean_text(self.inner(caption)))))
        return " " + " ".join(o for o in out if o) + " "


def _is_power(text: str) -> bool:
    """`3`, `−6`, `23`: a power; `2+`, `2−`: a charge."""
    text = text.strip()
    signed = text[:1].isdigit() or (text[:1] in {"−", "-"} and text[1:2].isdigit())
    return signed and text[-1:] not in {"+", "−", "-"}


def _ends_in_digit(parts: list[str]) -> bool:
    last = next((p for p in reversed(parts) if p), "")
    return last[-1:].isdigit()


def _spans(entry: ET.Element) -> bool:
    return any(entry.get(a) for a in ("namest", "nameend", "spanname", "morerows"))


def math_text(el: ET.Element) -> str:
    """MathML as plain text: operators spaced, fractions as a/b, powers of numbers as 10^3."""
    tag = _local(el.tag)
    if tag in {"annotation", "annotation-xml"}:
        return ""
    if tag == "mo":
        return f" {(el.text or '').strip()} "
    if tag in {"mi", "mn", "mtext", "ms"}:
        return el.text or ""
    if tag == "mspace":
        return " "
    kids = [math_text(c) for c in el]
    if tag == "mfrac" and len(kids) == 2:
        num, den = (k.strip() if " " not in k.strip() else f"({k.strip()})" for k in kids)
        return f"{num}/{den}"
    if tag in {"msup", "msubsup"} and len(kids) >= 2:
        base, power = "".join(kids[:-1]), "".join(kids[-1].split())
        plain_base = tag == "msup" and _local(el[0].tag) != "msub"
        return f"{base}^{power}" if plain_base and base.strip()[-1:].isdigit() and _is_power(power) else base + power
    if tag == "mtr":
        return " ".join(k.strip() for k in kids)
    if tag == "mtable":
        return "; ".join(k.strip() for k in kids)
    return "".join(kids)


class Part(NamedTuple):
    """One document-to-be of a page, before the page's place in the book is known."""

    key: str
    path: list[str]
    kind: str
    text: str


class Page(NamedTuple):
    title: str
    cls: str
    parts: list[Part]


def _section_kind(classes: list[str], default: str) -> str:
    return "summary" if "summary" in classes else default


def read_page(root: ET.Element, dropped: Counter[str]) -> Page:
    """A page's title, document class and its documents' texts, in reading order."""
    cls = root.get("class") or ""
    content = root.find(f"{_CNX}content")
    if content is not None and content.get("class"):
        cls = cls or content.get("class") or ""
    title = clean_text(root.findtext(f"{_CNX}title") or root.findtext(f"{_CNX}metadata/{MD}title") or "")
    render = _Renderer(root, dropped)
    default_kind = "appendix" if cls == "appendix" else "section"
    if cls == "appendix" and title.lower() == "glossary":
        default_kind = "glossary"
    parts: list[Part] = []
    used: set[str] = set()

    def key_for(wanted: str | None) -> str:
        base = wanted if wanted and SAFE_ID.fullmatch(wanted) else f"s{len(used) + 1}"
        key, n = base, 1
        while key in used:  # ids repeat in hand-edited modules; keep doc ids unique
            n += 1
            key = f"{base}~{n}"
        used.add(key)
        return key

    def walk(container: ET.Element, path: list[str], key: str, kind: str) -> None:
        slot = len(parts)
        own: list[str] = []
        children = False
        for child in container:
            if child.tag != f"{_CNX}section":
                if _local(child.tag) != "title":
                    own.append(render.element(child))
                continue
            children = True
            classes = (child.get("class") or "").split()
            dropped_by = [c for c in classes if c in DROPPED_SECTION_CLASSES]
            if dropped_by:
                dropped[f"section:{dropped_by[0]}"] += 1
                continue
            title_el = child.find(f"{_CNX}title")
            sub_title = clean_text(render.inner(title_el)) if title_el is not None else ""
            if not sub_title and "summary" in classes:
                sub_title = "Summary"
            sub_path = [*path, sub_title] if sub_title else path
            walk(child, sub_path, key_for(child.get("id")), _section_kind(classes, default_kind))
        text = _tidy(" ".join(own))
        if text:
            parts.insert(slot, Part(key, path, kind, text))
        elif not children:
            dropped["empty"] += 1

    if content is not None:
        lead_kind = "introduction" if cls == "introduction" else "glossary" if default_kind == "glossary" else "lead"
        walk(content, [], key_for("lead"), lead_kind)
    glossary = root.find(f"{_CNX}glossary")
    if glossary is not None:
        entries = []
        for definition in glossary.iter(f"{_CNX}definition"):
            term_el = definition.find(f"{_CNX}term")
            term = clean_text(render.inner(term_el)) if term_el is not None else ""
            meanings = [clean_text(render.inner(m)) for m in definition.iter(f"{_CNX}meaning")]
            if term and any(meanings):
                entries.append(_sentence(_labelled(term, "; ".join(m for m in meanings if m))))
        if entries:
            parts.append(Part(key_for("glossary"), ["Glossary"], "glossary", " ".join(entries)))
    return Page(title, cls, parts)
