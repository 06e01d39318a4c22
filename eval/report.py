"""Reports over one or more run folders: `report.json`, `report.md` and PNG plots.

Per task: every metric with its 95% bootstrap interval, `n_scored` and the failures by status beside it
(a metric nothing could score shows `—`, never NaN); the runs (closed, RAG, retrieval-only, other
generators) side by side; a per-subject breakdown for exams; MIRAGE's published systems scored by our code
on the same items (`eval.baselines`) next to the numbers the task cites (`TaskConfig.published`); and the
time per item (median, p95).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from eval.errors import EvalError
from eval.runner import HEADER, ITEMS, SUMMARY, RunHeader, generator_label, now, read_header, read_results, summarize
from eval.schema import ItemResult
from eval.tasks.config import TaskConfig

logger = logging.getLogger(__name__)

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


class RunView(BaseModel):
    """One run as the report sees it."""

    model_config = ConfigDict(extra="forbid")

    run_dir: str
    label: str = Field(description="Mode, searcher mode and generator, e.g. `rag · default`.")
    header: RunHeader
    summary: dict[str, Any]
    item_ids: list[str]
    torn_last_line: bool = False


class TaskSection(BaseModel):
    """Everything the report says about one task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    family: str
    version: int
    description: str
    runs: list[int] = Field(description="Indices into `Report.runs`.")
    published: dict[str, float] = Field(default_factory=dict)
    baselines: list[dict[str, Any]] = Field(default_factory=list)
    baseline_note: str | None = None


class Report(BaseModel):
    """`report.json`."""

    model_config = ConfigDict(extra="forbid")

    generated_at: str
    runs: list[RunView]
    tasks: dict[str, TaskSection]
    files: list[str] = Field(default_factory=list)


def find_run_dirs(paths: Sequence[Path]) -> list[Path]:
    """Run folders among `paths`: a folder holding run.json, or every run folder directly inside one."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if (path / HEADER).is_file():
            found.append(path)
            continue
        inner = sorted(p.parent for p in path.glob(f"*/{HEADER}")) if path.is_dir() else []
        if not inner:
            msg = f"{path} is not a run folder and holds none (no {HEADER}); give folders written by `eval run`"
            raise EvalError(msg)
        found.extend(inner)
    return list(dict.fromkeys(found))


def run_label(header: RunHeader) -> str:
    """`mode[/search mode] · generator[+adapter]`."""
    mode = header.mode + (f"/{header.search_mode}" if header.search_mode else "")
    generator = generator_label(header.generator) if header.generator else "no generator"
    if header.adapter_hash:
        generator += f"+lora:{header.adapter_hash[:8]}"
    if header.mc == "generate":
        generator += " (generate)"
    return f"{mode} · {generator}"


def _distinct_labels(views: list[RunView]) -> list[RunView]:
    """Two runs of one task in one mode with one generator (a setting changed between them) would share a label
    and read as one column twice: such runs are told apart by their settings hash."""
    seen: dict[str, set[str]] = {}
    for view in views:
        seen.setdefault(view.label, set()).add(view.header.settings_hash)
    for view in views:  # across tasks, so that one configuration keeps one label (and one colour) everywhere
        if len(seen[view.label]) > 1:
            view.label += f" · settings {view.header.settings_hash[:8]}"
    return views


def load_run(run_dir: Path, *, data_dir: Path | None = None) -> tuple[RunView, list[ItemResult]]:
    """A run folder's header, results and summary (recomputed when summary.json is missing or stale)."""
    header = read_header(run_dir)
    results, torn = read_results(Path(run_dir) / ITEMS)
    summary: dict[str, Any] | None = None
    path = Path(run_dir) / SUMMARY
    if path.is_file():
        summary = json.loads(path.read_text(encoding="utf-8"))
        if summary.get("n_items") != len(results):
            summary = None  # written before a resume or an interruption: recompute
    if summary is None:
        from eval.datasets import load_items

        task = TaskConfig.model_validate(header.task_config)
        folder = data_dir or (Path(header.data_dir) if header.data_dir else None)
        items = load_items(task, folder, limit=header.limit, seed=header.seed)
        summary = summarize(task, results, items, seed=header.seed)
    view = RunView(
        run_dir=str(run_dir),
        label=run_label(header),
        header=header,
        summary=summary,
        item_ids=[r.id for r in results],
        torn_last_line=torn,
    )
    return view, results


def _baselines(
    task: TaskConfig, views: list[RunView], data_dir: Path | None
) -> tuple[list[dict[str, Any]], str | None]:
    from eval.baselines import mirage_subset, score_baselines

    if mirage_subset(task) is None:
        return [], None
    folder = data_dir or next((Path(v.header.data_dir) for v in views if v.header.data_dir), None)
    if folder is None:
        return [], "MIRAGE predictions not scored: no data folder (set CLINICALGPT_DATA_DIR or --data-dir)"
    id_sets = {tuple(v.item_ids) for v in views if v.item_ids}
    ours = sorted({i for ids in id_sets for i in ids}) if len(id_sets) == 1 else None
    try:
        scores = score_baselines(task, folder, ours, seed=views[0].header.seed)
    except EvalError as exc:
        return [], f"MIRAGE predictions not scored: {exc}"
    note = None if len(id_sets) <= 1 else "runs sampled different items: baselines are shown on all items only"
    return [s.model_dump() for s in scores], note


def build_report(
    run_dirs: Sequence[Path],
    out_dir: Path,
    *,
    data_dir: Path | None = None,
    baselines: bool = True,
    plots: bool = True,
) -> Report:
    """Read the runs, write `report.json`, `report.md` and the PNGs into `out_dir`, and return the report."""
    dirs = find_run_dirs(run_dirs)
    views = _distinct_labels([load_run(d, data_dir=data_dir)[0] for d in dirs])
    tasks: dict[str, TaskSection] = {}
    for index, view in enumerate(views):
        config = TaskConfig.model_validate(view.header.task_config)
        section = tasks.setdefault(
            config.name,
            TaskSection(
                task=config.name,
                family=config.family,
                version=config.version,
                description=config.description,
                runs=[],
                published=config.published,
            ),
        )
        section.runs.append(index)
    for section in tasks.values():
        section_views = [views[i] for i in section.runs]
        if baselines:
            config = TaskConfig.model_validate(section_views[0].header.task_config)
            section.baselines, section.baseline_note = _baselines(config, section_views, data_dir)
    for section in tasks.values():
        section.runs.sort(key=lambda i: _run_order(views[i]))
    report = Report(generated_at=now(), runs=views, tasks=tasks)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if plots:
        from eval.plots import write_plots

        report.files = write_plots(report, out_dir)
    report.files = [REPORT_JSON, REPORT_MD, *report.files]
    (out_dir / REPORT_JSON).write_text(report.model_dump_json(indent=2), encoding="utf-8")
    (out_dir / REPORT_MD).write_text(render_markdown(report), encoding="utf-8")
    return report


MODE_ORDER = ("closed", "rag", "retrieval-only")
SEARCH_ORDER = ("dense", "bm25", "kg", "hybrid", "naive")


def _run_order(view: RunView) -> tuple[int, int, str]:
    """Closed, RAG, retrieval-only; searcher modes dense, BM25, KG, hybrid; then by label."""
    search = view.header.search_mode
    return (
        MODE_ORDER.index(view.header.mode),
        SEARCH_ORDER.index(search) if search in SEARCH_ORDER else -1,
        view.label,
    )


# -- markdown ------------------------------------------------------------------------------------------------
def fmt(value: float | None, digits: int = 3) -> str:
    """A number, or `—` when there is none (never `nan`)."""
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_ci(summary: dict[str, Any]) -> str:
    """`[low, high]` or `—`."""
    low, high = summary.get("ci_low"), summary.get("ci_high")
    return "—" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def fmt_failed(failed: dict[str, int]) -> str:
    """`parse_error 2, error 1`, or `0`."""
    return ", ".join(f"{status} {count}" for status, count in sorted(failed.items()) if count) or "0"


def primary_metric(view: RunView) -> str | None:
    """The first score key of the run (the task's first metric)."""
    return next(iter(view.summary.get("metrics", {})), None)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _run_lines(view: RunView) -> list[str]:
    h = view.header
    sample = f"{h.n_items} items" + (f" (seeded sample of {h.total_items}, seed {h.seed})" if h.limit else "")
    book = " — **open book**: the knowledge base holds " + ", ".join(h.leakage.open_book_sources) if h.open_book else ""
    return [
        f"- `{view.label}`: {sample}; statuses {fmt_failed(view.summary.get('statuses', {}))}{book}; "
        f"started {h.started_at}; settings {h.settings_hash}; judge {h.judge or '—'}; "
        f"{h.machine.cores} cores {h.machine.cpu}{', GPU ' + h.machine.gpu if h.machine.gpu else ''}; `{view.run_dir}`"
        + (" (last line torn: resume the run)" if view.torn_last_line else "")
    ]


def _task_lines(section: TaskSection, views: list[RunView]) -> list[str]:
    lines = [f"## {section.task} ({section.family}, v{section.version})", "", section.description.strip(), ""]
    lines += [line for view in views for line in _run_lines(view)] + [""]
    keys = list(dict.fromkeys(k for v in views for k in v.summary.get("metrics", {})))
    rows = []
    for key in keys:
        for view in views:
            m = view.summary.get("metrics", {}).get(key)
            if m is None:
                continue
            unscored = f" (+{m['n_unscored']} unscored)" if m.get("n_unscored") else ""
            direction = "" if m.get("higher_is_better", True) else " (lower is better)"
            rows.append(
                [
                    key + direction,
                    view.label,
                    fmt(m["value"]),
                    fmt_ci(m),
                    f"{m['n_scored']}{unscored}",
                    fmt_failed(m["n_failed"]),
                ]
            )
    lines += ["### Metrics (95% bootstrap CI)", ""]
    lines += _table(["metric", "run", "value", "95% CI", "n scored", "failed by status"], rows) + [""]
    if len(views) > 1:
        side = [[key] + [_cell(v, key) for v in views] for key in keys]
        lines += ["### Side by side", ""] + _table(["metric"] + [v.label for v in views], side) + [""]
    subjects = sorted({s for v in views for s in v.summary.get("by_subject", {})})
    if subjects:
        key = keys[0]
        rows = [[s] + [_cell(v, key, subject=s) for v in views] for s in subjects]
        lines += [f"### {key} by subject", ""] + _table(["subject"] + [v.label for v in views], rows) + [""]
    if section.baselines or section.published or section.baseline_note:
        lines += _baseline_lines(section, views, keys[0] if keys else None)
    rows = []
    for view in views:
        t = view.summary.get("seconds_per_item", {})
        rows.append(
            [view.label, fmt(t.get("median"), 2), fmt(t.get("p95"), 2), fmt(t.get("mean"), 2), fmt(t.get("total"), 1)]
        )
    lines += ["### Time per item (seconds)", ""] + _table(["run", "median", "p95", "mean", "total"], rows) + [""]
    return lines


def _cell(view: RunView, key: str, *, subject: str | None = None) -> str:
    metrics = view.summary.get("by_subject", {}).get(subject, {}) if subject else view.summary.get("metrics", {})
    m = metrics.get(key)
    if m is None:
        return "—"
    failed = sum(m["n_failed"].values())
    return f"{fmt(m['value'])} {fmt_ci(m)} n={m['n_scored']}" + (f", failed {failed}" if failed else "")


def _baseline_lines(section: TaskSection, views: list[RunView], key: str | None) -> list[str]:
    lines = ["### Ours vs published baselines", ""]
    rows = []
    for view in views:
        m = view.summary.get("metrics", {}).get(key or "", {})
        if m:
            rows.append(
                [
                    f"ours: {view.label}",
                    "our items",
                    fmt(m.get("value")),
                    fmt_ci(m),
                    str(m["n_scored"]),
                    fmt_failed(m["n_failed"]),
                ]
            )
    for b in section.baselines:
        s = b["summary"]
        rows.append(
            [b["system"], b["scope"], fmt(s["value"]), fmt_ci(s), str(s["n_scored"]), fmt_failed(s["n_failed"])]
        )
    for name, value in section.published.items():
        rows.append([f"{name} (published)", "paper", fmt(value), "—", "—", "—"])
    lines += _table(["system", "items", key or "value", "95% CI", "n scored", "failed by status"], rows) + [""]
    if section.baseline_note:
        lines += [f"Note: {section.baseline_note}", ""]
    return lines


def render_markdown(report: Report) -> str:
    """The report as Markdown."""
    lines = ["# Evaluation report", "", f"Generated {report.generated_at} from {len(report.runs)} run(s).", ""]
    for section in report.tasks.values():
        lines += _task_lines(section, [report.runs[i] for i in section.runs])
    pngs = [f for f in report.files if f.endswith(".png")]
    if pngs:
        lines += ["## Plots", ""] + [f"![{Path(f).stem}]({f})" for f in pngs] + [""]
    return "\n".join(lines)
