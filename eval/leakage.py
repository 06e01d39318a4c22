"""The leakage guard: a retrieval run must not read the task's own answers from the knowledge base.

Two checks, in `rag` and `retrieval-only` modes (closed-book runs read no knowledge base):

1. **Sources.** The knowledge base's manifest lists the sources it was built from. A task names the sources
   that hold its gold contexts (`leakage.forbidden_sources`, e.g. PubMedQA's test abstracts for PubMedQA*):
   if one was indexed, the run is refused with `LeakageError`.
2. **Contexts.** Where the task's items carry their gold contexts (`meta["gold_contexts"]`, or `contexts`,
   `context`, `abstract`), a seeded sample of them is looked up verbatim in the knowledge base's passages:
   a few sentences of each sampled context (case and whitespace folded, at least `MIN_SPAN_CHARS` long);
   any one found refuses the run, whatever the source is called.

Sources the references were written from (`leakage.open_book_sources`, e.g. MedQuAD for consumer-health
questions answered by NIH pages) are allowed, but the run is labelled `open_book: true`.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from eval.errors import LeakageError
from eval.schema import Item, Mode
from eval.tasks.config import TaskConfig

if TYPE_CHECKING:
    from knowledge.kb import KBManifest

logger = logging.getLogger(__name__)

#: Item `meta` keys that hold gold contexts (a string or a list of strings), first found wins.
GOLD_CONTEXT_KEYS = ("gold_contexts", "contexts", "context", "abstract")
#: Items whose contexts are looked up, and sentences looked up per context.
SAMPLE_ITEMS = 50
SPANS_PER_CONTEXT = 3
#: Shorter sentences are too common to prove anything ("Results are shown in Table 1.").
MIN_SPAN_CHARS = 60


class LeakageCheck(BaseModel):
    """What the guard found (stamped into run.json and the report)."""

    model_config = ConfigDict(extra="forbid")

    checked: bool = Field(description="False in closed mode: no knowledge base is read.")
    kb_sources: list[str] = Field(default_factory=list)
    open_book: bool = Field(default=False, description="The knowledge base holds a source the references come from.")
    open_book_sources: list[str] = Field(default_factory=list)
    contexts_checked: int = Field(default=0, description="Gold contexts of sampled items looked up verbatim.")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def gold_contexts(item: Item) -> list[str]:
    """The gold contexts an item carries in `meta` (see `GOLD_CONTEXT_KEYS`)."""
    for key in GOLD_CONTEXT_KEYS:
        value = item.meta.get(key)
        if isinstance(value, str) and value.strip():
            return [value]
        if isinstance(value, list | tuple):
            return [v for v in value if isinstance(v, str) and v.strip()]
        if isinstance(value, dict):
            return [v for v in value.values() if isinstance(v, str) and v.strip()]
    return []


def context_spans(context: str, n: int = SPANS_PER_CONTEXT) -> list[str]:
    """The `n` longest sentences of a context (folded), each at least `MIN_SPAN_CHARS` long."""
    sentences = [_fold(s) for s in re.split(r"(?<=[.!?])\s+", context)]
    long = sorted((s for s in sentences if len(s) >= MIN_SPAN_CHARS), key=len, reverse=True)
    return long[:n]


def _fix(task: TaskConfig) -> str:
    return (
        "rebuild the knowledge base without it (`clinicalgpt kb build --sources …`), point --kb at one built "
        f"without it, or run `clinicalgpt eval run --task {task.name} --mode closed`"
    )


def check_sources(task: TaskConfig, manifest: KBManifest, kb_dir: str) -> LeakageCheck:
    """Refuse a knowledge base built from a forbidden source; label open-book ones."""
    sources = list(manifest.sources)
    leaked = [s for s in task.leakage.forbidden_sources if s in sources]
    if leaked:
        msg = (
            f"task `{task.name}`: the knowledge base at {kb_dir} was built from `{', '.join(leaked)}`, which holds "
            f"the task's own gold contexts (leakage.forbidden_sources); {_fix(task)}"
        )
        raise LeakageError(msg)
    open_book = [s for s in task.leakage.open_book_sources if s in sources]
    return LeakageCheck(checked=True, kb_sources=sources, open_book=bool(open_book), open_book_sources=open_book)


def check_contexts(
    task: TaskConfig, items: Sequence[Item], passages: Sequence[str], kb_dir: str, *, seed: int = 0
) -> int:
    """Look a seeded sample of the items' gold contexts up in the passages; returns how many were checked."""
    with_contexts = [item for item in items if gold_contexts(item)]
    if not with_contexts:
        return 0
    sample = random.Random(seed).sample(with_contexts, min(SAMPLE_ITEMS, len(with_contexts)))
    haystack = "\n".join(_fold(p) for p in passages)
    checked = 0
    for item in sample:
        for context in gold_contexts(item):
            checked += 1
            for span in context_spans(context):
                if span in haystack:
                    msg = (
                        f"task `{task.name}`: the gold context of item `{item.id}` is in the knowledge base at "
                        f"{kb_dir} (found verbatim: {span[:80]!r}…); {_fix(task)}"
                    )
                    raise LeakageError(msg)
    logger.info("leakage: %d gold contexts of %d sampled items not found in the knowledge base", checked, len(sample))
    return checked


def check_leakage(
    task: TaskConfig, mode: Mode, items: Sequence[Item], kb: Any | None, *, seed: int = 0
) -> LeakageCheck:
    """Both checks for a run in `mode` over a loaded `KnowledgeBase` (None in closed mode)."""
    if mode == "closed" or kb is None:
        return LeakageCheck(checked=False)
    result = check_sources(task, kb.manifest, str(kb.kb_dir))
    texts = [chunk.text for chunk in kb.chunks if chunk.kind == "text"]
    result.contexts_checked = check_contexts(task, items, texts, str(kb.kb_dir), seed=seed)
    return result
