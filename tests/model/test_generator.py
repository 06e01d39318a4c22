"""HFGenerator on a tiny model: prompts, stops, streaming, adapters; spec parsing."""

from __future__ import annotations

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
