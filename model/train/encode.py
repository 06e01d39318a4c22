"""Examples → token ids and labels, in exactly the text the generator is prompted with.

The prompt comes from `model.generators.prompt_text` (chat template, or the plain completion prompt of a base
model), so an adapter learns on the prompts it will see. Prompt tokens get the label `IGNORE` (completion-only
loss); the completion ends the way the model must stop: the chat template's end of turn, or the EOS token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.generators import chat_messages, prompt_text
from model.train.examples import TrainExample

#: Label of a token the loss ignores (PyTorch's cross-entropy convention).
IGNORE = -100


@dataclass(frozen=True)
class Encoded:
    """Token ids of prompt + completion; labels are the ids on the completion and `IGNORE` on the prompt."""

    id: str
    input_ids: list[int]
    labels: list[int]

    @property
    def completion_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


def completion_text(tokenizer: Any, model_class: str, example: TrainExample) -> tuple[str, str, bool]:
    """(prompt, completion, add special tokens) for one example."""
    messages = example.prompt_messages()
    prompt, add_special = prompt_text(tokenizer, model_class, messages)
    if not tokenizer.chat_template:
        # A base model continues after "Answer:"; it must learn to stop, so the completion ends with EOS.
        return prompt, " " + example.target.strip() + (tokenizer.eos_token or ""), add_special
    answered = [*chat_messages(model_class, messages), {"role": "assistant", "content": example.target}]
    rendered = tokenizer.apply_chat_template(answered, tokenize=False)
    # Rendering with and without the answer must agree on the prompt part, or the labels would be misplaced.
    if not rendered.startswith(prompt):
        msg = f"the chat template renders the prompt of {example.id} differently with an answer appended"
        raise ValueError(msg)
    return prompt, rendered[len(prompt) :], add_special


def encode(tokenizer: Any, model_class: str, example: TrainExample, *, max_tokens: int) -> Encoded | None:
    """Ids and labels of one example, or None when prompt and completion exceed `max_tokens` (never truncated:
    a cut prompt could drop the source a citation points at)."""
    prompt, completion, add_special = completion_text(tokenizer, model_class, example)
    prompt_ids = tokenizer(prompt, add_special_tokens=add_special)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if len(prompt_ids) + len(completion_ids) > max_tokens or not completion_ids:
        return None
    return Encoded(
        id=example.id,
        input_ids=[*prompt_ids, *completion_ids],
        labels=[IGNORE] * len(prompt_ids) + list(completion_ids),
    )
