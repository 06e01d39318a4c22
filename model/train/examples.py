"""One training example: the chat messages the chain would send, and the answer the model should write."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.errors import TrainDataError

#: What an example teaches; `clinicalgpt train data` counts them per kind.
Kind = Literal["knowledge_qa", "kg_qa", "exam", "consultation", "diagnosis", "refusal"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class TrainExample(BaseModel):
    """A prompt (exactly what inference sends) and its target completion, with where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    kind: Kind
    messages: list[Message] = Field(min_length=1, description="The prompt: system rules, sources, question.")
    target: str = Field(min_length=1, description="What the model should answer, citations included.")
    source: str = Field(description="Dataset the example was built from.")
    licence: str = Field(description="Licence of that dataset (only permissive ones ship in an adapter).")
    cited: list[int] = Field(default_factory=list, description="Source numbers the target cites.")
    exact_check: str | None = Field(
        default=None,
        description="For inputs written from a template an evaluation set shares (DDXPlus records): the text "
        "decontamination compares whole, instead of by 13-word runs that every such record shares.",
    )

    def prompt_messages(self) -> list[dict[str, str]]:
        return [m.model_dump() for m in self.messages]


def write_examples(path: Path, examples: Iterable[TrainExample]) -> int:
    """Write examples as JSONL atomically (a temporary file renamed over the target); how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(example.model_dump_json() + "\n")
            n += 1
    tmp.replace(path)
    return n


def read_examples(path: Path) -> Iterator[TrainExample]:
    """Examples of a JSONL file; a bad line raises `TrainDataError` naming the line and the field."""
    with Path(path).open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield TrainExample.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                first = exc.errors()[0] if isinstance(exc, ValidationError) else None
                where = ".".join(str(p) for p in first["loc"]) if first else "JSON"
                why = first["msg"] if first else str(exc)
                msg = (
                    f"{path}:{line_no}: field `{where}`: {why}; each line must be a training example as written "
                    "by `clinicalgpt train data` ({id, kind, messages, target, source, licence})"
                )
                raise TrainDataError(msg) from exc
