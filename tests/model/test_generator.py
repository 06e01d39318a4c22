"""HFGenerator on a tiny model: prompts, stops, streaming, adapters; spec parsing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from model.errors import GenerationError
from model.generators import COMPLETION_STOPS, HFGenerator, completion_prompt, cut_at_stop, load_generator
from tests.model.tiny import make_tiny_model


def test_cut_at_stop_ignores_leading_whitespace() -> None:
    assert cut_at_stop("\n\nFever is common.\n\n[3] invented", ["\n\n"]) == ("\n\nFever is common.", True)
    assert cut_at_stop("no stop here", ["\n\n"]) == ("no stop here", False)
    assert cut_at_stop("abc", None) == ("abc", False)


def test_completion_prompt_for_base_models() -> None:
    msgs = [
        {"role": "system", "content": "Rules."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Question: q\nAnswer:"},
    ]
    assert completion_prompt(msgs) == "Rules.\n\nUser: Hi\n\nAssistant: Hello\n\nQuestion: q\nAnswer:"
    assert completion_prompt([{"role": "user", "content": "hello"}]).endswith("\nAssistant:")


def test_chat_template_model_generates_and_streams(tiny_model_dir: Path) -> None:
    gen = HFGenerator(tiny_model_dir)
    assert gen.default_stop() == []
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "What is myocarditis?"}]
    result = gen.generate(msgs, max_new_tokens=7)
    assert result.completion_tokens <= 7 and result.prompt_tokens == gen.count_prompt_tokens(msgs)
    assert result.finish_reason in {"stop", "length"}
    streamed = "".join(gen.stream(msgs, max_new_tokens=7))
    assert streamed.strip() == result.text


def test_base_model_gets_completion_stops(tmp_path: Path) -> None:
    gen = HFGenerator(make_tiny_model(tmp_path / "base", chat_template=False))
    assert gen.default_stop() == list(COMPLETION_STOPS)
    out = gen.generate([{"role": "user", "content": "Question: fever?\nAnswer:"}], max_new_tokens=30)
    assert not any(s in out.text.strip() for s in COMPLETION_STOPS)


def test_spec_errors() -> None:
    with pytest.raises(GenerationError, match="unknown generator spec"):
        load_generator("llama")
    with pytest.raises(GenerationError, match="ChatOpenAI"):
        load_generator("openai:http://localhost:1/v1")


def test_loops_are_detected_and_cut() -> None:
    from model.generators import cut_loop, find_loop

    sentence = "Treatment is based on genetic testing of the parents [1]. "
    looped = sentence * 4 + "Treatment is"
    assert find_loop(looped) is not None
    assert cut_loop(looped) == sentence
    fine = "Myocarditis is inflammation of the heart muscle. It can follow a viral infection and cause chest pain."
    assert find_loop(fine) is None and cut_loop(fine) == fine


def test_stop_strings_end_generation_without_decoding_every_step(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8: the stop check decoded the whole completion at every step; transformers' stop_strings do not."""
    gen = HFGenerator(tiny_model_dir)
    msgs = [{"role": "user", "content": "What is myocarditis?"}]
    free = gen.generate(msgs, max_new_tokens=24)
    tokenizer, _ = gen.load()
    # The random tiny model writes letter soup: stop at a run of ASCII letters after its first characters.
    match = re.search(r"[A-Za-z]{3}", free.text[3:])
    assert match, f"the tiny model should write some letters, got {free.text!r}"
    stop = match.group(0)
    calls = 0
    decode = tokenizer.decode

    def counting_decode(*args: object, **kwargs: object) -> str:
        nonlocal calls
        calls += 1
        return decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tokenizer, "decode", counting_decode)
    stopped = gen.generate(msgs, max_new_tokens=24, stop=[stop])
    assert stop not in stopped.text and free.text.startswith(stopped.text)
    assert stopped.finish_reason == "stop" and stopped.completion_tokens < free.completion_tokens
    assert calls <= 2  # the final decode, not one per generated token


def test_generation_stops_when_the_completion_repeats_itself() -> None:
    from model.generators import LOOP_TOKENS, _LoopCriterion

    torch = pytest.importorskip("torch")
    criterion = _LoopCriterion(prompt_len=3)
    prompt = [7, 8, 9]
    looping = prompt + list(range(100, 100 + LOOP_TOKENS)) * 2
    varied = prompt + list(range(100, 100 + 2 * LOOP_TOKENS))
    assert criterion(torch.tensor([looping]), None) is True
    assert criterion(torch.tensor([varied]), None) is False
    assert criterion(torch.tensor([looping[:-1]]), None) is False


def test_the_repeat_that_stopped_generation_is_not_kept() -> None:
    from model.generators import LOOP_TOKENS, drop_repeated_tail

    span = list(range(100, 100 + LOOP_TOKENS))
    looped = [1, 2, *span, 3, *span]  # stopped on completing the second copy of `span`
    assert drop_repeated_tail(looped) == [1, 2, *span, 3]
    varied = [1, 2, *span, 3, *[t + 50 for t in span]]
    assert drop_repeated_tail(varied) == varied
