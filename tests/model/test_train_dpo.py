"""DPO (issue 10): pairs built automatically, sequence log-probabilities, and a training step that helps."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from model.train.dpo import PAIR_KINDS, dpo_loss, preference_pairs, sequence_logps, train_dpo
from model.train.encode import encode
from model.train.loss import full_logits_loss
from model.train.sft import collate, load_for_training
from rag.prompts import REFUSAL_SENTINEL
from tests.model.test_train_sft import SETTINGS, _example
from tests.model.tiny import make_tiny_model


def _refusal(i: int) -> object:
    return _example(i, REFUSAL_SENTINEL).model_copy(update={"kind": "refusal", "cited": []})


def test_pairs_reject_what_a_clinician_must_not_get() -> None:
    flu = _example(200, "Influenza is treated with rest and fluids [2].")
    examples = [_example(i) for i in range(30)] + [flu, _refusal(100)]  # type: ignore[list-item]
    pairs = preference_pairs(examples, random.Random(0))  # type: ignore[arg-type]
    assert len(pairs) == 32 and {p.kind for p in pairs} <= set(PAIR_KINDS)
    assert {"uncited", "unsupported", "over_refusal", "hallucinated"} <= {p.kind for p in pairs}
    for pair in pairs:
        assert pair.chosen.target != pair.rejected.target
        assert pair.chosen.messages == pair.rejected.messages  # same prompt, different answer
        if pair.kind == "uncited":
            assert "[" not in pair.rejected.target
        if pair.kind == "wrong_source":
            assert "[1]" not in pair.rejected.target and "[2]" in pair.rejected.target
        if pair.kind == "unsupported":  # another answer's words, cited to this example's source
            assert pair.rejected.target.replace("[1]", "[2]") != pair.chosen.target.replace("[1]", "[2]")
        if pair.kind == "over_refusal":
            assert pair.rejected.target == REFUSAL_SENTINEL
        if pair.kind == "hallucinated":
            assert pair.chosen.target == REFUSAL_SENTINEL and "[1]" in pair.rejected.target


def test_sequence_logps_sum_to_the_token_loss(tmp_path: Path) -> None:
    folder = make_tiny_model(tmp_path / "m")
    tokenizer, model = load_for_training(folder, SETTINGS, torch.device("cpu"))
    items = [encode(tokenizer, "LlamaForCausalLM", _example(i), max_tokens=2048) for i in range(2)]
    batch = collate([e for e in items if e is not None], tokenizer.pad_token_id)
    logps = sequence_logps(model, batch)
    loss, _ = full_logits_loss(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
    torch.testing.assert_close(-logps.sum(), loss, rtol=1e-5, atol=1e-4)


def test_dpo_loss_prefers_a_larger_margin() -> None:
    zero = torch.zeros(2)
    better, _ = dpo_loss(torch.tensor([1.0, 1.0]), torch.tensor([-1.0, -1.0]), zero, zero, beta=0.5)
    worse, _ = dpo_loss(torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0]), zero, zero, beta=0.5)
    assert better < torch.log(torch.tensor(2.0)) < worse


def test_the_nll_term_adds_the_chosen_answers_per_token_nll() -> None:
    zero = torch.zeros(2)
    chosen, rejected, tokens = torch.tensor([-6.0, -2.0]), torch.tensor([-8.0, -4.0]), torch.tensor([3, 1])
    plain, margin = dpo_loss(chosen, rejected, zero, zero, beta=0.5)
    mixed, same_margin = dpo_loss(chosen, rejected, zero, zero, beta=0.5, chosen_tokens=tokens, nll_weight=0.5)
    # Per-token NLL of the chosen rows: 6/3 and 2/1, mean 2.0; the margin is the DPO one either way.
    torch.testing.assert_close(mixed, plain + 0.5 * 2.0)
    torch.testing.assert_close(margin, same_margin)
    with pytest.raises(ValueError, match="chosen_tokens"):
        dpo_loss(chosen, rejected, zero, zero, beta=0.5, nll_weight=1.0)


def test_the_nll_term_keeps_the_chosen_answers_likelier(tmp_path: Path) -> None:
    """Same pairs, same steps: with the NLL term the chosen answers end less surprising than with DPO alone."""
    folder = make_tiny_model(tmp_path / "m")
    settings = SETTINGS.model_copy(update={"learning_rate": 2e-2})
    examples = [_example(i) for i in range(8)]
    final = {}
    for weight in (0.0, 1.0):
        tokenizer, model = load_for_training(folder, settings, torch.device("cpu"))
        out = tmp_path / f"dpo-{weight}"
        summary = train_dpo(
            settings,
            examples,
            out,
            model=model,
            tokenizer=tokenizer,
            beta=0.5,
            pairs_per_step=2,
            max_steps=4,
            nll_weight=weight,
        )
        assert summary["nll_weight"] == weight
        final[weight] = json.loads((out / "log.jsonl").read_text().splitlines()[-1])["chosen_nll"]
    assert final[1.0] < final[0.0]


def test_a_dpo_run_moves_the_policy_toward_the_chosen_answers(tmp_path: Path) -> None:
    folder = make_tiny_model(tmp_path / "m")
    settings = SETTINGS.model_copy(update={"learning_rate": 2e-2})
    tokenizer, model = load_for_training(folder, settings, torch.device("cpu"))
    examples = [_example(i) for i in range(8)]
    summary = train_dpo(
        settings, examples, tmp_path / "dpo", model=model, tokenizer=tokenizer, beta=0.5, pairs_per_step=2, max_steps=4
    )
    assert summary["steps"] == 4 and sum(summary["pair_kinds"].values()) == 8
    log = [json.loads(line) for line in (tmp_path / "dpo" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["reward_margin"] > 0  # after a few steps the policy prefers the chosen answers
    assert (tmp_path / "dpo" / "adapter" / "adapter_model.safetensors").exists()
    assert (tmp_path / "dpo" / "loss.png").stat().st_size > 0
    # The saved adapter continues training as a DPO start (it loads trainable).
    _, again = load_for_training(folder, settings, torch.device("cpu"), adapter=tmp_path / "dpo" / "adapter")
    assert any(p.requires_grad for p in again.parameters())


def test_an_answer_without_citations_is_never_paired_with_itself() -> None:
    """A consultation note or a diagnosis carries no [n] markers: its "uncited" variant would equal it."""
    notes = [_example(i, f"Assessment: viral illness number {i}.") for i in range(20)]
    pairs = preference_pairs(notes, random.Random(0))  # type: ignore[arg-type]
    assert len(pairs) == 20
    assert all(p.chosen.target != p.rejected.target and p.kind == "over_refusal" for p in pairs)


@pytest.mark.parametrize("kind", ["uncited"])
def test_pair_ids_name_their_kind(kind: str) -> None:
    pairs = preference_pairs([_example(1)], random.Random(3))
    assert pairs[0].rejected.id == f"{pairs[0].chosen.id}:{pairs[0].kind}"
