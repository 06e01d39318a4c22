"""Supervised fine-tuning with LoRA: one code path for CPU and CUDA, resumable, logged.

`train_sft(settings, data, out)` trains a peft LoRA adapter on any transformers causal LM (the default
Gemma 3 270M, or a user's Qwen or Llama) with:

- completion-only loss, logits only at labelled positions (`model.train.loss`);
- length bucketing (batches of similar length waste little on padding) and gradient accumulation;
- bf16 and gradient checkpointing on CUDA (`preset="gpu"`);
- a checkpoint every `save_every` optimiser steps (adapter, optimiser, scheduler, data position, random
  state), written atomically, from which `resume=True` continues exactly where the run stopped;
- fixed seeds, a progress bar with tokens/s and ETA, a JSONL log, a PNG loss curve, and a run manifest
  (data hash, settings, git commit, library versions, throughput, peak memory).

Output folder: `adapter/` (peft `save_pretrained`, what `--adapter` loads), `checkpoint/`, `log.jsonl`,
`loss.png`, `run.json`.
"""

from __future__ import annotations

import contextlib
import json
import math
import platform
import random
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from knowledge.kb_layout import sha256_file
from model.errors import TrainDataError
from model.train.encode import IGNORE, Encoded, encode
from model.train.examples import read_examples
from model.train.loss import full_logits_loss, label_only_loss

ADAPTER_DIR = "adapter"
CHECKPOINT_DIR = "checkpoint"
LOG_FILE = "log.jsonl"
MANIFEST_FILE = "run.json"
LOSS_PLOT = "loss.png"
#: Batches are formed within pools of this many batches' worth of examples sorted by length: similar lengths
#: (little padding) while the order still varies from epoch to epoch.
BUCKET_POOL_BATCHES = 50
#: Gradients are clipped to this global norm (a long, surprising example must not wreck the adapter).
MAX_GRAD_NORM = 1.0


class SFTSettings(BaseModel):
    """How to fine-tune; `PRESETS` holds the two starting points."""

    model_config = ConfigDict(extra="forbid")

    lora_r: int = Field(default=16, ge=1, description="LoRA rank.")
    lora_alpha: int = Field(default=32, ge=1, description="LoRA scale numerator (scale = alpha / r).")
    lora_dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: str | list[str] = Field(default="all-linear", description="Modules LoRA adapts.")
    learning_rate: float = Field(default=2e-4, gt=0)
    warmup_steps: int = Field(default=10, ge=0)
    batch_size: int = Field(default=4, ge=1, description="Examples per micro-batch.")
    grad_accum: int = Field(default=4, ge=1, description="Micro-batches per optimiser step.")
    max_tokens: int = Field(default=1024, ge=16, description="Longer examples are skipped (never cut).")
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="Stop after this many optimiser steps.")
    seed: int = 0
    device: str = Field(default="auto", description="`auto` (CUDA when present), `cpu`, `cuda`, `cuda:0`.")
    bf16: bool | Literal["auto"] = Field(
        default="auto",
        description="Frozen base weights and matmuls in bf16 (LoRA weights stay fp32); `auto`: where the "
        "hardware has native bf16 (CUDA, or CPUs with AVX512-BF16/AMX).",
    )
    gradient_checkpointing: bool = False
    label_only_logits: bool = Field(default=True, description="Output head only where there is a label.")
    save_every: int = Field(default=50, ge=1, description="Optimiser steps between checkpoints.")


#: The attention projections: on 2 CPU cores, LoRA on these alone trains at 305 tokens/s against 255 for
#: every linear layer (`bench.train_speed`, Gemma 3 270M, bf16, 760-token sequences).
ATTENTION_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj"]

PRESETS: dict[str, dict[str, Any]] = {
    # 2 CPU cores: small micro-batches, attention-only LoRA, no LoRA dropout (it copies every adapted input:
    # 220 -> 255 tokens/s); one to three hours for the default adapter.
    "cpu-small": {
        "lora_r": 16,
        "lora_dropout": 0.0,
        "target_modules": ATTENTION_MODULES,
        "batch_size": 2,
        "grad_accum": 8,
        "max_tokens": 1024,
        "device": "cpu",
    },
    "gpu": {
        "lora_r": 32,
        "lora_alpha": 64,
        "batch_size": 16,
        "grad_accum": 2,
        "max_tokens": 2048,
        "device": "cuda",
        "gradient_checkpointing": True,
    },
}


def preset_settings(preset: Literal["cpu-small", "gpu"], **overrides: Any) -> SFTSettings:
    """Settings of a preset with `overrides` (None values ignored) applied."""
    return SFTSettings(**{**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}})


@dataclass
class TrainResult:
    steps: int
    tokens: int
    final_loss: float | None
    tokens_per_s: float
    stopped_early: bool
    out: Path


def plan_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """One epoch's micro-batches: shuffled, then sorted by length within pools, then the batches shuffled."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * BUCKET_POOL_BATCHES
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def collate(items: list[Encoded], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded ids, attention mask and labels (padding is never labelled)."""
    width = max(len(e.input_ids) for e in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, e in enumerate(items):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def uses_bf16(settings: SFTSettings, device: torch.device) -> bool:
    """Whether this run computes in bf16 (`auto`: where the hardware does it natively)."""
    if settings.bf16 != "auto":
        return bool(settings.bf16)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def autocast(settings: SFTSettings, device: torch.device) -> Any:
    """bf16 autocast for the forward pass when the run uses bf16, else a no-op context."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=uses_bf16(settings, device))


def load_for_training(
    base_model: Path, settings: SFTSettings, device: torch.device, *, adapter: Path | None = None
) -> tuple[Any, Any]:
    """Tokenizer and a peft LoRA model on `device` (base weights frozen; with bf16 the base is stored in bf16
    and peft keeps the LoRA weights in fp32, so the optimiser updates full-precision numbers)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    dtype = torch.bfloat16 if uses_bf16(settings, device) else torch.float32
    # The ignore: transformers wraps `to` with functools.wraps; typeshed's `_Wrapped` does not bind `self`.
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=dtype).to(device)  # type: ignore[arg-type]
    if settings.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    if adapter is not None:
        from peft import PeftModel

        # Continue an existing adapter (DPO after SFT): its own rank and modules, trainable.
        return tokenizer, PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
    config = LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )
    return tokenizer, get_peft_model(model, config)


def encode_file(data: Path, tokenizer: Any, model_class: str, max_tokens: int) -> tuple[list[Encoded], dict[str, int]]:
    """Every example of `data` that fits; counts of kept and skipped (too long) examples."""
    encoded: list[Encoded] = []
    skipped = 0
    for example in read_examples(data):
        item = encode(tokenizer, model_class, example, max_tokens=max_tokens)
        if item is None:
            skipped += 1
        else:
            encoded.append(item)
    if not encoded:
        msg = f"{data}: no example fits in {max_tokens} tokens ({skipped} skipped); raise --max-tokens"
        raise TrainDataError(msg)
    return encoded, {"examples": len(encoded), "skipped_too_long": skipped}


def _schedule(step: int, warmup: int, total: int) -> float:
    """Learning-rate factor: linear warm-up, then cosine decay to 10%."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def _save_checkpoint(out: Path, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any]) -> None:
    """Adapter, optimiser, scheduler and position, into a temporary folder renamed over the old checkpoint."""
    tmp = out / (CHECKPOINT_DIR + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp / ADAPTER_DIR)
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        },
        tmp / "trainer.pt",
    )
    (tmp / "state.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    final = out / CHECKPOINT_DIR
    old = out / (CHECKPOINT_DIR + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _load_checkpoint(out: Path, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    folder = out / CHECKPOINT_DIR
    set_peft_model_state_dict(model, load_file(str(folder / ADAPTER_DIR / "adapter_model.safetensors")))
    saved = torch.load(folder / "trainer.pt", weights_only=False)  # our own file, written by _save_checkpoint
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"])
    if saved["cuda_rng"]:
        torch.cuda.set_rng_state_all(saved["cuda_rng"])
    return json.loads((folder / "state.json").read_text(encoding="utf-8"))


def _git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path(__file__).parent
        )
        if done.returncode == 0:
            return done.stdout.strip()
    return None


def _peak_memory_mb(device: torch.device) -> dict[str, float]:
    peak = {"process_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if device.type == "cuda":
        peak["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return peak


def plot_loss(log_path: Path, png: Path, *, ylabel: str = "cross-entropy per answer token") -> None:
    """Training loss per optimiser step (and its running mean) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logged = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # A run resumed from a checkpoint logs the steps after it again: the later entry is the one that counted.
    rows = sorted({r["step"]: r for r in logged}.values(), key=lambda r: r["step"])
    if not rows:
        return
    steps = [r["step"] for r in rows]
    losses = [r["loss"] for r in rows]
    window = max(1, len(losses) // 20)
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, losses, alpha=0.35, label="loss per step")
    ax.plot(steps[window - 1 :], smooth, label=f"mean of {window} steps")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel(ylabel)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def train_sft(
    settings: SFTSettings,
    data: Path,
    out: Path,
    *,
    base_model: Path,
    resume: bool = False,
    stop_after_steps: int | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train (or, with `resume`, continue) a LoRA adapter on the examples in `data`; see the module doc.

    `stop_after_steps` ends this call after that many optimiser steps (a checkpoint is written), so a long
    run can be done in pieces; the schedule still spans the whole run.
    """
    from tqdm import tqdm

    out = Path(out)
    if (out / CHECKPOINT_DIR).exists() and not resume:
        msg = f"{out} already holds a training checkpoint; pass --resume to continue it or choose another --out"
        raise TrainDataError(msg)
    if resume and not (out / CHECKPOINT_DIR).exists():
        msg = f"{out} holds no checkpoint to resume; run without --resume to start"
        raise TrainDataError(msg)
    out.mkdir(parents=True, exist_ok=True)
    _seed_everything(settings.seed)
    device = _device(settings.device)
    tokenizer, model = load_for_training(base_model, settings, device)
    model_class = type(model.get_base_model()).__name__
    encoded, counts = encode_file(data, tokenizer, model_class, settings.max_tokens)
    lengths = [len(e.input_ids) for e in encoded]
    per_epoch = math.ceil(len(encoded) / settings.batch_size)
    total_micro = math.ceil(per_epoch * settings.epochs)
    total_steps = math.ceil(total_micro / settings.grad_accum)
    if settings.max_steps is not None:
        total_steps = min(total_steps, settings.max_steps)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _schedule(step, settings.warmup_steps, total_steps)
    )
    data_hash = sha256_file(Path(data))
    state: dict[str, Any] = {"step": 0, "micro": 0, "tokens": 0, "seconds": 0.0, "data_sha256": data_hash}
    if resume:
        state = _load_checkpoint(out, model, optimizer, scheduler)
        if state["data_sha256"] != data_hash:
            msg = f"{data} changed since the checkpoint in {out} was written; resume with the same data file"
            raise TrainDataError(msg)
    loss_fn = label_only_loss if settings.label_only_logits else full_logits_loss
    manifest = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_model": str(base_model),
        "model_class": model_class,
        "data": {"path": str(data), "sha256": data_hash, **counts},
        "settings": settings.model_dump(mode="json"),
        "trainable_parameters": sum(p.numel() for p in params),
        "total_steps": total_steps,
        "git_commit": _git_commit(),
        "versions": _versions(),
        "device": str(device),
        "bf16": uses_bf16(settings, device),
        "machine": {"platform": platform.platform(), "cpus": torch.get_num_threads()},
    }

    def batches_from(micro: int) -> Any:
        """Micro-batches from position `micro` on (epochs follow one another with their own shuffles)."""
        epoch = micro // per_epoch
        while True:
            plan = plan_batches(lengths, settings.batch_size, settings.seed + epoch)
            for index in range(micro - epoch * per_epoch, len(plan)):
                yield [encoded[i] for i in plan[index]]
            epoch += 1
            micro = epoch * per_epoch

    model.train()
    log = (out / LOG_FILE).open("a", encoding="utf-8")
    stream = batches_from(state["micro"])
    ran = 0
    last_loss: float | None = None
    bar = tqdm(total=total_steps, initial=state["step"], disable=not progress, unit="step", dynamic_ncols=True)
    try:
        while state["step"] < total_steps and (stop_after_steps is None or ran < stop_after_steps):
            started = time.perf_counter()
            group = [next(stream) for _ in range(settings.grad_accum)]
            group_labels = sum(e.completion_tokens for micro in group for e in micro)
            step_loss = 0.0
            step_tokens = 0
            for micro in group:
                batch = {k: v.to(device) for k, v in collate(micro, pad_id).items()}
                with autocast(settings, device):
                    loss_sum, _ = loss_fn(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
                (loss_sum / group_labels).backward()
                step_loss += float(loss_sum.detach())
                step_tokens += int(batch["attention_mask"].sum())
            torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            seconds = time.perf_counter() - started
            state["step"] += 1
            state["micro"] += settings.grad_accum
            state["tokens"] += step_tokens
            state["seconds"] += seconds
            ran += 1
            last_loss = step_loss / group_labels
            record = {
                "step": state["step"],
                "loss": round(last_loss, 5),
                "lr": scheduler.get_last_lr()[0],
                "tokens": step_tokens,
                "answer_tokens": group_labels,
                "tokens_per_s": round(step_tokens / seconds, 1),
                "seconds": round(seconds, 3),
            }
            log.write(json.dumps(record) + "\n")
            log.flush()
            bar.set_postfix(loss=f"{last_loss:.3f}", tok_s=f"{record['tokens_per_s']:.0f}")
            bar.update(1)
            if state["step"] % settings.save_every == 0 or state["step"] == total_steps:
                _save_checkpoint(out, model, optimizer, scheduler, state)
        if ran and state["step"] % settings.save_every != 0 and state["step"] != total_steps:
            _save_checkpoint(out, model, optimizer, scheduler, state)  # stopped between checkpoints
    finally:
        bar.close()
        log.close()
    finished = state["step"] >= total_steps
    if finished:
        model.save_pretrained(out / ADAPTER_DIR)
    plot_loss(out / LOG_FILE, out / LOSS_PLOT)
    tokens_per_s = state["tokens"] / state["seconds"] if state["seconds"] else 0.0
    manifest.update(
        {
            "finished": datetime.now(UTC).isoformat(timespec="seconds") if finished else None,
            "steps": state["step"],
            "tokens": state["tokens"],
            "train_seconds": round(state["seconds"], 1),
            "tokens_per_s": round(tokens_per_s, 1),
            "final_loss": last_loss,
            "peak_memory": _peak_memory_mb(device),
        }
    )
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return TrainResult(state["step"], state["tokens"], last_loss, tokens_per_s, not finished, out)


def _versions() -> dict[str, str]:
    import peft
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
