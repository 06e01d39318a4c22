"""How every benchmark hands back its figures: JSON on stdout and, when asked, the same JSON in a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def report_text(report: dict[str, Any]) -> str:
    """The report as indented JSON (non-ASCII kept readable: questions and answers are quoted in reports)."""
    return json.dumps(report, indent=2, ensure_ascii=False)


def save_report(report: dict[str, Any], path: Path | None) -> str:
    """Write the report to `path` (its folder created) when given; return its text."""
    text = report_text(report)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    return text


def emit_report(report: dict[str, Any], path: Path | None) -> None:
    """Print the report as JSON and save it to `path` when given."""
    sys.stdout.write(save_report(report, path) + "\n")
