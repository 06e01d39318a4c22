"""`clinicalgpt`: a thin Typer CLI over the Python API.

Each command loads settings, calls one API function, renders (rich, or `--json`) and maps our errors to
exit code 2 with the message on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup
from typer.exceptions import TyperException

from knowledge.errors import ClinicalAssistantError
from model.diagnosis.cli import diagnose_command
from model.settings import AppSettings, load_settings
from rag.settings import AnswerMode

if TYPE_CHECKING:
    from rag.schema import CitedAnswer

# Passive OpenMP waiting, set before torch loads: on a busy 2-core machine torch's spinning threads wait on
# each other and a Gemma 270M forward pass ran ~12x slower (eval option scoring 2.4 s → 0.28 s per item,
# generation 3.6 → 8.8 tokens/s, identical outputs). A user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class _SafeGroup(TyperGroup):
    """The one top-level handler: our errors exit 2 with their one-line message; anything unexpected exits 1
    with a short message instead of a traceback (the traceback goes to the debug log, shown with -vv)."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]  # typer vendors click's Context
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # typer's own exits and usage errors (exit 2)
            raise
        except ClinicalAssistantError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted", code=130)
        except Exception as exc:  # the last resort: never a traceback on the user's screen
            logger.debug("unexpected error", exc_info=True)
            _fail(f"unexpected {exc.__class__.__name__}: {_one_line(exc)}; run with -vv for details", code=1)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _fail(message: str, code: int = 2) -> None:
    err.print(f"error: {message}", style="bold red", soft_wrap=True)
    raise typer.Exit(code)


# Help texts hold literal brackets ("[env CLINICALGPT_KB_DIR]"): no markup mode, so nothing is swallowed.
app = typer.Typer(
    cls=_SafeGroup,
    help="ClinicalGPT: a retrieval-grounded clinical assistant.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
kb_app = typer.Typer(
    help="Build and inspect the knowledge base (graph + indexes).", no_args_is_help=True, rich_markup_mode=None
)
config_app = typer.Typer(help="Show settings.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(kb_app, name="kb")
app.add_typer(config_app, name="config")

# User and document text may hold "[/bold]" and the like: never interpret markup or auto-highlight.
out = Console(markup=False, highlight=False, soft_wrap=True)
err = Console(stderr=True, markup=False, highlight=False)
logger = logging.getLogger(__name__)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="JSON/TOML settings file.", envvar="CLINICALGPT_CONFIG")
]
KbOpt = Annotated[Path | None, typer.Option("--kb", help="Knowledge base folder [env CLINICALGPT_KB_DIR].")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts).")]
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug logs.")]
KOpt = Annotated[
    int | None, typer.Option("-k", "--top-k", min=1, max=200, help="How many passages to retrieve (1-200).")
]


def configure_logging(verbosity: int) -> None:
    """Log to stderr; quiet third-party loggers unless -vv. Patient text is only ever logged at DEBUG."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    from rich.logging import RichHandler

    logging.basicConfig(
        level=level, handlers=[RichHandler(console=err, show_path=False)], format="%(message)s", force=True
    )
    for noisy in ("transformers", "sentence_transformers", "faiss", "httpx", "urllib3", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbosity < 2 else logging.INFO)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn our exceptions into a one-line message and exit code 2."""
    try:
        yield
    except ClinicalAssistantError as exc:
        _fail(str(exc))


def _settings(config: Path | None, **overrides: Any) -> AppSettings:
    with user_errors():
        return load_settings(config, **overrides)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


# ------------------------------------------------------------------------------------------------ kb
@kb_app.command("build")
def kb_build(
    sources: Annotated[
        list[str] | None,
        typer.Option("--sources", "-s", help="Sources to build (comma list or repeated); default: all."),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Datasets folder [env CLINICALGPT_DATA_DIR].")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where to write the knowledge base [env CLINICALGPT_KB_DIR].")
    ] = None,
    docs: Annotated[
        list[Path] | None, typer.Option("--docs", help="Folder of your own .md/.txt/.jsonl documents (repeatable).")
    ] = None,
    embed_chunks: Annotated[
        int | None, typer.Option("--embed-chunks", help="Embed the first N chunks per document (0 = all).")
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Hide progress bars.")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors in the log.")] = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Build the knowledge graph and the dense + BM25 indexes from the configured sources (atomic)."""
    configure_logging(0 if quiet else max(verbose, 1))
    from knowledge.kb import build_knowledge_base, describe

    settings = _settings(config, data_dir=data_dir, kb_dir=out_dir)
    ks = settings.knowledge_settings()
    update: dict[str, Any] = {"show_progress": not no_progress and not as_json}
    if _split(sources):
        update["sources"] = _split(sources)
    if docs:
        update["user_docs"] = list(docs)
    if embed_chunks is not None:
        update["index"] = ks.index.model_copy(update={"embed_max_chunks_per_doc": embed_chunks})
    ks = ks.model_copy(update=update)
    with user_errors():
        manifest = build_knowledge_base(ks)
    if as_json:
        _emit_json({"kb_dir": str(ks.resolved_kb_dir()), **describe(manifest)})
        return
    _print_manifest(manifest, ks.resolved_kb_dir())


def _print_manifest(manifest: Any, kb_dir: Path) -> None:
    table = Table(title=f"Knowledge base at {kb_dir}", show_header=True)
    table.add_column("source")
    table.add_column("records", justify="right")
    table.add_column("malformed", justify="right")
    table.add_column("skipped", justify="right")
    table.add_column("licence")
    table.add_column("first problem")
    for report in manifest.reports:
        first = report.problems[0] if report.problems else None
        where = f"{first.file}{f':{first.line}' if first.line else ''} {first.reason}" if first else ""
        licences = "; ".join(report.licences) or "—"
        table.add_row(report.source, str(report.records), str(report.malformed), str(report.skipped), licences, where)
    out.print(table)
    out.print(", ".join(f"{k}={v}" for k, v in manifest.counts.items()))
    out.print(
        f"embedding model {manifest.embedding_model} (dim {manifest.embedding_dim}); "
        f"built {manifest.built_at} in {manifest.build_seconds:.0f}s; build settings {manifest.settings_hash} "
        "(`config show`: kb_build_settings_hash)"
    )


#: Problems `kb info` prints in full before pointing at `--json`, which lists every one.
INFO_PROBLEMS_SHOWN = 20


def _print_problems(manifest: Any) -> None:
    problems = [(r.source, p) for r in manifest.reports for p in r.problems]
    not_kept = sum(r.problems_not_kept for r in manifest.reports)
    if manifest.counts.get("dropped_edges"):
        out.print(f"{manifest.counts['dropped_edges']} graph edges pointed at unknown entities and were dropped")
    if not problems:
        return
    out.print(f"\n{len(problems) + not_kept} problems while loading sources:", style="bold")
    for source, problem in problems[:INFO_PROBLEMS_SHOWN]:
        line = f":{problem.line}" if problem.line else ""
        out.print(f"  {source}: {problem.file}{line}: {problem.reason}")
    if len(problems) + not_kept > INFO_PROBLEMS_SHOWN:
        out.print(f"  … `clinicalgpt kb info --json` lists all {len(problems) + not_kept}")


def _print_flagged(manifest: Any) -> None:
    flagged = getattr(manifest, "flagged", [])
    if not flagged:
        return
    out.print(
        f"\n{len(flagged)} passages look like instructions or markup (kept as data, never trusted):", style="bold"
    )
    for item in flagged[:INFO_PROBLEMS_SHOWN]:
        out.print(f"  {item.chunk_id}: {', '.join(item.reasons)}")
    if len(flagged) > INFO_PROBLEMS_SHOWN:
        out.print(f"  … `clinicalgpt kb info --json` lists all {len(flagged)}")


def _kb_dir(config: Path | None, kb: Path | None) -> Path:
    return _settings(config, kb_dir=kb).knowledge_settings().resolved_kb_dir()


@kb_app.command("info")
def kb_info(kb: KbOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Show what a built knowledge base holds (sources, counts, every problem, flagged passages, model)."""
    from knowledge.kb import describe, read_manifest

    kb_dir = _kb_dir(config, kb)
    with user_errors():
        manifest = read_manifest(kb_dir)
    if as_json:
        _emit_json({"kb_dir": str(kb_dir), **describe(manifest)})
        return
    _print_manifest(manifest, kb_dir)
    out.print("node types: " + ", ".join(f"{k}={v}" for k, v in manifest.node_types.items()))
    out.print("edge types: " + ", ".join(f"{k}={v}" for k, v in manifest.edge_types.items()))
    _print_problems(manifest)
    _print_flagged(manifest)


@kb_app.command("verify")
def kb_verify(kb: KbOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Check every file of the knowledge base against the sizes and SHA-256 hashes its manifest records."""
    from knowledge.kb import verify_knowledge_base

    kb_dir = _kb_dir(config, kb)
    with user_errors():
        report = verify_knowledge_base(kb_dir)
    if as_json:
        _emit_json(report.model_dump() | {"ok": report.ok})
    elif report.ok:
        out.print(f"ok: {report.files_checked} files of build {report.build} match the manifest ({kb_dir})")
    else:
        for problem in report.problems:
            err.print(f"corrupt: {problem}")
    if not report.ok:
        _fail(f"the knowledge base at {kb_dir} is damaged; rebuild it with `clinicalgpt kb build`")


@kb_app.command("link")
def kb_link(
    text: Annotated[str, typer.Argument(help="Text to link to knowledge-graph entities.")],
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Entities to show (1-100).")] = 10,
    kb: KbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Link text to KG entities (exact → synonym → fuzzy), with scores."""
    from knowledge.graph import EntityLinker
    from knowledge.kb import load_kb_graph
    from rag.retrieve import check_query

    settings = _settings(config, kb_dir=kb)
    kb_dir = settings.knowledge_settings().resolved_kb_dir()
    with user_errors():
        text = check_query(text, settings.retrieval)
        graph = load_kb_graph(kb_dir)
    links = EntityLinker(graph).link(text, top=top)
    if as_json:
        _emit_json({"text": text, "entities": [link.model_dump() for link in links]})
        return
    if not links:
        out.print("no entities found")
        return
    table = Table(show_header=True)
    for col in ("node id", "name", "type", "score", "matched", "how"):
        table.add_column(col)
    for link in links:
        table.add_row(link.node_id, link.name, link.type, f"{link.score:.3f}", link.surface, link.match)
    out.print(table)


@kb_app.command("download")
def kb_download(
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest", help="Data folder to fill [default: CLINICALGPT_DATA_DIR or ~/.cache/clinicalgpt/data]."
        ),
    ] = None,
    sources: Annotated[list[str] | None, typer.Option("--sources", "-s", help="Sources to fetch (comma list).")] = None,
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="Manifest TSV with pinned commits and checksums.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Fetch the permissively licensed sources from their public repositories (pinned commit + checksum)."""
    from importlib.resources import files

    from knowledge.download import SOURCE_FOLDERS, download_sources

    settings = _settings(None)
    target = dest or settings.data_dir or Path("~/.cache/clinicalgpt/data")
    manifest_path = manifest or Path(str(files("knowledge") / "sources_manifest.tsv"))
    chosen = _split(sources) or list(SOURCE_FOLDERS)
    with user_errors():
        report = download_sources(
            target.expanduser(), chosen, manifest_path, timeout=timeout, show_progress=not as_json
        )
    data = {
        "dest": str(target),
        "downloaded": report.downloaded,
        "already_present": report.already_present,
        "failed": report.failed,
        "derived_skipped": report.derived_skipped,
    }
    if as_json:
        _emit_json(data)
    else:
        out.print(
            f"downloaded {len(report.downloaded)}, already present {len(report.already_present)}, "
            f"failed {len(report.failed)} → {target}"
        )
        for name, reason in report.failed.items():
            err.print(f"failed: {name}: {reason}")
        if report.derived_skipped:
            out.print("derived files (rebuilt locally by the loaders): " + ", ".join(report.derived_skipped))
    if report.failed:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------------- search
@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Question or keywords.")],
    k: KOpt = None,
    mode: Annotated[str | None, typer.Option("--mode", help="dense | bm25 | kg | hybrid")] = None,
    kb: KbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Retrieve cited passages and KG facts for a query."""
    configure_logging(verbose)
    from knowledge.kb import KnowledgeBase
    from rag.retrieve import HybridSearcher, retrieval_info

    settings = _settings(config, kb_dir=kb)
    with user_errors():
        knowledge = KnowledgeBase.load(settings.knowledge_settings().resolved_kb_dir())
        result = HybridSearcher(knowledge, settings.retrieval).search(query, k=k, mode=mode)  # type: ignore[arg-type]
    if as_json:
        _emit_json(result.model_dump(mode="json") | {"settings_hash": settings.settings_hash()})
        return
    if result.entities:
        out.print("entities: " + ", ".join(f"{e.name} ({e.node_id}, {e.score:.2f})" for e in result.entities))
    if result.intent:
        out.print(f"question type: {result.intent}")
    if not result.documents:
        out.print(_no_results_reason(result))
    for rank, doc in enumerate(result.documents, start=1):
        meta, info = doc.metadata, retrieval_info(doc)
        out.print(f"[{rank}] {meta['title']}" + (f" — {meta['section']}" if meta.get("section") else ""), style="bold")
        found = f"score: {info.score:.4f}   via: {', '.join(f'{k}#{v}' for k, v in info.ranks.items())}" if info else ""
        out.print(f"    id: {doc.id}   source: {meta['source']} ({meta['licence']})   {found}")
        if meta.get("url"):
            out.print(f"    url: {meta['url']}")
        text = doc.page_content
        out.print(f"    {text if len(text) <= 300 else text[:297] + '...'}")
    out.print(f"{result.timings_ms['total']:.0f} ms", style="dim")


def _no_results_reason(result: Any) -> str:
    """Why a search found nothing, in words a user can act on."""
    if result.mode == "kg" and result.entities:
        names = ", ".join(e.name for e in result.entities)
        return f"no results: linked {names}, but the knowledge graph holds no facts about it; try --mode hybrid"
    if result.mode == "kg":
        return "no results: no knowledge-graph entity recognised in the query; try --mode hybrid"
    return "no results"


# ---------------------------------------------------------------------------------------- ask, chat
GeneratorOpt = Annotated[
    str | None,
    typer.Option("--generator", "-g", help="default | hf:PATH | openai:URL[#model] [env CLINICALGPT_GENERATOR__SPEC]."),
]
AdapterOpt = Annotated[Path | None, typer.Option("--adapter", help="LoRA adapter folder for local generators.")]
NoAdapterOpt = Annotated[
    bool, typer.Option("--no-adapter", help="The base default model, without the adapter shipped for it.")
]
ModeOpt = Annotated[
    str | None,
    typer.Option(
        "--mode",
        help="extractive (quote the sources) | generative (the model writes, every sentence checked) | auto "
        "(extractive for the embedded default model) [env CLINICALGPT_ANSWER__MODE].",
    ),
]


def _assistant(
    config: Path | None,
    kb: Path | None,
    generator: str | None,
    adapter: Path | None,
    mode: str | None = None,
    no_adapter: bool = False,
) -> Any:
    from model.assistant import load_assistant

    if adapter and no_adapter:
        _fail("--adapter and --no-adapter contradict each other: pass one of them")
    settings = _settings(config, kb_dir=kb)
    update: dict[str, Any] = {}
    if generator:
        update["spec"] = generator
    if adapter:
        update["adapter"] = adapter
    if no_adapter:
        update["use_shipped_adapter"] = False
    if update:
        settings = settings.model_copy(update={"generator": settings.generator.model_copy(update=update)})
    if mode:
        if mode not in get_args(AnswerMode):
            _fail(f"--mode must be one of {', '.join(get_args(AnswerMode))}, not {mode!r}")
        settings = settings.model_copy(update={"answer": settings.answer.model_copy(update={"mode": mode})})
    assistant = load_assistant(settings)
    # One status line while the knowledge base (and, for generative answers, the model) loads: the first call
    # can take a minute on a small machine, and silence reads as a hang.
    what = "knowledge base and model" if assistant.answer_mode == "generative" else "knowledge base"
    with user_errors(), err.status(f"loading the {what}…"):
        assistant.warm_up()
    return assistant


def _trust_note(citation: Any) -> str:
    """Say so when a citation is the user's own document (trust: user) or was flagged at build time."""
    notes = []
    if citation.trust == "user":
        notes.append("trust: user (your document, not a curated source)")
    if citation.flags:
        notes.append("flagged: " + ", ".join(citation.flags))
    return f" [{'; '.join(notes)}]" if notes else ""


def _print_red_flags(flags: Any) -> None:
    for flag in flags:
        out.print(f"URGENT: {flag.notice}", style="bold red")


def _print_answer(answer: Any, *, flags_shown: bool = False) -> None:
    if not flags_shown:
        _print_red_flags(answer.red_flags)
    if answer.lead:
        out.print(answer.lead)
    out.print(answer.answer)
    for notice in answer.policy_notices:
        out.print(notice, style="yellow")
    if answer.clarifying_question:
        out.print(f"\n{answer.clarifying_question}", style="italic")
    if answer.citations:
        out.print("\nReferences", style="bold")
        for c in answer.citations:
            line = f"[{c.n}] {c.title} — {c.id}" + (f" — {c.url}" if c.url else "")
            out.print(line + (f" — {c.attribution}" if c.attribution else "") + _trust_note(c))
    if not answer.refused:
        # Dropped sentences (instruction-like, markup such as a bare "Answer:") were never shown; unsupported
        # ones are shown marked in `flag` mode and left out in `drop` mode. Say which, so the count matches the text.
        marked = sum(
            1 for s in answer.sentences if not s.dropped and not s.supported and "(unsupported)" in answer.answer
        )
        withheld = sum(1 for s in answer.sentences if s.dropped or not s.supported) - marked
        if marked:
            out.print(f"{marked} sentence(s) marked (unsupported): not supported by their citations.", style="yellow")
        if withheld:
            out.print(
                f"{withheld} sentence(s) of the model's answer withheld: unsupported or not an answer.", style="dim"
            )
    out.print(f"\n{answer.notice}", style="dim")
    out.print(
        f"{answer.model.name}{' + ' + answer.model.adapter if answer.model.adapter else ''} · "
        f"{answer.timings_ms['total']:.0f} ms",
        style="dim",
    )


@app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="Your medical question.")],
    k: KOpt = None,
    generator: GeneratorOpt = None,
    adapter: AdapterOpt = None,
    no_adapter: NoAdapterOpt = False,
    mode: ModeOpt = None,
    stream: Annotated[bool, typer.Option("--stream/--no-stream", help="Print tokens as they are generated.")] = False,
    kb: KbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Answer a question with citations to the knowledge base (or refuse for lack of evidence)."""
    configure_logging(verbose)
    assistant = _assistant(config, kb, generator, adapter, mode, no_adapter)
    flags_shown = False
    answer: CitedAnswer | None = None
    with user_errors():
        if stream and not as_json:
            for event in assistant.stream(question, k=k):
                if event["type"] == "red_flags":
                    _print_red_flags(event["red_flags"])
                    flags_shown = True
                elif event["type"] == "token":
                    err.print(event["text"], end="")
                else:
                    answer = event["answer"]
            err.print()
        else:
            answer = assistant.ask(question, k=k)
    if answer is None:  # the stream ends with its answer event
        msg = "the answer stream ended without an answer"
        raise RuntimeError(msg)
    if as_json:
        _emit_json(answer.model_dump(mode="json"))
    else:
        _print_answer(answer, flags_shown=flags_shown)


CHAT_HELP = (
    "Commands: /sources (show the last answer's sources), /reset (forget the conversation), /help, Ctrl-D to quit."
)


@app.command("chat")
def chat(
    k: KOpt = None,
    generator: GeneratorOpt = None,
    adapter: AdapterOpt = None,
    no_adapter: NoAdapterOpt = False,
    mode: ModeOpt = None,
    kb: KbOpt = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Interactive consultation: multi-turn, cited answers, clarifying questions."""
    configure_logging(verbose)
    assistant = _assistant(config, kb, generator, adapter, mode, no_adapter)
    history: list[dict[str, str]] = []
    last: CitedAnswer | None = None
    out.print("ClinicalGPT consultation. " + CHAT_HELP)
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            out.print("\nbye")
            return
        except UnicodeDecodeError as exc:  # one badly encoded line must not end the conversation
            err.print(f"error: that line is not valid UTF-8 (byte {exc.start}); retype it", style="bold red")
            continue
        line = line.strip()
        if not line:
            continue
        if line == "/help":
            out.print(CHAT_HELP)
            continue
        if line == "/reset":
            history, last = [], None
            out.print("conversation cleared")
            continue
        if line == "/sources":
            if last is None:
                out.print("no answer yet")
                continue
            for n, doc in enumerate(last.contexts, start=1):
                url = doc.metadata.get("url")
                out.print(f"[{n}] {doc.metadata.get('title') or doc.id} — {doc.id}" + (f" — {url}" if url else ""))
            continue
        if line.startswith("/"):
            out.print(f"unknown command {line}. {CHAT_HELP}")
            continue
        try:
            last = assistant.ask(line, history=history, k=k)
        except ClinicalAssistantError as exc:
            err.print(f"error: {exc}", style="bold red")
            continue
        _print_answer(last)
        reply = last.answer + (f" {last.clarifying_question}" if last.clarifying_question else "")
        history += [{"role": "user", "content": line}, {"role": "assistant", "content": reply}]


# ------------------------------------------------------------------------------------------- config
@config_app.command("show")
def config_show(config: ConfigOpt = None) -> None:
    """Print the effective settings as JSON (environment + config file)."""
    settings = _settings(config)
    from knowledge.kb import settings_hash as build_settings_hash

    # Two hashes, named apart: `kb info` shows the build one (the knowledge settings that shape what a
    # build holds), answers and eval runs are stamped with the one over all settings.
    _emit_json(
        settings.model_dump(mode="json")
        | {
            "settings_hash": settings.settings_hash(),
            "kb_build_settings_hash": build_settings_hash(settings.knowledge_settings()),
        }
    )


# --------------------------------------------------------------------------------------------- plugins
PLUGIN_GROUP = "clinicalgpt.cli"


def register_plugins() -> list[str]:
    """Add the command groups that upper layers declare under the `clinicalgpt.cli` entry-point group.

    This is how `clinicalgpt eval …` appears without the model layer importing `eval` (pytest and `llm`
    discover plugins the same way). A plugin that fails to import is reported, not fatal.
    """
    from importlib.metadata import entry_points

    added = []
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            plugin = entry.load()
        except Exception as exc:  # a broken plugin must not take the core commands down with it
            logger.warning("command group %r could not be loaded: %s", entry.name, _one_line(exc))
            continue
        app.add_typer(plugin, name=entry.name)
        added.append(entry.name)
    return added


register_plugins()
app.command("diagnose")(diagnose_command)


def main() -> None:  # pragma: no cover - console entry for `python -m model.cli`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
