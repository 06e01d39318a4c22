"""`clinicalgpt eval …`: list, validate and run evaluation tasks, and compare runs in reports.

Registered into the product CLI through the `clinicalgpt.cli` entry-point group (see pyproject.toml),
so that the model layer never imports this package. Importing this module loads nothing heavy: every
command imports what it needs when it runs. Our errors (unknown task, bad task file, missing data,
leakage, …) reach the product CLI's top-level handler, which prints them as one line and exits 2.

    clinicalgpt eval ls
    clinicalgpt eval validate [FILE …]
    clinicalgpt eval run --task mirage-medqa --mode closed --limit 5
    clinicalgpt eval report reports/eval/runs/mirage-medqa-* --out reports/eval/medqa
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

if TYPE_CHECKING:
    from eval.modes import SearchMode

app = typer.Typer(help="Evaluate the assistant: tasks, runs and reports.", no_args_is_help=True, rich_markup_mode=None)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document (for scripts); no progress bars.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="JSON/TOML settings file.", envvar="CLINICALGPT_CONFIG")
]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Datasets folder [env CLINICALGPT_DATA_DIR].")]
SearchModeOpt = Literal["dense", "bm25", "kg", "hybrid", "naive", "all"]


def _echo(text: str = "") -> None:
    typer.echo(text)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def quiet_progress() -> None:
    """Turn off the Hugging Face libraries' own progress bars (model loading) for `--json` / `--no-progress`."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # read when transformers is first imported
    if "transformers" in sys.modules:  # already imported (e.g. in tests): switch it off directly
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


# ------------------------------------------------------------------------------------------------ ls
@app.command("ls")
def ls(as_json: JsonOpt = False) -> None:
    """List the shipped evaluation tasks: name, family, items source, modes, version."""
    from eval.tasks import list_tasks

    tasks = list_tasks()
    if as_json:
        _emit_json([t.model_dump(mode="json") for t in tasks])
        return
    rows = [["name", "family", "items", "modes", "version"]]
    for t in tasks:
        options = ",".join(f"{k}={v}" for k, v in t.dataset.options.items())
        source = f"{t.dataset.loader}:{t.dataset.path}" + (f" ({options})" if options else "")
        rows.append([t.name, t.family, source, ",".join(t.modes), str(t.version)])
    for line in _columns(rows):
        _echo(line)


# ------------------------------------------------------------------------------------------ validate
@app.command("validate")
def validate(
    files: Annotated[list[Path] | None, typer.Argument(help="Task YAML files (default: every shipped task).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate task files without running anything; exit 2 with each file's problems when one is bad."""
    from eval.errors import TaskConfigError
    from eval.tasks import load_task, shipped_task_names, validate_task_file

    checks: list[tuple[str, Any]] = (
        [(str(f), lambda f=f: validate_task_file(f)) for f in files]
        if files
        else [(f"eval/tasks/{n}.yaml", lambda n=n: load_task(n)) for n in shipped_task_names()]
    )
    report: list[dict[str, Any]] = []
    for shown, check in checks:
        try:
            task = check()
        except TaskConfigError as exc:
            report.append({"file": shown, "ok": False, "problems": str(exc).splitlines()})
        else:
            report.append({"file": shown, "ok": True, "task": task.name, "version": task.version})
    bad = [r for r in report if not r["ok"]]
    if as_json:
        _emit_json(report)
    else:
        for r in report:
            if r["ok"]:
                _echo(f"ok     {r['file']}: {r['task']} v{r['version']}")
            else:
                for problem in r["problems"]:
                    typer.echo(f"error: {problem}", err=True)
        if not report:
            _echo("no task files")
        elif not bad:
            _echo(f"{len(report)} task file(s) valid")
    if bad:
        raise typer.Exit(2)


# ----------------------------------------------------------------------------------------------- run
def _settings(config: Path | None, **overrides: Any) -> Any:
    from model.settings import load_settings

    settings = load_settings(config, **{k: v for k, v in overrides.items() if k not in ("spec", "adapter")})
    generator = {k: overrides[k] for k in ("spec", "adapter") if overrides.get(k) is not None}
    if generator:
        settings = settings.model_copy(update={"generator": settings.generator.model_copy(update=generator)})
    return settings


def _summary_lines(result: Any) -> list[str]:
    from eval.report import fmt, fmt_ci, fmt_failed, run_label

    s = result.summary
    lines = [f"{result.header.task} · {run_label(result.header)} → {result.run_dir}"]
    resumed = f" ({result.resumed} from an earlier run)" if result.resumed else ""
    book = "; open book: " + ", ".join(result.header.leakage.open_book_sources) if result.header.open_book else ""
    lines.append(f"  {s['n_items']} items{resumed}; statuses {fmt_failed(s['statuses'])}{book}")
    for key, m in s["metrics"].items():
        lines.append(
            f"  {key}: {fmt(m['value'])} {fmt_ci(m)} n={m['n_scored']}"
            + (f"; failed {fmt_failed(m['n_failed'])}" if m["n_failed"] else "")
        )
    t = s["seconds_per_item"]
    per_item = f"median {fmt(t['median'], 2)}, p95 {fmt(t['p95'], 2)}, total {fmt(t['total'], 1)}"
    lines.append(f"  seconds per item: {per_item}")
    return lines


@app.command("run")
def run(
    tasks: Annotated[
        list[str], typer.Option("--task", "-t", metavar="TASK", help="Task name or task YAML (repeatable).")
    ],
    mode: Annotated[
        Literal["closed", "rag", "retrieval-only"] | None,
        typer.Option("--mode", help="closed | rag | retrieval-only [default: the task's first mode]."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Seeded sample size [default: the task's default_limit].")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample and the bootstrap.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Run folder [default reports/eval/runs/<task>-<mode>-<generator>-<time>]; with several runs, "
            "the folder that holds them.",
        ),
    ] = None,
    generator: Annotated[
        str | None, typer.Option("--generator", "-g", help="default | hf:PATH | openai:URL[#model].")
    ] = None,
    adapter: Annotated[Path | None, typer.Option("--adapter", help="LoRA adapter folder for local generators.")] = None,
    no_adapter: Annotated[
        bool, typer.Option("--no-adapter", help="The default model without its shipped adapter (the base model).")
    ] = False,
    answer_mode: Annotated[
        Literal["auto", "extractive", "generative"] | None,
        typer.Option(
            "--answer-mode",
            help="How the product chain answers RAG QA: extractive | generative | auto [env CLINICALGPT_ANSWER__MODE].",
        ),
    ] = None,
    judge: Annotated[
        str | None, typer.Option("--judge", help="local | openai:URL#model (QA and consultation metrics).")
    ] = None,
    mc: Annotated[
        Literal["likelihood", "generate"],
        typer.Option("--mc", help="Multiple choice: option log-likelihood (local models) or generate and parse."),
    ] = "likelihood",
    retrieval_mode: Annotated[
        SearchModeOpt,
        typer.Option(
            "--retrieval-mode",
            help="Searcher mode(s) for retrieval tasks; naive = dense + BM25 by plain RRF (the baseline).",
        ),
    ] = "all",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run (--out, or the newest of that name).")
    ] = False,
    kb: Annotated[Path | None, typer.Option("--kb", help="Knowledge base folder [env CLINICALGPT_KB_DIR].")] = None,
    data_dir: DataDirOpt = None,
    config: ConfigOpt = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Hide progress bars.")] = False,
    as_json: JsonOpt = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug logs.")] = 0,
) -> None:
    """Run tasks and write, per run, run.json + items.jsonl + summary.json (see `eval report` to compare)."""
    # Passive OpenMP waiting (before torch loads): on a shared CPU, torch's spinning threads wait on each other
    # and a 270M-model forward runs ~12x slower (measured: option scoring 2.4 s → 0.28 s, 3.6 → 8.8 tokens/s).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from model.cli import configure_logging

    configure_logging(verbose)
    if as_json or no_progress:
        quiet_progress()
    from eval.runner import run as run_task
    from eval.runner import run_name
    from eval.tasks import load_task
    from model.assistant import resolve_answer_mode

    if adapter is not None and no_adapter:
        raise typer.BadParameter("--adapter and --no-adapter contradict each other: pass one", param_hint="--adapter")
    settings = _settings(config, kb_dir=kb, data_dir=data_dir, spec=generator, adapter=adapter)
    if no_adapter:
        settings = settings.model_copy(
            update={"generator": settings.generator.model_copy(update={"use_shipped_adapter": False})}
        )
    if answer_mode is not None:
        settings = settings.model_copy(update={"answer": settings.answer.model_copy(update={"mode": answer_mode})})
    loaded = [load_task(name) for name in tasks]
    plan: list[tuple[Any, SearchMode | None]] = []
    for task in loaded:
        if task.family == "retrieval":
            modes: list[SearchMode] = (
                ["dense", "bm25", "kg", "hybrid", "naive"] if retrieval_mode == "all" else [retrieval_mode]
            )
            plan += [(task, m) for m in modes]
        else:
            plan.append((task, None))
    results = []
    for task, search_mode in plan:
        run_mode = mode or task.modes[0]
        target = out
        if out is not None and len(plan) > 1:
            spec = settings.generator.spec if run_mode != "retrieval-only" else None
            if run_mode == "rag" and task.family == "qa" and resolve_answer_mode(settings) == "extractive":
                spec = "extractive"
            target = out / run_name(task.name, run_mode, spec, search_mode)
        result = run_task(
            task,
            mode=run_mode,
            settings=settings,
            limit=limit,
            seed=seed,
            out_dir=target,
            resume=resume,
            judge_spec=judge,
            mc=mc,
            search_mode=search_mode or "hybrid",
            data_dir=data_dir,
            show_progress=not (as_json or no_progress),
            command=["clinicalgpt", *sys.argv[1:]],
        )
        results.append(result)
        if not as_json:
            for line in _summary_lines(result):
                _echo(line)
    if as_json:
        _emit_json(
            [
                {"run_dir": str(r.run_dir), "resumed": r.resumed, "header": r.header.model_dump(mode="json")}
                | {"summary": r.summary}
                for r in results
            ]
        )


# -------------------------------------------------------------------------------------------- report
@app.command("report")
def report(
    runs: Annotated[list[Path], typer.Argument(help="Run folders, or folders holding run folders.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Report folder [default: the run folder for one run, else reports/eval/report-<time>]."
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    no_baselines: Annotated[bool, typer.Option("--no-baselines", help="Skip MIRAGE's published predictions.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the PNG plots.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare runs side by side: report.json, report.md and PNG plots (metrics with 95% CIs, failures, time)."""
    from eval.report import build_report, find_run_dirs

    dirs = find_run_dirs(runs)
    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = dirs[0] if len(dirs) == 1 else Path("reports/eval") / f"report-{stamp}"
    if data_dir is None:
        from model.settings import load_settings

        data_dir = load_settings(None).knowledge_settings().data_dir
    result = build_report(dirs, out, data_dir=data_dir, baselines=not no_baselines, plots=not no_plots)
    if as_json:
        _emit_json({"out": str(out)} | result.model_dump(mode="json"))
        return
    _echo(f"report of {len(result.runs)} run(s) over {len(result.tasks)} task(s) → {out}")
    for name in result.files:
        _echo(f"  {out / name}")
