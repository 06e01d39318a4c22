"""The user's own documents: a folder of `.md`, `.txt` and `.jsonl` files.

One bad row, file or link never aborts a build: each is listed in the report with its file (relative to the
folder), its line when it has one, and what to fix, and loading goes on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge.errors import SourceNotFoundError
from knowledge.schema import Provenance, SourceDoc
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, iter_jsonl, utf8_error

SOURCE = "user"
SUFFIXES = {".md", ".txt", ".jsonl"}
LEAVES_FOLDER = "symlink leaves the documents folder; skipped"

# Users write JSON, so type errors name JSON types, not Python ones.
_JSON_TYPES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _title_of(path: Path, text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()[:200] or path.stem
    return path.stem


def load_user_docs(folder: Path, licence: str = "user-provided") -> SourceBundle:
    """Read every supported file under `folder` (recursively) into documents.

    `.md`/`.txt`: one document per file, titled by its first non-empty line. `.jsonl`: one document per
    line with required string `title` and `text`, optional string `id`, `url`, `section` and object
    `metadata`. Links whose target is outside `folder` are skipped, so a link cannot pull private files
    into the index.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        msg = f"user documents folder not found: {folder}; fix `--docs` / CLINICALGPT_KNOWLEDGE__USER_DOCS"
        raise SourceNotFoundError(msg)
    report = LoadReport(source=SOURCE, files=[str(folder)])
    docs: list[SourceDoc] = []
    seen: dict[str, str] = {}  # doc id → where it was first defined, to name both places of a duplicate
    for rel, path in _find_files(folder, report):
        if path.suffix.lower() == ".jsonl":
            docs += _jsonl_docs(path, rel, licence, report, seen)
            continue
        doc = _text_doc(path, rel, licence, report)
        if doc is not None and _claim(doc.doc_id, rel, rel, None, report, seen):
            report.records += 1
            docs.append(doc)
    return SourceBundle(docs=docs, report=report)


def _find_files(folder: Path, report: LoadReport) -> list[tuple[str, Path]]:
    """`(relative posix path, path to read)` of each supported file, sorted by relative path.

    Walks without following directory links: a link inside the folder points at files the walk reaches
    anyway (following it would index them twice, or loop forever), and one outside is reported.
    """
    root = folder.resolve()
    found: list[tuple[str, Path]] = []
    pending = [folder]
    while pending:
        directory = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)  # problems in a stable order
        except OSError as exc:
            report.skip(directory.relative_to(folder).as_posix(), None, f"cannot read folder ({exc.strerror}); skipped")
            continue
        for entry in entries:
            path = Path(entry.path)
            rel = path.relative_to(folder).as_posix()
            is_doc = path.suffix.lower() in SUFFIXES
            if entry.is_symlink():
                target = _link_target(path, rel, root, is_doc, report)
                if target is not None:
                    found.append((rel, target))
            elif entry.is_dir():
                pending.append(path)
            elif is_doc and entry.is_file():  # not FIFOs or devices named `*.md`: reading those would hang
                found.append((rel, path))
    return sorted(found)


def _link_target(path: Path, rel: str, root: Path, is_doc: bool, report: LoadReport) -> Path | None:
    """The file a document link points to, or None (reporting links that leave the folder or are broken)."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError on a loop of links
        target = None
    if target is None or not target.exists():
        if is_doc:
            report.skip(rel, None, "symlink target is missing or loops; fix or remove the link; skipped")
        return None
    if not target.is_relative_to(root):
        if is_doc or target.is_dir():
            report.skip(rel, None, LEAVES_FOLDER)
        return None
    return target if is_doc and target.is_file() else None


def _text_doc(path: Path, rel: str, licence: str, report: LoadReport) -> SourceDoc | None:
    """One `.md`/`.txt` file as a document; unreadable or undecodable files are skipped, never mangled."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.skip(rel, None, f"cannot read file ({exc.strerror}); skipped")
        return None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # editors on Windows write a byte-order mark
    except UnicodeDecodeError as exc:
        report.skip(rel, data.count(b"\n", 0, exc.start) + 1, f"{utf8_error(exc)}; skipped")
        return None
    if not text.strip():
        report.bad(rel, None, "empty file; add text or remove it")
        return None
    # No `url`: a file:// URL would publish the user's private folder layout; `native_id` locates it.
    return SourceDoc(
        doc_id=f"{SOURCE}:{rel}",
        title=_title_of(path, text),
        text=clean_text(text),
        provenance=Provenance(source=SOURCE, native_id=rel, licence=licence, file=rel),
    )


def _claim(doc_id: str, native: str, rel: str, line: int | None, report: LoadReport, seen: dict[str, str]) -> bool:
    """Register `doc_id` at `rel:line`; a duplicate is a malformed record naming both places (first wins)."""
    where = rel if line is None else f"{rel}:{line}"
    first = seen.get(doc_id)
    if first is not None:
        report.bad(rel, line, f"duplicate id {native!r}: {first} and {where}; keeping the first")
        return False
    seen[doc_id] = where
    return True


def _jsonl_docs(path: Path, rel: str, licence: str, report: LoadReport, seen: dict[str, str]) -> list[SourceDoc]:
    docs: list[SourceDoc] = []
    try:
        for lineno, row in iter_jsonl(path, report, rel):
            problem = _row_problem(row)
            if problem is not None:
                report.bad(rel, lineno, problem)
                continue
            # `_row_problem` let the row through, so a present `id` is a string.
            native: str = row["id"] if (row.get("id") or "").strip() else f"{rel}:{lineno}"
            doc_id = f"{SOURCE}:{native}"
            if not _claim(doc_id, native, rel, lineno, report, seen):
                continue
            try:
                doc = _row_doc(row, doc_id, native, rel, licence)
            except ValidationError as exc:  # the row checks above should catch everything; never abort a build
                seen.pop(doc_id)
                report.bad(rel, lineno, f"invalid row: {exc.errors()[0]['msg']}")
                continue
            report.records += 1
            docs.append(doc)
    except OSError as exc:  # rows read before the error are kept
        report.skip(rel, None, f"cannot read file ({exc.strerror}); skipped")
    return docs


def _row_problem(row: dict[str, Any]) -> str | None:
    """Why a JSONL row cannot become a document, or None when it can."""
    for field in ("title", "text", "id", "section", "url"):
        value = row.get(field)
        if value is not None and not isinstance(value, str):
            return f"field `{field}` must be a string, got {_json_type(value)}; quote it or drop the field"
    meta = row.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        return f'field `metadata` must be a JSON object, got {_json_type(meta)}; wrap it as {{"key": ...}}'
    if not clean_text(row.get("title") or "") or not clean_text(row.get("text") or ""):
        return "needs non-empty `title` and `text` fields"
    return None


def _row_doc(row: dict[str, Any], doc_id: str, native: str, rel: str, licence: str) -> SourceDoc:
    """A checked JSONL row as a document; blank optional strings count as absent."""
    return SourceDoc(
        doc_id=doc_id,
        title=clean_text(row["title"]),
        text=clean_text(row["text"]),
        section=(row.get("section") or "").strip() or None,
        metadata=row.get("metadata") or {},
        provenance=Provenance(
            source=SOURCE, native_id=native, licence=licence, url=(row.get("url") or "").strip() or None, file=rel
        ),
    )
