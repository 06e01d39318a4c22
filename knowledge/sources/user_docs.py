"""The user's own documents: a folder of `.md`, `.txt` and `.jsonl` files."""

from __future__ import annotations

from pathlib import Path

from knowledge.errors import SourceNotFoundError
from knowledge.schema import Provenance, SourceDoc
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, iter_jsonl

SOURCE = "user"
SUFFIXES = {".md", ".txt", ".jsonl"}


def _title_of(path: Path, text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()[:200] or path.stem
    return path.stem


def load_user_docs(folder: Path, licence: str = "user-provided") -> SourceBundle:
    """Read every supported file under `folder` (recursively) into documents.

    `.md`/`.txt`: one document per file, titled by its first non-empty line. `.jsonl`: one document per
    line with required `title` and `text`, optional `id`, `url`, `section`, `metadata`.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        msg = f"user documents folder not found: {folder}; fix `--docs` / CLINICALGPT_KNOWLEDGE__USER_DOCS"
        raise SourceNotFoundError(msg)
    report = LoadReport(source=SOURCE, files=[str(folder)])
    docs: list[SourceDoc] = []
    seen: set[str] = set()
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if path.suffix.lower() == ".jsonl":
            docs += _jsonl_docs(path, rel, licence, report, seen)
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.strip():
            report.bad(rel, None, "empty file")
            continue
        report.records += 1
        doc_id = f"{SOURCE}:{rel}"
        seen.add(doc_id)
        docs.append(
            SourceDoc(
                doc_id=doc_id,
                title=_title_of(path, text),
                text=clean_text(text),
                provenance=Provenance(
                    source=SOURCE, native_id=rel, licence=licence, url=path.resolve().as_uri(), file=str(path)
                ),
            )
        )
    return SourceBundle(docs=docs, report=report)


def _jsonl_docs(path: Path, rel: str, licence: str, report: LoadReport, seen: set[str]) -> list[SourceDoc]:
    docs: list[SourceDoc] = []
    for lineno, row in iter_jsonl(path, report, rel):
        if not str(row.get("title", "")).strip() or not str(row.get("text", "")).strip():
            report.bad(rel, lineno, "needs non-empty `title` and `text` fields")
            continue
        native = str(row.get("id") or f"{rel}:{lineno}")
        doc_id = f"{SOURCE}:{native}"
        if doc_id in seen:
            report.bad(rel, lineno, f"duplicate id {native!r}")
            continue
        seen.add(doc_id)
        report.records += 1
        meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
        docs.append(
            SourceDoc(
                doc_id=doc_id,
                title=clean_text(str(row["title"])),
                text=clean_text(str(row["text"])),
                section=row.get("section"),
                metadata=meta,
                provenance=Provenance(
                    source=SOURCE, native_id=native, licence=licence, url=row.get("url"), file=str(path)
                ),
            )
        )
    return docs
