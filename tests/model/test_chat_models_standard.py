"""`ChatClinicalGPT` against the langchain-tests chat-model suites, on a tiny local model."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from model.chat_models import ChatClinicalGPT, to_role_messages
from model.errors import GenerationError, ModelNotFoundError


class _TinyModel:
    model_dir: Path

    @pytest.fixture(autouse=True)
    def _model_dir(self, tiny_model_dir: Path) -> None:
        type(self).model_dir = tiny_model_dir

    @property
    def chat_model_class(self) -> type[ChatClinicalGPT]:
        return ChatClinicalGPT

    @property
    def chat_model_params(self) -> dict:
        return {"model": f"hf:{type(self).model_dir}"}


class TestChatClinicalGPTUnit(_TinyModel, ChatModelUnitTests):
    pass


@pytest.mark.slow
class TestChatClinicalGPTIntegration(_TinyModel, ChatModelIntegrationTests):
    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return False


def test_usage_and_metadata(tiny_model_dir: Path) -> None:
    chat = ChatClinicalGPT(model=f"hf:{tiny_model_dir}", max_tokens=5)
    reply = chat.invoke([SystemMessage("Answer briefly."), HumanMessage("What is myocarditis?")])
    assert isinstance(reply, AIMessage)
    usage = reply.usage_metadata
    assert usage and usage["output_tokens"] <= 5 and usage["input_tokens"] > 5
    assert reply.response_metadata["model_name"] == "model"


def test_streaming_flag_and_stream_agree(tiny_model_dir: Path) -> None:
    plain = ChatClinicalGPT(model=f"hf:{tiny_model_dir}", max_tokens=6)
    streamed = ChatClinicalGPT(model=f"hf:{tiny_model_dir}", max_tokens=6, streaming=True)
    text = plain.invoke("hello").text
    assert streamed.invoke("hello").text == text  # greedy decoding: same text either way
    assert "".join(c.text for c in plain.stream("hello")) == text


def test_role_mapping_merges_consecutive_turns() -> None:
    msgs = to_role_messages([SystemMessage("s"), HumanMessage("a"), HumanMessage("b"), AIMessage("c")])
    assert msgs == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "c"},
    ]


def test_bad_specs_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(GenerationError, match="unknown generator spec `gpt5`"):
        ChatClinicalGPT(model="gpt5").invoke("hi")
    with pytest.raises(ModelNotFoundError, match="hf:PATH"):
        ChatClinicalGPT(model=f"hf:{tmp_path / 'missing'}").invoke("hi")
    with pytest.raises(ModelNotFoundError, match="--adapter"):
        ChatClinicalGPT(model=f"hf:{tmp_path}", adapter=str(tmp_path / "nope")).invoke("hi")
