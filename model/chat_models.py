"""`ChatClinicalGPT`: a LangChain chat model over the local generators.

Accepts the standard parameters (temperature, max_tokens, timeout, stop, max_retries, streaming),
streams token pieces, reports usage metadata, and loads its weights on first use (construction is
cheap, as `ChatModelUnitTests.test_init_time` requires).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from model.errors import GenerationError
from model.generators import Generator, load_generator

logger = logging.getLogger(__name__)

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user", "function": "user"}


def to_role_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages → `[{"role", "content"}]`, merging consecutive turns of the same role."""
    out: list[dict[str, str]] = []
    for message in messages:
        role = _ROLES.get(message.type, "user")
        text = message.text if isinstance(message.text, str) else str(message.content)
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n\n" + text
        else:
            out.append({"role": role, "content": text})
    return out


class ChatClinicalGPT(BaseChatModel):
    """Chat model over a local ClinicalGPT generator (`default` or `hf:PATH`).

    An OpenAI-compatible endpoint (`openai:URL[#model]`) is served by `ChatOpenAI`: `model.assistant.
    build_chat_model` picks the right class for any spec.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    generator_spec: str = Field(default="default", alias="model", description="Generator spec.")
    adapter: str | None = Field(default=None, description="LoRA adapter folder for local generators.")
    temperature: float = Field(default=0.0, ge=0.0, description="0 = greedy decoding.")
    max_tokens: int = Field(default=256, ge=1, description="Maximum new tokens.")
    timeout: float | None = Field(default=None, description="Seconds before generation stops (local: max_time).")
    stop: list[str] | None = Field(default=None, description="Stop sequences.")
    max_retries: int = Field(default=0, ge=0, description="Retries after a generation error.")
    streaming: bool = Field(default=False, description="Stream tokens when invoked.")

    _generator: Generator | None = PrivateAttr(default=None)

    @field_validator("generator_spec")
    @classmethod
    def _local_spec(cls, spec: str) -> str:
        # Refuse at construction what `load_generator` would refuse at the first answer, minutes later.
        if spec.startswith("openai:"):
            msg = (
                f"`model` {spec!r}: ChatClinicalGPT runs local generators (default, hf:PATH); for an OpenAI-"
                "compatible endpoint use model.assistant.build_chat_model(settings) or langchain_openai.ChatOpenAI"
            )
            raise ValueError(msg)
        return spec

    @classmethod
    def from_generator(cls, generator: Generator, **kwargs: Any) -> ChatClinicalGPT:
        """Wrap an already constructed generator (shares its loaded weights)."""
        model = cls(model=generator.name, **kwargs)
        model._generator = generator
        return model

    @property
    def generator(self) -> Generator:
        """The generator, created on first use (weights load on first generation)."""
        if self._generator is None:
            self._generator = load_generator(self.generator_spec, adapter=self.adapter)
        return self._generator

    @property
    def _llm_type(self) -> str:
        return "clinicalgpt"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.generator_spec,
            "adapter": self.adapter,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="clinicalgpt",
            ls_model_name=kwargs.get("model", self.generator_spec),
            ls_model_type="chat",
            ls_temperature=self.temperature,
            ls_max_tokens=self.max_tokens,
        )
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _options(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "max_new_tokens": int(kwargs.get("max_tokens", self.max_tokens)),
            "temperature": float(kwargs.get("temperature", self.temperature)),
            "stop": (stop or []) + (self.stop or []) or None,
            "timeout": self.timeout,
        }

    def _usage(self, prompt: int, completion: int) -> UsageMetadata:
        return UsageMetadata(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            chunks = list(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))
            merged = chunks[0]
            for chunk in chunks[1:]:
                merged += chunk
            streamed = merged.message
            if not isinstance(streamed, AIMessageChunk):  # `_stream` yields AIMessageChunks, whose sum is one
                msg = f"streamed chunks merged into a {type(streamed).__name__}, expected an AIMessageChunk"
                raise TypeError(msg)
            message = AIMessage(
                content=streamed.content,
                usage_metadata=streamed.usage_metadata,
                response_metadata=streamed.response_metadata,
            )
            return ChatResult(generations=[ChatGeneration(message=message)])
        options = self._options(stop, kwargs)
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            try:
                result = self.generator.generate(to_role_messages(messages), **options)
                break
            except GenerationError as exc:
                last = exc
                logger.warning("generation attempt %d failed: %s", attempt + 1, exc)
        else:
            raise last  # type: ignore[misc]
        message = AIMessage(
            content=result.text,
            usage_metadata=self._usage(result.prompt_tokens, result.completion_tokens),
            response_metadata={
                "model_name": self.generator.name,
                "finish_reason": result.finish_reason,
                "adapter": self.adapter,
                "model_provider": "clinicalgpt",
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        options = self._options(stop, kwargs)
        role_messages = to_role_messages(messages)
        text = ""
        for piece in self.generator.stream(role_messages, **options):
            text += piece
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        prompt_tokens = self.generator.count_prompt_tokens(role_messages)
        completion_tokens = self.generator.count_tokens(text)
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                chunk_position="last",
                usage_metadata=self._usage(prompt_tokens, completion_tokens),
                response_metadata={
                    "model_name": self.generator.name,
                    "finish_reason": "stop",
                    "adapter": self.adapter,
                    "model_provider": "clinicalgpt",
                },
            )
        )
