"""The hand-written patient rewrites of MedQuAD questions, their loader and the `retrieval-medquad-patient` task.

The format checks read only the shipped file (`eval/data/medquad_patient_questions.jsonl`); the check that the
relevant pages are MedQuAD's answers for the original question reads the real data (integration, as in
`test_datasets.py`: skipped when CLINICALGPT_DATA_DIR is not set).
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from eval.datasets import LOADERS, LoadReport, load_dataset, medquad_split, normalize_url, resolve_dataset_path
from eval.datasets.base import clean_text, unique_urls
from eval.datasets.consumer_qa import load_medquad_heldout
from eval.datasets.patient_rewrites import PatientRewrite, PatientRewriteOptions
from eval.errors import DatasetError
from eval.schema import RetrievalItem
from eval.tasks import load_task, validate_task_file
from eval.tasks.config import DatasetConfig
from tests.integration.conftest import real_data_dir

TASK = "retrieval-medquad-patient"
TASK_FILE = Path(__file__).resolve().parents[2] / "eval" / "tasks" / f"{TASK}.yaml"


def rewrites_file() -> Path:
    return resolve_dataset_path(load_task(TASK), None)


def rewrites() -> list[PatientRewrite]:
    lines = rewrites_file().read_text(encoding="utf-8").splitlines()
    return [PatientRewrite.model_validate_json(line) for line in lines if line.strip()]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def template_of(original: str, focus: str) -> re.Pattern[str] | None:
    """MedQuAD's template phrase around the focus ("what are the symptoms of", "is … inherited"), as a pattern."""
    text, name = " ".join(words(original)), " ".join(words(focus))
    at = text.find(name)
    if at < 0:
        return None
    prefix, suffix = text[:at].strip(), text[at + len(name) :].strip()
    if len(prefix.split()) >= 2:
        return re.compile(rf"\b{re.escape(prefix)}\b")
    if prefix and suffix:  # "is X inherited"
        return re.compile(rf"\b{re.escape(prefix)}\b.*\b{re.escape(suffix)}\b")
    return None


# -- the file ------------------------------------------------------------------------------------------
def test_file_parses_with_unique_ids_and_foci_and_both_halves() -> None:
    items = rewrites()
    assert len(items) >= 120
    assert len({r.id for r in items}) == len(items)
    assert len({" ".join(r.focus.lower().split()) for r in items}) == len(items)  # at most one per focus
    per_split = Counter(r.split for r in items)
    assert per_split["test"] >= 60 and per_split["dev"] >= 60, per_split
    for r in items:
        assert r.question == r.question.strip() and "\n" not in r.question
        assert all(normalize_url(u).startswith("https://") for u in r.relevant_urls), r.id
        assert unique_urls(r.relevant_urls, normalize=False) == r.relevant_urls, r.id  # no duplicate pages


def test_split_is_the_focus_hash_not_the_stored_label() -> None:
    wrong = [(r.id, r.split) for r in rewrites() if medquad_split(r.focus) != r.split]
    assert wrong == []


def test_rewrites_are_not_the_original_questions() -> None:
    items = rewrites()
    for r in items:
        assert words(r.question) != words(r.original_question), r.id
    # MedQuAD's template phrase ("what are the symptoms of", "how to prevent", "is … inherited"): measured 0/120.
    templated = [
        r.id
        for r in items
        if (t := template_of(r.original_question, r.focus)) and t.search(" ".join(words(r.question)))
    ]
    assert len(templated) <= 0.05 * len(items), templated
    # Share of the original's words found in the rewrite: measured mean 0.36, 10/120 (8 %) at ≥ 0.7, all of them
    # items that keep a long disease name ("immune dysfunction with T-cell inactivation due to calcium entry …").
    overlap = {
        r.id: len(set(words(r.original_question)) & set(words(r.question))) / len(set(words(r.original_question)))
        for r in items
    }
    assert statistics.mean(overlap.values()) <= 0.45, statistics.mean(overlap.values())
    high = sorted(i for i, v in overlap.items() if v >= 0.7)
    assert len(high) <= 0.12 * len(items), high


def test_mix_of_naming_styles_question_types_and_sites() -> None:
    items = rewrites()
    for split in ("test", "dev"):
        half = [r for r in items if r.split == split]
        styles = Counter(r.style for r in half)
        # about a third each: the disease's own name, a lay name or misspelling, the condition described
        assert 0.2 <= styles["same-name"] / len(half) <= 0.45, styles
        assert 0.2 <= (styles["lay-name"] + styles["misspelling"]) / len(half) <= 0.5, styles
        assert 0.2 <= styles["context"] / len(half) <= 0.45, styles
        assert len({r.qtype for r in half}) >= 12, Counter(r.qtype for r in half)
        assert len({r.source for r in half}) >= 8, Counter(r.source for r in half)


# -- loader and task -----------------------------------------------------------------------------------
def test_task_validates_and_loads_the_test_half_by_default() -> None:
    task = validate_task_file(TASK_FILE)
    assert task == load_task(TASK)
    assert task.family == "retrieval" and task.modes == ["retrieval-only"]
    assert task.leakage.open_book_sources == ["medquad"] and task.default_limit is None
    assert PatientRewriteOptions().split == "test"
    by_id = {r.id: r for r in rewrites()}
    loaded = load_dataset(task, None)  # shipped with the package: no data folder needed
    assert loaded.report.malformed == 0 and loaded.total == 60
    assert {by_id[i.id].split for i in loaded.items} == {"test"}
    assert {i.id for i in loaded.items} == {r.id for r in by_id.values() if r.split == "test"}
    first = loaded.items[0]
    assert isinstance(first, RetrievalItem) and first.question == by_id[first.id].question
    assert first.relevant_urls == [normalize_url(u) for u in by_id[first.id].relevant_urls]
    assert first.subject == by_id[first.id].qtype and first.meta["original_qid"] == by_id[first.id].original_qid


def test_dev_half_and_original_questions_on_request() -> None:
    task = load_task(TASK)
    options = {"split": "dev", "question": "original"}
    dev = task.model_copy(
        update={"dataset": DatasetConfig(path=task.dataset.path, loader=task.dataset.loader, options=options)}
    )
    by_id = {r.id: r for r in rewrites()}
    items = load_dataset(dev, None).items
    assert len(items) == 60 and {by_id[i.id].split for i in items} == {"dev"}
    assert all(isinstance(i, RetrievalItem) and i.question == by_id[i.id].original_question for i in items)


def test_loader_skips_and_counts_lines_it_cannot_trust(tmp_path: Path) -> None:
    good = next(r for r in rewrites() if r.split == "test").model_dump()
    other = next(r for r in rewrites() if r.split == "dev").model_dump()
    lines = [
        good,
        other,  # the dev half: passed over, not an error
        good | {"id": "mqp-900"},  # a second rewrite about the same focus
        other | {"id": "mqp-901", "split": "test"},  # a split label that the focus hash contradicts
        other | {"id": "mqp-902", "focus": "Something else", "question": other["original_question"].upper()},
        good | {"id": "mqp-903", "focus": "Another", "relevant_urls": ["n/a"]},
        good | {"id": "mqp-904", "focus": "Third", "relevant_ids": ["x"]},  # unknown key
    ]
    lines[4]["split"] = medquad_split("Something else")
    lines[5]["split"] = medquad_split("Another")
    lines[6]["split"] = medquad_split("Third")
    path = tmp_path / "rewrites.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8")
    report = LoadReport(source="t")
    items = list(LOADERS["medquad_patient"](path, {}, family="retrieval", report=report))
    assert [i.id for i in items] == [good["id"]]
    reasons = [p.reason for p in report.problems]
    assert report.malformed == 6 and report.records == 1, reasons
    assert any("second rewrite" in r for r in reasons) and any("medquad_split" in r for r in reasons)
    assert any("original question" in r for r in reasons) and any("web address" in r for r in reasons)
    with pytest.raises(DatasetError, match="bad options"):
        list(LOADERS["medquad_patient"](path, {"split": "train"}, family="retrieval"))
    with pytest.raises(DatasetError, match="retrieval items"):
        list(LOADERS["medquad_patient"](path, {}, family="qa"))


@pytest.mark.parametrize("path", ["package:data/no-such-file.jsonl", "package:../pyproject.toml", "package:/etc/hosts"])
def test_package_paths_must_name_a_shipped_file(path: str) -> None:
    task = load_task(TASK)
    bad = task.model_copy(update={"dataset": DatasetConfig(path=path, loader="medquad_patient")})
    with pytest.raises(DatasetError, match="not a file shipped in the `eval` package"):
        resolve_dataset_path(bad, None)


# -- against MedQuAD (real data) -----------------------------------------------------------------------
@pytest.mark.integration
def test_relevant_pages_are_medquads_answers_for_the_original_question() -> None:
    value = str(real_data_dir())  # fails with the fix when the datasets are missing: never a silent skip
    medquad = Path(value) / "en" / "medquad" / "medquad_answered.jsonl"
    rows: dict[str, dict[str, object]] = {}
    urls_of_text: dict[str, set[str]] = {}
    seen: Counter[str] = Counter()
    for line in medquad.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        seen[row["qid"]] += 1  # repeated qids numbered as the knowledge base does
        rows[row["qid"] if seen[row["qid"]] == 1 else f"{row['qid']}~{seen[row['qid']]}"] = row
        if isinstance(row.get("answer"), str) and row["answer"].strip():
            urls_of_text.setdefault(clean_text(row["question"]).lower(), set()).add(row["url"])
    heldout = {
        qid: item
        for split in ("test", "dev")
        for item in load_medquad_heldout(medquad, {"split": split}, family="retrieval")
        for qid in item.meta["qids"]
    }
    for r in rewrites():
        row = rows[r.original_qid]
        assert clean_text(str(row["question"])) == r.original_question, r.id
        assert (row["focus"], row["qtype"], row["source"]) == (r.focus, r.qtype, r.source), r.id
        # every page is an answer page MedQuAD gives for that question text, as the knowledge base stores it
        assert set(r.relevant_urls) <= urls_of_text[r.original_question.lower()], r.id
        # and relevance is exactly retrieval-medquad's (identical question texts merged, URLs normalised)
        item = heldout[r.original_qid]
        assert item.question.lower() == r.original_question.lower(), r.id
        assert [normalize_url(u) for u in r.relevant_urls] == item.relevant_urls, r.id
        # the answer passage is indexed under this very question, so its chunks carry these pages
        assert f"medquad:{r.original_qid}" in item.meta["relevant_doc_ids"], r.id
