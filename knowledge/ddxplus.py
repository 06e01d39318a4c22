"""DDXPlus patients (Fansi Tchango et al., NeurIPS 2022) as readable text: one definition for every layer.

The evaluation's records (`eval.datasets.diagnosis`), the batch-diagnosis reader (`model.diagnosis`) and the
synthetic training patients all render a patient's evidence codes with `release_evidences.json` the same way.
"""

from __future__ import annotations

import ast
from typing import Any

#: Column names of the two DDXPlus patient formats (the release's upper case, the mini version's) → ours.
DDX_COLUMNS = {
    "age": "age",
    "sex": "sex",
    "pathology": "diagnosis",
    "diagnosis": "diagnosis",
    "evidences": "features",
    "features": "features",
    "initial_evidence": "feature_id",
    "feature_id": "feature_id",
    "differential_diagnosis": "differential",
    "top5_diagnoses": "differential",
}
SEX = {"M": "male", "F": "female"}


def evidence_answer(evidence: dict[str, Any], value: str) -> str:
    """The English text of one evidence value (`V_123` → "nowhere", numeric scales as `n/10`)."""
    if not value:
        return "yes"
    meaning = evidence.get("value_meaning") or {}
    if value in meaning:
        text = str((meaning[value] or {}).get("en") or value)
        return {"N": "no", "Y": "yes", "NA": "not applicable"}.get(text, text)
    possible = evidence.get("possible-values") or []
    if possible and all(isinstance(v, int) for v in possible) and value.isdigit():
        return f"{value}/{max(possible)}"
    return value


def ddxplus_record(row: dict[str, str], evidences: dict[str, Any]) -> str:
    """Readable text of one DDXPlus patient: age, sex, the reason for consulting, symptoms, then history.

    Raises ValueError on an evidence code that `release_evidences.json` does not know.
    """
    codes = ast.literal_eval(row["features"]) if row["features"].strip() else []
    if not isinstance(codes, list):
        raise ValueError("`EVIDENCES` is not a list")
    answers: dict[str, list[str]] = {}
    for entry in codes:
        code, _, value = str(entry).partition("_@_")
        if code not in evidences:
            raise ValueError(f"unknown evidence `{code}` (not in release_evidences.json)")
        answers.setdefault(code, []).append(evidence_answer(evidences[code], value))
    sex = SEX.get(row["sex"].strip().upper(), row["sex"].strip())
    lines = [f"Age: {row['age'].strip()}", f"Sex: {sex}"]
    initial = row.get("feature_id", "").strip()
    if initial in evidences:
        lines.append(f"Reason for consulting: {evidences[initial]['question_en']} yes")
    sections: dict[bool, list[str]] = {False: [], True: []}
    for code, values in answers.items():
        evidence = evidences[code]
        sections[bool(evidence.get("is_antecedent"))].append(f"- {evidence['question_en']} {', '.join(values)}")
    if sections[False]:
        lines += ["Symptoms and findings:", *sections[False]]
    if sections[True]:
        lines += ["History and risk factors:", *sections[True]]
    return "\n".join(lines)
