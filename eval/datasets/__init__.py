"""Task items from the public datasets: one loader per source format, and `load_items` for a task.

`LOADERS[name](path, options)` yields items; `load_items(task, data_dir)` resolves the task's `dataset.path`
under the data folder (`CLINICALGPT_DATA_DIR`; `package:…` names data shipped in the `eval` package), runs its
loader for the task's family, drops duplicate ids, and optionally takes a seeded sample. Bad records are skipped
and counted (never a crash on one row): `load_dataset` returns the items with that report and the sample it took.

Modules, one per source family: `generic` (the documented JSONL format), `exams` (MIRAGE, MMLU),
`consumer_qa` (LiveQA, MEDIQA, MedicationQA, MedQuAD held-out; QA or retrieval items), `patient_rewrites`
(hand-written patient rewrites of MedQuAD questions, shipped as package data), `consultation`
(MTS-Dialog, ACI-Bench, COVID-Dialogue), `diagnosis` (DDXPlus, MedFound).
"""

from __future__ import annotations

import hashlib
import logging
import random
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from eval.datasets.base import LoaderInfo, LoadReport, NoOptions, Options, normalize_url
from eval.datasets.consultation import ACIOptions, MTSOptions, load_aci_bench, load_covid_dialogue, load_mts_dialog
from eval.datasets.consumer_qa import (
    LiveQAOptions,
    MedQuADOptions,
    load_liveqa,
    load_medicationqa,
    load_mediqa_qa,
    load_medquad_heldout,
    medquad_split,
)
from eval.datasets.diagnosis import load_ddxplus, load_medfound
from eval.datasets.exams import MirageOptions, MMLUOptions, load_mirage, load_mmlu
from eval.datasets.generic import load_jsonl
from eval.datasets.patient_rewrites import PatientRewriteOptions, load_medquad_patient
from eval.errors import DatasetError
from eval.schema import Family, Item

if TYPE_CHECKING:
    from eval.tasks.config import TaskConfig

logger = logging.getLogger(__name__)

__all__ = [
    "LOADERS",
    "LOADER_INFO",
    "LoadReport",
    "LoadedDataset",
    "LoaderInfo",
    "Options",
    "load_dataset",
    "load_items",
    "medquad_split",
    "normalize_url",
    "resolve_dataset_path",
]

_CONSUMER: tuple[Family, ...] = ("qa", "retrieval")

#: Every loader with the families it produces and its options model (used to validate task files).
LOADER_INFO: dict[str, LoaderInfo] = {
    "jsonl": LoaderInfo(
        load_jsonl, ("exam", "qa", "consultation", "diagnosis", "retrieval"), NoOptions, "generic JSONL items"
    ),
    "mirage": LoaderInfo(load_mirage, ("exam",), MirageOptions, "MIRAGE benchmark.json, one subset"),
    "mmlu": LoaderInfo(load_mmlu, ("exam",), MMLUOptions, "MMLU subject CSVs"),
    "liveqa": LoaderInfo(load_liveqa, _CONSUMER, LiveQAOptions, "TREC LiveQA-Med 2017 test XML"),
    "mediqa_qa": LoaderInfo(load_mediqa_qa, _CONSUMER, NoOptions, "MEDIQA 2019 Task 3 QA XML with labels"),
    "medicationqa": LoaderInfo(load_medicationqa, _CONSUMER, NoOptions, "MedicationQA JSONL"),
    "medquad_heldout": LoaderInfo(load_medquad_heldout, _CONSUMER, MedQuADOptions, "MedQuAD split by focus hash"),
    "medquad_patient": LoaderInfo(
        load_medquad_patient, ("retrieval",), PatientRewriteOptions, "MedQuAD questions rewritten as patients ask"
    ),
    "mts_dialog": LoaderInfo(load_mts_dialog, ("consultation",), MTSOptions, "MTS-Dialog CSVs"),
    "aci_bench": LoaderInfo(load_aci_bench, ("consultation",), ACIOptions, "ACI-Bench challenge CSVs"),
    "covid_dialogue": LoaderInfo(load_covid_dialogue, ("consultation",), NoOptions, "COVID-Dialogue English txt"),
    "ddxplus": LoaderInfo(load_ddxplus, ("diagnosis",), NoOptions, "DDXPlus test patients + evidences"),
    "medfound": LoaderInfo(load_medfound, ("diagnosis",), NoOptions, "MedFound English EMR test JSONL"),
}
#: Loader name → `loader(path, options, *, family=None, report=None) -> Iterator[Item]`.
LOADERS = {name: info.func for name, info in LOADER_INFO.items()}


class LoadedDataset(BaseModel):
    """A task's items as loaded, with what was skipped and the sample taken (enough to reproduce it)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    task: str
    path: str = Field(description="The file or folder read.")
    items: list[Item]
    total: int = Field(description="Usable items before sampling.")
    limit: int | None = Field(description="Sample size asked for (None: all items).")
    seed: int
    sampled: bool = Field(description="True when `limit` < `total` and a sample was taken.")
    ids_sha256: str = Field(description="SHA-256 of the kept ids, newline-joined in item order.")
    report: LoadReport = Field(description="Records read, malformed ones with file and line/record.")


#: `dataset.path` prefix of a file shipped inside the `eval` package (package data), e.g.
#: `package:data/medquad_patient_questions.jsonl`: data written for this project travels with the code.
PACKAGE_PATH_PREFIX = "package:"


def _package_path(task: TaskConfig) -> Path:
    rel = PurePosixPath(task.dataset.path.removeprefix(PACKAGE_PATH_PREFIX))
    path = Path(str(resources.files("eval").joinpath(*rel.parts)))
    if rel.is_absolute() or ".." in rel.parts or not path.is_file():
        msg = (
            f"task `{task.name}`: `dataset.path` {task.dataset.path!r} is not a file shipped in the `eval` "
            f"package (looked at {path}); `package:` paths are relative to it, e.g. `package:data/<file>.jsonl`"
        )
        raise DatasetError(msg)
    return path


def resolve_dataset_path(task: TaskConfig, data_dir: Path | None) -> Path:
    """The task's `dataset.path` under `data_dir` (an absolute path is used as is; `package:<path>` is a file
    shipped inside the `eval` package, read without a data folder); `DatasetError` when missing."""
    if task.dataset.path.startswith(PACKAGE_PATH_PREFIX):
        return _package_path(task)
    rel = Path(task.dataset.path).expanduser()
    if rel.is_absolute():
        path = rel
    elif data_dir is None:
        msg = (
            f"task `{task.name}` reads `{task.dataset.path}` from the data folder: set CLINICALGPT_DATA_DIR (or "
            "pass --data-dir) to the folder holding `en/…` and `zh/…` (e.g. ../shared/data)"
        )
        raise DatasetError(msg)
    else:
        path = Path(data_dir).expanduser() / rel
    if not path.exists():
        msg = (
            f"task `{task.name}`: `dataset.path` not found: {path}. Check CLINICALGPT_DATA_DIR (now {data_dir}) "
            "and that the dataset is downloaded there (see the data README)"
        )
        raise DatasetError(msg)
    return path


def load_dataset(task: TaskConfig, data_dir: Path | None, *, limit: int | None = None, seed: int = 0) -> LoadedDataset:
    """Load a task's items, skipping and counting bad records and duplicate ids; sample when `limit` is set.

    The sample is `random.Random(seed).sample(sorted(ids), limit)`, kept in the loader's item order, so the
    same task, data, limit and seed always give the same items (`ids_sha256` lets a report prove it).
    `limit=None` keeps every item: pass `task.default_limit` for the task's documented default sample.
    Raises `DatasetError` when the data is missing or unreadable, or when no record is usable.
    """
    if limit is not None and limit < 1:
        msg = f"`limit` must be ≥ 1 (or None for every item), got {limit}"
        raise DatasetError(msg)
    info = LOADER_INFO.get(task.dataset.loader)
    if info is None:
        msg = f"task `{task.name}`: unknown loader `{task.dataset.loader}` (known: {', '.join(sorted(LOADER_INFO))})"
        raise DatasetError(msg)
    path = resolve_dataset_path(task, data_dir)
    report = LoadReport(source=task.name)
    items: list[Item] = []
    seen: set[str] = set()
    for item in info.func(path, task.dataset.options, family=task.family, report=report):
        if item.id in seen:
            report.records -= 1
            report.bad(path.name, None, f"duplicate id `{item.id}` (later record skipped)")
            continue
        seen.add(item.id)
        items.append(item)
    if not items:
        first = f"; first problem: {report.problems[0].file}:{report.problems[0].line}: {report.problems[0].reason}"
        msg = (
            f"task `{task.name}`: no usable record in {path} ({report.malformed} malformed"
            f"{first if report.problems else ''}). Check that `dataset.path` and `dataset.loader` match the data"
        )
        raise DatasetError(msg)
    if report.malformed:
        logger.warning("task %s: skipped %d malformed record(s) in %s", task.name, report.malformed, path)
    total = len(items)
    sampled = False
    if limit is not None and limit < total:
        chosen = set(random.Random(seed).sample(sorted(seen), limit))
        items = [item for item in items if item.id in chosen]
        sampled = True
    digest = hashlib.sha256("\n".join(item.id for item in items).encode("utf-8")).hexdigest()
    return LoadedDataset(
        task=task.name,
        path=str(path),
        items=items,
        total=total,
        limit=limit,
        seed=seed,
        sampled=sampled,
        ids_sha256=digest,
        report=report,
    )


def load_items(task: TaskConfig, data_dir: Path | None, *, limit: int | None = None, seed: int = 0) -> list[Item]:
    """The task's items (see `load_dataset`, which also returns the skip report and the sample record)."""
    return load_dataset(task, data_dir, limit=limit, seed=seed).items
