"""MedQuAD questions rewritten by hand the way patients and caregivers ask them, scored against MedQuAD's pages.

The rewrites ship with the package (`eval/data/medquad_patient_questions.jsonl`, package data like
`judge_pairs.jsonl`); a task reads them with `dataset.path: package:data/medquad_patient_questions.jsonl`.
Each line is the generic retrieval shape plus where it came from; `relevant_urls` are MedQuAD's answer pages
for the original question (identical question texts merged, as `retrieval-medquad` does), checked against
MedQuAD by `tests/eval/test_patient_rewrites.py`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eval.datasets.base import (
    LoadReport,
    Options,
    clean_text,
    flatten_validation_error,
    new_report,
    parse_options,
    require_file,
    unique_urls,
)
from eval.datasets.consumer_qa import medquad_split
from eval.errors import DatasetError
from eval.schema import Family, RetrievalItem
from knowledge.sources.base import iter_jsonl

Style = Literal["same-name", "lay-name", "misspelling", "context"]


class PatientRewrite(BaseModel):
    """One line of the rewrites file: the generic retrieval shape plus where the question came from."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^mqp-\d{3}$", description="`mqp-001`, …")
    question: str = Field(min_length=1, description="The rewrite, as a patient, parent or clinician would type it.")
    relevant_urls: list[str] = Field(min_length=1, description="MedQuAD's answer pages for the original question.")
    split: Literal["test", "dev"] = Field(description="`medquad_split(focus)`; checked, not trusted.")
    original_question: str = Field(min_length=1, description="The MedQuAD question (whitespace collapsed).")
    original_qid: str = Field(description="Its MedQuAD qid, repeats numbered `~2`, `~3` as the knowledge base does.")
    focus: str = Field(min_length=1, description="MedQuAD focus of the original question.")
    qtype: str = Field(description="MedQuAD question type (information, symptoms, treatment, …).")
    source: str = Field(description="NIH site of the original question's (first) answer, e.g. GARD, NINDS.")
    style: Style = Field(
        description="How the condition is named: `same-name` (MedQuAD's name), `lay-name` (common name, "
        "synonym or abbreviation), `misspelling`, or `context` (described rather than named)."
    )


class PatientRewriteOptions(Options):
    """Options of the `medquad_patient` loader."""

    split: Literal["test", "dev"] = "test"
    question: Literal["rewrite", "original"] = "rewrite"


def _key(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def load_medquad_patient(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[RetrievalItem]:
    """Hand-written patient rewrites of MedQuAD questions (`PatientRewrite` lines), one split, as retrieval items.

    Each line becomes `{id, question: the rewrite, relevant_urls (normalised)}` with `subject` = question type
    and `meta` = the original question and qid, focus, NIH site and naming style. The split is not trusted:
    a line whose `split` is not `medquad_split(focus)` is skipped and counted, as are a line that does not fit
    `PatientRewrite`, a second line about the same focus, and a rewrite equal to its original question.

    Options: `split`: `test` (default; the held-out half) or `dev` (the tuning half); `question`: `rewrite`
    (default) or `original` (MedQuAD's own question for the same items, as a baseline).

    Licence: MedQuAD is CC BY 4.0 (the pages and original questions); the rewrites are this project's.
    """
    opts = parse_options(PatientRewriteOptions, options, "medquad_patient")
    if family not in (None, "retrieval"):
        msg = f"loader `medquad_patient` gives retrieval items, not `{family}` items"
        raise DatasetError(msg)
    report = new_report(report, "medquad_patient")
    require_file(path, "medquad_patient")
    report.files.append(str(path))
    foci: set[str] = set()
    for lineno, row in iter_jsonl(path, report):
        try:
            rec = PatientRewrite.model_validate(row)
        except ValidationError as exc:
            problems = flatten_validation_error(exc, show_input=False)
            report.bad(path.name, lineno, "; ".join(f"`{f}`: {m}" for f, m in problems))
            continue
        focus = " ".join(rec.focus.lower().split())
        actual = medquad_split(rec.focus)
        if actual != rec.split:
            problem: str | None = f"`split` says {rec.split} but medquad_split({rec.focus!r}) is {actual}"
        elif focus in foci:
            problem = f"a second rewrite about focus {rec.focus!r} (one per focus)"
        elif _key(rec.question) == _key(rec.original_question):
            problem = "the rewrite is the original question"
        elif not unique_urls(rec.relevant_urls, normalize=True):
            problem = "no `relevant_urls` entry is a web address"
        else:
            problem = None
        foci.add(focus)
        if problem:
            report.bad(path.name, lineno, f"{rec.id}: {problem}")
            continue
        if rec.split != opts.split:
            continue
        report.records += 1
        yield RetrievalItem(
            id=rec.id,
            question=rec.question if opts.question == "rewrite" else clean_text(rec.original_question),
            relevant_urls=unique_urls(rec.relevant_urls, normalize=True),
            subject=rec.qtype,
            meta={
                "original_question": rec.original_question,
                "original_qid": rec.original_qid,
                "focus": rec.focus,
                "source": rec.source,
                "style": rec.style,
                "split": rec.split,
            },
        )
