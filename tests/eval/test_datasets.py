"""Dataset loaders on tiny fixtures written in each source's real format, plus sampling and URL rules.

The fixtures under `tests/data/eval/` mirror the data folder's layout, so every shipped task also loads from
them. One integration test loads every shipped task from the real data folder and checks the record counts.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from eval.datasets import LOADERS, LoadReport, load_dataset, load_items, medquad_split, normalize_url
from eval.datasets.base import extract_urls
from eval.errors import DatasetError
from eval.schema import ConsultationItem, DiagnosisItem, Family, MCItem, QAItem, RetrievalItem
from eval.tasks import list_tasks, load_task
from eval.tasks.config import DatasetConfig, TaskConfig
from tests.integration.conftest import real_data_dir

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "eval"


def run(
    loader: str, rel: str, options: dict[str, Any] | None = None, family: Family | None = None
) -> tuple[list[Any], LoadReport]:
    """Items (typed `Any` so tests read their fields directly) and the problem report of one loader call."""
    report = LoadReport(source=loader)
    items = list(LOADERS[loader](FIXTURES / rel, options or {}, family=family, report=report))
    return items, report


def make_task(path: str, loader: str = "jsonl", family: Family = "qa", **options: Any) -> TaskConfig:
    target = {"exam": "answer", "diagnosis": "diagnosis", "retrieval": "relevant_urls"}.get(family, "reference")
    return TaskConfig(
        name="t",
        version=1,
        family=family,
        description="test",
        dataset=DatasetConfig(path=path, loader=loader, options=options),
        prompt="{question}",
        target=target,
        metrics=["rouge"],
        modes=["retrieval-only"] if family == "retrieval" else ["closed"],
    )


# -- exams ---------------------------------------------------------------------------------------------
def test_mirage_subsets() -> None:
    items, report = run("mirage", "en/mirage/benchmark.json", {"subset": "medqa"})
    assert [i.id for i in items] == ["0000", "0002"]
    assert isinstance(items[0], MCItem) and items[0].answer == "D" and items[0].subject == "medqa"
    assert report.malformed == 1 and "0001" in report.problems[0].reason and "`answer`" in report.problems[0].reason

    items, report = run("mirage", "en/mirage/benchmark.json", {"subset": "mmlu"})
    assert [(i.id, i.subject) for i in items] == [
        ("anatomy-000", "anatomy"),
        ("college_medicine-003", "college_medicine"),
    ]

    items, report = run("mirage", "en/mirage/benchmark.json", {"subset": "medmcqa"})
    assert len(items) == 1 and report.malformed == 1 and "question" in report.problems[0].reason


def test_mirage_yes_no_questions() -> None:
    items, _ = run("mirage", "en/mirage/benchmark.json", {"subset": "pubmedqa"})
    assert items[0].options == {"A": "yes", "B": "no", "C": "maybe"} and items[0].meta["pmids"] == ["12377809"]
    items, report = run("mirage", "en/mirage/benchmark.json", {"subset": "bioasq"})
    # A record without options is asked as MIRAGE asks BioASQ: A yes, B no; a text answer becomes its letter.
    assert [(i.options, i.answer) for i in items] == [({"A": "yes", "B": "no"}, "B"), ({"A": "yes", "B": "no"}, "A")]
    assert report.malformed == 0


def test_mirage_bad_options_and_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="subset"):
        run("mirage", "en/mirage/benchmark.json", {"subset": "pubmed"})
    broken = tmp_path / "benchmark.json"
    broken.write_text('{"medqa": {"0000": ', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"invalid JSON at line 1"):
        list(LOADERS["mirage"](broken, {"subset": "medqa"}))


def test_mmlu_csvs() -> None:
    items, report = run("mmlu", "en/mmlu_medical/test")
    assert [i.id for i in items] == ["anatomy-000", "anatomy-002", "virology-000"]
    assert items[0].options["C"] == "paralysis of the facial muscles, loss of taste and lacrimation."
    assert items[2].question == 'Which virus causes "shingles"?' and items[2].subject == "virology"
    assert [(p.file, p.line) for p in report.problems] == [("anatomy_test.csv", 2), ("anatomy_test.csv", 4)]
    only, _ = run("mmlu", "en/mmlu_medical/test", {"subjects": ["virology"]})
    assert [i.id for i in only] == ["virology-000"]
    with pytest.raises(DatasetError, match="nutrition"):
        run("mmlu", "en/mmlu_medical/test", {"subjects": ["nutrition"]})


# -- consumer questions --------------------------------------------------------------------------------
def test_liveqa_qa_items() -> None:
    items, report = run("liveqa", "en/liveqa2017/TREC-2017-LiveQA-Medical-Test.xml", family="qa")
    assert [i.id for i in items] == ["TQ1", "TQ2"]
    first = items[0]
    assert isinstance(first, QAItem)
    assert first.question == (
        "Noonan syndrome\nWhat are the references with noonan syndrome and polycystic renal disease"
    )
    assert (
        first.reference
        == "10% of patients with Noonan syndrome have renal abnormalities but most do not need treatment."
    )
    assert len(first.meta["references"]) == 2 and first.subject == "EFFECT"
    assert first.reference_urls[1] == "https://www.ncbi.nlm.nih.gov/books/NBK1124/"
    assert len(items[1].reference_urls) == 2  # "1. https://… 2. https://…" in one AnswerURL
    assert report.malformed == 1 and "TQ3" in report.problems[0].reason
    para, _ = run("liveqa", "en/liveqa2017/TREC-2017-LiveQA-Medical-Test.xml", {"question": "paraphrase"}, "qa")
    assert para[1].question == "Can anesthesia have negative cognitive effects on patients with FXTAS?"


def test_liveqa_retrieval_items() -> None:
    items, report = run("liveqa", "en/liveqa2017/TREC-2017-LiveQA-Medical-Test.xml", family="retrieval")
    assert isinstance(items[0], RetrievalItem)
    assert items[0].relevant_urls == [
        "https://thelancet.com/journals/lancet/article/PIIS0140-6736(12)61023-X/fulltext",
        "https://ncbi.nlm.nih.gov/books/NBK1124",
    ]
    assert items[1].relevant_urls == [
        "https://rarediseases.info.nih.gov/diseases/6140/fxtas",
        "https://fragilex.org/2013/fxtas/cognitive-functioning",
    ]
    assert report.malformed == 1


def test_mediqa_best_ranked_correct_answer() -> None:
    items, report = run("mediqa_qa", "en/mediqa2019/MEDIQA2019-Task3-QA-TestSet-wLabels.xml", family="qa")
    assert [i.id for i in items] == ["1"]
    item = items[0]
    assert item.reference.startswith("Abetalipoproteinemia: support groups")  # rank 1, score 4
    assert item.meta["answer_ids"] == ["1_Answer3", "1_Answer2"]  # score-2 answer left out
    assert item.reference_urls == [
        "https://rarediseases.info.nih.gov/diseases/5/abetalipoproteinemia/",
        "https://www.nlm.nih.gov/medlineplus/ency/article/001666.htm",
    ]
    assert report.malformed == 1 and "question 2" in report.problems[0].reason
    ret, _ = run("mediqa_qa", "en/mediqa2019/MEDIQA2019-Task3-QA-TestSet-wLabels.xml", family="retrieval")
    assert ret[0].relevant_urls == [
        "https://rarediseases.info.nih.gov/diseases/5/abetalipoproteinemia",
        "https://nlm.nih.gov/medlineplus/ency/article/001666.htm",
    ]


def test_medicationqa_groups_answer_parts() -> None:
    items, report = run("medicationqa", "en/medicationqa/medicationqa.jsonl", family="qa")
    assert [i.id for i in items] == ["mqa-0001", "mqa-0002", "mqa-0004"]
    breo = items[1]
    assert breo.reference.startswith("The combination") and "\n\nTo use the inhaler" in breo.reference
    assert breo.reference_urls == ["https://medlineplus.gov/druginfo/meds/a613037.html"]
    assert items[2].reference_urls == []  # URL "n/a"
    assert breo.subject == "Action" and breo.meta["parts"] == 2
    assert [p.line for p in report.problems] == [5, 6]
    ret, report = run("medicationqa", "en/medicationqa/medicationqa.jsonl", family="retrieval")
    assert [i.id for i in ret] == ["mqa-0001", "mqa-0002"]
    assert ret[0].relevant_urls == [
        "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=554baee5-b171-4452-a50a-41a0946f956c"
    ]
    assert report.malformed == 3 and "n/a" in report.problems[-1].reason


def test_medquad_heldout_split() -> None:
    items, report = run("medquad_heldout", "en/medquad/medquad_answered.jsonl", family="qa")
    assert [i.id for i in items] == ["0000001-1", "0000002-1", "0000001-2", "0000004_1-1", "0000004_1-1~2"]
    assert items[0].reference.startswith("Sarcoidosis is a disease in which") and "\n" not in items[0].reference
    assert {i.meta["focus"] for i in items} == {"Sarcoidosis", "Cystic Fibrosis", "Achondroplasia"}
    assert report.malformed == 2  # the record without an answer (a test focus) and the broken line
    dev, _ = run("medquad_heldout", "en/medquad/medquad_answered.jsonl", {"split": "dev"}, "qa")
    assert [i.id for i in dev] == ["0000003-1", "0000006-1"]
    assert not {i.meta["focus"] for i in dev} & {i.meta["focus"] for i in items}


def test_medquad_retrieval_matches_knowledge_base_ids() -> None:
    from knowledge.sources.medquad import load_medquad

    items, _ = run("medquad_heldout", "en/medquad/medquad_answered.jsonl", family="retrieval")
    assert [i.id for i in items] == ["0000001-1", "0000001-2", "0000004_1-1", "0000004_1-1~2"]
    sarcoidosis = items[0]
    assert sarcoidosis.relevant_urls == [
        "https://ghr.nlm.nih.gov/condition/sarcoidosis",
        "https://rarediseases.info.nih.gov/gard/7605/sarcoidosis",
    ]
    assert sarcoidosis.relevant_ids == []
    kb_ids = {doc.doc_id for doc in load_medquad(FIXTURES, fmt="jsonl").docs}
    doc_ids = [d for i in items for d in i.meta["relevant_doc_ids"]]
    assert doc_ids and set(doc_ids) <= kb_ids


def test_medquad_split_is_deterministic_and_balanced() -> None:
    assert medquad_split("Sarcoidosis") == "test" and medquad_split("Asthma") == "dev"
    assert medquad_split("  SARCOIDOSIS ") == medquad_split("sarcoidosis") == "test"
    assert medquad_split(None) == medquad_split("") == "dev"
    foci = [f"disease {n}" for n in range(3000)]
    first = [medquad_split(f) for f in foci]
    assert first == [medquad_split(f) for f in foci]
    share = first.count("test") / len(first)
    assert 0.08 < share < 0.12
    test_foci = {f for f, s in zip(foci, first, strict=True) if s == "test"}
    dev_foci = {f for f, s in zip(foci, first, strict=True) if s == "dev"}
    assert not test_foci & dev_foci and len(test_foci | dev_foci) == len(foci)


# -- consultations -------------------------------------------------------------------------------------
def test_mts_dialog_sections() -> None:
    items, report = run("mts_dialog", "en/mts_dialog")
    assert [i.id for i in items] == ["test1-0", "test1-2", "test2-0"]
    first = items[0]
    assert isinstance(first, ConsultationItem)
    assert first.target == "history of present illness" and first.subject == "GENHX"
    assert first.dialogue.startswith("Doctor: Good afternoon") and first.dialogue.count("\n") == 3
    assert first.reference.startswith("The patient is a 55-year-old")
    assert [(p.file, p.line) for p in report.problems] == [("MTS-Dialog-TestSet-1-MEDIQA-Chat-2023.csv", 6)]
    one, _ = run("mts_dialog", "en/mts_dialog/MTS-Dialog-TestSet-2-MEDIQA-Sum-2023.csv")
    assert [(i.id, i.target) for i in one] == [("MTS-Dialog-TestSet-2-MEDIQA-Sum-2023-0", "chief complaint")]


def test_aci_bench_notes() -> None:
    items, report = run("aci_bench", "en/aci_bench/challenge_data")
    assert [i.id for i in items] == ["test1-D2N088", "test2-D2N128", "test3-D2N168"]
    first = items[0]
    assert first.reference.startswith("CHIEF COMPLAINT\n\nUpper respiratory infection.")
    assert first.subject == "virtassist" and first.target == "full clinical note"
    assert first.meta["cc"] == "upper respiratory infection" and "patient_firstname" not in first.meta
    assert report.malformed == 1 and report.problems[0].file == "clef_taskC_test3.csv"
    with pytest.raises(DatasetError, match="train.csv"):
        run("aci_bench", "en/aci_bench/challenge_data", {"splits": ["train"]})


def test_covid_dialogue_next_doctor_turn() -> None:
    items, report = run("covid_dialogue", "en/covid_dialogue_en/COVID-Dialogue-Dataset-English.txt")
    assert [i.id for i in items] == ["covid-001", "covid-002", "covid-003"]  # the file repeats id=2
    assert items[0].dialogue == "Patient: Hello doctor, I get a cough for the last few days.\nNo raise in temperature."
    assert items[0].reference == "Hello, I understand your concern.\nDoes your cough has phlegm?"
    # Up to the last doctor turn; the patient's closing thanks is dropped.
    assert items[1].dialogue.splitlines()[-1] == "Patient: Thank you doctor, here is the report."
    assert items[1].reference == "Your total count is normal. Take paracetamol."
    assert items[2].meta["source_id"] == "2" and items[2].target == "next doctor turn"
    assert report.malformed == 1 and "id=3" in report.problems[0].reason and report.problems[0].line == 46


# -- diagnosis -----------------------------------------------------------------------------------------
def test_ddxplus_records() -> None:
    items, report = run("ddxplus", "en/ddxplus/release_test_patients_mini_version.txt")
    assert [i.id for i in items] == ["ddxplus-0001", "ddxplus-0002"]
    first = items[0]
    assert isinstance(first, DiagnosisItem)
    assert first.record.splitlines() == [
        "Age: 8",
        "Sex: male",
        "Reason for consulting: Do you have a fever (either felt or measured with a thermometer)? yes",
        "Symptoms and findings:",
        "- Do you have pain somewhere, related to your reason for consulting? yes",
        "- Characterize your pain: sensitive, heavy",
        "- How intense is the pain? 4/10",
        "- Do you have a fever (either felt or measured with a thermometer)? yes",
        "History and risk factors:",
        "- Have you traveled out of the country in the last 4 weeks? no",
    ]
    assert first.diagnosis == "Pneumonia" and first.differential == ["Pneumonia", "Bronchitis"]
    assert first.meta["icd10_codes"] == ["J17", "J18"] and first.icd10 is None
    assert items[1].diagnosis == "Bronchitis" and "Asia" in items[1].record  # French condition key → English
    assert [p.line for p in report.problems] == [4, 5]
    assert "Flu" in report.problems[0].reason and "E_999" in report.problems[1].reason


def test_ddxplus_original_release_columns(tmp_path: Path) -> None:
    for name in ("release_evidences.json", "release_conditions.json"):
        shutil.copy(FIXTURES / "en/ddxplus" / name, tmp_path / name)
    patients = tmp_path / "release_test_patients.csv"
    patients.write_text(
        "AGE,DIFFERENTIAL_DIAGNOSIS,SEX,PATHOLOGY,EVIDENCES,INITIAL_EVIDENCE\n"
        "\"61\",\"[['Bronchite', 0.8], ['Pneumonia', 0.2]]\",F,Bronchite,\"['E_53', 'E_91']\",E_53\n",
        encoding="utf-8",
    )
    items: list[Any] = list(LOADERS["ddxplus"](patients, {}))
    assert items[0].diagnosis == "Bronchitis" and items[0].record.startswith("Age: 61\nSex: female")


def test_medfound_records() -> None:
    items, report = run("medfound", "zh/medfound_dx_test_en/test.jsonl")
    assert [(i.id, i.diagnosis, i.icd10) for i in items] == [
        ("2212463", "Thrombocytopenic purpura", "D69.405"),
        ("2218808", "Thyroid cyst", "E04.101"),
    ]
    assert items[0].record.startswith("Patient Information:\nAge: 24 years")
    assert report.malformed == 1 and report.problems[0].line == 3


# -- the generic JSONL format --------------------------------------------------------------------------
GENERIC = {
    "exam": ({"id": "e1", "question": "Q?", "options": ["yes", "no"], "answer": "B"}, MCItem),
    "qa": ({"id": "q1", "question": "Q?", "reference": "R."}, QAItem),
    "consultation": ({"id": "c1", "dialogue": "Patient: hi", "reference": "Doctor: hello"}, ConsultationItem),
    "diagnosis": ({"id": "d1", "record": "Age 3", "diagnosis": "Croup", "differential": ["Croup"]}, DiagnosisItem),
    "retrieval": ({"id": "r1", "question": "Q?", "relevant_urls": ["https://a.org/x"]}, RetrievalItem),
}


@pytest.mark.parametrize("family", sorted(GENERIC))
def test_jsonl_every_family(tmp_path: Path, family: Family) -> None:
    good, item_type = GENERIC[family]
    path = tmp_path / "items.jsonl"
    lines = [json.dumps(good), json.dumps({"id": "bad"}), "not json", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    report = LoadReport(source="jsonl")
    items = list(LOADERS["jsonl"](path, {}, family=family, report=report))
    assert len(items) == 1 and type(items[0]) is item_type
    assert [p.line for p in report.problems] == [2, 3]


def test_jsonl_user_fixture_counts_bad_lines() -> None:
    task = load_task(str(FIXTURES / "user/my-qa.yaml"))
    loaded = load_dataset(task, FIXTURES)
    assert [i.id for i in loaded.items] == ["1", "2"] and loaded.items[1].subject == "blood"
    assert loaded.report.malformed == 2
    assert "`reference`: Field required" in loaded.report.problems[0].reason
    assert "`refrence`" in loaded.report.problems[1].reason


# -- load_items: data folder, duplicates, sampling -----------------------------------------------------
def _write_items(path: Path, n: int, *, duplicate: bool = False) -> None:
    rows = [{"id": f"q{i:03d}", "question": f"Q{i}?", "reference": "R."} for i in range(n)]
    if duplicate:
        rows.append({"id": "q000", "question": "again", "reference": "R."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_limit_and_seed_sample_reproducibly(tmp_path: Path) -> None:
    _write_items(tmp_path / "items.jsonl", 50)
    task = make_task("items.jsonl")
    full = load_items(task, tmp_path)
    first = load_dataset(task, tmp_path, limit=10, seed=7)
    again = load_dataset(task, tmp_path, limit=10, seed=7)
    assert [i.id for i in first.items] == [i.id for i in again.items] and first.ids_sha256 == again.ids_sha256
    assert first.sampled and first.total == 50 and first.limit == 10 and first.seed == 7
    expected = set(random.Random(7).sample(sorted(i.id for i in full), 10))
    assert [i.id for i in first.items] == [i.id for i in full if i.id in expected]  # file order kept
    other = load_dataset(task, tmp_path, limit=10, seed=8)
    assert {i.id for i in other.items} != expected
    everything = load_dataset(task, tmp_path, limit=500)
    assert not everything.sampled and len(everything.items) == 50


def test_duplicate_ids_are_skipped_and_counted(tmp_path: Path) -> None:
    _write_items(tmp_path / "items.jsonl", 3, duplicate=True)
    loaded = load_dataset(make_task("items.jsonl"), tmp_path)
    first = loaded.items[0]
    assert len(loaded.items) == 3 and isinstance(first, QAItem) and first.question == "Q0?"
    assert loaded.report.malformed == 1 and "duplicate id `q000`" in loaded.report.problems[0].reason
    assert loaded.report.records == 3


def test_data_dir_and_file_errors(tmp_path: Path) -> None:
    task = make_task("items.jsonl")
    with pytest.raises(DatasetError, match="CLINICALGPT_DATA_DIR"):
        load_items(task, None)
    with pytest.raises(DatasetError, match=r"not found: .*items\.jsonl"):
        load_items(task, tmp_path)
    (tmp_path / "items.jsonl").write_text("garbage\n{}\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"no usable record .*2 malformed; first problem: items\.jsonl:1"):
        load_items(task, tmp_path)
    _write_items(tmp_path / "items.jsonl", 2)
    with pytest.raises(DatasetError, match="`limit` must be ≥ 1"):
        load_items(task, tmp_path, limit=0)
    assert len(load_items(make_task(str(tmp_path / "items.jsonl")), None)) == 2  # absolute path: no data dir


def test_unreadable_xml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "test.xml"
    path.write_text("<root>\n<Question QID='1'>\n</root>\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"invalid XML at line 3"):
        list(LOADERS["mediqa_qa"](path, {}, family="qa"))


@pytest.mark.parametrize("task", list_tasks(), ids=lambda t: t.name)
def test_every_shipped_task_loads_from_fixtures(task: TaskConfig) -> None:
    loaded = load_dataset(task, FIXTURES)
    assert loaded.items and all(type(i).__name__ for i in loaded.items)


# -- URLs ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (
            "https://www.nlm.nih.gov/medlineplus/ency/article/001666.htm",
            "https://nlm.nih.gov/medlineplus/ency/article/001666.htm",
        ),
        (
            "http://nlm.nih.gov/medlineplus/ency/article/001666.htm",
            "https://nlm.nih.gov/medlineplus/ency/article/001666.htm",
        ),
        (" HTTPS://WWW.Example.org/Path/ ", "https://example.org/Path"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://example.org:443/a/", "https://example.org/a"),
        ("https://example.org:8080/a", "https://example.org:8080/a"),
        (
            "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=abc",
            "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=abc",
        ),
        ("www.cdc.gov/flu/", "https://cdc.gov/flu"),
        ("https://example.org/", "https://example.org"),
        ("n/a", "n/a"),
        ("", ""),
    ],
)
def test_normalize_url(raw: str, normal: str) -> None:
    assert normalize_url(raw) == normal
    assert normalize_url(normal) == normal  # idempotent


def test_extract_urls() -> None:
    text = "1. https://a.org/x. 2. (see http://www.b.org/Foo_(bar)) 3. www.c.gov/flu;"
    assert extract_urls(text) == ["https://a.org/x", "http://www.b.org/Foo_(bar)", "www.c.gov/flu"]


# -- the real data -------------------------------------------------------------------------------------
EXPECTED_COUNTS = {
    "mirage-mmlu": 1089,
    "mirage-medqa": 1273,
    "mirage-medmcqa": 4183,
    "mirage-pubmedqa": 500,
    "mirage-bioasq": 618,
    "mmlu-medical": 1794,
    "liveqa-2017": 104,
    "retrieval-liveqa": 104,
    "mediqa-2019-qa": 150,
    "retrieval-mediqa": 150,
    "medicationqa": 651,
    "retrieval-medicationqa": 638,  # 13 answers have no source page (URL "n/a")
    "medquad-heldout": 1718,
    "retrieval-medquad": 1504,
    "retrieval-medquad-patient": 60,  # the test half (eval/data/medquad_patient_questions.jsonl)
    "mts-dialog": 400,
    "aci-bench": 120,
    "covid-dialogue": 604,
    "ddxplus": 2611,
    "medfound-dx": 362,
}


@pytest.mark.integration
def test_shipped_tasks_on_real_data() -> None:
    value = str(real_data_dir())  # fails with the fix when the datasets are missing: never a silent skip
    data_dir = Path(value)
    counts, malformed = {}, {}
    for task in list_tasks():
        loaded = load_dataset(task, data_dir)
        counts[task.name] = loaded.total
        malformed[task.name] = loaded.report.malformed
        assert all(type(i).__name__ for i in loaded.items)
    assert counts == EXPECTED_COUNTS
    assert {k: v for k, v in malformed.items() if v} == {"retrieval-medicationqa": 13}

    # `published` on the MIRAGE tasks is recomputed from MIRAGE's released per-question predictions.
    right: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    labels = {("gpt-35-turbo-16k", "cot"): "CoT", ("gpt-35-turbo-16k", "rag_32"): "MedRAG"}
    labels |= {("gpt-4-32k", "cot"): "CoT", ("gpt-4-32k", "rag_32"): "MedRAG"}
    with gzip.open(data_dir / "en/mirage/predictions_gpt35_gpt4_cot_rag32.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            key = (row["dataset"], f"{row['model']} {labels[(row['model'], row['setting'])]}")
            right[key][0] += row["pred"] == row["gold"]
            right[key][1] += 1
    for subset in ("mmlu", "medqa", "medmcqa", "pubmedqa", "bioasq"):
        task = load_task(f"mirage-{subset}")
        computed = {name: round(ok / n, 4) for (ds, name), (ok, n) in right.items() if ds == subset}
        assert task.published == computed


def test_liveqa_training_questions_load_with_their_answers(tmp_path: Path) -> None:
    """The consumer-retrieval tuning set (`bench.consumer_dev`): LiveQA's training XML, a different layout."""
    from eval.datasets.consumer_qa import load_liveqa_train

    path = tmp_path / "TREC-2017-LiveQA-Medical-Train-1.xml"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<NLM-QUESTIONS>
<NLM-QUESTION questionid="Q1"><SUBJECT>amyloidosis</SUBJECT><MESSAGE>Where can I read about   cardiac
 amyloidosis?</MESSAGE><SUB-QUESTIONS><SUB-QUESTION subqid="Q1-S1"><ANNOTATIONS><FOCUS>cardiac amyloidosis</FOCUS>
<TYPE>information</TYPE></ANNOTATIONS><ANSWERS><ANSWER answerid="a">Deposits of amyloid in the heart.</ANSWER>
<ANSWER answerid="b">A second answer.</ANSWER></ANSWERS></SUB-QUESTION></SUB-QUESTIONS></NLM-QUESTION>
<NLM-QUESTION questionid="Q2"><SUBJECT></SUBJECT><MESSAGE>No answer here</MESSAGE><SUB-QUESTIONS/></NLM-QUESTION>
<NLM-QUESTION qid="3.0"><SUBJECT>Lyme</SUBJECT><MESSAGE>Tick bite?</MESSAGE><SUB-QUESTIONS><SUB-QUESTION><ANSWERS>
<ANSWER>Antibiotics treat it.</ANSWER></ANSWERS></SUB-QUESTION></SUB-QUESTIONS></NLM-QUESTION>
</NLM-QUESTIONS>""",
        encoding="utf-8",
    )
    report = LoadReport(source="liveqa_train")
    items = list(load_liveqa_train(path, report=report))
    assert [i.id for i in items] == ["TREC-2017-LiveQA-Medical-Train-1:Q1", "TREC-2017-LiveQA-Medical-Train-1:3.0"]
    assert items[0].question == "amyloidosis\nWhere can I read about cardiac amyloidosis?"
    assert items[0].reference == "Deposits of amyloid in the heart."
    assert items[0].meta["references"][1] == "A second answer." and items[0].subject == "information"
    assert report.records == 2 and report.malformed == 1
