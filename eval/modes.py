"""How each task family is answered in each mode (the MIRAGE protocol: zero-shot, question-only retrieval).

- `closed`: the generator alone, no retrieval.
- `rag`: retrieve with the question only (the product's hybrid searcher, `retrieval.k` passages), put the
  passages in the prompt; long-form QA goes through the product chain (`ClinicalAssistant.ask`), so its
  citations, refusals and supported sentences are what users get.
- `retrieval-only`: no generator, to show what the generator adds:
  - multiple choice: the option best supported by the passages retrieved for the question. Support of an
    option = the highest cosine, over the retrieved passages, between the embedding of "question + option"
    and the passage's embedding; options within 1e-6 of each other are ordered by lexical overlap (stemmed
    content words of the option found in the passages), then by letter;
  - QA and consultation: the text of the top passage is the answer;
  - diagnosis: the batch diagnoser's knowledge-graph differential (`model.diagnosis`: findings with negation,
    diagnoses the record names, IDF-weighted disease–finding evidence, sex and age limits); DDXPlus items pass
    their evidence codes (`meta.evidence_codes`), as `clinicalgpt diagnose` reads DDXPlus files. The
    candidates' ICD-10 codes and the graph's synonyms go with the names (`extras.dx_codes`, `extras.dx_aliases`),
    so a candidate matches a gold name the graph knows it by, and a coded item on its ICD-10 category.
- the retrieval family is scored in one searcher mode per run (`dense`, `bm25`, `kg` or `hybrid`).

Multiple choice with a local Hugging Face model scores each option's text by log-likelihood
(`eval.likelihood`); with `mc="generate"`, and always for chat endpoints such as `openai:`, the model writes
an answer and `parse_choice` reads the letter from it (none → `parse_error`).

A predictor returns a `Prediction`; raising is fine too (the runner records the item as `error` or
`timeout` and goes on).
"""

from __future__ import annotations

import logging
import re
import string
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from eval.errors import EvalError, TaskConfigError
from eval.schema import ConsultationItem, DiagnosisItem, Item, MCItem, Mode, QAItem, RetrievalItem, Status
from eval.tasks.config import TaskConfig

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.language_models import BaseChatModel

    from knowledge.kb import KnowledgeBase
    from model.assistant import ClinicalAssistant
    from model.generators import HFGenerator
    from model.settings import AppSettings
    from rag.retrieve import HybridSearcher
    from rag.settings import SearchMode as ProductSearchMode

logger = logging.getLogger(__name__)

MCMethod = Literal["likelihood", "generate"]
#: The product's searcher modes, plus `naive`: dense and BM25 fused by plain reciprocal-rank fusion with equal
#: weights (what LangChain's `EnsembleRetriever` does over the same two indexes), no entities, facts or question
#: types: the baseline the hybrid must beat.
SearchMode = Literal["dense", "bm25", "kg", "hybrid", "naive"]
#: Most tokens generated for an exam answer and for a differential (long-form answers use `answer.max_new_tokens`).
EXAM_MAX_TOKENS = 64
DIAGNOSIS_MAX_TOKENS = 96
#: Diagnoses kept from a generated or ranked list.
TOP_DIAGNOSES = 5
#: Results per query for the retrieval family (the largest cut-off the retrieval metrics use).
RETRIEVAL_K = 20
#: Passages whose text a retrieval item keeps, for `answer_coverage_at_5`.
COVERAGE_K = 5


class ItemTimeoutError(EvalError, TimeoutError):
    """Generation for one item ran past the generator's timeout (`generator.timeout`)."""


class Prediction(BaseModel):
    """What a predictor made of one item; the runner turns it into an `ItemResult`."""

    model_config = ConfigDict(extra="forbid")

    status: Status = "ok"
    prediction: Any = None
    raw: str | None = None
    error: str | None = None
    extras: dict[str, Any] = Field(default_factory=dict)


Predictor = Callable[[Item], Prediction]


class Resources:
    """The product pieces a run uses, built on first use from the product settings (or injected, in tests)."""

    def __init__(
        self, settings: AppSettings, *, llm: BaseChatModel | None = None, kb: KnowledgeBase | None = None
    ) -> None:
        self.settings = settings
        self._llm = llm
        self._kb = kb

    @cached_property
    def kb(self) -> KnowledgeBase:
        """The knowledge base at `kb_dir`."""
        from knowledge.kb import KnowledgeBase

        if self._kb is not None:
            return self._kb
        return KnowledgeBase.load(self.settings.knowledge_settings().resolved_kb_dir())

    @cached_property
    def llm(self) -> BaseChatModel:
        """The chat model named by `generator.spec` (weights load on the first item)."""
        from model.assistant import build_chat_model

        return self._llm if self._llm is not None else build_chat_model(self.settings)

    @cached_property
    def searcher(self) -> HybridSearcher:
        """The product's hybrid searcher over the knowledge base."""
        from rag.retrieve import HybridSearcher

        return HybridSearcher(self.kb, self.settings.retrieval)

    @cached_property
    def assistant(self) -> ClinicalAssistant:
        """The product assistant sharing this knowledge base (and chat model, when its answers are generated)."""
        from model.assistant import ClinicalAssistant

        if self.answer_mode == "extractive":
            return ClinicalAssistant(self.settings, kb=self.kb)  # quotes the sources: no model is loaded
        return ClinicalAssistant(self.settings, kb=self.kb, llm=self.llm)

    @property
    def answer_mode(self) -> str:
        """How the product chain answers (`answer.mode` resolved): `extractive` or `generative`."""
        from model.assistant import resolve_answer_mode

        return resolve_answer_mode(self.settings, injected_llm=self._llm is not None)

    def likelihood_generator(self) -> HFGenerator | None:
        """The local `HFGenerator` behind the chat model, when there is one (option log-likelihood needs it)."""
        from model.chat_models import ChatClinicalGPT
        from model.generators import HFGenerator

        llm = self.llm
        if isinstance(llm, ChatClinicalGPT) and isinstance(llm.generator, HFGenerator):
            return llm.generator
        return None


# -- prompts ------------------------------------------------------------------------------------------
def format_options(options: dict[str, str]) -> str:
    """Options one per line: `A. text`."""
    return "\n".join(f"{letter}. {text}" for letter, text in options.items())


def _fields(item: Item) -> dict[str, str]:
    if isinstance(item, MCItem):
        return {"question": item.question, "options": format_options(item.options)}
    if isinstance(item, QAItem | RetrievalItem):
        return {"question": item.question}
    if isinstance(item, ConsultationItem):
        return {"dialogue": item.dialogue, "target": item.target or ""}
    if isinstance(item, DiagnosisItem):
        return {"record": item.record}
    msg = f"no prompt fields for {type(item).__name__}"
    raise TypeError(msg)


def render_prompt(task: TaskConfig, item: Item, context: str = "") -> str:
    """The task's prompt for one item; `{context}` is the passages (empty in closed mode).

    A template without `{context}` gets the passages in front of it in RAG mode.
    """
    values = _fields(item) | {"context": context}
    names = {name for _, name, _, _ in string.Formatter().parse(task.prompt) if name}
    unknown = sorted(names - set(values))
    if unknown:
        msg = f"task `{task.name}`: `prompt` uses {', '.join('{' + n + '}' for n in unknown)}, which "
        msg += f"{type(item).__name__} items do not have (use {', '.join('{' + k + '}' for k in sorted(values))})"
        raise TaskConfigError(msg)
    text = task.prompt.format_map(values)
    if context and "context" not in names:
        text = f"{context}\n\n{text}"
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _query(text: str, settings: AppSettings) -> str:
    """Retrieval query: the input cut to `retrieval.max_query_chars` (vignettes can be long)."""
    limit = settings.retrieval.max_query_chars
    return text if len(text) <= limit else text[-limit:]


# -- generation --------------------------------------------------------------------------------------
def generate(res: Resources, prompt: str, max_tokens: int) -> str:
    """One generated answer; raises `ItemTimeoutError` when it ran into `generator.timeout`."""
    from langchain_core.messages import HumanMessage

    timeout = res.settings.generator.timeout
    started = time.perf_counter()
    message = res.llm.invoke([HumanMessage(prompt)], max_tokens=max_tokens)
    seconds = time.perf_counter() - started
    if timeout is not None and seconds >= timeout:
        msg = f"generation took {seconds:.1f}s, past generator.timeout = {timeout:g}s (the answer was cut)"
        raise ItemTimeoutError(msg)
    return message.text if isinstance(message.text, str) else str(message.content)


def retrieve(
    res: Resources, query: str, *, k: int | None = None, mode: ProductSearchMode | None = None
) -> list[Document]:
    """The searcher's documents (chunk records) for a question-only query."""
    return res.searcher.search(_query(query, res.settings), k=k, mode=mode).documents


def context_block(res: Resources, docs: list[Document]) -> tuple[str, dict[str, str]]:
    """The passages as the product shows them (numbered, quoted as data, within `answer.context_tokens`)."""
    from rag.context import pack_contexts
    from rag.prompts import render_sources

    s = res.settings.answer
    sources = pack_contexts(docs, s.context_tokens, max_blocks=s.max_blocks)
    return render_sources(sources), {str(d.id): d.page_content for d in sources}


# -- multiple choice ---------------------------------------------------------------------------------
def exam_predictor(task: TaskConfig, mode: Mode, res: Resources, mc: MCMethod) -> Predictor:
    """Multiple choice in closed or RAG mode: option log-likelihood, or generate and parse."""
    from eval.metrics.choice import parse_choice

    def predict(item: Item) -> Prediction:
        assert isinstance(item, MCItem)
        extras: dict[str, Any] = {}
        context = ""
        if mode == "rag":
            docs = retrieve(res, item.question)
            if not docs:
                return Prediction(status="no_context", error="retrieval returned no passage")
            context, passages = context_block(res, docs)
            extras["retrieved_ids"] = list(passages)
        prompt = render_prompt(task, item, context)
        generator = res.likelihood_generator() if mc == "likelihood" else None
        if generator is not None:
            from eval.likelihood import choose, score_options

            scores = score_options(generator, [{"role": "user", "content": prompt}], item.options)
            extras["option_logprobs"] = {s.letter: round(s.logprob, 4) for s in scores}
            extras["option_tokens"] = {s.letter: s.tokens for s in scores}
            extras["method"] = "likelihood"
            return Prediction(prediction=choose(scores), extras=extras)
        text = generate(res, prompt, EXAM_MAX_TOKENS)
        extras["method"] = "generate"
        letter = parse_choice(text, list(item.options), item.options)
        if letter is None:
            return Prediction(
                status="parse_error", raw=text, error="no single option letter in the answer", extras=extras
            )
        return Prediction(prediction=letter, raw=text, extras=extras)

    return predict


def option_support(res: Resources, item: MCItem, hits: list[Document]) -> tuple[str, dict[str, float]]:
    """The retrieval-only choice (see the module docstring) and each option's support."""
    import numpy as np

    from knowledge.lexical import tokenize

    embed = res.kb.embeddings.embed_array
    passages = embed([f"{h.metadata.get('title') or ''}\n{h.page_content}" for h in hits])
    queries = embed([f"{item.question} {text}" for text in item.options.values()])
    support = (queries @ passages.T).max(axis=1)
    passage_words = set(tokenize(" ".join(h.page_content for h in hits)))
    overlap = {
        letter: len(set(tokenize(text)) & passage_words) / max(len(set(tokenize(text))), 1)
        for letter, text in item.options.items()
    }
    letters = list(item.options)
    best = float(np.max(support))
    tied = [letter for letter, value in zip(letters, support, strict=True) if best - float(value) <= 1e-6]
    choice = max(tied, key=lambda letter: (overlap[letter], -letters.index(letter)))
    return choice, {letter: round(float(value), 6) for letter, value in zip(letters, support, strict=True)}


def exam_retrieval_only(res: Resources) -> Predictor:
    """Multiple choice without a generator: the option the retrieved passages support best."""

    def predict(item: Item) -> Prediction:
        assert isinstance(item, MCItem)
        docs = retrieve(res, item.question)
        if not docs:
            return Prediction(status="no_context", error="retrieval returned no passage")
        choice, support = option_support(res, item, docs)
        return Prediction(
            prediction=choice, extras={"option_support": support, "retrieved_ids": [str(h.id) for h in docs]}
        )

    return predict


# -- long-form QA and consultation -------------------------------------------------------------------
def _input_text(item: Item) -> str:
    if isinstance(item, QAItem | RetrievalItem | MCItem):
        return item.question
    if isinstance(item, ConsultationItem):
        return item.dialogue
    if isinstance(item, DiagnosisItem):
        return item.record
    raise TypeError(type(item).__name__)


def cited_answer_prediction(answer: Any, *, drop_unsupported: bool = False) -> Prediction:
    """A `CitedAnswer` as a prediction.

    The prediction is the answer's sentences as the user sees them (dropped ones, and unsupported ones when
    `answer.unsupported` is `drop`, left out), without citation markers or flags; `extras` holds the sentences
    with the chunk ids they cite, the passages shown, the rendered answer and why it was refused, if it was.
    """
    ids = {n: str(doc.id) for n, doc in enumerate(answer.contexts, start=1)}
    shown = [s for s in answer.sentences if not s.dropped and (s.supported or not drop_unsupported)]
    extras: dict[str, Any] = {
        "sentences": [
            {"text": s.text, "citations": [ids[n] for n in s.citations if n in ids], "supported": s.supported}
            for s in shown
        ],
        "passages": {str(doc.id): doc.page_content for doc in answer.contexts},
        "rendered_answer": answer.answer,
        "citation_origin": answer.citation_origin,
        "refusal_reason": answer.refusal_reason,
        "settings_hash": answer.settings_hash,
    }
    if answer.refused:
        status: Status = "no_context" if answer.refusal_reason == "no_context" else "refused"
        return Prediction(
            status=status, prediction=answer.answer, error=f"refused: {answer.refusal_reason}", extras=extras
        )
    return Prediction(prediction=" ".join(s.text for s in shown) or answer.answer, extras=extras)


def text_predictor(task: TaskConfig, mode: Mode, res: Resources) -> Predictor:
    """QA and consultation: generate (closed, RAG through the prompt), or the product chain for RAG QA."""
    max_tokens = res.settings.answer.max_new_tokens

    def predict(item: Item) -> Prediction:
        if mode == "rag" and isinstance(item, QAItem):
            drop = res.settings.answer.unsupported == "drop"
            return cited_answer_prediction(res.assistant.ask(item.question), drop_unsupported=drop)
        extras: dict[str, Any] = {}
        context = ""
        if mode == "rag":
            docs = retrieve(res, _input_text(item))
            if not docs:
                return Prediction(status="no_context", error="retrieval returned no passage")
            context, passages = context_block(res, docs)
            extras["passages"] = passages
        text = generate(res, render_prompt(task, item, context), max_tokens)
        if not text.strip():
            return Prediction(status="parse_error", raw=text, error="empty answer", extras=extras)
        return Prediction(prediction=text.strip(), raw=text, extras=extras)

    return predict


def text_retrieval_only(res: Resources) -> Predictor:
    """QA and consultation without a generator: the top passage is the answer."""

    def predict(item: Item) -> Prediction:
        docs = retrieve(res, _input_text(item))
        if not docs:
            return Prediction(status="no_context", error="retrieval returned no passage")
        top = docs[0]
        return Prediction(
            prediction=top.page_content,
            extras={
                "sentences": [{"text": top.page_content, "citations": [str(top.id)]}],
                "passages": {str(d.id): d.page_content for d in docs},
                "retrieved_ids": [str(d.id) for d in docs],
            },
        )

    return predict


# -- diagnosis ---------------------------------------------------------------------------------------
_LIST_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.):-]|[-*•])\s*(.+?)\s*$")
_CUT = re.compile(r"\s+[-–—]\s+|:\s|\s*\(|\s+because\b|\s+due to\b|\s+with\s+probability\b", re.IGNORECASE)


def _clean_dx(text: str) -> str:
    text = text.replace("*", "").strip()
    text = re.sub(r"^(?:most likely|likely|probable|possible)?\s*diagnos[ie]s\s*(?:is|:)?\s*", "", text, flags=re.I)
    text = _CUT.split(text, maxsplit=1)[0]
    return text.strip(" .;,:\"'")


def parse_diagnoses(text: str, top: int = TOP_DIAGNOSES) -> list[str] | None:
    """Diagnosis names from a generated answer, most likely first, or None when none can be read.

    Reads a numbered or bulleted list ("1. Pneumonia – because…"), else one line of names separated by commas
    or semicolons, else a single short line. Explanations after a dash, colon, parenthesis or "because" are
    cut; names longer than 12 words are not names.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    listed = [m.group(1) for m in (_LIST_LINE.match(line) for line in lines) if m]
    if listed:
        candidates = listed
    elif lines and re.search(r"[,;]", lines[0]):
        candidates = re.split(r"[,;]|\bor\b", lines[0])
    elif lines:
        candidates = [lines[0]]
    else:
        candidates = []
    names: list[str] = []
    for candidate in candidates:
        name = _clean_dx(candidate)
        if name and len(name.split()) <= 12 and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names[:top] or None


def diagnosis_predictor(task: TaskConfig, mode: Mode, res: Resources) -> Predictor:
    """Diagnosis by generation: a ranked list of up to five diagnoses, parsed into names."""

    def predict(item: Item) -> Prediction:
        assert isinstance(item, DiagnosisItem)
        extras: dict[str, Any] = {}
        context = ""
        if mode == "rag":
            docs = retrieve(res, item.record)
            if not docs:
                return Prediction(status="no_context", error="retrieval returned no passage")
            context, passages = context_block(res, docs)
            extras["passages"] = passages
        text = generate(res, render_prompt(task, item, context), DIAGNOSIS_MAX_TOKENS)
        names = parse_diagnoses(text)
        if names is None:
            return Prediction(status="parse_error", raw=text, error="no diagnosis list in the answer", extras=extras)
        return Prediction(prediction=names, raw=text, extras=extras)

    return predict


#: Synonyms kept per knowledge-graph candidate for name matching (`extras.dx_aliases`).
MAX_DX_ALIASES = 20


def _aliases(res: Resources, kg_id: str) -> list[str]:
    """The graph's other names for a candidate: "gastroesophageal reflux disease" is also "GERD"."""
    graph = res.kb.graph
    synonyms = (graph.nodes[kg_id].get("synonyms") or []) if kg_id in graph else []
    return [str(name) for name in synonyms][:MAX_DX_ALIASES]


def diagnosis_retrieval_only(res: Resources) -> Predictor:
    """Diagnosis without a generator: the batch diagnoser's knowledge-graph differential (`model.diagnosis`)."""
    from knowledge.graph.link import EntityLinker
    from model.diagnosis.diagnose import Diagnoser
    from model.diagnosis.records import PatientRecord
    from model.diagnosis.scoring import KGScorer

    diagnosers: list[Diagnoser] = []

    def predict(item: Item) -> Prediction:
        assert isinstance(item, DiagnosisItem)
        if not diagnosers:  # built on first use: the graph's profiles take a few seconds
            diagnosers.append(Diagnoser(KGScorer(res.kb.graph), EntityLinker(res.kb.graph), top=TOP_DIAGNOSES))
        codes = item.meta.get("evidence_codes") if isinstance(item.meta, dict) else None
        record = PatientRecord(
            id=item.id, source=item.id, text=item.record, evidence_codes=[str(c) for c in codes or []]
        )
        row = diagnosers[0](record)
        if row.status != "ok" or not row.differential:
            return Prediction(status="no_context", error=row.message or "no finding of the record links to the graph")
        return Prediction(
            prediction=[c.name for c in row.differential],
            extras={
                "ranked_node_ids": [c.kg_id for c in row.differential],
                "dx_scores": [c.score for c in row.differential],
                "dx_codes": [c.icd10 for c in row.differential],
                "dx_aliases": [_aliases(res, c.kg_id) for c in row.differential],
                "model": row.model,
            },
        )

    return predict


# -- retrieval family --------------------------------------------------------------------------------
def naive_retrieve(res: Resources, query: str, k: int) -> list[Document]:
    """The `naive` baseline: the searcher's own dense and BM25 lists, fused by plain RRF (equal weights)."""
    searcher = res.searcher
    text = _query(query, res.settings)
    n = max(searcher.settings.candidates, k)
    lists = {"dense": searcher.dense_rows(searcher.kb.embed_query(text), n), "bm25": searcher.bm25_rows(text, n)}
    ranked, _ = searcher.fuse(lists, {"dense": 1.0, "bm25": 1.0})
    return [searcher.kb.chunks[row].to_document() for row, _ in ranked[:k]]


def retrieval_predictor(res: Resources, search_mode: SearchMode) -> Predictor:
    """Ranked chunk ids from one searcher mode, with their pages (`extras["ranked_urls"]`) and documents."""

    def predict(item: Item) -> Prediction:
        if search_mode == "naive":
            docs = naive_retrieve(res, _input_text(item), RETRIEVAL_K)
        else:
            docs = retrieve(res, _input_text(item), k=RETRIEVAL_K, mode=search_mode)
        if not docs:
            return Prediction(status="no_context", prediction=[], error="retrieval returned no result")
        return Prediction(
            prediction=[str(h.id) for h in docs],
            extras={
                "ranked_urls": [h.metadata.get("url") for h in docs],
                "ranked_doc_ids": [h.metadata.get("doc_id") for h in docs],
                "top_texts": [h.page_content for h in docs[:COVERAGE_K]],
                "search_mode": search_mode,
            },
        )

    return predict


def build_predictor(
    task: TaskConfig, mode: Mode, res: Resources, *, mc: MCMethod = "likelihood", search_mode: SearchMode = "hybrid"
) -> Predictor:
    """The predictor for a task family in a mode."""
    family = task.family
    if family == "retrieval":
        return retrieval_predictor(res, search_mode)
    if mode == "retrieval-only":
        if family == "exam":
            return exam_retrieval_only(res)
        if family == "diagnosis":
            return diagnosis_retrieval_only(res)
        return text_retrieval_only(res)
    if family == "exam":
        return exam_predictor(task, mode, res, mc)
    if family == "diagnosis":
        return diagnosis_predictor(task, mode, res)
    return text_predictor(task, mode, res)
