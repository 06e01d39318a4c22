"""What every dataset loader shares: its signature, option models, problem counting and small readers.

A loader is `loader(path, options, *, family=None, report=None) -> Iterator[Item]`: `path` is the resolved
file or folder of the task's `dataset.path`, `options` the task's `dataset.options` (validated by the
loader's own pydantic options model), `family` the task family when the loader serves several (e.g. QA or
retrieval items from the same file). A record that cannot be used is skipped and counted in `report` with
its file and line (or record id); only a file that cannot be read at all raises `DatasetError`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from eval.errors import DatasetError
from eval.schema import Family, Item
from knowledge.sources.base import LoadReport, clean_text

logger = logging.getLogger(__name__)

__all__ = [
    "LoadReport",
    "Loader",
    "LoaderInfo",
    "NoOptions",
    "Options",
    "clean_text",
    "extract_urls",
    "flatten_validation_error",
    "iter_csv",
    "normalize_url",
    "parse_options",
    "parse_xml",
    "require_file",
    "unique_urls",
]


class Loader(Protocol):
    """The loader signature; callable as `loader(path, options)` like `Callable[[Path, dict], Iterator[Item]]`."""

    def __call__(
        self,
        path: Path,
        options: Mapping[str, Any],
        *,
        family: Family | None = None,
        report: LoadReport | None = None,
    ) -> Iterator[Item]: ...


class Options(BaseModel):
    """Base of every loader's options model: unknown options are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(Options):
    """A loader that takes no options."""


@dataclass(frozen=True)
class LoaderInfo:
    """A registered loader: the function, the families it can produce and its options model."""

    func: Loader
    families: tuple[Family, ...]
    options: type[Options]
    summary: str


def flatten_validation_error(
    exc: ValidationError, prefix: str = "", *, show_input: bool = True
) -> list[tuple[str, str]]:
    """`(field path, message)` per pydantic error, e.g. `("dataset.loader", "Field required")`.

    `show_input=False` leaves the offending value out (records may hold patient text, which must not reach
    logs or reports).
    """
    out = []
    for err in exc.errors():
        parts = [prefix] if prefix else []
        parts += [f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]]
        field = ".".join(parts).replace(".[", "[")
        msg = err["msg"]
        if show_input and err["type"] not in {"missing", "extra_forbidden"} and "input" in err:
            msg = f"{msg} (got {err['input']!r:.80})"
        out.append((field, msg))
    return out


def parse_options(model: type[Options], options: Mapping[str, Any], loader: str) -> Any:
    """Validate `options` with the loader's model, or raise `DatasetError` naming each bad option."""
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        problems = "; ".join(f"`{f}`: {m}" for f, m in flatten_validation_error(exc, "dataset.options"))
        msg = f"loader `{loader}`: bad options: {problems}"
        raise DatasetError(msg) from exc


def new_report(report: LoadReport | None, name: str) -> LoadReport:
    """The caller's report, or a fresh one for a loader called on its own."""
    return report if report is not None else LoadReport(source=name)


def require_file(path: Path, loader: str, *, folder: bool = False) -> Path:
    """`path` if it exists (as a folder when `folder`), else `DatasetError` with the fix."""
    ok = path.is_dir() if folder else path.is_file()
    if not ok:
        kind = "folder" if folder else "file"
        msg = (
            f"loader `{loader}`: {kind} not found: {path}. Check CLINICALGPT_DATA_DIR and the task's "
            "`dataset.path` (see the data README for the expected layout)"
        )
        raise DatasetError(msg)
    return path


def read_text(path: Path, loader: str) -> str:
    """A whole UTF-8 text file, or `DatasetError` naming the file and the byte that fails."""
    try:
        # Bytes, then decode: keeps `\r\n` inside quoted CSV fields as written.
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"loader `{loader}`: {path}: not valid UTF-8 at byte {exc.start}; re-save it as UTF-8"
        raise DatasetError(msg) from exc
    except OSError as exc:
        msg = f"loader `{loader}`: cannot read {path}: {exc.strerror or exc}"
        raise DatasetError(msg) from exc


def parse_xml(path: Path, loader: str) -> ET.Element:
    """The root element of an XML file, or `DatasetError` with the line and column of the syntax error."""
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, col = exc.position
        msg = f"loader `{loader}`: {path}: invalid XML at line {line}, column {col}: {exc}. Restore the original file"
        raise DatasetError(msg) from exc
    except OSError as exc:
        msg = f"loader `{loader}`: cannot read {path}: {exc.strerror or exc}"
        raise DatasetError(msg) from exc


def iter_csv(path: Path, loader: str, report: LoadReport, *, header: bool = True) -> Iterator[tuple[int, Any]]:
    """`(line number, row)` per CSV record: a dict when `header`, else a list. Lines are where the record starts."""
    text = read_text(path, loader)
    csv.field_size_limit(2**31 - 1)  # notes and dialogues may exceed the 128 KiB default
    lines = io.StringIO(text, newline="")
    reader: Any = csv.DictReader(lines) if header else csv.reader(lines)
    start = 2 if header else 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.bad(path.name, start, f"unreadable CSV record: {exc}")
            start = reader.line_num + 1
            continue
        yield start, row
        start = reader.line_num + 1


def normalize_url(url: str) -> str:
    """One spelling per page, for matching retrieved sources against references.

    `http`/`https` and a missing scheme all become `https`; the host is lower-cased and loses `www.` and a
    default port; the fragment and a trailing slash go; the path and query are kept as they are (query
    strings identify pages on DailyMed). Text that is not a URL comes back stripped.

    >>> normalize_url(" HTTP://www.NLM.nih.gov/medlineplus/ency/article/000001.htm#top ")
    'https://nlm.nih.gov/medlineplus/ency/article/000001.htm'
    """
    text = url.strip()
    if not text:
        return ""
    if "://" not in text:
        if "." not in text.split("/")[0] or " " in text:
            return text
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return text
    host = parts.hostname.lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port not in (None, 80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"https://{host}{path}{query}"


_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


def extract_urls(text: str) -> list[str]:
    """Every web address in a free-text field (LiveQA lists several as `1. https://… 2. https://…`)."""
    urls = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;")
        if url.endswith(")") and url.count(")") > url.count("("):  # "(see https://…)" but keep "Foo_(bar)"
            url = url[:-1]
        urls.append(url)
    return urls


def is_url(text: str | None) -> bool:
    """True for something that looks like a web address (sources write `n/a` or nothing when there is none)."""
    return bool(text) and normalize_url(text or "").startswith("https://")


def unique_urls(urls: list[str], *, normalize: bool) -> list[str]:
    """URLs in first-seen order without duplicates (compared normalised); `normalize` returns them normalised."""
    seen: dict[str, str] = {}
    for url in urls:
        if not is_url(url):
            continue
        key = normalize_url(url)
        seen.setdefault(key, key if normalize else url.strip())
    return list(seen.values())
