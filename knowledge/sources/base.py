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

#: How many individual problems a report keeps verbatim (all are counted).
MAX_PROBLEMS_KEPT = 50


class Problem(BaseModel):
    """One malformed record: where it is and what is wrong."""

    model_config = ConfigDict(extra="forbid")

    file: str
    line: int | None = None
    reason: str


class LoadReport(BaseModel):
    """Counts of what a loader read, kept and rejected."""

    model_config = ConfigDict(extra="forbid")

    source: str
    files: list[str] = Field(default_factory=list)
    records: int = 0
    malformed: int = 0
    problems: list[Problem] = Field(default_factory=list)

    def bad(self, file: Path | str, line: int | None, reason: str) -> None:
        """Count a malformed record and keep its location (first `MAX_PROBLEMS_KEPT` only)."""
        self.malformed += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(Problem(file=str(file), line=line, reason=reason))
        logger.debug("%s: malformed record at %s:%s: %s", self.source, file, line, reason)


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


def iter_jsonl(path: Path, report: LoadReport, name: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """`(line number, object)` for each JSON-object line; bad lines are counted in `report` under `name`."""
    name = name or path.name
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                report.bad(name, lineno, f"invalid JSON: {exc.msg}")
                continue
            if not isinstance(row, dict):
                report.bad(name, lineno, "line is not a JSON object")
                continue
            yield lineno, row
