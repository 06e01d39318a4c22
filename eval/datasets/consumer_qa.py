"""Consumer health questions with expert reference answers: LiveQA-Med 2017, MEDIQA-2019 QA, MedicationQA and
the MedQuAD held-out split.

Each loader gives QA items (question → reference answer and its source pages) or, for a `retrieval` task,
retrieval items (question → the reference answers' source pages, normalised with `normalize_url`). NIH
answers in these sets come from the same sites as MedQuAD: with MedQuAD indexed the runs are open-book.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from eval.datasets.base import (
    LoadReport,
    NoOptions,
    Options,
    clean_text,
    extract_urls,
    new_report,
    parse_options,
    parse_xml,
    require_file,
    unique_urls,
)
from eval.errors import DatasetError
from eval.schema import Family, QAItem, RetrievalItem
from knowledge.sources.base import iter_jsonl
from knowledge.splits import MEDQUAD_TEST_PERCENT, medquad_split  # noqa: F401  (re-exported: one rule for every layer)

ConsumerItem = QAItem | RetrievalItem


def _item(
    family: Family | None,
    *,
    id: str,
    question: str,
    references: list[str],
    urls: list[str],
    subject: str | None,
    meta: dict[str, Any],
) -> ConsumerItem:
    """A QA item (first reference; all of them in `meta.references`) or a retrieval item (normalised URLs)."""
    if family == "retrieval":
        return RetrievalItem(
            id=id,
            question=question,
            relevant_urls=unique_urls(urls, normalize=True),
            subject=subject,
            meta=meta | {"references": references},
        )
    return QAItem(
        id=id,
        question=question,
        reference=references[0],
        reference_urls=unique_urls(urls, normalize=False),
        subject=subject,
        meta=meta | {"references": references},
    )


def _missing(family: Family | None, references: list[str], urls: list[str]) -> str | None:
    """Why a record cannot become an item of `family`, or None."""
    if family == "retrieval":
        return None if unique_urls(urls, normalize=True) else "no reference answer with a source URL"
    return None if references else "no reference answer"


class LiveQAOptions(Options):
    """Options of the `liveqa` loader."""

    question: Literal["original", "paraphrase", "summary"] = "original"


def load_liveqa(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[ConsumerItem]:
    """TREC 2017 LiveQA medical task, test set (Ben Abacha et al. 2017): 104 consumer questions sent to NLM.

    Reads `TREC-2017-LiveQA-Medical-Test.xml` (or the `-Questions-w-summaries` copy): per `NLM-QUESTION qid`,
    the original `SUBJECT` and `MESSAGE`, NIST's `NIST-PARAPHRASE`, the annotated `FOCUS`/`TYPE`, and 1-3
    `ReferenceAnswer` (a few are spelled `RefAnswer`) with `ANSWER` text and its `AnswerURL` (a few list several
    numbered URLs: every one is kept). QA items take the
    first reference answer as `reference` (all of them in `meta.references`) and the answers' pages as
    `reference_urls`; retrieval items take those pages as `relevant_urls`. `subject` is the first question
    type (e.g. TREATMENT). Whitespace from the XML indentation is collapsed.

    Options: `question`: `original` (subject line + message, as the consumer wrote it; default), `paraphrase`
    (NIST's rewrite) or `summary` (`NLM-Summary`, only in the `-w-summaries` file).

    Licence/terms (data README): NLM, free for research with citation of the LiveQA overview paper.
    """
    opts = parse_options(LiveQAOptions, options, "liveqa")
    report = new_report(report, "liveqa")
    root = parse_xml(require_file(path, "liveqa"), "liveqa")
    report.files.append(str(path))
    questions = root.findall("NLM-QUESTION")
    if not questions:
        msg = f"loader `liveqa`: no <NLM-QUESTION> records in {path}; is it the LiveQA 2017 medical test XML?"
        raise DatasetError(msg)
    for q in questions:
        qid = (q.get("qid") or "").strip()
        subject_line = clean_text(q.findtext("Original-Question/SUBJECT") or "")
        message = clean_text(q.findtext("Original-Question/MESSAGE") or "")
        if opts.question == "paraphrase":
            question = clean_text(q.findtext("NIST-PARAPHRASE") or "")
        elif opts.question == "summary":
            question = clean_text(q.findtext("NLM-Summary") or "")
        else:
            question = "\n".join(p for p in (subject_line, message) if p)
        answers = [a for a in q.findall("ReferenceAnswers/*") if a.tag in {"ReferenceAnswer", "RefAnswer"}]
        references = [t for a in answers if (t := clean_text(a.findtext("ANSWER") or ""))]
        urls = [url for a in answers for url in extract_urls(a.findtext("AnswerURL") or "")]
        problem = _missing(family, references, urls) if qid and question else "missing qid or question text"
        if problem:
            report.bad(path.name, None, f"question {qid or '?'}: {problem}")
            continue
        types = [clean_text(t.text or "") for t in q.findall("ANNOTATIONS/TYPE")]
        meta = {
            "paraphrase": clean_text(q.findtext("NIST-PARAPHRASE") or ""),
            "focus": [clean_text(f.text or "") for f in q.findall("ANNOTATIONS/FOCUS")],
            "types": types,
        }
        report.records += 1
        subject = types[0] if types else None
        yield _item(family, id=qid, question=question, references=references, urls=urls, subject=subject, meta=meta)


def load_liveqa_train(path: Path, *, report: LoadReport | None = None) -> Iterator[QAItem]:
    """TREC 2017 LiveQA medical task, training questions (`TREC-2017-LiveQA-Medical-Train-1.xml`, `-Train-2.xml`):
    per `NLM-QUESTION questionid` (`qid` in Train-2), `SUBJECT` + `MESSAGE` as the consumer wrote them and every
    sub-question's `ANSWERS/ANSWER` (no source URLs in these files). The first answer is the `reference`, all of them in
    `meta.references`; ids are prefixed with the file's stem, since both files number from Q1.

    The tuning set for consumer-question retrieval (`bench.consumer_dev`): no task scores these questions, so
    choices made on them are measured on the LiveQA test set, MEDIQA and MedicationQA without overlap.
    """
    report = new_report(report, "liveqa_train")
    root = parse_xml(require_file(path, "liveqa_train"), "liveqa_train")
    report.files.append(str(path))
    questions = root.findall("NLM-QUESTION")
    if not questions:
        msg = f"loader `liveqa_train`: no <NLM-QUESTION> records in {path}; is it a LiveQA 2017 medical train XML?"
        raise DatasetError(msg)
    for q in questions:
        qid = (q.get("questionid") or q.get("qid") or "").strip()  # Train-1 says questionid, Train-2 qid
        subject_line = clean_text(q.findtext("SUBJECT") or "")
        message = clean_text(q.findtext("MESSAGE") or "")
        question = "\n".join(p for p in (subject_line, message) if p)
        references = [
            t for a in q.findall("SUB-QUESTIONS/SUB-QUESTION/ANSWERS/ANSWER") if (t := clean_text(a.text or ""))
        ]
        if not qid or not question or not references:
            report.bad(path.name, None, f"question {qid or '?'}: missing id, question text or answer")
            continue
        report.records += 1
        types = [clean_text(t.text or "") for t in q.findall("SUB-QUESTIONS/SUB-QUESTION/ANNOTATIONS/TYPE")]
        focus = [clean_text(f.text or "") for f in q.findall("SUB-QUESTIONS/SUB-QUESTION/ANNOTATIONS/FOCUS")]
        yield QAItem(
            id=f"{path.stem}:{qid}",
            question=question,
            reference=references[0],
            subject=types[0] if types else None,
            meta={"references": references, "focus": focus, "types": types},
        )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def load_mediqa_qa(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[ConsumerItem]:
    """MEDIQA 2019 Task 3 (QA), test set with labels (Ben Abacha et al. 2019): 150 questions, 1,107 answers.

    Reads `MEDIQA2019-Task3-QA-TestSet-wLabels.xml`: per `Question QID`, the consumer's `QuestionText` and the
    answers CHiQA retrieved, each with `AnswerURL`, `AnswerText` and the judges' `ReferenceScore` (4 excellent,
    3 correct but incomplete, 2 related, 1 incorrect) and `ReferenceRank`. As in the task, scores 3-4 are
    correct answers. QA items take the best-ranked correct answer as `reference` (all correct ones, best first,
    in `meta.references`) and their pages as `reference_urls`; retrieval items take those pages as
    `relevant_urls`. A question with no correct answer is skipped and counted.

    Options: none.

    Licence/terms (data README): NLM; cite the MEDIQA 2019 overview paper.
    """
    parse_options(NoOptions, options, "mediqa_qa")
    report = new_report(report, "mediqa_qa")
    root = parse_xml(require_file(path, "mediqa_qa"), "mediqa_qa")
    report.files.append(str(path))
    questions = root.findall("Question")
    if not questions:
        msg = f"loader `mediqa_qa`: no <Question> records in {path}; is it a MEDIQA 2019 Task 3 QA file?"
        raise DatasetError(msg)
    for q in questions:
        qid = (q.get("QID") or "").strip()
        question = clean_text(q.findtext("QuestionText") or "")
        answers = q.findall("AnswerList/Answer")
        correct = [a for a in answers if _int(a.get("ReferenceScore"), 0) >= 3]
        correct.sort(key=lambda a: (_int(a.get("ReferenceRank"), 10**6), _int(a.get("SystemRank"), 10**6)))
        references = [t for a in correct if (t := clean_text(a.findtext("AnswerText") or ""))]
        urls = [(a.findtext("AnswerURL") or "").strip() for a in correct]
        if not any(a.get("ReferenceScore") for a in answers):
            problem: str | None = "answers carry no ReferenceScore (use the test set *with labels*)"
        else:
            problem = _missing(family, references, urls)
        if not qid or not question:
            problem = "missing QID or QuestionText"
        if problem:
            report.bad(path.name, None, f"question {qid or '?'}: {problem}")
            continue
        meta = {"answer_ids": [a.get("AID") for a in correct], "answers_judged": len(answers)}
        report.records += 1
        yield _item(family, id=qid, question=question, references=references, urls=urls, subject=None, meta=meta)


def load_medicationqa(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[ConsumerItem]:
    """MedicationQA (Ben Abacha et al., MedInfo 2019): consumer questions about medicines, answered by pharmacists.

    Reads `medicationqa.jsonl` (690 lines, exported from the published `MedInfo2019-QA-Medications.xlsx`), each
    `{Question, Focus (Drug), Question Type, Answer, Section Title, URL}`. A question answered in several
    parts (29 questions, 68 lines) becomes one item: the parts joined as `reference`, their pages
    as `reference_urls`; 651 items. `URL` is `n/a` on 13 lines: QA items keep them without a page, retrieval
    items skip questions with no page (counted). `subject` is the question type (Interaction, Usage, …); ids
    are `mqa-<first line, 4 digits>`.

    Options: none.

    Licence/terms (data README): NLM; cite the MedInfo 2019 paper.
    """
    parse_options(NoOptions, options, "medicationqa")
    report = new_report(report, "medicationqa")
    require_file(path, "medicationqa")
    report.files.append(str(path))
    groups: dict[str, dict[str, Any]] = {}
    for lineno, row in iter_jsonl(path, report):
        question, answer = row.get("Question"), row.get("Answer")
        if not isinstance(question, str) or not question.strip() or not isinstance(answer, str) or not answer.strip():
            report.bad(path.name, lineno, "missing `Question` or `Answer`")
            continue
        key = " ".join(question.split())
        group = groups.setdefault(
            key, {"line": lineno, "question": key, "answers": [], "urls": [], "row": row, "sections": []}
        )
        group["answers"].append(clean_text(answer))
        group["urls"].append(str(row.get("URL") or ""))
        group["sections"].append(row.get("Section Title"))
    for group in groups.values():
        problem = _missing(family, group["answers"], group["urls"])
        if problem:
            report.bad(path.name, group["line"], f"{problem} (URL is {group['urls'][0]!r})")
            continue
        row = group["row"]
        references = group["answers"] if family == "retrieval" else ["\n\n".join(group["answers"])]
        meta = {"focus": row.get("Focus (Drug)"), "sections": group["sections"], "parts": len(group["answers"])}
        report.records += 1
        yield _item(
            family,
            id=f"mqa-{group['line']:04d}",
            question=group["question"],
            references=references,
            urls=group["urls"],
            subject=row.get("Question Type") or None,
            meta=meta,
        )


class MedQuADOptions(Options):
    """Options of the `medquad_heldout` loader."""

    split: Literal["test", "dev"] = "test"


def load_medquad_heldout(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[ConsumerItem]:
    """MedQuAD (Ben Abacha & Demner-Fushman 2019), the held-out split by focus (see `medquad_split`).

    Reads `medquad_answered.jsonl` (16,407 answered pairs from 12 NIH sites: `qid, question, answer, url,
    focus, cui, qtype, source, …`). The `test` split (default) holds the questions whose focus hashes into the
    held-out 10 %. QA items: question → answer (`reference`, whitespace collapsed), the answer's page as
    `reference_urls`, `subject` = question type (information, symptoms, treatment, …). Retrieval items group
    identical question texts (GHR and GARD ask the same "What is (are) X ?"): `relevant_urls` = the answers'
    pages (what the retrieval metrics match, as for the other consumer sets); `meta.relevant_doc_ids` = the
    knowledge-base document ids (`medquad:<qid>`) that `knowledge.sources.medquad` gives those answer texts
    (chunk ids are `<document id>#<n>`), for document-level scoring. `relevant_ids` stays empty: the metrics
    would match it against ranked chunk ids. Repeated qids are numbered `qid~2`, `~3` in
    file order, as the knowledge base does.

    MedQuAD is the main knowledge corpus: these runs are open-book by construction (the reference answer is
    in the index); they measure retrieval and faithful use of it, not recall from memory.

    Options: `split`: `test` (default) or `dev`.

    Licence (data README): CC BY 4.0.
    """
    opts = parse_options(MedQuADOptions, options, "medquad_heldout")
    report = new_report(report, "medquad_heldout")
    require_file(path, "medquad_heldout")
    report.files.append(str(path))
    seen_qids: dict[str, int] = {}
    doc_of_text: dict[str, str] = {}
    rows: list[tuple[int, str, dict[str, Any], str]] = []
    for lineno, row in iter_jsonl(path, report):
        qid, raw_answer, question = row.get("qid"), row.get("answer"), row.get("question")
        answer = raw_answer if isinstance(raw_answer, str) else ""
        has_answer = bool(answer.strip())
        if qid and (row.get("focus") or question) and has_answer:
            # Number repeated qids exactly as knowledge.sources.medquad does, so document ids match the index.
            seen_qids[qid] = seen_qids.get(qid, 0) + 1
            qid = qid if seen_qids[qid] == 1 else f"{qid}~{seen_qids[qid]}"
            doc_of_text.setdefault(clean_text(answer), f"medquad:{qid}")
        if medquad_split(row.get("focus")) != opts.split:
            continue
        if not qid or not isinstance(question, str) or not question.strip() or not has_answer:
            report.bad(path.name, lineno, "missing `qid`, `question` or `answer`")
            continue
        rows.append((lineno, str(qid), row, clean_text(answer)))
    if family == "retrieval":
        yield from _medquad_retrieval(rows, doc_of_text, report)
        return
    for _lineno, qid, row, answer in rows:
        report.records += 1
        yield QAItem(
            id=qid,
            question=clean_text(row["question"]),
            reference=answer,
            reference_urls=unique_urls([str(row.get("url") or "")], normalize=False),
            subject=row.get("qtype") or None,
            meta={"focus": row.get("focus"), "cui": row.get("cui"), "source": row.get("source")},
        )


def _medquad_retrieval(
    rows: list[tuple[int, str, dict[str, Any], str]], doc_of_text: dict[str, str], report: LoadReport
) -> Iterator[RetrievalItem]:
    groups: dict[str, list[tuple[int, str, dict[str, Any], str]]] = {}
    for entry in rows:
        groups.setdefault(clean_text(entry[2]["question"]).lower(), []).append(entry)
    for members in groups.values():
        first = members[0]
        urls = unique_urls([str(m[2].get("url") or "") for m in members], normalize=True)
        ids = list(dict.fromkeys(doc_of_text[m[3]] for m in members))
        report.records += 1
        yield RetrievalItem(
            id=first[1],
            question=clean_text(first[2]["question"]),
            relevant_urls=urls,
            subject=first[2].get("qtype") or None,
            meta={"focus": first[2].get("focus"), "qids": [m[1] for m in members], "relevant_doc_ids": ids},
        )
