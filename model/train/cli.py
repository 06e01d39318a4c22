"""`clinicalgpt train …`: build the fine-tuning mixture and train LoRA adapters.

Registered into the product CLI through the `clinicalgpt.cli` entry-point group, like `eval`. Importing this
module loads nothing heavy; every command imports what it needs when it runs. Our errors reach the product
CLI's top-level handler (one line, exit 2).

    clinicalgpt train data --out ~/.cache/clinicalgpt/train/sft.jsonl
    clinicalgpt train sft --data ~/.cache/clinicalgpt/train/sft.jsonl --out runs/sft --preset cpu-small
    clinicalgpt train sft --data … --out runs/sft --resume        # after an interruption
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

app = typer.Typer(
    help="Fine-tune the generator: training data and LoRA runs.", no_args_is_help=True, rich_markup_mode=None
)

DEFAULT_DATA = Path("~/.cache/clinicalgpt/train/sft.jsonl")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document (for scripts); no progress bars.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="JSON/TOML settings file.", envvar="CLINICALGPT_CONFIG")
]
#: Samples of each kind shown by `train data`.
SAMPLES_PER_KIND = 2


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _quiet() -> None:
    """No library progress bars with `--json` (model loading draws one)."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # read when transformers is first imported
    if "transformers" in sys.modules:  # already imported (tests): switch it off directly
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


@app.command("data")
def data(
    out: Annotated[Path, typer.Option("--out", help="Where to write the examples (JSONL).")] = DEFAULT_DATA,
    knowledge_qa: Annotated[int | None, typer.Option(help="MedQuAD (dev split) questions.")] = None,
    kg_qa: Annotated[int | None, typer.Option(help="Templated questions over curated graph facts.")] = None,
    exam: Annotated[int | None, typer.Option(help="Four-option questions from the graph.")] = None,
    refusal_medquad: Annotated[int | None, typer.Option(help="Questions whose passages lack the answer.")] = None,
    refusal_fictional: Annotated[int | None, typer.Option(help="Questions about invented diseases.")] = None,
    consultation: Annotated[int | None, typer.Option(help="Training-split dialogues → note sections.")] = None,
    diagnosis: Annotated[int | None, typer.Option(help="Synthetic DDXPlus patients → differentials.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every sample and shuffle.")] = 0,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the SFT mixture in the chain's prompt format, decontaminated against every evaluation set.

    Writes OUT and OUT.report.json (counts per kind, token lengths, licences, what decontamination dropped,
    samples). Needs a built knowledge base and CLINICALGPT_DATA_DIR.
    """
    from tqdm import tqdm

    from model.assistant import load_assistant
    from model.errors import ConfigError
    from model.settings import load_settings
    from model.train.decontaminate import registered_eval_texts, registered_train_items
    from model.train.examples import write_examples
    from model.train.mixture import MixtureSettings, build_mixture, token_lengths

    if as_json:
        _quiet()
    counts = {
        "knowledge_qa": knowledge_qa,
        "kg_qa": kg_qa,
        "exam": exam,
        "refusal_medquad": refusal_medquad,
        "refusal_fictional": refusal_fictional,
        "consultation": consultation,
        "diagnosis": diagnosis,
    }
    mixture = MixtureSettings(seed=seed, **{k: v for k, v in counts.items() if v is not None})
    settings = load_settings(config)
    data_dir = settings.data_dir or settings.knowledge.data_dir
    if data_dir is None:
        msg = "training data is built from the public datasets: set CLINICALGPT_DATA_DIR to the folder holding them"
        raise ConfigError(msg)
    assistant = load_assistant(settings)
    from model.train.builders import NON_MEDICAL

    wanted = sum(v for k, v in mixture.model_dump().items() if k != "seed") + len(NON_MEDICAL)
    with tqdm(total=wanted, disable=as_json, unit="example", desc="building") as bar:
        examples, report = build_mixture(
            assistant,
            Path(data_dir),
            mixture,
            registered_eval_texts(Path(data_dir)),
            train_items=registered_train_items(Path(data_dir)),
            on_item=lambda: bar.update(1),
        )
    out = out.expanduser()
    write_examples(out, examples)
    from model.generators import HFGenerator, prepare_default_model

    generator = HFGenerator(prepare_default_model())
    report["token_lengths"] = token_lengths(examples, generator.count_tokens)
    report["samples"] = {
        kind: [e.model_dump() for e in examples if e.kind == kind][:SAMPLES_PER_KIND]
        for kind in report["kept_per_kind"]
    }
    report["out"] = str(out)
    report_path = out.with_name(out.name + ".report.json")
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        _emit_json({k: v for k, v in report.items() if k != "samples"})
        return
    typer.echo(f"wrote {report['kept']} examples to {out} (report: {report_path})")
    for kind, n in report["kept_per_kind"].items():
        lengths = report["token_lengths"][kind]
        typer.echo(
            f"  {kind:<13} {n:>5}  prompt tokens median {lengths['prompt_median']:.0f} "
            f"(p95 {lengths['prompt_p95']}), answer median {lengths['target_median']:.0f}"
        )
    contamination = report["decontamination"]
    typer.echo(
        f"  decontamination: {contamination['dropped']} dropped against {len(contamination['sets_checked'])} "
        f"evaluation sets ({', '.join(f'{k} {v}' for k, v in contamination['dropped_per_set'].items()) or 'none'})"
    )
    if contamination["sets_not_checked"]:
        typer.echo(f"  not checked (data missing): {', '.join(contamination['sets_not_checked'])}", err=True)


@app.command("sft")
def sft(
    data_file: Annotated[Path, typer.Option("--data", help="Examples from `train data`.")] = DEFAULT_DATA,
    out: Annotated[Path, typer.Option("--out", help="Run folder (adapter/, checkpoint/, log, plot, run.json).")] = (
        Path("~/.cache/clinicalgpt/train/sft-run")
    ),
    preset: Annotated[Literal["cpu-small", "gpu"], typer.Option(help="Starting settings.")] = "cpu-small",
    base_model: Annotated[
        str, typer.Option("--base-model", help="A causal LM folder, or `default` (Gemma 3 270M).")
    ] = "default",
    max_steps: Annotated[int | None, typer.Option(help="Stop the run after this many optimiser steps.")] = None,
    epochs: Annotated[float | None, typer.Option(help="Passes over the data.")] = None,
    learning_rate: Annotated[float | None, typer.Option("--lr", help="Peak learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Examples per micro-batch.")] = None,
    grad_accum: Annotated[int | None, typer.Option(help="Micro-batches per optimiser step.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Longer examples are skipped.")] = None,
    save_every: Annotated[int | None, typer.Option(help="Optimiser steps between checkpoints.")] = None,
    stop_after: Annotated[
        int | None, typer.Option(help="End this call after N steps (checkpointed); --resume continues.")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the checkpoint in --out.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of data order and initialisation.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a LoRA adapter with completion-only loss; resumable. Load it with `ask --adapter OUT/adapter`."""
    from model.generators import prepare_default_model
    from model.train.sft import preset_settings, train_sft

    if as_json:
        _quiet()
    settings = preset_settings(
        preset,
        max_steps=max_steps,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        grad_accum=grad_accum,
        max_tokens=max_tokens,
        save_every=save_every,
        seed=seed,
    )
    folder = prepare_default_model() if base_model == "default" else Path(base_model).expanduser()
    result = train_sft(
        settings,
        data_file.expanduser(),
        out.expanduser(),
        base_model=folder,
        resume=resume,
        stop_after_steps=stop_after,
        progress=not as_json,
    )
    summary = {
        "out": str(result.out),
        "steps": result.steps,
        "tokens": result.tokens,
        "final_loss": result.final_loss,
        "tokens_per_s": round(result.tokens_per_s, 1),
        "finished": not result.stopped_early,
        "adapter": str(result.out / "adapter") if not result.stopped_early else None,
    }
    if as_json:
        _emit_json(summary)
        return
    state = "finished" if summary["finished"] else "stopped (resume with --resume)"
    typer.echo(
        f"{state}: {result.steps} steps, {result.tokens} tokens at {summary['tokens_per_s']} tokens/s, "
        f"last loss {result.final_loss if result.final_loss is None else round(result.final_loss, 4)}"
    )
    if summary["adapter"]:
        typer.echo(f"adapter: {summary['adapter']}  (clinicalgpt ask --adapter {summary['adapter']} …)")


@app.command("dpo")
def dpo(
    data_file: Annotated[
        Path, typer.Option("--data", help="Examples from `train data` (pairs are built from them).")
    ] = (DEFAULT_DATA),
    adapter: Annotated[Path, typer.Option("--adapter", help="The SFT adapter to start from (also the reference).")] = (
        Path("~/.cache/clinicalgpt/train/sft-run/adapter")
    ),
    out: Annotated[Path, typer.Option("--out", help="Run folder (adapter/, log.jsonl, run.json).")] = Path(
        "~/.cache/clinicalgpt/train/dpo-run"
    ),
    base_model: Annotated[str, typer.Option("--base-model", help="A causal LM folder, or `default`.")] = "default",
    beta: Annotated[float, typer.Option(help="DPO temperature: how far the policy may move from the reference.")] = 0.1,
    pairs_per_step: Annotated[int, typer.Option(help="Preference pairs per optimiser step.")] = 4,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    max_examples: Annotated[int | None, typer.Option(help="Build pairs from a seeded sample of this many.")] = None,
    learning_rate: Annotated[float, typer.Option("--lr", help="Learning rate.")] = 5e-6,
    seed: Annotated[int, typer.Option(help="Seed of pair building and order.")] = 0,
    nll_weight: Annotated[
        float,
        typer.Option(
            "--nll-weight",
            help="Add this weight times the chosen answers' per-token NLL to the loss (keeps them likely; "
            "0: plain DPO).",
        ),
    ] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Preference-tune an SFT adapter with DPO on automatically built pairs (chosen: the grounded cited answer;
    rejected: uncited, wrongly cited, unsupported, over-refusing or hallucinated variants)."""
    import random

    import torch

    from model.generators import prepare_default_model
    from model.train.dpo import train_dpo
    from model.train.examples import read_examples
    from model.train.sft import load_for_training, preset_settings

    if as_json:
        _quiet()
    settings = preset_settings("cpu-small", learning_rate=learning_rate, device="auto")
    folder = prepare_default_model() if base_model == "default" else Path(base_model).expanduser()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer, model = load_for_training(folder, settings, device, adapter=adapter.expanduser())
    examples = list(read_examples(data_file.expanduser()))
    if max_examples is not None and max_examples < len(examples):
        examples = random.Random(seed).sample(examples, max_examples)
    summary = train_dpo(
        settings,
        examples,
        out.expanduser(),
        model=model,
        tokenizer=tokenizer,
        beta=beta,
        pairs_per_step=pairs_per_step,
        max_steps=max_steps,
        seed=seed,
        nll_weight=nll_weight,
        data_path=data_file.expanduser(),
        progress=not as_json,
    )
    if as_json:
        _emit_json(summary)
        return
    typer.echo(
        f"{summary['steps']} steps on {summary['pairs']} pairs: final loss {summary['final_loss']:.4f}, "
        f"reward accuracy {summary['reward_accuracy']:.2f}; adapter: {out.expanduser() / 'adapter'}"
    )
