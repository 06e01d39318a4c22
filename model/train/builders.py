"""Training examples in the chain's own prompt format: numbered, id-labelled sources and a cited answer.

Every example is built the way inference sees a question: the knowledge base's retriever fetches passages for
the question, the gold passage is put among them at a random place, `pack_contexts` trims them to the
chain's token budget, and `build_messages` writes the prompt. Targets cite the number of the source each
sentence comes from; refusal targets are the refusal sentinel.

Kinds (`TrainExample.kind`):

- `knowledge_qa`: MedQuAD questions of the `dev` split only (`knowledge.splits.medquad_split`: the held-out
  foci are never trained on) → the first sentences of their answer passage, each cited;
- `kg_qa`: templated questions over curated knowledge-graph facts (Disease Ontology symptoms, LabeledIn
  treatments) → the curated items of the fact, cited to the fact's passage (ChatDoctor's co-occurrence lists
  share those passages but are not taught as answers);
- `exam`: four-option questions from the same Disease Ontology symptoms, the distractors taken from other
  diseases' symptoms, → "The answer is B: …" with the citation;
- `refusal`: questions whose passages lack the answer → the sentinel: MedQuAD questions with every passage
  about their focus removed, questions about invented diseases, and questions that are not medical.

- `consultation`: the training splits of MTS-Dialog and ACI-Bench (dialogue → note section / note), in the
  evaluation's own consultation prompt (the `eval` package supplies them through the
  `clinicalgpt.train_items` entry point: this layer may not import it); the reference note is the target.

- `diagnosis`: synthetic patients generated from the DDXPlus condition definitions (never its test
  patients; method in `eval.contamination.diagnosis_training_items`), rendered as the evaluation renders a
  record, → the ranked differential, names one per line as the evaluation prompt asks.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from knowledge.chunking import split_sentences
from knowledge.schema import SourceDoc
from knowledge.sources.medquad import load_medquad
from knowledge.splits import medquad_split
from model.train.examples import Kind, Message, TrainExample
from rag.context import pack_contexts
from rag.prompts import REFUSAL_SENTINEL, build_messages

logger = logging.getLogger(__name__)

Retrieve = Callable[[str], list[Document]]

#: Sentences of the gold passage a knowledge answer quotes, and their word budget (the chain's answers are
#: "at most 4 short sentences").
ANSWER_SENTENCES = 3
ANSWER_WORDS = 80
#: Items a listing answer names (more reads as a dump, not an answer).
LIST_ITEMS = 6
#: Where curated items of a fact passage come from, by fact section: `(tag, question template, lead)`.
CURATED_FACTS: dict[str, tuple[str, str, str]] = {
    "has_symptom": ("Disease Ontology", "What are the symptoms of {name}?", "Symptoms of {name} include {items}"),
    "treated_with": ("LabeledIn", "What drugs are used to treat {name}?", "Drugs labelled for {name} include {items}"),
    "used_for": ("LabeledIn", "What is {name} used for?", "{name} is labelled for {items}"),
}
_ITEM = re.compile(r"([^;:\[\]]+?) \[([^\]]+)\]")
#: Invented disease names for refusals: syllables that make no real disease (checked against the graph).
_SYLLABLES = ("kess", "varn", "dor", "plen", "thal", "mir", "quen", "zor", "bel", "trav", "osk", "lum", "fen")
_SUFFIXES = ("syndrome", "disease", "fever", "palsy", "dystrophy")
_FICTION_QUESTIONS = (
    "What are the symptoms of {name}?",
    "How is {name} treated?",
    "Is {name} contagious?",
    "What causes {name}?",
    "My doctor mentioned {name}, what is it?",
)
#: Questions that are not medical: the knowledge base has nothing to say about them.
NON_MEDICAL = (
    "How do I change a flat tyre?",
    "What is the capital of Australia?",
    "How long should I boil an egg for a soft yolk?",
    "Who won the football world cup in 2010?",
    "How do I reset my wifi router?",
    "What is a good name for a golden retriever puppy?",
    "How do I convert a PDF to a Word document?",
    "What is the best way to learn to play the guitar?",
    "How many ounces are in a pound?",
    "Why is the sky blue?",
    "How do I get red wine out of a carpet?",
    "What time zone is Tokyo in?",
)


@dataclass(frozen=True)
class Gold:
    """A question with the passage that answers it (None for refusals) and what to say."""

    id: str
    kind: Kind
    question: str
    source: str
    licence: str


def _prompt(question: str, sources: list[Document]) -> list[Message]:
    return [Message(**m) for m in build_messages(question, sources)]  # type: ignore[arg-type]


def _place(gold: Document, retrieved: list[Document], rng: random.Random, k: int) -> list[Document]:
    """The gold passage among the retrieved ones (same passage never twice), at a random rank."""
    others = [d for d in retrieved if d.id != gold.id][: k - 1]
    others.insert(rng.randrange(len(others) + 1), gold)
    return others


def gold_among_retrieved(
    gold: Document, query: str, retrieve: Retrieve, rng: random.Random, k: int, context_tokens: int, max_blocks: int
) -> tuple[list[Document], int | None]:
    """The prompt's sources (gold at a random rank among the retrieved, packed as the chain packs them) and the
    gold's number among them (None when the budget left it out)."""
    sources = pack_contexts(_place(gold, retrieve(query), rng, k), context_tokens, max_blocks=max_blocks)
    return sources, next((i for i, s in enumerate(sources, 1) if s.id == gold.id), None)


def cite(sentence: str, number: int) -> str:
    """`sentence` with its citation before the final full stop ("… people [2]."), as the chain's answers."""
    sentence = sentence.rstrip()
    end = sentence[-1] if sentence[-1] in ".!" else ""
    return f"{sentence[: len(sentence) - len(end)].rstrip()} [{number}]{end or '.'}"


def cited_sentences(text: str, number: int, *, sentences: int, words: int) -> str | None:
    """The first sentences of `text` within the budgets, each followed by `[number]` (None when none fits)."""
    chosen: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        sentence = " ".join(sentence.split())
        n = len(sentence.split())
        if n < 4 or sentence.endswith(("…", "?", ":")):
            continue  # headings, questions, fragments and the cut end of a trimmed passage teach nothing
        if chosen and used + n > words:
            break
        if n > words:
            continue
        chosen.append(cite(sentence, number))
        used += n
        if len(chosen) == sentences:
            break
    return " ".join(chosen) or None


def medquad_dev_docs(data_dir: Path) -> list[SourceDoc]:
    """MedQuAD answer passages with a question, of the `dev` split only (held-out foci never trained on)."""
    return [
        doc for doc in load_medquad(data_dir).docs if doc.metadata.get("question") and medquad_split(doc.title) == "dev"
    ]


def knowledge_qa(
    docs: list[SourceDoc],
    retrieve: Retrieve,
    chunk_of: Callable[[str], Document | None],
    rng: random.Random,
    k: int,
    context_tokens: int,
    max_blocks: int,
) -> Iterator[TrainExample]:
    """MedQuAD questions → the first sentences of their answer passage, cited (`dev` split only)."""
    for doc in docs:
        question = str(doc.metadata.get("question") or "")
        if not question or medquad_split(doc.title) != "dev":
            continue  # the caller passes `medquad_dev_docs`; a held-out focus is never trained on regardless
        gold = chunk_of(f"{doc.doc_id}#0")
        if gold is None:
            continue
        sources, number = gold_among_retrieved(gold, question, retrieve, rng, k, context_tokens, max_blocks)
        if number is None:
            continue
        target = cited_sentences(
            sources[number - 1].page_content, number, sentences=ANSWER_SENTENCES, words=ANSWER_WORDS
        )
        if target is None:
            continue
        yield TrainExample(
            id=f"knowledge_qa:{doc.doc_id}",
            kind="knowledge_qa",
            messages=_prompt(question, sources),
            target=target,
            source="medquad",
            licence=doc.provenance.licence,
            cited=[number],
        )


def curated_items(fact_text: str, tag: str) -> list[str]:
    """The items of a fact passage that carry `tag` ("Fever [Disease Ontology]; Cough [ChatDoctor]" → ["Fever"])."""
    body = fact_text.split(":", 1)[1] if ":" in fact_text else fact_text
    return [m.group(1).strip(" ;.") for m in _ITEM.finditer(body) if m.group(2) == tag]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def kg_qa(
    facts: list[Document], retrieve: Retrieve, rng: random.Random, k: int, context_tokens: int, max_blocks: int
) -> Iterator[TrainExample]:
    """Templated questions over curated fact items → one cited sentence naming them."""
    for fact in facts:
        section = str(fact.metadata.get("section"))
        if section not in CURATED_FACTS:
            continue
        tag, template, lead = CURATED_FACTS[section]
        items = curated_items(fact.page_content, tag)[:LIST_ITEMS]
        name = str(fact.metadata.get("title"))
        if not items or not name:
            continue
        question = template.format(name=name)
        sources, number = gold_among_retrieved(fact, question, retrieve, rng, k, context_tokens, max_blocks)
        if number is None or not all(item in sources[number - 1].page_content for item in items):
            continue  # the trimmed passage no longer shows every item
        sentence = lead.format(name=name, items=_join(items))
        yield TrainExample(
            id=f"kg_qa:{fact.id}",
            kind="kg_qa",
            messages=_prompt(question, sources),
            target=f"{sentence[0].upper()}{sentence[1:]} [{number}].",
            source=f"knowledge_graph ({tag})",
            licence=str(fact.metadata.get("licence")),
            cited=[number],
        )


def exam(
    facts: list[Document], retrieve: Retrieve, rng: random.Random, k: int, context_tokens: int, max_blocks: int
) -> Iterator[TrainExample]:
    """ "Which of the following is a symptom of X?" with three symptoms of other diseases as distractors."""
    tag = CURATED_FACTS["has_symptom"][0]
    symptom_lists = {
        fact.id: curated_items(fact.page_content, tag)
        for fact in facts
        if fact.metadata.get("section") == "has_symptom"
    }
    pool = sorted({s.lower() for items in symptom_lists.values() for s in items})
    for fact in facts:
        items = symptom_lists.get(fact.id or "")
        if not items:
            continue
        own = {s.lower() for s in items}
        passage = fact.page_content.lower()
        # A distractor must not be named anywhere in the passage (it may list it under another source).
        distractors = [s for s in rng.sample(pool, min(len(pool), 12)) if s not in own and s not in passage][:3]
        if len(distractors) < 3:
            continue
        answer = rng.choice(items)
        options = [*distractors, answer]
        rng.shuffle(options)
        letter = "ABCD"[options.index(answer)]
        name = str(fact.metadata.get("title"))
        question = f"Which of the following is a symptom of {name}?\n" + "\n".join(
            f"{letter_}. {option}" for letter_, option in zip("ABCD", options, strict=True)
        )
        sources, number = gold_among_retrieved(
            fact, f"symptoms of {name}", retrieve, rng, k, context_tokens, max_blocks
        )
        if number is None or answer not in sources[number - 1].page_content:
            continue
        yield TrainExample(
            id=f"exam:{fact.id}",
            kind="exam",
            messages=_prompt(question, sources),
            target=f"The answer is {letter}: {answer} is a symptom of {name} [{number}].",
            source=f"knowledge_graph ({tag})",
            licence=str(fact.metadata.get("licence")),
            cited=[number],
        )


def invented_names(rng: random.Random, known: Callable[[str], bool], n: int) -> list[str]:
    """`n` disease names that sound real and that the knowledge base does not know (`known`: the vocabulary's
    own test, as the unknown-terms policy applies it)."""
    names: list[str] = []
    while len(names) < n:
        first = (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)).capitalize()
        second = (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)).capitalize()
        name = f"{first}-{second} {rng.choice(_SUFFIXES)}"
        if not known(name) and name not in names:
            names.append(name)
    return names


def refusals(
    questions: list[tuple[str, str, set[str]]],
    retrieve: Retrieve,
    rng: random.Random,
    *,
    k: int,
    context_tokens: int,
    max_blocks: int,
    known: Callable[[str], bool],
    fictional: int,
) -> Iterator[TrainExample]:
    """Sentinel targets for questions whose passages cannot answer them.

    `questions` are `(id, question, focus)`, the focus being its entity ids and its lower-cased name: every
    retrieved passage that could be about it (`_about`) is removed first, so what is left is about
    something else.
    """
    for qid, question, focus in questions:
        kept = [d for d in retrieve(question) if not _about(d, focus)]
        if len(kept) < 2:
            continue
        yield _refusal(f"refusal:{qid}", question, kept[:k], context_tokens, max_blocks, "medquad", "CC BY 4.0")
    for i, name in enumerate(invented_names(rng, known, fictional)):
        question = rng.choice(_FICTION_QUESTIONS).format(name=name)
        yield _refusal(
            f"refusal:fiction-{i}", question, retrieve(question)[:k], context_tokens, max_blocks, "invented", "CC0 1.0"
        )
    for i, question in enumerate(NON_MEDICAL):
        yield _refusal(
            f"refusal:offtopic-{i}", question, retrieve(question)[:k], context_tokens, max_blocks, "invented", "CC0 1.0"
        )


#: Words too general to tie a passage to a focus ("Urinary Tract Infections": "urinary" ties, "infections" not).
_GENERIC = frozenset(
    "disease diseases disorder disorders syndrome syndromes infection infections cancer cancers type types "
    "deficiency acute chronic condition conditions problems other".split()
)


def _about(doc: Document, focus: set[str]) -> bool:
    """Whether a passage could be about the focus: tagged with one of its ids, or naming it, or one of its
    specific words (4+ letters, not generic, plural endings ignored), in its title or text. Conservative on
    purpose: a refusal example whose passages half-answer the question teaches refusing answerable ones."""
    if focus & set(doc.metadata.get("entities") or []):
        return True
    text = f"{doc.metadata.get('title', '')} {doc.page_content}".lower()
    names = [f for f in focus if f == f.lower()]  # ids keep their upper-case prefix (DOID:…), names are folded
    compact = re.sub(r"[^a-z0-9]", "", text)
    if any(re.sub(r"[^a-z0-9]", "", name) in compact for name in names):
        return True  # "47,XYY syndrome" is "47, XYY syndrome"
    words = {w for name in names for w in re.findall(r"[a-z]{4,}", name) if w not in _GENERIC}
    stems = {w[: max(4, len(w) - 2)] for w in words}  # "minerals" → "miner", "mineral" matches
    return any(re.search(rf"\b{re.escape(stem)}", text) for stem in stems)


def _refusal(
    id_: str, question: str, docs: list[Document], context_tokens: int, max_blocks: int, source: str, licence: str
) -> TrainExample:
    sources = pack_contexts(docs, context_tokens, max_blocks=max_blocks)
    return TrainExample(
        id=id_,
        kind="refusal",
        messages=_prompt(question, sources),
        target=REFUSAL_SENTINEL,
        source=source,
        licence=licence,
    )


def from_train_items(items: list[dict[str, str]], kind: Kind) -> Iterator[TrainExample]:
    """Items another package supplies (`id, kind, prompt, target, source, licence`, and `record` for
    diagnoses) as examples of `kind`: one user turn in the evaluation's own prompt, the reference as the answer
    (no sources: the dialogue or the record is the only evidence)."""
    for item in items:
        if item.get("kind") != kind:
            continue
        yield TrainExample(
            id=f"{kind}:{item['id']}",
            kind=kind,
            messages=[Message(role="user", content=item["prompt"])],
            target=item["target"].strip(),
            source=item["source"],
            licence=item["licence"],
            exact_check=item.get("record"),
        )


def kind_counts(examples: list[TrainExample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.kind] = counts.get(example.kind, 0) + 1
    return dict(sorted(counts.items()))


def sample(items: list[Any], n: int, rng: random.Random) -> list[Any]:
    """Up to `n` items, a seeded sample."""
    return items if len(items) <= n else rng.sample(items, n)
