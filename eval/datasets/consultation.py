"""Doctor–patient consultations: MTS-Dialog (dialogue → note section), ACI-Bench (dialogue → full note) and
COVID-Dialogue (conversation → the doctor's next reply)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from eval.datasets.base import (
    LoadReport,
    NoOptions,
    Options,
    iter_csv,
    new_report,
    parse_options,
    read_text,
    require_file,
)
from eval.errors import DatasetError
from eval.schema import ConsultationItem, Family

MTS_FILES = {
    "train": "MTS-Dialog-TrainingSet.csv",
    "validation": "MTS-Dialog-ValidationSet.csv",
    "test1": "MTS-Dialog-TestSet-1-MEDIQA-Chat-2023.csv",
    "test2": "MTS-Dialog-TestSet-2-MEDIQA-Sum-2023.csv",
}
#: MTS-Dialog's 20 section headers, as the note section a model is asked to write.
MTS_SECTIONS = {
    "ALLERGY": "allergies",
    "ASSESSMENT": "assessment",
    "CC": "chief complaint",
    "DIAGNOSIS": "diagnosis",
    "DISPOSITION": "disposition",
    "EDCOURSE": "emergency department course",
    "EXAM": "physical examination",
    "FAM/SOCHX": "family and social history",
    "GENHX": "history of present illness",
    "GYNHX": "gynecologic history",
    "IMAGING": "imaging",
    "IMMUNIZATIONS": "immunizations",
    "LABS": "laboratory results",
    "MEDICATIONS": "medications",
    "OTHER_HISTORY": "other history",
    "PASTMEDICALHX": "past medical history",
    "PASTSURGICAL": "past surgical history",
    "PLAN": "plan",
    "PROCEDURES": "procedures",
    "ROS": "review of systems",
}


def _split_files(path: Path, splits: list[str], files: Mapping[str, str], loader: str) -> list[tuple[str, Path]]:
    """`(split, file)` pairs: the named split files inside folder `path`, or `path` itself when it is a file."""
    if path.is_file():
        return [(path.stem, path)]
    require_file(path, loader, folder=True)
    return [(split, require_file(path / files[split], loader)) for split in splits]


class MTSOptions(Options):
    """Options of the `mts_dialog` loader."""

    splits: list[Literal["train", "validation", "test1", "test2"]] = ["test1", "test2"]


def load_mts_dialog(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[ConsultationItem]:
    """MTS-Dialog (Ben Abacha et al., EACL 2023): short doctor–patient dialogues, each with one note section.

    Reads the CSVs `ID, section_header, section_text, dialogue` from the folder (or one CSV given as the path):
    test set 1 (MEDIQA-Chat 2023) and test set 2 (MEDIQA-Sum 2023), 200 dialogues each; train 1,201 and
    validation 100 are there for tuning. `dialogue` is `Doctor: …` / `Patient: …` lines; `reference` is the
    gold `section_text`; `target` is the section to write in words (e.g. `GENHX` → "history of present
    illness") and `subject` the header code, for per-section scores. Ids are `<split>-<ID>`.

    Options: `splits`: any of train, validation, test1, test2 (default [test1, test2]: 400 items).

    Licence (data README and the folder's LICENSE.txt): CC BY 4.0.
    """
    opts = parse_options(MTSOptions, options, "mts_dialog")
    report = new_report(report, "mts_dialog")
    for split, csv_path in _split_files(path, list(opts.splits), MTS_FILES, "mts_dialog"):
        report.files.append(str(csv_path))
        for lineno, row in iter_csv(csv_path, "mts_dialog", report):
            rid = (row.get("ID") or "").strip()
            header = (row.get("section_header") or "").strip()
            text, dialogue = (row.get("section_text") or "").strip(), (row.get("dialogue") or "").strip()
            if not (rid and header and text and dialogue) or None in row:
                report.bad(csv_path.name, lineno, "needs ID, section_header, section_text and dialogue (4 columns)")
                continue
            report.records += 1
            yield ConsultationItem(
                id=f"{split}-{rid}",
                dialogue=dialogue,
                reference=text,
                target=MTS_SECTIONS.get(header.upper(), header.lower()),
                subject=header,
                meta={"split": split, "section_header": header},
            )


ACI_FILES = {
    "train": "train.csv",
    "valid": "valid.csv",
    "test1": "clinicalnlp_taskB_test1.csv",
    "test2": "clinicalnlp_taskC_test2.csv",
    "test3": "clef_taskC_test3.csv",
}
#: Metadata columns kept in `meta` (the names in the metadata files are left out).
_ACI_META = ("id", "patient_gender", "patient_age", "cc", "2nd_complaints")


class ACIOptions(Options):
    """Options of the `aci_bench` loader."""

    splits: list[Literal["train", "valid", "test1", "test2", "test3"]] = ["test1", "test2", "test3"]


def load_aci_bench(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[ConsultationItem]:
    """ACI-Bench (Yim et al., Scientific Data 2023): full visit dialogues and the clinical notes written from them.

    Reads `challenge_data/<split>.csv` (`dataset, encounter_id, dialogue, note`) and, when present, the
    matching `<split>_metadata.csv` (chief complaint, age, gender). Test sets 1 (ClinicalNLP task B), 2
    (ClinicalNLP task C) and 3 (CLEF task C) have 40 encounters each (120); train 67 and valid 20 are for
    tuning. `dialogue` is `[doctor] …` / `[patient] …` lines, `reference` the full note (sections such as
    CHIEF COMPLAINT, HISTORY OF PRESENT ILLNESS, … ASSESSMENT AND PLAN, newlines kept), `target` "full
    clinical note", `subject` the sub-corpus (aci, virtassist, virtscribe). Ids are `<split>-<encounter_id>`.

    Options: `splits`: any of train, valid, test1, test2, test3 (default [test1, test2, test3]).

    Licence (data README): CC BY 4.0.
    """
    opts = parse_options(ACIOptions, options, "aci_bench")
    report = new_report(report, "aci_bench")
    for split, csv_path in _split_files(path, list(opts.splits), ACI_FILES, "aci_bench"):
        report.files.append(str(csv_path))
        meta_path = csv_path.with_name(f"{csv_path.stem}_metadata.csv")
        metadata: dict[str, dict[str, str]] = {}
        if meta_path.is_file():
            for _lineno, row in iter_csv(meta_path, "aci_bench", LoadReport(source="aci_bench metadata")):
                if row.get("encounter_id"):
                    metadata[row["encounter_id"].strip()] = {k: (row.get(k) or "").strip() for k in _ACI_META}
        for lineno, row in iter_csv(csv_path, "aci_bench", report):
            eid = (row.get("encounter_id") or "").strip()
            dialogue, note = (row.get("dialogue") or "").strip(), (row.get("note") or "").strip()
            if not (eid and dialogue and note) or None in row:
                report.bad(csv_path.name, lineno, "needs dataset, encounter_id, dialogue and note (4 columns)")
                continue
            report.records += 1
            yield ConsultationItem(
                id=f"{split}-{eid}",
                dialogue=dialogue,
                reference=note,
                target="full clinical note",
                subject=(row.get("dataset") or "").strip() or None,
                meta={"split": split, "encounter_id": eid, **metadata.get(eid, {})},
            )


_COVID_RECORD = re.compile(r"^id=(\d+)\s*$", re.MULTILINE)
_SPEAKER = re.compile(r"^(Patient|Doctor):\s*$")


def _parse_covid_dialogue(body: str) -> tuple[str | None, str, list[tuple[str, str]]]:
    """`(url, description, [(speaker, text), …])` of one record's body (the lines after `id=N`)."""
    lines = body.strip("\n").split("\n")
    url = lines[0].strip() if lines and lines[0].strip().startswith("http") else None
    description: list[str] = []
    turns: list[tuple[str, list[str]]] = []
    section = None
    for line in lines[1 if url else 0 :]:
        stripped = line.strip()
        if stripped in {"Description", "Dialogue"} and not turns:
            section = stripped
            continue
        match = _SPEAKER.match(stripped)
        if match and section == "Dialogue":
            turns.append((match.group(1), []))
        elif turns:
            turns[-1][1].append(line.rstrip())
        elif section == "Description" and stripped:
            description.append(stripped)
    joined = [(who, "\n".join(text).strip()) for who, text in turns]
    return url, " ".join(description), [(who, text) for who, text in joined if text]


def load_covid_dialogue(
    path: Path,
    options: Mapping[str, Any],
    *,
    family: Family | None = None,
    report: LoadReport | None = None,
) -> Iterator[ConsultationItem]:
    """COVID-Dialogue (English; Ju, Zeng et al. 2020): 604 online consultations from iCliniq and HealthCareMagic.

    Reads `COVID-Dialogue-Dataset-English.txt`: records start with `id=N`, then the page URL, a `Description`
    (the patient's summary) and a `Dialogue` of `Patient:` / `Doctor:` turns (600 have one exchange, 4 have
    more). Each item is the conversation up to the last doctor turn (`dialogue`, as `Patient: …` /
    `Doctor: …` lines) and that turn as `reference`; `target` is "next doctor turn". Trailing patient turns
    after the last doctor reply are dropped; a record with no doctor turn is skipped and counted. Ids are
    `covid-<record number in the file, 3 digits>` because the file's own ids repeat (`id=18` twice); the
    file's id, the description and the URL are in `meta`.

    Options: none.

    Licence/terms (data README): research only (scraped from consumer health sites).
    """
    parse_options(NoOptions, options, "covid_dialogue")
    report = new_report(report, "covid_dialogue")
    text = read_text(require_file(path, "covid_dialogue"), "covid_dialogue").replace("\r\n", "\n")
    report.files.append(str(path))
    starts = list(_COVID_RECORD.finditer(text))
    if not starts:
        msg = f"loader `covid_dialogue`: no `id=N` records in {path}; is it COVID-Dialogue-Dataset-English.txt?"
        raise DatasetError(msg)
    for i, match in enumerate(starts):
        lineno = text.count("\n", 0, match.start()) + 1
        body = text[match.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        url, description, turns = _parse_covid_dialogue(body)
        last_doctor = max((k for k, (who, _) in enumerate(turns) if who == "Doctor"), default=None)
        if last_doctor is None or last_doctor == 0:
            report.bad(path.name, lineno, f"dialogue id={match.group(1)}: no patient turn followed by a doctor turn")
            continue
        dialogue = "\n".join(f"{who}: {said}" for who, said in turns[:last_doctor])
        report.records += 1
        yield ConsultationItem(
            id=f"covid-{i + 1:03d}",
            dialogue=dialogue,
            reference=turns[last_doctor][1],
            target="next doctor turn",
            meta={"source_id": match.group(1), "url": url, "description": description, "turns": last_doctor + 1},
        )
