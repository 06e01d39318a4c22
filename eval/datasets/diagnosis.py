"""Diagnosis from a patient record: DDXPlus (synthetic structured patients) and MedFound (real English EMRs)."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from eval.datasets.base import (
    LoadReport,
    NoOptions,
    iter_csv,
    new_report,
    parse_options,
    read_text,
    require_file,
)
from eval.errors import DatasetError
from eval.schema import DiagnosisItem, Family
from knowledge.ddxplus import DDX_COLUMNS, ddxplus_record  # noqa: F401  (ddxplus_record re-exported)
from knowledge.sources.base import iter_jsonl


#: Column names of the original DDXPlus release → those of the shipped "mini version" (both are read).
def _read_json(path: Path, loader: str) -> Any:
    try:
        return json.loads(read_text(path, loader))
    except json.JSONDecodeError as exc:
        msg = f"loader `{loader}`: {path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise DatasetError(msg) from exc


def _condition_names(conditions: dict[str, Any]) -> dict[str, str]:
    """Every spelling of a condition (key, `condition_name`, French, English) → its English name."""
    names: dict[str, str] = {}
    for key, cond in conditions.items():
        if not isinstance(cond, dict) or not cond.get("cond-name-eng"):
            continue
        eng = str(cond["cond-name-eng"])
        for spelling in (key, cond.get("condition_name"), cond.get("cond-name-fr"), eng):
            if spelling:
                names[str(spelling)] = eng
    return names


def load_ddxplus(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[DiagnosisItem]:
    """DDXPlus (Fansi Tchango et al., NeurIPS 2022 Datasets): synthetic patients, 49 respiratory/ED pathologies.

    Reads the test patients file (`release_test_patients_mini_version.txt`: 2,611 patients, columns `age,
    top5_diagnoses, sex, diagnosis, features, feature_id`; the original release's `AGE, SEX, PATHOLOGY,
    EVIDENCES, INITIAL_EVIDENCE, DIFFERENTIAL_DIAGNOSIS` columns are read too) and, from the same folder,
    `release_evidences.json` (223 evidences: English question, value meanings, antecedent or symptom) and
    `release_conditions.json` (49 conditions: English/French names, ICD-10). `record` is readable text built
    from the patient's evidences: age, sex, the initial evidence (reason for consulting), then "question
    answer" lines for symptoms and for history/risk factors (multi-valued answers joined, 0–10 scales as
    `n/10`). `diagnosis` is the gold pathology's English name (`cond-name-eng`, as `knowledge.sources
    .networks` names DDXPlus conditions) and `differential` the simulated differential, most probable first
    (despite its name, `top5_diagnoses` holds the whole differential). ICD-10 codes are in `meta.icd10_codes`
    (DDXPlus gives coarse codes, so `icd10` is left empty) and the patient's evidence codes in
    `meta.evidence_codes` (for readers of the structured record). Ids are `ddxplus-<patient number, 4 digits>`.

    Options: none.

    Licence (data README): CC BY 4.0.
    """
    parse_options(NoOptions, options, "ddxplus")
    report = new_report(report, "ddxplus")
    require_file(path, "ddxplus")
    evidences = _read_json(require_file(path.with_name("release_evidences.json"), "ddxplus"), "ddxplus")
    conditions = _read_json(require_file(path.with_name("release_conditions.json"), "ddxplus"), "ddxplus")
    if not isinstance(evidences, dict) or not isinstance(conditions, dict):
        msg = f"loader `ddxplus`: release_evidences.json / release_conditions.json in {path.parent} are not objects"
        raise DatasetError(msg)
    names = _condition_names(conditions)
    codes = {
        str(c["cond-name-eng"]): [x.strip().upper() for x in str(c.get("icd10-id", "")).split(",") if x.strip()]
        for c in conditions.values()
        if isinstance(c, dict) and c.get("cond-name-eng")
    }
    report.files += [str(path), str(path.with_name("release_evidences.json"))]
    for number, (lineno, raw) in enumerate(iter_csv(path, "ddxplus", report), start=1):
        row = {DDX_COLUMNS[k.strip().lower()]: v for k, v in raw.items() if k and k.strip().lower() in DDX_COLUMNS}
        missing = [c for c in ("age", "sex", "diagnosis", "features") if not (row.get(c) or "").strip()]
        if missing:
            report.bad(path.name, lineno, f"missing {', '.join(missing)}")
            continue
        gold = names.get(row["diagnosis"].strip())
        if gold is None:
            report.bad(path.name, lineno, f"pathology {row['diagnosis']!r} is not in release_conditions.json")
            continue
        try:
            record = ddxplus_record(row, evidences)
            evidence_codes = [str(code) for code in ast.literal_eval(row["features"])]
            ranked = ast.literal_eval(row["differential"]) if (row.get("differential") or "").strip() else []
            differential = [names.get(str(name), str(name)) for name, _prob in ranked]
        except (ValueError, SyntaxError, TypeError, KeyError) as exc:
            report.bad(path.name, lineno, f"unreadable evidences or differential: {exc}")
            continue
        report.records += 1
        yield DiagnosisItem(
            id=f"ddxplus-{number:04d}",
            record=record,
            diagnosis=gold,
            differential=differential,
            meta={
                "icd10_codes": codes.get(gold, []),
                "initial_evidence": (row.get("feature_id") or "").strip(),
                "evidence_codes": evidence_codes,
            },
        )


def load_medfound(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[DiagnosisItem]:
    """MedFound diagnosis test set (Liu et al. 2025, "A generalist medical language model for disease diagnosis
    assistance", Nature Medicine), English release: 362 de-identified EMRs from Chinese hospitals.

    Reads `test.jsonl` (the content of the published `test.zip`): `{qid, context, diagnosis, diagnosis_code}`.
    `record` is `context` (age, gender, chief complaint, present illness, history, examinations), `diagnosis`
    the gold diagnosis name and `icd10` its code (ICD-10 with the Chinese clinical extension, e.g. `D69.405`).
    Ids are the `qid`s.

    Options: none.

    Licence/terms (data README): research only (the Chinese-track sets are research-only unless marked).
    """
    parse_options(NoOptions, options, "medfound")
    report = new_report(report, "medfound")
    require_file(path, "medfound")
    report.files.append(str(path))
    for lineno, row in iter_jsonl(path, report):
        qid, context, name = row.get("qid"), row.get("context"), row.get("diagnosis")
        if not all(isinstance(v, str | int) and str(v).strip() for v in (qid, context, name)):
            report.bad(path.name, lineno, "missing `qid`, `context` or `diagnosis`")
            continue
        code = row.get("diagnosis_code")
        report.records += 1
        yield DiagnosisItem(
            id=str(qid),
            record=str(context).strip(),
            diagnosis=str(name).strip(),
            icd10=str(code).strip().upper() if code else None,
        )
