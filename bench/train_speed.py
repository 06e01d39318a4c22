"""LoRA training throughput on this machine: label-only logits against full-vocabulary logits.

    python -m bench.train_speed [--model PATH] [--steps 4] [--batch 2] [--prompt-tokens 700] \
        [--answer-tokens 60] [--json reports/train_speed.json]

Each optimiser step is one forward + backward of a micro-batch of `--batch` sequences of `--prompt-tokens`
prompt tokens (no loss) and `--answer-tokens` answer tokens (the loss), the shape of a grounded-answer
example (the sources are most of the prompt). Token ids are random: speed does not depend on them. The first
step of each mode is a warm-up and not counted. tokens/s counts every input token (prompt and answer), as
the training log does. Default model: the embedded Gemma 3 270M (issue 10 target: ≥ 300 tokens/s with
label-only logits on the 2-core CPU, against ~120 for a naive full-vocabulary step).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from model.generators import prepare_default_model  # noqa: E402
from model.train.encode import IGNORE  # noqa: E402
from model.train.loss import full_logits_loss, label_only_loss  # noqa: E402
from model.train.sft import PRESETS, SFTSettings, autocast, load_for_training, uses_bf16  # noqa: E402


def time_mode(model: Any, loss_fn: Any, batch: dict[str, torch.Tensor], steps: int, precision: Any) -> dict[str, float]:
    """Seconds per step and tokens/s over `steps` timed steps after one warm-up step (`precision`: the
    trainer's autocast context factory)."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5)
    times = []
    for step in range(steps + 1):
        started = time.perf_counter()
        with precision():
            loss, n = loss_fn(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
        (loss / n).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step:
            times.append(time.perf_counter() - started)
    per_step = sum(times) / len(times)
    tokens = int(batch["attention_mask"].sum())
    return {"seconds_per_step": round(per_step, 3), "tokens_per_s": round(tokens / per_step, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=None, help="Causal LM folder (default: Gemma 3 270M).")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=700)
    parser.add_argument("--answer-tokens", type=int, default=60)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu-small")
    parser.add_argument("--json", type=Path, default=None, help="Also write the report here.")
    args = parser.parse_args(argv)
    folder = args.model or prepare_default_model()
    settings = SFTSettings(**PRESETS[args.preset])
    device = torch.device(settings.device if settings.device != "auto" else "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        device = torch.device("cpu")
    _, model = load_for_training(folder, settings, device)

    def precision() -> Any:
        return autocast(settings, device)

    model.train()
    torch.manual_seed(0)
    vocab = model.get_base_model().config.vocab_size
    width = args.prompt_tokens + args.answer_tokens
    ids = torch.randint(0, vocab, (args.batch, width), device=device)
    labels = torch.full_like(ids, IGNORE)
    labels[:, args.prompt_tokens :] = ids[:, args.prompt_tokens :]
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
    report: dict[str, Any] = {
        "model": str(folder),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "shape": {"batch": args.batch, "prompt_tokens": args.prompt_tokens, "answer_tokens": args.answer_tokens},
        "settings": settings.model_dump(mode="json"),
        "bf16": uses_bf16(settings, device),
        "label_only": time_mode(model, label_only_loss, batch, args.steps, precision),
        "full_logits": time_mode(model, full_logits_loss, batch, args.steps, precision),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    report["speedup"] = round(report["label_only"]["tokens_per_s"] / report["full_logits"]["tokens_per_s"], 2)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
