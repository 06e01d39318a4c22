"""A task file: one YAML per task, validated strictly (`extra="forbid"`), so a typo is an error, not a default."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eval.schema import Family, Mode


def _all_modes() -> list[Mode]:
    return ["closed", "rag", "retrieval-only"]


class DatasetConfig(BaseModel):
    """Where a task's items come from: a path under `CLINICALGPT_DATA_DIR` and the loader that reads it."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        description="File or folder relative to CLINICALGPT_DATA_DIR (or absolute), e.g. `en/mirage/benchmark.json`."
    )
    loader: str = Field(description="Name of a loader in `eval.datasets.LOADERS`, e.g. `mirage`, `jsonl`.")
    options: dict[str, str | int | float | bool | list[str]] = Field(
        default_factory=dict, description="Loader arguments, e.g. {subset: medqa} or {split: test1}."
    )


class LeakageConfig(BaseModel):
    """What the knowledge base must not hold when this task is scored with retrieval."""

    model_config = ConfigDict(extra="forbid")

    forbidden_sources: list[str] = Field(
        default_factory=list, description="Knowledge-base sources holding the task's own gold context (refused)."
    )
    open_book_sources: list[str] = Field(
        default_factory=list, description="Indexed sources the references come from (run labelled open-book)."
    )


class TaskConfig(BaseModel):
    """One evaluation task."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="Unique task name, e.g. `mirage-medqa`.")
    version: int = Field(ge=1, description="Bumped whenever items, prompt or scoring change.")
    family: Family
    description: str
    dataset: DatasetConfig
    prompt: str = Field(description="Prompt template with {question}, {options}, {dialogue}, {record}, {context}.")
    target: str = Field(description="Item field holding the gold answer, e.g. `answer`, `reference`, `diagnosis`.")
    metrics: list[str] = Field(min_length=1, description="Metric names from `eval.metrics` (validated).")
    modes: list[Mode] = Field(
        default_factory=_all_modes,
        description="Modes this task runs in; the first is the default of `eval run`.",
    )
    default_limit: int | None = Field(
        default=None, ge=1, description="Seeded sample size when the full set is too slow."
    )
    leakage: LeakageConfig = Field(default_factory=LeakageConfig)
    published: dict[str, float] = Field(
        default_factory=dict,
        description="Published baselines on this task, e.g. {'GPT-4 (MedRAG)': 0.79}, with sources in the description.",
    )
