"""The SFT mixture: every builder over the default knowledge base, decontaminated, with a report.

`build_mixture` samples each kind's sources with one seed, builds examples with the assistant's own retriever
and context packing (so prompts match inference), drops what overlaps an evaluation set, and reports counts
per kind, prompt/target token lengths and a few samples (`clinicalgpt train data` prints and writes it).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from model.assistant import ClinicalAssistant
from model.train import builders
from model.train.decontaminate import EvalIndex, decontaminate
from model.train.examples import TrainExample

#: Licences whose data may train an adapter that ships (`../shared/data/README.md`): attribution at most, no
#: non-commercial or share-alike terms. An example carries every licence of the passages it was built from.
PERMISSIVE_LICENCES = frozenset(
    {"CC0 1.0", "CC0 1.0 (openFDA)", "CC BY 4.0", "Apache-2.0", "MIT", "Public domain (NLM)"}
)

#: Sources read past the number wanted, because some candidates yield no example (a gold passage cut by
#: the context budget, no curated item, too few unrelated passages for a refusal).
OVERSAMPLE = 1.5
#: MedQuAD refusals need more candidates: most questions' passages are all about their focus.
REFUSAL_OVERSAMPLE = 4


class MixtureSettings(BaseModel):
    """How many examples of each kind, and the seed of every sample and shuffle."""

    model_config = ConfigDict(extra="forbid")

    knowledge_qa: int = Field(default=1200, ge=0)
    kg_qa: int = Field(default=500, ge=0)
    exam: int = Field(default=400, ge=0)
    refusal_medquad: int = Field(default=400, ge=0, description="MedQuAD questions with their focus removed.")
    refusal_fictional: int = Field(default=150, ge=0, description="Questions about invented diseases.")
    consultation: int = Field(default=200, ge=0, description="Training-split dialogues → note sections.")
    diagnosis: int = Field(default=200, ge=0, description="Synthetic DDXPlus patients → differentials.")
    seed: int = 0


def _take(examples: Iterator[TrainExample], n: int, on_item: Callable[[], None]) -> list[TrainExample]:
    out: list[TrainExample] = []
    for example in examples:
        if len(out) >= n:
            break
        out.append(example)
        on_item()
    return out


def build_mixture(
    assistant: ClinicalAssistant,
    data_dir: Path,
    settings: MixtureSettings,
    eval_texts: Iterable[tuple[str, str]],
    *,
    train_items: Iterable[dict[str, str]] = (),
    on_item: Callable[[], None] = lambda: None,
) -> tuple[list[TrainExample], dict[str, Any]]:
    """Examples (shuffled) and the report; `on_item` is called per example built (for a progress bar)."""
    rng = random.Random(settings.seed)
    kb = assistant.kb
    retriever = assistant.retriever
    answer = assistant.settings.answer
    k = assistant.settings.retrieval.k
    common = {"k": k, "context_tokens": answer.context_tokens, "max_blocks": answer.max_blocks}

    def retrieve(question: str) -> list[Any]:
        return retriever.invoke(question)

    def chunk_of(chunk_id: str) -> Any:
        return kb.chunk(chunk_id).to_document() if chunk_id in kb.row_of else None

    docs = builders.medquad_dev_docs(data_dir)
    rng.shuffle(docs)
    n_qa = int(settings.knowledge_qa * OVERSAMPLE)
    qa_docs, refusal_docs = docs[:n_qa], docs[n_qa : n_qa + settings.refusal_medquad * REFUSAL_OVERSAMPLE]
    facts = [c.to_document() for c in kb.chunks if c.kind == "fact" and c.section in builders.CURATED_FACTS]
    rng.shuffle(facts)
    searcher = retriever.searcher
    examples: list[TrainExample] = []
    examples += _take(builders.knowledge_qa(qa_docs, retrieve, chunk_of, rng, **common), settings.knowledge_qa, on_item)
    examples += _take(builders.kg_qa(facts, retrieve, rng, **common), settings.kg_qa, on_item)
    symptom_facts = [f for f in facts if f.metadata.get("section") == "has_symptom"]
    examples += _take(builders.exam(symptom_facts, retrieve, rng, **common), settings.exam, on_item)

    def focus_of(doc: Any) -> set[str]:
        # The knowledge base merges the loader's node ids into ontology ids: its own chunk's entities count too.
        gold = chunk_of(f"{doc.doc_id}#0")
        return {*doc.entities, *(gold.metadata.get("entities") or [] if gold else []), doc.title.lower()}

    refusal_questions = [(doc.doc_id, str(doc.metadata["question"]), focus_of(doc)) for doc in refusal_docs]
    wanted = settings.refusal_medquad + settings.refusal_fictional + len(builders.NON_MEDICAL)
    examples += _take(
        builders.refusals(
            refusal_questions,
            retrieve,
            rng,
            known=searcher.knows,
            fictional=settings.refusal_fictional,
            **common,
        ),
        wanted,
        on_item,
    )
    supplied = list(train_items)
    rng.shuffle(supplied)
    examples += _take(builders.from_train_items(supplied, "consultation"), settings.consultation, on_item)
    examples += _take(builders.from_train_items(supplied, "diagnosis"), settings.diagnosis, on_item)
    built = builders.kind_counts(examples)
    permissive = [e for e in examples if permissively_licensed(e.licence)]
    restricted = sorted({e.licence for e in examples} - {e.licence for e in permissive})
    kept, contamination = decontaminate(permissive, EvalIndex(eval_texts))
    rng.shuffle(kept)
    report = {
        "settings": settings.model_dump(),
        "built_per_kind": built,
        "kept_per_kind": builders.kind_counts(kept),
        "kept": len(kept),
        "decontamination": contamination,
        "dropped_for_licence": len(examples) - len(permissive),
        "licences_dropped": restricted,
        "licences": _licences(kept),
    }
    return kept, report


def permissively_licensed(licence: str) -> bool:
    """Whether every licence named (`"Apache-2.0; CC0 1.0"`) is on `PERMISSIVE_LICENCES`."""
    parts = [part.strip() for part in licence.split(";") if part.strip()]
    return bool(parts) and all(part in PERMISSIVE_LICENCES for part in parts)


def _licences(examples: list[TrainExample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.licence] = counts.get(example.licence, 0) + 1
    return dict(sorted(counts.items()))


def token_lengths(examples: list[TrainExample], count: Callable[[str], int]) -> dict[str, Any]:
    """Median and 95th percentile of prompt and target tokens per kind (`count`: the generator's tokenizer)."""
    out: dict[str, Any] = {}
    for kind in sorted({e.kind for e in examples}):
        prompts = sorted(count("\n\n".join(m.content for m in e.messages)) for e in examples if e.kind == kind)
        targets = sorted(count(e.target) for e in examples if e.kind == kind)
        out[kind] = {
            "prompt_median": statistics.median(prompts),
            "prompt_p95": prompts[int(0.95 * (len(prompts) - 1))],
            "target_median": statistics.median(targets),
            "target_p95": targets[int(0.95 * (len(targets) - 1))],
        }
    return out
