"""Preference tuning, the simplest sound form of the paper's RLHF stage: DPO on automatically built pairs.

Pairs (`preference_pairs`) share a prompt from the SFT data; the chosen answer is the grounded, correctly
cited target, the rejected one a variant a clinician must not get:

- `uncited`: the same sentences with the citations removed (answers must cite);
- `wrong_source`: the same sentences cited to another source number (citations must point at the support);
- `unsupported`: sentences of a *different* example's answer, cited as if the sources said them
  (the hallucination the support check exists to catch);
- `over_refusal`: the refusal sentinel for an answerable question;
- `hallucinated`: for a refusal example, an answer borrowed from another example (making up what the
  sources do not say).

Loss (Rafailov et al. 2023): `-log σ(β · [(log π(c) − log π_ref(c)) − (log π(r) − log π_ref(r))])`, with
sequence log-probabilities summed over answer tokens (label-only logits, as in SFT). The reference is the
starting policy (the SFT adapter) frozen: its log-probabilities are computed once before training.

`nll_weight` adds that weight times the chosen answers' per-token negative log-likelihood (the "DPO + NLL" of
Pang et al. 2024). The margin alone can grow while the chosen answer itself grows less likely: the first run
without it learnt to cite and wrote answers that covered less of the gold passage.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from knowledge.kb_layout import sha256_file
from model.errors import TrainDataError
from model.train.encode import IGNORE, Encoded, encode
from model.train.examples import TrainExample
from model.train.loss import causal_lm, softcap
from model.train.sft import ADAPTER_DIR, LOG_FILE, LOSS_PLOT, SFTSettings, autocast, collate, plot_loss
from rag.prompts import REFUSAL_SENTINEL

_MARKER = re.compile(r"\s*\[\d+\]")
PAIR_KINDS = ("uncited", "wrong_source", "unsupported", "over_refusal", "hallucinated")


@dataclass(frozen=True)
class Pair:
    id: str
    kind: str
    chosen: TrainExample
    rejected: TrainExample


def _variant(example: TrainExample, target: str, suffix: str) -> TrainExample:
    return example.model_copy(update={"id": f"{example.id}:{suffix}", "target": target, "cited": []})


def preference_pairs(examples: list[TrainExample], rng: random.Random) -> list[Pair]:
    """One pair per example, its rejected kind drawn at random among those that apply."""
    answers = [e for e in examples if e.kind != "refusal"]
    pairs: list[Pair] = []
    for example in examples:
        if example.kind == "refusal":
            if not answers:
                continue
            borrowed = _MARKER.sub("", rng.choice(answers).target).strip()
            rejected = _variant(example, f"{borrowed.rstrip('.')} [1].", "hallucinated")
            pairs.append(Pair(example.id, "hallucinated", example, rejected))
            continue
        sources = example.messages[-1].content.count("\n\n[")  # numbered blocks in the prompt
        # An answer without markers (consultation notes, diagnoses) uncited is itself: no preference to learn.
        marked = bool(_MARKER.search(example.target))
        kinds = ["uncited", "unsupported", "over_refusal"] if marked else ["over_refusal"]
        if sources > 1 and example.cited and marked:
            kinds.append("wrong_source")
        kind = rng.choice(kinds)
        if kind == "uncited":
            target = _MARKER.sub("", example.target).strip()
        elif kind == "wrong_source":
            wrong = rng.choice([n for n in range(1, sources + 1) if n not in example.cited])
            target = _MARKER.sub(f" [{wrong}]", example.target)
        elif kind == "unsupported":
            others = [a for a in answers if _MARKER.sub("", a.target) != _MARKER.sub("", example.target)]
            if not others:
                kind, target = "uncited", _MARKER.sub("", example.target).strip()
            else:
                target = _MARKER.sub(f" [{example.cited[0] if example.cited else 1}]", rng.choice(others).target)
        else:
            target = REFUSAL_SENTINEL
        pairs.append(Pair(example.id, kind, example, _variant(example, target, kind)))
    return pairs


def sequence_logps(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Summed log-probability of each row's labelled tokens (logits only where there is a label)."""
    lm = causal_lm(model)
    hidden = lm.get_decoder()(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    ).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != IGNORE
    logits = softcap(lm.get_output_embeddings()(hidden[:, :-1][keep]), lm.config).float()
    token_logps = torch.gather(F.log_softmax(logits, dim=-1), 1, targets[keep].unsqueeze(1)).squeeze(1)
    rows = keep.nonzero()[:, 0]
    return torch.zeros(len(targets), dtype=token_logps.dtype, device=token_logps.device).index_add(0, rows, token_logps)


def answer_tokens(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """How many labelled (answer) tokens each row holds."""
    return (batch["labels"][:, 1:] != IGNORE).sum(dim=1)


def dpo_loss(
    policy_c: torch.Tensor,
    policy_r: torch.Tensor,
    ref_c: torch.Tensor,
    ref_r: torch.Tensor,
    beta: float,
    *,
    chosen_tokens: torch.Tensor | None = None,
    nll_weight: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean DPO loss, plus `nll_weight` × the chosen answers' mean per-token NLL; per-pair reward margin)."""
    margin = beta * ((policy_c - ref_c) - (policy_r - ref_r))
    loss = -F.logsigmoid(margin).mean()
    if nll_weight:
        if chosen_tokens is None:
            raise ValueError("nll_weight needs chosen_tokens (answer tokens per chosen row)")
        loss = loss + nll_weight * (-policy_c / chosen_tokens.clamp(min=1)).mean()
    return loss, margin.detach()


def _encode_pairs(
    pairs: list[Pair], tokenizer: Any, model_class: str, max_tokens: int
) -> list[tuple[Pair, Encoded, Encoded]]:
    out = []
    for pair in pairs:
        chosen = encode(tokenizer, model_class, pair.chosen, max_tokens=max_tokens)
        rejected = encode(tokenizer, model_class, pair.rejected, max_tokens=max_tokens)
        if chosen is not None and rejected is not None:
            out.append((pair, chosen, rejected))
    return out


def train_dpo(
    settings: SFTSettings,
    examples: list[TrainExample],
    out: Path,
    *,
    model: Any,
    tokenizer: Any,
    beta: float = 0.1,
    pairs_per_step: int = 4,
    max_steps: int | None = None,
    seed: int = 0,
    nll_weight: float = 0.0,
    data_path: Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """DPO on pairs from `examples`, updating `model`'s LoRA weights (the starting policy is the reference).

    Writes `adapter/`, `log.jsonl`, `loss.png` and `run.json` into `out`; returns the summary (loss, reward accuracy:
    the share of pairs whose chosen answer the policy prefers by more than the reference did).
    """
    from tqdm import tqdm

    rng = random.Random(seed)
    torch.manual_seed(seed)
    device = next(model.parameters()).device
    model_class = type(causal_lm(model)).__name__
    encoded = _encode_pairs(preference_pairs(examples, rng), tokenizer, model_class, settings.max_tokens)
    if not encoded:
        msg = f"no preference pair fits in {settings.max_tokens} tokens; raise --max-tokens"
        raise TrainDataError(msg)
    rng.shuffle(encoded)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    steps = max(1, len(encoded) // pairs_per_step)
    if max_steps is not None:
        steps = min(steps, max_steps)
    out.mkdir(parents=True, exist_ok=True)

    def batch_of(items: list[Encoded]) -> dict[str, torch.Tensor]:
        return {k: v.to(device) for k, v in collate(items, pad_id).items()}

    # The reference: the starting policy, frozen, evaluated once.
    model.eval()
    reference: list[tuple[torch.Tensor, torch.Tensor]] = []
    with torch.no_grad():
        for step in tqdm(range(steps), disable=not progress, unit="step", desc="reference", dynamic_ncols=True):
            group = encoded[step * pairs_per_step : (step + 1) * pairs_per_step]
            with autocast(settings, device):
                ref_c = sequence_logps(model, batch_of([c for _, c, _ in group]))
                ref_r = sequence_logps(model, batch_of([r for _, _, r in group]))
            reference.append((ref_c.float(), ref_r.float()))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=0.0)
    log = (out / LOG_FILE).open("w", encoding="utf-8")
    wins = 0
    last_loss = 0.0
    started = time.perf_counter()
    bar = tqdm(total=steps, disable=not progress, unit="step", desc="dpo", dynamic_ncols=True)
    try:
        for step in range(steps):
            group = encoded[step * pairs_per_step : (step + 1) * pairs_per_step]
            chosen = batch_of([c for _, c, _ in group])
            with autocast(settings, device):
                pol_c = sequence_logps(model, chosen)
                pol_r = sequence_logps(model, batch_of([r for _, _, r in group]))
            tokens = answer_tokens(chosen)
            loss, margin = dpo_loss(
                pol_c.float(), pol_r.float(), *reference[step], beta, chosen_tokens=tokens, nll_weight=nll_weight
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            wins += int((margin > 0).sum())
            last_loss = float(loss.detach())
            record = {
                "step": step + 1,
                "loss": round(last_loss, 5),
                "reward_margin": round(float(margin.mean()), 5),
                "chosen_nll": round(float((-pol_c.detach().float() / tokens.clamp(min=1)).mean()), 5),
                "kinds": [p.kind for p, _, _ in group],
            }
            log.write(json.dumps(record) + "\n")
            log.flush()
            bar.set_postfix(loss=f"{last_loss:.4f}", margin=f"{record['reward_margin']:+.3f}")
            bar.update()
    finally:
        bar.close()
        log.close()
    model.save_pretrained(out / ADAPTER_DIR)
    ylabel = f"DPO + {nll_weight:g} x chosen NLL per pair" if nll_weight else "DPO loss per pair"
    plot_loss(out / LOG_FILE, out / LOSS_PLOT, ylabel=ylabel)
    summary = {
        "pairs": len(encoded),
        "pair_kinds": {k: sum(p.kind == k for p, _, _ in encoded) for k in PAIR_KINDS},
        "steps": steps,
        "beta": beta,
        "nll_weight": nll_weight,
        "final_loss": last_loss,
        "reward_accuracy": wins / (steps * pairs_per_step),
        "seconds": round(time.perf_counter() - started, 1),
        "data_sha256": sha256_file(data_path) if data_path else None,
    }
    (out / "run.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
