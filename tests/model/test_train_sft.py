"""LoRA fine-tuning on a tiny model built from a config (issue 10): loss, weights, adapter, resume, encoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from langchain_core.documents import Document

from model.errors import TrainDataError
from model.generators import HFGenerator
from model.train.encode import IGNORE, encode
from model.train.examples import TrainExample, read_examples, write_examples
from model.train.loss import full_logits_loss, label_only_loss
from model.train.sft import (
    ADAPTER_DIR,
    CHECKPOINT_DIR,
    SFTSettings,
    collate,
    load_for_training,
    plan_batches,
    train_sft,
)
from rag.prompts import build_messages
from tests.model.tiny import make_tiny_model

SETTINGS = SFTSettings(
    bf16=False,
    lora_r=4,
    lora_alpha=8,
    lora_dropout=0.0,
    learning_rate=5e-3,
    warmup_steps=0,
    batch_size=2,
    grad_accum=2,
    max_tokens=2048,
    epochs=10,
    max_steps=6,
    device="cpu",
    save_every=2,
)


def _example(i: int, answer: str = "Myocarditis is inflammation of the heart muscle [1].") -> TrainExample:
    docs = [
        Document(page_content="Myocarditis is inflammation of the heart muscle.", id=f"medquad:{i}"),
        Document(page_content="Influenza is treated with rest and fluids.", id=f"medquad:{i + 100}"),
    ]
    return TrainExample(
        id=f"ex-{i}",
        kind="knowledge_qa",
        messages=build_messages("What is myocarditis?", docs),
        target=answer,
        source="test",
        licence="CC0",
        cited=[1],
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-train") / "model")


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-train-base") / "model", chat_template=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    write_examples(path, [_example(i) for i in range(8)])
    return path


def test_encoding_labels_only_the_answer_and_uses_the_generators_prompt(tiny: Path, tiny_base: Path) -> None:
    for folder in (tiny, tiny_base):
        gen = HFGenerator(folder)
        tokenizer, model = gen.load()
        example = _example(1)
        encoded = encode(tokenizer, type(model).__name__, example, max_tokens=10_000)
        assert encoded is not None
        prompt_ids = gen.prompt_ids(example.prompt_messages())[0].tolist()
        n = len(prompt_ids)
        assert encoded.input_ids[:n] == prompt_ids  # exactly what inference sends
        assert all(label == IGNORE for label in encoded.labels[:n])
        answer = tokenizer.decode([t for t in encoded.labels if t != IGNORE])
        assert "inflammation of the heart muscle [1]." in answer
        assert encoded.labels[-1] != IGNORE  # the stop (EOS / end of turn) is learned too
        assert encode(tokenizer, type(model).__name__, example, max_tokens=n) is None  # too long: skipped, not cut


def test_label_only_logits_give_the_full_logits_loss(tiny: Path, data: Path) -> None:
    tokenizer, model = load_for_training(tiny, SETTINGS, torch.device("cpu"))
    examples = [encode(tokenizer, "LlamaForCausalLM", e, max_tokens=2048) for e in read_examples(data)][:3]
    batch = collate([e for e in examples if e is not None], tokenizer.pad_token_id)
    fast, n_fast = label_only_loss(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
    full, n_full = full_logits_loss(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
    assert n_fast == n_full > 0
    torch.testing.assert_close(fast, full, rtol=1e-5, atol=1e-4)


def test_training_lowers_the_loss_changes_only_lora_and_saves_a_loadable_adapter(
    tiny: Path, data: Path, tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    base_before = load_file(str(tiny / "model.safetensors"))
    out = tmp_path / "run"
    result = train_sft(SETTINGS, data, out, base_model=tiny, progress=False)
    assert result.steps == 6 and not result.stopped_early
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["loss"] < log[0]["loss"]
    assert (out / "loss.png").stat().st_size > 0
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["data"]["examples"] == 8 and manifest["steps"] == 6 and manifest["tokens_per_s"] > 0
    # LoRA B matrices start at zero; after training they are not.
    lora = load_file(str(out / ADAPTER_DIR / "adapter_model.safetensors"))
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in lora.items())
    # The base weights on disk are untouched, bit for bit.
    base_after = load_file(str(tiny / "model.safetensors"))
    assert base_before.keys() == base_after.keys()
    assert all(torch.equal(base_before[k], base_after[k]) for k in base_before)
    # The adapter reloads (as `--adapter` loads it) to the logits the trained model had.
    tokenizer, model = load_for_training(tiny, SETTINGS, torch.device("cpu"))
    from peft import set_peft_model_state_dict

    set_peft_model_state_dict(model, lora)
    model.eval()
    gen = HFGenerator(tiny, adapter=out / ADAPTER_DIR)
    _, loaded = gen.load()
    ids = torch.tensor([tokenizer("Myocarditis is")["input_ids"]])
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=ids).logits, model(input_ids=ids).logits, rtol=1e-5, atol=1e-5)


def test_resume_continues_from_the_checkpoint(tiny: Path, data: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    whole = train_sft(SETTINGS, data, tmp_path / "whole", base_model=tiny, progress=False)
    first = train_sft(SETTINGS, data, tmp_path / "pieces", base_model=tiny, progress=False, stop_after_steps=3)
    assert first.stopped_early and first.steps == 3
    assert (tmp_path / "pieces" / CHECKPOINT_DIR).is_dir() and not (tmp_path / "pieces" / ADAPTER_DIR).exists()
    with pytest.raises(TrainDataError, match="--resume"):
        train_sft(SETTINGS, data, tmp_path / "pieces", base_model=tiny, progress=False)
    second = train_sft(SETTINGS, data, tmp_path / "pieces", base_model=tiny, progress=False, resume=True)
    assert second.steps == whole.steps == 6
    a = load_file(str(tmp_path / "whole" / ADAPTER_DIR / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "pieces" / ADAPTER_DIR / "adapter_model.safetensors"))
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
    steps = [json.loads(line)["step"] for line in (tmp_path / "pieces" / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_resume_refuses_changed_data(tiny: Path, data: Path, tmp_path: Path) -> None:
    train_sft(SETTINGS, data, tmp_path / "run", base_model=tiny, progress=False, stop_after_steps=1)
    write_examples(data, [_example(i, "Changed [1].") for i in range(8)])
    with pytest.raises(TrainDataError, match="changed"):
        train_sft(SETTINGS, data, tmp_path / "run", base_model=tiny, progress=False, resume=True)


def test_batches_cover_every_example_once_per_epoch_in_similar_lengths() -> None:
    lengths = [5, 50, 6, 51, 7, 52, 8, 53]
    plan = plan_batches(lengths, batch_size=2, seed=0)
    assert sorted(i for batch in plan for i in batch) == list(range(8))
    assert all(abs(lengths[a] - lengths[b]) < 10 for a, b in plan)
    assert plan_batches(lengths, 2, 0) == plan and plan_batches(lengths, 2, 1) != plan


def test_a_bad_training_line_names_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = _example(1).model_dump_json()
    bad = json.loads(good)
    bad["kind"] = "poetry"
    path.write_text(good + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(TrainDataError, match=r"bad.jsonl:2: field `kind`"):
        list(read_examples(path))


def test_label_only_loss_matches_on_a_tiny_gemma3_with_tied_embeddings_and_softcapping() -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=300,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=128,
        sliding_window=8,
        final_logit_softcapping=30.0,  # Gemma 2 style; the label-only path must apply it too
    )
    model = get_peft_model(Gemma3ForCausalLM(config), LoraConfig(r=2, target_modules="all-linear"))
    ids = torch.randint(0, 300, (2, 20))
    mask = torch.ones_like(ids)
    mask[1, 15:] = 0
    labels = torch.full_like(ids, IGNORE)
    labels[0, 12:] = ids[0, 12:]
    labels[1, 10:15] = ids[1, 10:15]
    fast, n_fast = label_only_loss(model, ids, mask, labels)
    full, n_full = full_logits_loss(model, ids, mask, labels)
    assert n_fast == n_full == 13
    torch.testing.assert_close(fast, full, rtol=1e-5, atol=1e-4)


def test_loss_plot_keeps_the_last_entry_of_a_step_logged_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from model.train import sft

    log = tmp_path / "log.jsonl"
    entries = [(1, 2.0), (2, 1.5), (3, 9.9), (3, 1.2), (4, 1.0)]  # step 3 redone after a resume
    log.write_text("".join(json.dumps({"step": s, "loss": v}) + "\n" for s, v in entries))
    plotted: list[tuple[list[int], list[float]]] = []
    import matplotlib.axes

    original = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        plotted.append((list(args[0]), list(args[1])))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    sft.plot_loss(log, tmp_path / "loss.png")
    assert plotted[0] == ([1, 2, 3, 4], [2.0, 1.5, 1.2, 1.0]) and (tmp_path / "loss.png").exists()
