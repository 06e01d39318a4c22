"""`clinicalgpt diagnose INPUT… --out FILE`: a differential for every record, one output row each, offline.

Exit codes: 0 every record ok or with no findings, 1 some records failed (their rows say why), 2 usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

FormatOpt = Literal["auto", "jsonl", "csv", "fhir", "txt", "ddxplus"]


def _columns(spec: str | None) -> dict[str, str]:
    """`id=patient_id,text=note` → {"id": "patient_id", "text": "note"}."""
    if not spec:
        return {}
    pairs = [part.split("=", 1) for part in spec.split(",") if part.strip()]
    bad = [p[0] for p in pairs if len(p) != 2 or not p[0].strip() or not p[1].strip()]
    if bad:
        msg = f"--columns: {', '.join(bad)} is not FIELD=COLUMN (e.g. --columns id=patient_id,text=note)"
        raise typer.BadParameter(msg)
    return {field.strip(): column.strip() for field, column in pairs}


def diagnose_command(
    inputs: Annotated[list[Path], typer.Argument(help="Record files or folders of .txt notes.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file, one row per record (created 0600).")],
    fmt: Annotated[FormatOpt, typer.Option("--format", help="Input format (auto: by extension and content).")] = (
        "auto"
    ),
    output_format: Annotated[Literal["jsonl", "csv"], typer.Option("--output-format", help="Row format.")] = "jsonl",
    columns: Annotated[
        str | None, typer.Option("--columns", help="CSV column mapping, e.g. id=patient_id,text=note.")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip records already in --out and append.")] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes (or Ray actors) diagnosing in parallel.")
    ] = 1,
    executor: Annotated[
        Literal["local", "ray"],
        typer.Option("--executor", help="local: processes on this machine; ray: actors on a Ray cluster."),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="Ray cluster for --executor ray, e.g. ray://head:10001 [env RAY_ADDRESS; default: local Ray].",
        ),
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(
            "--llm",
            help="Re-rank the top candidates with a generator (default | hf:PATH | openai:URL[#model], as `ask "
            "--generator`) and write a cited rationale. An openai: endpoint receives the findings.",
        ),
    ] = None,
    kb: Annotated[Path | None, typer.Option("--kb", help="Knowledge base folder [env CLINICALGPT_KB_DIR].")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Diagnose patient records offline: a ranked differential with the evidence for and against each
    candidate (knowledge-graph score), red flags, and a status per record (ok / no_findings / error)."""
    from tqdm import tqdm

    from knowledge.graph.link import EntityLinker
    from knowledge.kb import load_kb_graph
    from model.diagnosis.diagnose import Diagnoser
    from model.diagnosis.output import RowWriter
    from model.diagnosis.readers import read_records
    from model.diagnosis.runner import run_batch
    from model.diagnosis.scoring import KGScorer
    from model.settings import load_settings

    mapping = _columns(columns)
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise typer.BadParameter(f"no such file or folder: {', '.join(missing)}", param_hint="INPUTS")
    if ray_address and executor != "ray":
        raise typer.BadParameter("--ray-address only applies with --executor ray", param_hint="--ray-address")
    if llm and (workers > 1 or executor == "ray"):
        msg = "--llm runs in one local process (the model already uses every core): drop --workers/--executor ray"
        raise typer.BadParameter(msg, param_hint="--llm")
    if executor == "ray":
        from model.diagnosis.ray_executor import import_ray

        try:
            import_ray()
        except RuntimeError as exc:
            raise typer.BadParameter(str(exc), param_hint="--executor") from exc
    settings = load_settings(None, **({"kb_dir": kb} if kb else {}))
    graph = load_kb_graph(settings.kb_dir.expanduser())
    diagnose: Any = Diagnoser(KGScorer(graph), EntityLinker(graph))
    if llm:
        from model.assistant import build_chat_model, load_assistant
        from model.diagnosis.llm_stage import LLMStageDiagnoser

        settings = settings.model_copy(update={"generator": settings.generator.model_copy(update={"spec": llm})})
        diagnose = LLMStageDiagnoser(diagnose, build_chat_model(settings), load_assistant(settings).retriever, name=llm)
    try:
        writer = RowWriter.open(out, output_format, resume=resume)
    except FileExistsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from exc
    with writer, tqdm(disable=not progress or as_json, unit="record", desc="diagnosing") as bar:
        summary = run_batch(
            read_records(inputs, fmt, columns=mapping),
            diagnose,
            writer,
            workers=workers,
            executor=executor,
            ray_address=ray_address,
            on_row=lambda row: bar.update(1),
        )
    report = {"out": str(out), **summary.model_dump()}
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        counts = ", ".join(f"{status} {n}" for status, n in summary.written.items()) or "nothing new"
        skipped = f"; {summary.skipped_existing} already in {out}" if summary.skipped_existing else ""
        typer.echo(f"{counts}{skipped} → {out} ({summary.records_per_s} records/s)")
    if summary.failed:
        raise typer.Exit(1)
