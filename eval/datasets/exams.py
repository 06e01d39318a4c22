"""Multiple-choice exams: MIRAGE (five medical QA benchmarks in one file) and the MMLU medical subjects."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from eval.datasets.base import (
    LoadReport,
    Options,
    flatten_validation_error,
    iter_csv,
    new_report,
    parse_options,
    read_text,
    require_file,
)
from eval.errors import DatasetError
from eval.schema import Family, MCItem

logger = logging.getLogger(__name__)

MirageSubset = Literal["mmlu", "medqa", "medmcqa", "pubmedqa", "bioasq"]
MIRAGE_SUBSETS: tuple[MirageSubset, ...] = ("mmlu", "medqa", "medmcqa", "pubmedqa", "bioasq")
#: PubMedQA* and BioASQ-Y/N are yes/no(/maybe) questions; MIRAGE asks them as these lettered options.
YES_NO_MAYBE = {"A": "yes", "B": "no", "C": "maybe"}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"`{f}`: {m}" for f, m in flatten_validation_error(exc, show_input=False))
    return str(exc) or type(exc).__name__


class MirageOptions(Options):
    """Options of the `mirage` loader."""

    subset: MirageSubset


def _mirage_item(subset: str, qid: str, rec: Any) -> MCItem:
    if not isinstance(rec, dict):
        raise ValueError("record is not a JSON object")
    question = rec.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("missing `question`")
    options = rec.get("options")
    answer = rec.get("answer")
    if options is None and subset in {"pubmedqa", "bioasq"}:
        options = dict(YES_NO_MAYBE) if subset == "pubmedqa" else {"A": "yes", "B": "no"}
    if not isinstance(options, dict) or not options:
        raise ValueError("missing `options` (letter → text)")
    if isinstance(answer, str) and answer not in options:
        # Raw yes/no sources give the answer as text: map it to its letter.
        by_text = {str(v).strip().lower(): k for k, v in options.items()}
        answer = by_text.get(answer.strip().lower(), answer)
    if not isinstance(answer, str) or answer not in options:
        raise ValueError(f"`answer` {answer!r} is not one of the options {sorted(options)}")
    subject = qid.rsplit("-", 1)[0] if subset == "mmlu" and "-" in qid else subset
    pmids = rec.get("PMID")
    meta: dict[str, Any] = {"subset": subset}
    if isinstance(pmids, list):
        meta["pmids"] = [str(p) for p in pmids]
    return MCItem(id=qid, question=question.strip(), options=options, answer=answer, subject=subject, meta=meta)


def load_mirage(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[MCItem]:
    """MIRAGE (Xiong et al. 2024, "Benchmarking Retrieval-Augmented Generation for Medicine").

    Reads `en/mirage/benchmark.json`: `{subset: {qid: {question, options, answer[, PMID]}}}` with 1,089 MMLU-Med,
    1,273 MedQA-US, 4,183 MedMCQA-dev, 500 PubMedQA* and 618 BioASQ-Y/N questions (7,663 in all). `options`
    maps letters to texts and `answer` is the correct letter; PubMedQA* (A yes, B no, C maybe) and BioASQ
    (A yes, B no) are asked without their abstracts, as MIRAGE does, and keep their `PMID`s in `meta.pmids`
    (the abstracts must not be in the knowledge base: see the task's `leakage`). Ids are MIRAGE's own, so
    runs compare question by question with MIRAGE's released predictions; `subject` is the MMLU subject for
    `mmlu`, else the subset name.

    Options: `subset` (required): one of mmlu, medqa, medmcqa, pubmedqa, bioasq.

    Licence (data README): MIRAGE is MIT; MedQA MIT, MedMCQA MIT, PubMedQA MIT, MMLU MIT; BioASQ questions
    under the BioASQ terms of use (registration; research use).
    """
    opts = parse_options(MirageOptions, options, "mirage")
    report = new_report(report, "mirage")
    require_file(path, "mirage")
    text = read_text(path, "mirage")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"loader `mirage`: {path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise DatasetError(msg) from exc
    records = data.get(opts.subset) if isinstance(data, dict) else None
    if not isinstance(records, dict):
        have = ", ".join(sorted(data)) if isinstance(data, dict) else "not a JSON object"
        msg = f"loader `mirage`: {path} has no subset `{opts.subset}` (has: {have}); is it MIRAGE's benchmark.json?"
        raise DatasetError(msg)
    report.files.append(str(path))
    for qid, rec in records.items():
        try:
            item = _mirage_item(opts.subset, str(qid), rec)
        except ValueError as exc:
            report.bad(path.name, None, f"{opts.subset} question {qid}: {_reason(exc)}")
            continue
        report.records += 1
        yield item


class MMLUOptions(Options):
    """Options of the `mmlu` loader."""

    subjects: list[str] | None = None


def _subject_of(csv_path: Path) -> str:
    stem = csv_path.stem
    for suffix in ("_test", "_val", "_dev"):
        if stem.endswith(suffix):
            return stem.removesuffix(suffix)
    return stem


def load_mmlu(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[MCItem]:
    """MMLU (Hendrycks et al. 2021), the nine medical subjects, from the original header-less CSVs.

    Reads `<subject>_<split>.csv` files (or one such file): each row is `question, A, B, C, D, answer-letter`.
    The shipped test folder holds 1,794 questions: anatomy 135, clinical_knowledge 265, college_biology 144,
    college_medicine 173, human_aging 223, medical_genetics 100, nutrition 306, professional_medicine 282,
    virology 166. `subject` is the file's subject and ids are `<subject>-<row index, 3 digits>` (MIRAGE's
    spelling of the same questions).

    Options: `subjects`: only these subjects (default: every CSV in the folder).

    Licence (data README): MIT.
    """
    opts = parse_options(MMLUOptions, options, "mmlu")
    report = new_report(report, "mmlu")
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
    else:
        files = [require_file(path, "mmlu")]
    available = {_subject_of(f): f for f in files}
    if not available:
        msg = f"loader `mmlu`: no `<subject>_test.csv` files in {path}; point `dataset.path` at MMLU's test folder"
        raise DatasetError(msg)
    wanted = opts.subjects or sorted(available)
    unknown = [s for s in wanted if s not in available]
    if unknown:
        msg = f"loader `mmlu`: no CSV for subject(s) {unknown} in {path} (has: {', '.join(sorted(available))})"
        raise DatasetError(msg)
    for subject in wanted:
        csv_path = available[subject]
        report.files.append(str(csv_path))
        for index, (lineno, row) in enumerate(iter_csv(csv_path, "mmlu", report, header=False)):
            if len(row) != 6 or not row[0].strip():
                report.bad(csv_path.name, lineno, f"expected 6 columns (question, A-D, answer), got {len(row)}")
                continue
            answer = row[5].strip().upper()
            if answer not in {"A", "B", "C", "D"}:
                report.bad(csv_path.name, lineno, f"answer {row[5]!r} is not A, B, C or D")
                continue
            options = dict(zip("ABCD", (c.strip() for c in row[1:5]), strict=True))
            report.records += 1
            yield MCItem(
                id=f"{subject}-{index:03d}",
                question=row[0].strip(),
                options=options,
                answer=answer,
                subject=subject,
                meta={"file": csv_path.name},
            )
