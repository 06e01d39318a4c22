"""`ClinicalAssistant`: settings → knowledge base, hybrid retriever, chat model and the grounded QA chain.

from model import load_assistant
assistant = load_assistant(kb_dir="~/.cache/clinicalgpt/kb")
answer = assistant.ask("What are the symptoms of myocarditis?")
print(answer.render_text())
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from functools import cached_property
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel

from knowledge.kb import KnowledgeBase
from model.chat_models import ChatClinicalGPT
from model.generators import load_generator, openai_chat_model, shipped_adapter
from model.settings import AppSettings, load_settings
from rag.chain import ClinicalQAChain, build_qa_chain
from rag.retrieve import HybridSearcher
from rag.retrievers import ClinicalRetriever
from rag.schema import CitedAnswer

logger = logging.getLogger(__name__)


def build_chat_model(settings: AppSettings) -> BaseChatModel:
    """The chat model named by `generator.spec`: ours for local models, `ChatOpenAI` for `openai:URL[#model]`."""
    g = settings.generator
    if g.spec.startswith("openai:"):
        return openai_chat_model(g.spec, temperature=g.temperature, timeout=g.timeout, max_retries=1)
    adapter = g.adapter
    if adapter is None and g.spec == "default" and g.use_shipped_adapter:
        adapter = shipped_adapter()
    generator = load_generator(g.spec, adapter=adapter, cache_dir=g.cache_dir)
    return ChatClinicalGPT.from_generator(
        generator, adapter=str(adapter) if adapter else None, temperature=g.temperature, timeout=g.timeout
    )


def resolve_answer_mode(settings: AppSettings, *, injected_llm: bool = False) -> Literal["extractive", "generative"]:
    """`answer.mode`, with `auto` resolved: the embedded default model's answers are quoted from the sources
    (it wastes good context, see README "Answer modes"); any other model (`hf:`, `openai:`, or one passed in)
    writes, every sentence checked."""
    mode = settings.answer.mode
    if mode != "auto":
        return mode
    return "extractive" if not injected_llm and settings.generator.spec == "default" else "generative"


class ClinicalAssistant:
    """Ask questions, get cited answers (or an honest refusal)."""

    def __init__(
        self, settings: AppSettings, *, kb: KnowledgeBase | None = None, llm: BaseChatModel | None = None
    ) -> None:
        self.settings = settings
        self._kb = kb
        self._llm = llm

    @cached_property
    def kb(self) -> KnowledgeBase:
        """The knowledge base (loaded on first use)."""
        return self._kb or KnowledgeBase.load(self.settings.knowledge_settings().resolved_kb_dir())

    @cached_property
    def llm(self) -> BaseChatModel:
        """The chat model (weights load on the first answer)."""
        return self._llm or build_chat_model(self.settings)

    @cached_property
    def retriever(self) -> ClinicalRetriever:
        """Hybrid retriever over the knowledge base."""
        # k and mode stay unset: the searcher reads them from `retrieval` settings, their one home.
        return ClinicalRetriever(searcher=HybridSearcher(self.kb, self.settings.retrieval))

    @property
    def answer_mode(self) -> Literal["extractive", "generative"]:
        """`answer.mode` resolved (see `resolve_answer_mode`)."""
        return resolve_answer_mode(self.settings, injected_llm=self._llm is not None)

    def chain(self, k: int | None = None) -> ClinicalQAChain:
        """The QA chain, optionally with a different number of retrieved passages.

        An extractive chain never touches the generator, so its weights are not even loaded."""
        mode = self.answer_mode
        if k is None and mode == "extractive":
            # Quoting has no prompt to fit: more passages give the composer more sentences to choose from.
            k = max(self.settings.retrieval.k, self.settings.answer.extractive_sources)
        retriever = self.retriever if k is None else self.retriever.model_copy(update={"k": k})
        return build_qa_chain(
            retriever,
            self.llm if mode == "generative" else None,
            self.settings.answer.model_copy(update={"mode": mode}),
            embeddings=self.kb.embeddings,
            vocabulary=self.retriever.searcher,
            settings_hash=self.settings.settings_hash(),
        )

    def ask(self, question: str, *, history: list[dict[str, str]] | None = None, k: int | None = None) -> CitedAnswer:
        """Answer one question (with optional conversation history)."""
        return self.chain(k).invoke({"question": question, "history": history or []})

    def stream(
        self, question: str, *, history: list[dict[str, str]] | None = None, k: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Token events, then `{"type": "answer", "answer": CitedAnswer}`."""
        yield from self.chain(k).stream({"question": question, "history": history or []})

    def warm_up(self) -> dict[str, float]:
        """Load the knowledge base, embedder and (for generative answers) generator now; seconds each took."""
        timings = {}
        t0 = time.perf_counter()
        _ = self.kb
        self.kb.embed_query("warm-up")
        timings["knowledge_base_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if self.answer_mode == "generative" and isinstance(self.llm, ChatClinicalGPT):
            self.llm.generator.count_tokens("warm-up")  # loads tokenizer and weights
        timings["generator_s"] = time.perf_counter() - t0
        return timings


def load_assistant(settings: AppSettings | None = None, **overrides: Any) -> ClinicalAssistant:
    """An assistant from settings (environment + overrides such as `kb_dir=...`)."""
    return ClinicalAssistant(settings or load_settings(None, **overrides))
