"""Multiple choice by option log-likelihood with a local Hugging Face model.

Scoring the answer *letter* with a small base model is at chance; scoring each option's full text works
(DESIGN.md). For a prompt P and an option text O, the model gives log p(O | P), the sum of the log
probabilities of O's tokens after P. The option chosen is the one with the highest log-likelihood per
byte of its text (lm-evaluation-harness' `acc_norm`), so long options are not penalised for their
length; the unnormalised sum and the token count are kept for every option.

Cost: the prompt is run once and its key/value cache is reused for every option (copied per option), and
logits are computed only at the positions that predict option tokens: the 262k-entry vocabulary makes the
full logits matrix the expensive part on CPU.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from model.generators import HFGenerator


class OptionScore(BaseModel):
    """The log-likelihood of one option's text after the prompt."""

    model_config = ConfigDict(extra="forbid")

    letter: str
    logprob: float = Field(description="Sum of the token log-probabilities of the option text.")
    tokens: int = Field(description="Tokens of the option text.")
    bytes: int = Field(description="UTF-8 bytes of the option text (the normaliser).")

    @property
    def per_byte(self) -> float:
        """Log-likelihood per byte: what the choice is made on."""
        return self.logprob / max(self.bytes, 1)


def choose(scores: list[OptionScore]) -> str:
    """The letter with the highest per-byte log-likelihood (ties: the earlier letter)."""
    return max(scores, key=lambda s: (s.per_byte, -scores.index(s))).letter


def continuation_text(prompt_tail: str, option: str) -> str:
    """The option as it continues the prompt: separated by one space unless the prompt ends in whitespace."""
    option = option.strip()
    return option if not prompt_tail or prompt_tail[-1].isspace() else " " + option


def _cache_kwarg(model: Any) -> str:
    """The keyword a model's forward takes its key/value cache by (`cache` in transformers ≥ 5.2x, before that
    `past_key_values`; a peft wrapper passes the old name through)."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def score_options(
    generator: HFGenerator, messages: list[dict[str, str]], options: dict[str, str], *, reuse_cache: bool = True
) -> list[OptionScore]:
    """log p(option text | prompt) for every option, in the order given.

    `messages` become the prompt exactly as for generation (`HFGenerator.prompt_ids`: the chat template, or
    the plain completion prompt of a base model). With `reuse_cache=False` every option is scored by one full
    forward pass over prompt + option (slower; used to check the cached path).
    """
    import torch

    tokenizer, model = generator.load()
    prompt_ids = generator.prompt_ids(messages)
    tail = tokenizer.decode(prompt_ids[0, -1:])
    out: list[OptionScore] = []
    with torch.inference_mode():
        prefix: Any = None
        last_logits: Any = None
        if reuse_cache:
            prefix_out = model(input_ids=prompt_ids, use_cache=True, logits_to_keep=1)
            # The output names its cache `cache` in recent transformers, `past_key_values` before.
            prefix = prefix_out["cache"] if "cache" in prefix_out else prefix_out["past_key_values"]
            last_logits = prefix_out.logits[0, -1]
        for letter, text in options.items():
            cont = continuation_text(tail, text)
            ids = tokenizer(cont, add_special_tokens=False, return_tensors="pt")["input_ids"].to(prompt_ids.device)
            n = int(ids.shape[1])
            if n == 0:
                out.append(OptionScore(letter=letter, logprob=-math.inf, tokens=0, bytes=0))
                continue
            if reuse_cache:
                cache = copy.deepcopy(prefix)
                step = model(input_ids=ids, use_cache=True, logits_to_keep=n, **{_cache_kwarg(model): cache})
                # Position i of the prompt's last logits predicts option token 0; option position i predicts i+1.
                logits = torch.cat([last_logits[None, :], step.logits[0, : n - 1]], dim=0)
            else:
                full = torch.cat([prompt_ids, ids], dim=1)
                logits = model(input_ids=full, logits_to_keep=n + 1).logits[0, :n]
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            total = float(logprobs.gather(1, ids[0][:, None]).sum())
            out.append(OptionScore(letter=letter, logprob=total, tokens=n, bytes=len(text.strip().encode("utf-8"))))
    return out
