"""The documented generic format: one JSON object per line, shaped like the task family's item."""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from eval.datasets.base import LoadReport, NoOptions, flatten_validation_error, new_report, parse_options, require_file
from eval.errors import DatasetError
from eval.schema import ITEM_TYPES, Family, Item
from knowledge.sources.base import iter_jsonl


def load_jsonl(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[Item]:
    """Your own items, one JSON object per line, in the shape of the task's family.

    - exam (multiple choice): `{"id", "question", "options": {"A": "...", ...}, "answer": "A"}`; `options`
      may also be a list, lettered A, B, C, … in order;
    - qa: `{"id", "question", "reference", "reference_urls"?}`;
    - consultation: `{"id", "dialogue", "reference", "target"?}`;
    - diagnosis: `{"id", "record", "diagnosis", "icd10"?, "differential"?: [most likely first]}`;
    - retrieval: `{"id", "question", "relevant_ids"?: [...], "relevant_urls"?: [...]}` (at least one).

    Every shape also takes `subject` (for per-subject breakdowns) and `meta` (anything else). Unknown keys are
    errors (a typo would otherwise drop data silently); a line that fails is skipped and counted with its
    line number. Numeric ids are read as strings.

    Options: none. Licence: whatever your data carries.
    """
    parse_options(NoOptions, options, "jsonl")
    if family is None:
        msg = "loader `jsonl` needs the task's `family` to know the item shape"
        raise DatasetError(msg)
    report = new_report(report, "jsonl")
    require_file(path, "jsonl")
    report.files.append(str(path))
    item_type = ITEM_TYPES[family]
    for lineno, row in iter_jsonl(path, report):
        if isinstance(row.get("id"), int):
            row["id"] = str(row["id"])
        if family == "exam" and isinstance(row.get("options"), list):
            row["options"] = dict(zip(string.ascii_uppercase, row["options"], strict=False))
        try:
            item = item_type.model_validate(row)
        except ValidationError as exc:
            problems = flatten_validation_error(exc, show_input=False)
            report.bad(path.name, lineno, "; ".join(f"`{f}`: {m}" for f, m in problems))
            continue
        if family == "retrieval" and not (row.get("relevant_ids") or row.get("relevant_urls")):
            report.bad(path.name, lineno, "needs `relevant_ids` or `relevant_urls`")
            continue
        if family == "exam" and row.get("answer") not in row.get("options", {}):
            report.bad(path.name, lineno, f"`answer` {row.get('answer')!r} is not one of the option letters")
            continue
        report.records += 1
        yield cast(Item, item)
