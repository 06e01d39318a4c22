"""Completion-only causal-LM loss, with logits computed only where there is a label.

Gemma 3's vocabulary has 262k entries: the full logits of a 512-token sequence are 134M floats, and the
output projection that makes them costs as much as the rest of the 270M model. The answer is a fraction of
each sequence (the sources are most of it), so projecting only the hidden states that predict a labelled
token gives the same loss for a fraction of the work (`bench.train_speed` measures the gain).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from model.train.encode import IGNORE


def causal_lm(model: Any) -> Any:
    """The transformers causal LM inside a peft wrapper (LoRA layers are injected in place, so they stay live)."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def softcap(logits: torch.Tensor, config: Any) -> torch.Tensor:
    cap = getattr(config, "final_logit_softcapping", None)
    return logits if cap is None else torch.tanh(logits / cap) * cap


def label_only_loss(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, int]:
    """(summed cross-entropy, labelled tokens): the decoder runs on every token, the output head only on the
    positions whose next token is labelled."""
    lm = causal_lm(model)
    hidden = lm.get_decoder()(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != IGNORE
    logits = softcap(lm.get_output_embeddings()(hidden[:, :-1][keep]), lm.config)
    return F.cross_entropy(logits.float(), targets[keep], reduction="sum"), int(keep.sum())


def full_logits_loss(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, int]:
    """The same loss the plain way (logits at every position): the reference `label_only_loss` must match."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits[:, :-1]
    targets = labels[:, 1:]
    loss = F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE, reduction="sum"
    )
    return loss, int((targets != IGNORE).sum())
