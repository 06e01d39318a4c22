"""Run an evaluation task: one `ItemResult` line per item in `items.jsonl`, never a lost item.

A run folder holds:

    run.json       the header, written before the first item: task config and version, mode, generator and
                   adapter hash, judge, settings hash, seed, limit, sampled ids hash, data dir, knowledge-base
                   manifest hash, leakage check, start time, machine
    items.jsonl    one `ItemResult` per line, appended and flushed item by item
    summary.json   metrics with bootstrap intervals, failures by status, per-subject breakdown, time per item

Every item gets a status (`ok`, `parse_error`, `refused`, `no_context`, `timeout`, `error`); an exception
in one item is recorded with its text and the run goes on. `resume=True` re-reads `items.jsonl`, cuts a torn
last line (a kill mid-write), and runs only the ids not yet written, after checking that the run is the same
(task, mode, generator, seed, limit, …; it says which field differs).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from eval.errors import EvalError
from eval.leakage import LeakageCheck
from eval.schema import Family, Item, ItemResult, Mode, Status
from eval.tasks.config import TaskConfig

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from eval.modes import MCMethod, Prediction, Predictor, SearchMode
    from knowledge.kb import KnowledgeBase
    from model.settings import AppSettings

logger = logging.getLogger(__name__)

RUN_FORMAT = 1
HEADER = "run.json"
ITEMS = "items.jsonl"
SUMMARY = "summary.json"
#: Where runs go by default (relative to the working directory).
RUNS_ROOT = Path("reports/eval/runs")
#: Header fields that must match for `--resume` to continue a run.
RESUME_FIELDS = (
    "task",
    "task_version",
    "task_hash",
    "mode",
    "search_mode",
    "mc",
    "generator",
    "adapter_hash",
    "seed",
    "limit",
    "sampled_ids_hash",
)
#: Families whose metrics may ask a judge (citations, long-form answers); others never build one.
JUDGED_FAMILIES = ("qa", "consultation")
#: Error texts recorded per item are cut to this length.
MAX_ERROR_CHARS = 500

Scorer = Callable[[ItemResult, Item], dict[str, float]]


class Machine(BaseModel):
    """Where the run ran."""

    model_config = ConfigDict(extra="forbid")

    cores: int | None
    cpu: str
    gpu: str | None
    platform: str
    python: str


class RunHeader(BaseModel):
    """`run.json`: everything needed to know what a run measured, and to refuse resuming a different one."""

    model_config = ConfigDict(extra="forbid")

    format: int = RUN_FORMAT
    task: str
    task_version: int
    task_hash: str = Field(description="Hash of the whole task config (prompt, metrics, dataset).")
    family: Family
    task_config: dict[str, Any]
    mode: Mode
    search_mode: str | None = Field(default=None, description="Searcher mode (retrieval tasks).")
    mc: str | None = Field(default=None, description="Multiple-choice method asked for (exams).")
    answer_mode: str | None = Field(
        default=None, description="`extractive` or `generative`: how the product chain answered (RAG QA)."
    )
    generator: str | None = Field(description="Generator spec; None when no generator is used.")
    generator_name: str | None = Field(default=None, description="The model's own name (`ls_model_name`).")
    adapter: str | None = None
    adapter_hash: str | None = None
    judge: str | None = None
    settings_hash: str
    seed: int
    limit: int | None
    n_items: int
    total_items: int | None = Field(default=None, description="Usable items before sampling.")
    sampled_ids_hash: str
    data_dir: str | None
    kb_dir: str | None = None
    kb_manifest_hash: str | None = None
    leakage: LeakageCheck = Field(default_factory=lambda: LeakageCheck(checked=False))
    open_book: bool = False
    started_at: str
    resumed_at: list[str] = Field(default_factory=list)
    machine: Machine
    command: list[str] | None = None


class RunResult(BaseModel):
    """What `run` returns: the folder, its header, every result and the summary."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    run_dir: Path
    header: RunHeader
    results: list[ItemResult]
    resumed: int = Field(default=0, description="Results found from an earlier, interrupted run.")
    summary: dict[str, Any]


# -- small helpers -------------------------------------------------------------------------------------
def now() -> str:
    """UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> Machine:
    """Cores, CPU, GPU (when torch is loaded and sees CUDA), platform and Python version."""
    gpu = None
    torch = sys.modules.get("torch")  # never import torch just to describe the machine
    if torch is not None and torch.cuda.is_available():
        gpu = torch.cuda.get_device_name(0)
    return Machine(
        cores=os.cpu_count(), cpu=_cpu_name(), gpu=gpu, platform=platform.platform(), python=platform.python_version()
    )


def json_hash(obj: Any) -> str:
    """Short SHA-256 of canonical JSON."""
    data = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:16]


def folder_hash(folder: Path) -> str:
    """Short SHA-256 over the names and bytes of every file in a folder (an adapter)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).expanduser().rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(Path(folder).expanduser())).encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def generator_label(spec: str | None) -> str:
    """A short, file-name-safe name for a generator spec (`default`, a model folder name, a served model)."""
    if spec is None:
        return "none"
    if spec.startswith("openai:"):
        url, _, model = spec.removeprefix("openai:").partition("#")
        label = model or url.split("//")[-1].split("/")[0]
    elif spec.startswith("hf:"):
        label = Path(spec[3:]).name
    else:
        label = spec
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in label) or "model"


def run_name(task: str, mode: str, generator: str | None, search_mode: str | None = None) -> str:
    """`<task>-<mode>[-<search mode>]-<generator>`: the prefix of a default run folder."""
    parts = [task, mode] + ([search_mode] if search_mode else []) + [generator_label(generator)]
    return "-".join(parts)


def default_run_dir(name: str, root: Path = RUNS_ROOT) -> Path:
    """`reports/eval/runs/<name>-<UTC timestamp>`."""
    return root / f"{name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def latest_run_dir(name: str, root: Path = RUNS_ROOT) -> Path | None:
    """The newest run folder `<name>-<timestamp>` under `root` (for `--resume` without `--out`)."""
    found = sorted(
        p for p in root.glob(f"{name}-*") if (p / HEADER).is_file() and p.name[len(name) + 1 :][:1].isdigit()
    )
    return found[-1] if found else None


def _one_line(text: object) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def _is_timeout(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError) or "Timeout" in type(current).__name__:
            return True
        current = current.__cause__ or current.__context__
    return False


# -- reading and writing runs ---------------------------------------------------------------------------
def read_header(run_dir: Path) -> RunHeader:
    """A run's `run.json`, or `EvalError` naming the folder."""
    path = Path(run_dir) / HEADER
    try:
        return RunHeader.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        msg = f"{run_dir} is not a run folder (no {HEADER}); give a folder written by `clinicalgpt eval run`"
        raise EvalError(msg) from exc
    except ValueError as exc:
        msg = f"{path} is unreadable ({_one_line(exc)[:200]}); start a new run with another --out"
        raise EvalError(msg) from exc


def write_header(run_dir: Path, header: RunHeader) -> None:
    """Write `run.json` atomically (a kill never leaves half a header)."""
    path = Path(run_dir) / HEADER
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(header.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)


def read_results(path: Path, *, repair: bool = False) -> tuple[list[ItemResult], bool]:
    """The results in `items.jsonl` and whether its last line was torn.

    A torn last line (no newline, or not a whole record: the process was killed while writing it) is
    ignored, and with `repair=True` cut off the file so that appending starts on a fresh line. A bad line
    anywhere else means the file was edited or damaged: `EvalError` names the line. A repeated id keeps its
    first result.
    """
    path = Path(path)
    if not path.is_file():
        return [], False
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]  # `tail` is b"" when the file ends with a newline
    results: list[ItemResult] = []
    seen: set[str] = set()
    torn = bool(tail.strip())
    keep = len(data) - len(tail)
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            result = ItemResult.model_validate_json(line)
        except ValueError as exc:
            if number == len(complete) and not tail.strip():
                torn, keep = True, len(data) - len(line) - 1  # a last line cut inside a record's own newline
                break
            msg = f"{path}:{number} is not a result record ({_one_line(exc)[:160]}); remove that line or start over"
            raise EvalError(msg) from exc
        if result.id in seen:
            logger.warning("%s:%d repeats id %s; keeping the first result", path, number, result.id)
            continue
        seen.add(result.id)
        results.append(result)
    if torn and repair:
        with path.open("r+b") as fh:
            fh.truncate(keep)
        logger.info("cut a torn last line from %s (the item will run again)", path)
    return results, torn


def check_resumable(old: RunHeader, new: RunHeader, run_dir: Path) -> None:
    """Refuse to resume a run whose defining fields differ, naming each one."""
    diffs = [
        f"{field} {getattr(old, field)!r} → {getattr(new, field)!r}"
        for field in RESUME_FIELDS
        if getattr(old, field) != getattr(new, field)
    ]
    if diffs:
        msg = (
            f"cannot resume {run_dir}: it is a different run ({'; '.join(diffs)}); rerun with the original options "
            "or choose another --out"
        )
        raise EvalError(msg)


# -- the loop --------------------------------------------------------------------------------------------
def run_item(item: Item, predict: Predictor, score: Scorer) -> ItemResult:
    """Predict and score one item; any exception becomes an `error` (or `timeout`) result with its text."""
    from eval.modes import Prediction

    started = time.perf_counter()
    try:
        prediction: Prediction = predict(item)
    except Exception as exc:  # one bad item must not end the run: record it and go on
        logger.debug("item %s failed", item.id, exc_info=True)
        status: Status = "timeout" if _is_timeout(exc) else "error"
        prediction = Prediction(status=status, error=_one_line(f"{type(exc).__name__}: {exc}"))
    seconds = time.perf_counter() - started
    result = ItemResult(
        id=item.id,
        status=prediction.status,
        subject=item.subject,
        prediction=prediction.prediction,
        raw=prediction.raw,
        error=prediction.error,
        seconds=round(seconds, 4),
        extras=prediction.extras,
    )
    if result.status == "ok":
        started = time.perf_counter()
        try:
            result.scores = score(result, item)
        except Exception as exc:  # a prediction the metric cannot read is this item's error, not the run's
            logger.debug("scoring item %s failed", item.id, exc_info=True)
            result.status = "error"
            result.error = _one_line(f"scoring failed: {type(exc).__name__}: {exc}")
        result.extras["score_seconds"] = round(time.perf_counter() - started, 4)
    return result


def execute(
    header: RunHeader,
    items: Sequence[Item],
    predict: Predictor,
    score: Scorer,
    run_dir: Path,
    *,
    resume: bool = False,
    show_progress: bool = False,
) -> tuple[RunHeader, list[ItemResult], int]:
    """Write the header, run every item not yet done, and return (header, results in item order, resumed)."""
    from tqdm.auto import tqdm

    run_dir = Path(run_dir)
    items_path = run_dir / ITEMS
    done: list[ItemResult] = []
    if (run_dir / HEADER).is_file():
        if not resume:
            msg = f"{run_dir} already holds a run; pass --resume to continue it, or choose another --out"
            raise EvalError(msg)
        old = read_header(run_dir)
        check_resumable(old, header, run_dir)
        header = old.model_copy(update={"resumed_at": [*old.resumed_at, now()]})
        done, _ = read_results(items_path, repair=True)
    else:
        if resume:
            logger.info("nothing to resume in %s: starting the run", run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        items_path.unlink(missing_ok=True)  # results without a header belong to no known run
    write_header(run_dir, header)
    wanted = {item.id for item in items}
    by_id = {r.id: r for r in done if r.id in wanted}
    todo = [item for item in items if item.id not in by_id]
    resumed = len(by_id)
    bar = tqdm(
        total=len(items),
        initial=resumed,
        desc=f"{header.task} ({header.mode})",
        unit="item",
        file=sys.stderr,
        disable=not show_progress,
        dynamic_ncols=True,
    )
    with items_path.open("a", encoding="utf-8") as fh, bar:
        for item in todo:
            result = run_item(item, predict, score)
            fh.write(result.model_dump_json() + "\n")
            fh.flush()
            by_id[item.id] = result
            bar.set_postfix_str(f"{result.status} {result.seconds:.1f}s", refresh=False)
            bar.update(1)
    return header, [by_id[item.id] for item in items], resumed


# -- summary -----------------------------------------------------------------------------------------------
def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return round(ordered[index], 4)


def timing(results: Sequence[ItemResult]) -> dict[str, float | None]:
    """Seconds per item: median, p95 (nearest rank), mean and total."""
    seconds = [r.seconds for r in results]
    return {
        "median": _percentile(seconds, 0.5),
        "p95": _percentile(seconds, 0.95),
        "mean": round(sum(seconds) / len(seconds), 4) if seconds else None,
        "total": round(sum(seconds), 2),
    }


def summarize(
    task: TaskConfig, results: Sequence[ItemResult], items: Sequence[Item], *, seed: int = 0
) -> dict[str, Any]:
    """Metrics (bootstrap CIs, failures by status), per-subject breakdown (exams), statuses, time per item."""
    from eval.metrics import aggregate

    by_id = {item.id: item for item in items}
    pairs = [(r, by_id[r.id]) for r in results if r.id in by_id]
    metrics = aggregate(pairs, task.metrics, seed=seed)
    subjects: dict[str, Any] = {}
    names = sorted({r.subject for r, _ in pairs if r.subject})
    if task.family == "exam" and len(names) > 1:
        for subject in names:
            subset = [(r, i) for r, i in pairs if r.subject == subject]
            subjects[subject] = {k: v.model_dump() for k, v in aggregate(subset, task.metrics, seed=seed).items()}
    return {
        "task": task.name,
        "n_items": len(pairs),
        "statuses": dict(Counter(r.status for r, _ in pairs)),
        "metrics": {key: summary.model_dump() for key, summary in metrics.items()},
        "by_subject": subjects,
        "seconds_per_item": timing([r for r, _ in pairs]),
    }


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    """Write `summary.json` atomically."""
    path = Path(run_dir) / SUMMARY
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


# -- the public entry point --------------------------------------------------------------------------------
def make_judge(spec: str | None) -> Any:
    """`local` (or None) → the default local judge; `openai:URL#model` → a chat model judging entailment."""
    from eval.judges import ChatModelJudge, default_judge

    if spec is None or spec == "local":
        return default_judge()
    if spec.startswith("openai:"):
        from model.generators import openai_chat_model

        return ChatModelJudge(openai_chat_model(spec))
    msg = f"unknown judge `{spec}` (--judge); use local or openai:URL#model"
    raise EvalError(msg)


def run(
    task: TaskConfig | str,
    *,
    mode: Mode | None = None,
    settings: AppSettings | None = None,
    limit: int | None = None,
    seed: int = 0,
    out_dir: Path | None = None,
    resume: bool = False,
    llm: BaseChatModel | None = None,
    kb: KnowledgeBase | None = None,
    judge: Any | None = None,
    judge_spec: str | None = None,
    mc: MCMethod = "likelihood",
    search_mode: SearchMode = "hybrid",
    data_dir: Path | None = None,
    show_progress: bool = False,
    command: list[str] | None = None,
) -> RunResult:
    """Run one task in one mode and write its folder (see the module docstring).

    Args:
        task: A `TaskConfig`, a shipped task name or the path of a task YAML.
        mode: `closed`, `rag` or `retrieval-only`; default: the task's first mode.
        settings: Product settings (default: environment, as `clinicalgpt ask` reads them).
        limit: Seeded sample size; default: the task's `default_limit` (None: every item).
        seed: Seed of the sample and the bootstrap.
        out_dir: The run folder; default `reports/eval/runs/<task>-<mode>-<generator>-<timestamp>`.
        resume: Continue the run in `out_dir` (default: the newest run of the same name).
        llm: A chat model to use instead of `generator.spec` (tests, notebooks).
        kb: A loaded knowledge base to use instead of `kb_dir`.
        judge: A judge object; default `make_judge(judge_spec)`.
        judge_spec: `local` or `openai:URL#model`.
        mc: Multiple choice by option log-likelihood (local models) or by generating and parsing.
        search_mode: Searcher mode for retrieval tasks.
        data_dir: Datasets folder; default `CLINICALGPT_DATA_DIR`.
        show_progress: A tqdm bar with ETA on stderr.
        command: The command line, recorded in run.json.
    """
    from eval.datasets import load_dataset
    from eval.leakage import check_leakage
    from eval.metrics import ScoringContext, score_item
    from eval.modes import Resources, build_predictor
    from eval.tasks import load_task
    from model.settings import load_settings

    task = load_task(task) if isinstance(task, str) else task
    mode = mode or task.modes[0]
    if task.family == "retrieval" and mode != "retrieval-only":
        msg = f"task `{task.name}` is a retrieval task: run it with --mode retrieval-only"
        raise EvalError(msg)
    if mode not in task.modes:
        msg = f"task `{task.name}` does not run in mode `{mode}` (its modes: {', '.join(task.modes)})"
        raise EvalError(msg)
    settings = settings or load_settings()
    data_dir = data_dir or settings.knowledge_settings().data_dir
    dataset = load_dataset(task, data_dir, limit=limit if limit is not None else task.default_limit, seed=seed)
    items = dataset.items
    res = Resources(settings, llm=llm, kb=kb)
    # Long-form QA in RAG mode goes through the product chain, which may quote the sources (no generator).
    answer_mode = res.answer_mode if mode == "rag" and task.family == "qa" else None
    uses_generator = mode != "retrieval-only" and answer_mode != "extractive"
    knowledge = res.kb if mode != "closed" else None
    leakage = check_leakage(task, mode, items, knowledge, seed=seed)
    if judge is None and task.family in JUDGED_FAMILIES:
        judge = make_judge(judge_spec)
    g = settings.generator
    header = RunHeader(
        task=task.name,
        task_version=task.version,
        task_hash=json_hash(task.model_dump(mode="json")),
        family=task.family,
        task_config=task.model_dump(mode="json"),
        mode=mode,
        search_mode=search_mode if task.family == "retrieval" else None,
        mc=mc if task.family == "exam" and uses_generator else None,
        answer_mode=answer_mode,
        generator=(g.spec if llm is None else f"injected:{llm._llm_type}") if uses_generator else None,
        generator_name=str(res.llm._get_ls_params().get("ls_model_name")) if uses_generator else None,
        adapter=str(g.adapter) if uses_generator and g.adapter else None,
        adapter_hash=folder_hash(g.adapter) if uses_generator and g.adapter else None,
        judge=judge.name if judge is not None else None,
        settings_hash=settings.settings_hash(),
        seed=seed,
        limit=dataset.limit,
        n_items=len(items),
        total_items=dataset.total,
        sampled_ids_hash=dataset.ids_sha256[:16],
        data_dir=str(data_dir) if data_dir else None,
        kb_dir=str(knowledge.kb_dir) if knowledge is not None else None,
        kb_manifest_hash=json_hash(knowledge.manifest.model_dump(mode="json")) if knowledge is not None else None,
        leakage=leakage,
        open_book=leakage.open_book,
        started_at=now(),
        machine=machine_info(),
        command=command,
    )
    name = run_name(task.name, mode, header.generator or answer_mode, header.search_mode)
    if out_dir is None:
        out_dir = (latest_run_dir(name) if resume else None) or default_run_dir(name)
    ctx = ScoringContext(judge=judge)
    predict = build_predictor(task, mode, res, mc=mc, search_mode=search_mode)
    header, results, resumed = execute(
        header,
        items,
        predict,
        lambda result, item: score_item(result, item, task.metrics, ctx),
        out_dir,
        resume=resume,
        show_progress=show_progress,
    )
    header.machine = machine_info()  # the GPU is known once the model has loaded
    write_header(out_dir, header)
    summary = summarize(task, results, items, seed=seed)
    write_summary(out_dir, summary)
    return RunResult(run_dir=out_dir, header=header, results=results, resumed=resumed, summary=summary)
