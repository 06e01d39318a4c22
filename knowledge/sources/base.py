"""What every source loader returns, and the helpers they share."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from knowledge.errors import SourceNotFoundError
from knowledge.schema import EdgeRecord, NodeRecord, SourceDoc

logger = logging.getLogger(__name__)

#: How many problems a report keeps verbatim. `kb info --json` lists every kept one, so the cap only guards
#: against a folder of garbage bloating the manifest; beyond it problems are counted in `problems_not_kept`.
MAX_PROBLEMS_KEPT = 10_000


class Problem(BaseModel):
    """One malformed record or skipped file: where it is and what is wrong."""

    model_config = ConfigDict(extra="forbid")

    file: str
    line: int | None = None
    reason: str


class LoadReport(BaseModel):
    """Counts of what a loader read, kept, rejected and skipped."""

    model_config = ConfigDict(extra="forbid")

    source: str
    files: list[str] = Field(default_factory=list)
    records: int = 0
    malformed: int = 0
    skipped: int = Field(default=0, description="Files or links not read at all (not records), e.g. escaping links.")
    problems: list[Problem] = Field(default_factory=list)
    problems_not_kept: int = Field(default=0, description="Problems counted but past `MAX_PROBLEMS_KEPT`.")
    licences: list[str] = Field(default_factory=list, description="Licences of what was read (set at build).")

    def bad(self, file: Path | str, line: int | None, reason: str) -> None:
        """Count a malformed record and keep its location."""
        self.malformed += 1
        self._keep(file, line, reason)

    def skip(self, file: Path | str, line: int | None, reason: str) -> None:
        """Count a file that was not read at all; it is listed with the malformed records so users see it."""
        self.skipped += 1
        self._keep(file, line, reason)

    def _keep(self, file: Path | str, line: int | None, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(Problem(file=str(file), line=line, reason=reason))
        else:
            self.problems_not_kept += 1
        logger.debug("%s: problem at %s:%s: %s", self.source, file, line, reason)


class SourceBundle(BaseModel):
    """Documents, KG nodes and KG edges read from one source."""

    model_config = ConfigDict(extra="forbid")

    docs: list[SourceDoc] = Field(default_factory=list)
    nodes: list[NodeRecord] = Field(default_factory=list)
    edges: list[EdgeRecord] = Field(default_factory=list)
    report: LoadReport


def require_file(data_dir: Path | None, relative: str, source: str) -> Path:
    """Resolve a source file under the data dir, or fail with the setting to fix."""
    if data_dir is None:
        msg = (
            f"source `{source}` needs the data folder: set CLINICALGPT_DATA_DIR (or pass --data-dir) to the "
            "folder holding `en/…` (e.g. ../shared/data), or run `clinicalgpt kb download`"
        )
        raise SourceNotFoundError(msg)
    path = Path(data_dir).expanduser() / relative
    if not path.exists():
        msg = (
            f"source `{source}`: file not found: {path}. Check CLINICALGPT_DATA_DIR (now {data_dir}) or "
            f"drop `{source}` from --sources"
        )
        raise SourceNotFoundError(msg)
    return path


_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Collapse runs of whitespace; sources carry XML indentation inside answers."""
    return _SPACE.sub(" ", text).strip()


_XREF_PREFIXES = {
    "UMLS_CUI": "UMLS",
    "UMLS": "UMLS",
    "MESH": "MESH",
    "MSH": "MESH",
    "ICD10CM": "ICD10CM",
    "ICD10": "ICD10CM",
    "ICD9CM": "ICD9CM",
    "SNOMEDCT": "SNOMEDCT",
    "OMIM": "OMIM",
    "MIM": "OMIM",
    "NCI": "NCI",
    "ORDO": "ORPHA",
    "ORPHA": "ORPHA",
    "GARD": "GARD",
    # Drugs: openFDA calls RxNorm ids `rxcui`, LabeledIn `rxnorm_id`; one namespace so they can be compared.
    "RXCUI": "RXNORM",
    "RXNORM": "RXNORM",
    "UNII": "UNII",
    "DRUGBANK": "DRUGBANK",
}


def normalize_xref(xref: str) -> str | None:
    """Map source-specific xref spellings to one namespace (`UMLS_CUI:C1` → `UMLS:C1`).

    Versioned prefixes such as `SNOMEDCT_US_2016_03_01` or `ICD9CM_2005` lose their version. Returns None
    for vocabularies we do not merge on.
    """
    prefix, sep, local = xref.strip().strip('"').partition(":")
    if not sep or not local:
        return None
    key = prefix.upper()
    for known, canonical in _XREF_PREFIXES.items():
        if key == known or key.startswith(known + "_"):
            local = local.strip().upper() if canonical in {"ICD10CM", "UMLS", "MESH"} else local.strip()
            return f"{canonical}:{local}"
    return None


def utf8_error(exc: UnicodeDecodeError, start: int = 0) -> str:
    """One-line reason for undecodable bytes; `start` is where the decoded bytes begin in the file."""
    return f"not valid UTF-8 at byte {start + exc.start}; re-save it as UTF-8"


# A JSON escape in the surrogate range (\uD800-\uDFFF): only lines holding one can parse to unwritable text.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _unwritable(row: dict[str, Any]) -> bool:
    """True when `row` holds an unpaired surrogate, which parses fine but fails every later UTF-8 write."""
    stack: list[Any] = [row]
    while stack:  # a loop, not recursion: the row may be nested nearly as deep as the parser allows
        value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            stack += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            stack += value
    return False


def iter_jsonl(path: Path, report: LoadReport, name: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """`(line number, object)` for each JSON-object line; bad lines are counted in `report` under `name`.

    Lines are decoded one by one from bytes, so undecodable bytes, JSON the parser refuses (too deep, numbers
    too long) and unpaired surrogate escapes each cost one record instead of aborting the whole file.
    """
    name = name or path.name
    offset = 0
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            start, offset = offset, offset + len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                report.bad(name, lineno, utf8_error(exc, start))
                continue
            if lineno == 1:
                line = line.removeprefix("\ufeff")  # editors on Windows write a byte-order mark
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                report.bad(name, lineno, f"invalid JSON: {exc.msg}")
                continue
            except (ValueError, RecursionError) as exc:  # too-long integers, too-deep nesting
                reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
                report.bad(name, lineno, f"JSON the parser refuses: {reason}")
                continue
            if not isinstance(row, dict):
                report.bad(name, lineno, "line is not a JSON object")
                continue
            if _SURROGATE_ESCAPE.search(line) and _unwritable(row):
                report.bad(name, lineno, "unpaired surrogate escape (\\uD800-\\uDFFF); fix or remove it")
                continue
            yield lineno, row
