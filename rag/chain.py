"""The grounded QA chain: red flags → retrieve → pack → compose or generate → check citations.

`ClinicalQAChain` is a LangChain `Runnable` built from *any* retriever and, for generative answers, *any* chat
model. Input is a question string or `{"question": ..., "history": [{"role", "content"}, ...]}`; output is a
`CitedAnswer`. `invoke`, `batch` and `ainvoke` work as for any runnable; `stream` yields
`{"type": "red_flags", "red_flags": [...]}` first when the message describes an emergency (before any
retrieval or generation), `{"type": "token", "text"}` events while a model writes, and ends with
`{"type": "answer", "answer": CitedAnswer}`.

Two answer modes (`answer.mode`): `extractive` quotes source sentences chosen by `rag.extractive` (no chat
model needed); `generative` lets the chat model write and checks every sentence against its citations.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import run_in_executor

from knowledge.schema import json_hash
from rag.citations import CitationOrigin, SentenceCheck, VerifySupport, check_sentences, render_answer
from rag.context import (
    ATTRIBUTION,
    LICENCE,
    SECTION,
    SOURCE,
    URL,
    pack_contexts,
    source_flags,
    source_title,
    source_trust,
)
from rag.errors import RetrievalError
from rag.extractive import (
    Candidate,
    EmbedTexts,
    ExtractiveAnswer,
    cited_as_curated,
    compose,
    drugs_named,
    on_focus,
    quotable,
)
from rag.intent import COMBINATION_QUESTION, addresses_aspect, cue_intent, detect_intent, single_question
from rag.policies.personal import personal_verdict_question
from rag.policies.screen import Screening, Vocabulary, echoes, screen_question, screen_sentences
from rag.policies.spelling import respell, spelling_notice
from rag.prompts import REFUSAL_SENTINEL, build_messages
from rag.retrieve import require_text, retrieval_info
from rag.safety import DISCLAIMER, RedFlag, clarifying_question, detect_red_flags, missing_key_facts, mostly_non_latin
from rag.schema import Citation, CitedAnswer, ModelInfo
from rag.settings import AnswerSettings
from rag.support import check_support

#: What `ModelInfo.name` says when no model wrote the answer.
EXTRACTIVE_MODEL = "extractive"
#: Generative answers refused for these reasons are replaced by the extractive answer, when there is one.
FALLBACK_REASONS = frozenset({"no_supported_sentence", "echo", "empty_answer"})

logger = logging.getLogger(__name__)

REFUSAL_TEXT = (
    "Insufficient evidence: the knowledge base does not contain enough reliable information to answer this question."
)
#: Refusals that say more than "insufficient evidence", by reason.
REFUSAL_MESSAGES = {
    "aspect_not_found": (
        "The sources I found are on this topic but do not say what you asked, so I cannot answer it: a pharmacist "
        "or clinician can."
    ),
    "not_english": (
        "ClinicalGPT answers questions in English only: its knowledge base and model are English. "
        "Please ask again in English."
    ),
}
_LC_ROLES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


def _parse_input(value: Any, settings: AnswerSettings) -> tuple[str, list[dict[str, str]]]:
    if isinstance(value, dict):
        question, history = value.get("question"), value.get("history") or []
    else:
        question, history = value, []
    question = require_text(
        question, field="question", setting="answer.max_question_chars", max_chars=settings.max_question_chars
    )
    for i, turn in enumerate(history):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            msg = f"`history[{i}]` must be {{'role': 'user'|'assistant', 'content': str}}"
            raise RetrievalError(msg)
    return question, history[-settings.history_turns :] if settings.history_turns else []


def condense_query(question: str, history: list[dict[str, str]], max_chars: int = 1000) -> str:
    """Retrieval query for a conversation: the question plus the user's earlier turns, newest first.

    Follow-ups such as "how is it treated?" carry no topic; the user's own earlier words do. This is a
    rule, not a model call, so it is fast and cannot invent facts.
    """
    earlier = [t["content"] for t in reversed(history) if t["role"] == "user"]
    return " ".join([question, *earlier])[:max_chars]


def normalised_embedder(embeddings: Embeddings) -> EmbedTexts:
    """`texts → L2-normalised rows` over any LangChain `Embeddings` (our own has a faster array path)."""
    fast = getattr(embeddings, "embed_array", None)

    def embed(texts: list[str]) -> np.ndarray:
        rows = np.asarray(fast(texts) if callable(fast) else embeddings.embed_documents(texts), dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1.0, norms)

    return embed


class ClinicalQAChain(Runnable[Any, CitedAnswer]):
    """Grounded, cited question answering over a retriever, and a chat model for generative answers."""

    def __init__(
        self,
        retriever: BaseRetriever,
        llm: BaseChatModel | None = None,
        settings: AnswerSettings | None = None,
        *,
        embeddings: Embeddings | None = None,
        vocabulary: Vocabulary | None = None,
        settings_hash: str | None = None,
    ) -> None:
        self.retriever = retriever
        self.llm = llm
        self.settings = settings or AnswerSettings()
        self.embeddings = embeddings
        # What the knowledge base knows by name (unknown terms, what an answer must be about); without it only
        # the passages can vouch for a term, and extractive answers are not held to the question's entities.
        self.vocabulary = vocabulary
        self.settings_hash = settings_hash or json_hash(self.settings.model_dump(mode="json"))
        mode = self.settings.mode
        if mode == "auto":
            mode = "generative" if llm is not None else "extractive"
        if mode == "generative" and llm is None:
            msg = "`answer.mode` is `generative` but the chain has no chat model; pass `llm=` or use `extractive`"
            raise RetrievalError(msg)
        self.mode: Literal["extractive", "generative"] = mode

    def _verifier(self) -> VerifySupport | None:
        """The support check for generated sentences (quoted ones are the passage's own words)."""
        s = self.settings
        if not s.support_check:
            return None
        embed = normalised_embedder(self.embeddings) if self.embeddings is not None else None
        entities = self.vocabulary.entity_ids if self.vocabulary is not None else None

        def verify(sentence: str, passages: list[str]) -> tuple[str, list[str]]:
            result = check_support(
                sentence,
                passages,
                entities=entities,
                embed=embed,
                min_similarity=s.support_min_similarity,
                min_lexical=s.support_min_lexical,
            )
            return result.label, result.reasons

        return verify

    def _compose(self, question: str, sources: list[Document]) -> ExtractiveAnswer:
        """The extractive answer (question typing and embeddings only when an embedder was given)."""
        s = self.settings
        embed = normalised_embedder(self.embeddings) if self.embeddings is not None else None
        model_name = getattr(self.embeddings, "model_name", None)
        classify = None
        if isinstance(model_name, str):
            cues = s.intent_cues

            def classify(vector: np.ndarray, text: str) -> str | None:
                return detect_intent(vector, model_name, text if cues else None)

        return compose(
            question,
            sources,
            embed=embed,
            classify=classify,
            focus=self.vocabulary.focus_names(question) if self.vocabulary is not None else None,
            max_sentences=s.extractive_max_sentences,
            max_words=s.extractive_max_words,
            min_relevance=s.extractive_min_relevance,
            section_bonus=s.extractive_section_bonus,
            pair_bonus=s.extractive_pair_bonus,
        )

    def _off_aspect(self, question: str, composed: ExtractiveAnswer, sources: list[Document]) -> bool:
        """Whether a one-sentence question asks what no composed sentence says: a type its wording states
        (`cue_intent`, `addresses_aspect`), or two medicines taken together when no sentence names both."""
        if not (self.settings.aspect_check and self.settings.intent_cues) or not single_question(question):
            return False
        if COMBINATION_QUESTION.search(question) and self.vocabulary is not None:
            focus = self.vocabulary.focus_names(question)  # linked only for combination wording
            if sum(kind == "drug" for kind, _ in focus) >= 2:
                return not any(drugs_named(c, sources, focus) >= 2 for c in composed.sentences)
        intent = cue_intent(question)
        return not any(
            addresses_aspect(intent, c.text, sources[c.source - 1].metadata.get(SECTION)) for c in composed.sentences
        )

    def _mark_off_focus(self, question: str, checks: list[SentenceCheck], sources: list[Document]) -> None:
        """Mark unsupported the generated sentences that are about another disease or drug than the question names,
        as the extractive composer never quotes them (`rag.extractive.on_focus`): the adapter answered "What are
        the symptoms of myocarditis?" with pericarditis's chest pain, each sentence supported by its passage."""
        focus = self.vocabulary.focus_names(question) if self.vocabulary is not None else None
        if not focus:
            return
        for check in checks:
            if not check.supported or not check.citations:
                continue
            if not any(
                on_focus(Candidate(text=check.text, source=n, position=0), sources, focus)
                for n in check.citations
                if 1 <= n <= len(sources)
            ):
                check.supported = False
                check.issues.append("unsupported:off_focus")

    # -- steps --------------------------------------------------------------------------------------
    def _retrieve(self, query: str, config: RunnableConfig | None) -> tuple[list[Document], float]:
        t0 = time.perf_counter()
        docs = self.retriever.invoke(query, config=config)
        return docs, (time.perf_counter() - t0) * 1000

    def _gate(self, docs: list[Document]) -> str | None:
        """Why to refuse before generating, or None to go ahead.

        The confidence floor reads the `retrieval` block our retriever adds; documents from another retriever
        have none, so only "no documents at all" refuses them here (citation checks still apply).
        """
        if not docs:
            return "no_context"
        infos = [info for info in map(retrieval_info, docs) if info is not None]
        dense = [info.scores["dense"] for info in infos if "dense" in info.scores]
        linked = any({"entity", "kg"} & set(info.ranks) for info in infos)
        floor = self.settings.min_dense_score_linked if linked else self.settings.min_dense_score
        if dense and max(dense) < floor:
            return "low_retrieval_confidence"
        return None

    def _sources(self, docs: list[Document]) -> list[Document]:
        """The numbered sources: the generator's prompt budget, or for extractive answers more and whole passages
        without the knowledge-graph listings, which are never quoted and would only take a quotable passage's
        place ("is optic atrophy genetic?" retrieves five `about` listings of optic atrophy subtypes first)."""
        s = self.settings
        if self.mode == "generative":
            return pack_contexts(docs, s.context_tokens, max_blocks=s.max_blocks)
        return pack_contexts(
            [cited_as_curated(d) for d in docs if quotable(d)],
            s.extractive_context_tokens,
            max_blocks=s.extractive_sources,
        )

    def _messages(self, question: str, history: list[dict[str, str]], sources: list[Document]) -> list[BaseMessage]:
        return [_LC_ROLES[m["role"]](content=m["content"]) for m in build_messages(question, sources, history)]

    def _finish(
        self,
        question: str,
        query: str,
        history: list[dict[str, str]],
        sources: list[Document],
        raw: str | None,
        refusal: str | None,
        model: ModelInfo,
        timings: dict[str, float],
        *,
        lead: str | None,
        red_flags: list[RedFlag],
        screening: Screening,
        mode: Literal["extractive", "generative"] | None = None,
    ) -> CitedAnswer:
        s = self.settings
        mode = mode or self.mode
        notices = list(screening.notices)
        user_text = " ".join([*(t["content"] for t in history if t["role"] == "user"), question])
        checks: list[SentenceCheck] = []
        dropped: list[str] = []
        origin: CitationOrigin = "none"
        answer = REFUSAL_TEXT
        if refusal is None and raw is not None:
            if REFUSAL_SENTINEL in raw or not any(ch.isalpha() for ch in raw):
                # No letters at all ("[", "1000…") is no answer either.
                refusal = "model_refused" if REFUSAL_SENTINEL in raw else "empty_answer"
            else:
                checks, dropped, origin = check_sentences(
                    raw,
                    [d.page_content for d in sources],
                    [str(d.id) for d in sources],
                    min_support=s.min_support,
                    attribute=s.attribute_uncited,
                    flags=[source_flags(d) for d in sources],
                    trust=[source_trust(d) for d in sources],
                    verify=self._verifier() if mode == "generative" else None,
                )
                if mode == "generative":
                    self._mark_off_focus(question, checks, sources)
                notices += screen_sentences(
                    checks,
                    [d.page_content for d in sources],
                    [source_trust(d) for d in sources],
                    personal=screening.personal is not None,
                )
                answer = render_answer(checks, drop_unsupported=s.unsupported == "drop")
                if echoes(checks, question):
                    refusal = "echo"
                elif not answer:
                    refusal = "no_supported_sentence"
                    answer = REFUSAL_TEXT
        shown = [c for c in checks if not c.dropped and (s.unsupported == "flag" or c.supported)]
        cited = sorted({n for c in shown for n in c.citations})
        citations = [
            Citation(
                n=n,
                id=str(d.id),
                source=str(d.metadata.get(SOURCE) or "unknown"),
                title=source_title(d),
                url=d.metadata.get(URL),
                licence=d.metadata.get(LICENCE),
                attribution=d.metadata.get(ATTRIBUTION),
                trust=source_trust(d),
                flags=source_flags(d),
            )
            for n, d in enumerate(sources, start=1)
            if n in cited
        ]
        # An emergency gets the urgent notice, never a request for age, duration and severity instead.
        missing = [] if red_flags else missing_key_facts(user_text)
        if mode == "extractive" and origin == "model":
            origin = "extractive"
        return CitedAnswer(
            question=question,
            retrieval_query=query,
            mode=mode,
            lead=lead if refusal is None else None,
            answer=answer if refusal is None else screening.message or REFUSAL_MESSAGES.get(refusal, REFUSAL_TEXT),
            # A refusal keeps the question's own notices (a dose question still learns where doses come from).
            policy_notices=list(dict.fromkeys(notices if refusal is None else screening.notices)),
            citations=citations if refusal is None else [],
            contexts=sources,
            sentences=checks,
            citation_origin=origin if refusal is None else "none",
            dropped_citations=dropped,
            refused=refusal is not None,
            refusal_reason=refusal,
            red_flags=red_flags,
            clarifying_question=clarifying_question(missing),
            notice=DISCLAIMER,
            model=model,
            settings_hash=self.settings_hash,
            timings_ms={k: round(v, 1) for k, v in timings.items()},
        )

    def _model_info(self, message: AIMessage | None) -> ModelInfo:
        meta = message.response_metadata if message is not None else {}
        fallback = self.llm._llm_type if self.llm is not None else EXTRACTIVE_MODEL
        return ModelInfo(name=str(meta.get("model_name") or fallback), adapter=meta.get("adapter"))

    # -- runnable interface -------------------------------------------------------------------------
    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> CitedAnswer:
        """Answer one question (see module docstring for the input forms)."""
        final: CitedAnswer | None = None
        for event in self._run(input, config, stream=False):
            if event["type"] == "answer":
                final = event["answer"]
        assert final is not None  # _run always ends with an answer event
        return final

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        """Yield the red-flag event (if any), token events while a model writes, then the final answer event."""
        yield from self._run(input, config, stream=True)

    async def astream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Async `stream`: the synchronous pipeline runs in an executor, events are relayed as they come."""
        iterator = self._run(input, config, stream=True)
        done = object()
        while True:
            event = await run_in_executor(config, next, iterator, done)
            if event is done:
                break
            yield event

    def _run(self, input: Any, config: RunnableConfig | None, *, stream: bool) -> Iterator[dict[str, Any]]:
        started = time.perf_counter()
        question, history = _parse_input(input, self.settings)
        # "help about rabbies": the question as the knowledge base spells its names, for every step but the red
        # flags (which read the user's own words).
        fixes = self.vocabulary.spelling(question) if self.vocabulary is not None else {}
        read = respell(question, fixes)
        personal = personal_verdict_question(read)
        # "Is the mole on my shoulder melanoma?" is answered as the general question it contains ("melanoma").
        asked = personal.general_topic if personal is not None and personal.general_topic else read
        query = condense_query(asked, history)
        logger.debug("question: %s", question)  # patient text: DEBUG only
        user_text = " ".join([*(t["content"] for t in history if t["role"] == "user"), question])
        embed = normalised_embedder(self.embeddings) if self.embeddings is not None else None
        red_flags = detect_red_flags(user_text, embed=embed, model=getattr(self.embeddings, "model_name", None))
        if red_flags:
            # The urgent notice comes before anything slow: retrieval and generation can wait, the reader cannot.
            yield {"type": "red_flags", "red_flags": red_flags}
        if mostly_non_latin(question):
            # Nothing to retrieve: every source is English, and a refusal should say why.
            docs: list[Document] = []
            retrieve_ms = 0.0
            refusal: str | None = "not_english"
            screening = Screening()
        else:
            docs, retrieve_ms = self._retrieve(query, config)
            # Unknown terms before the confidence floor: "I found nothing about 'X'" says more than "low retrieval
            # confidence". No passage at all is plainer still (`no_context`).
            screening = screen_question(read, [d.page_content for d in docs], self.vocabulary)
            if fixes:
                screening.notices.insert(0, spelling_notice(fixes))
            refusal = (screening.refusal if docs else None) or self._gate(docs)
        sources = self._sources(docs)
        raw: str | None = None
        lead: str | None = None
        message: AIMessage | None = None
        model = ModelInfo(name=EXTRACTIVE_MODEL)
        t0 = time.perf_counter()
        if refusal is None and self.mode == "extractive":
            # The condensed query: a follow-up ("will he need new lungs?") is about what the user said before.
            composed = self._compose(query, sources)
            raw, lead = composed.text(), composed.lead
            if not composed.sentences:
                refusal = "no_relevant_sentence"
            elif self._off_aspect(query, composed, sources):
                refusal = "aspect_not_found"
        elif refusal is None:
            assert self.llm is not None  # checked in __init__
            messages = self._messages(read, history, sources)
            options: dict[str, Any] = {"max_tokens": self.settings.max_new_tokens}  # model kwargs, not `stop`
            if stream:
                merged = None
                for chunk in self.llm.stream(messages, config=config, **options):
                    merged = chunk if merged is None else merged + chunk
                    if chunk.text:
                        yield {"type": "token", "text": chunk.text}
                message = AIMessage(
                    content=merged.text if merged else "", response_metadata=merged.response_metadata if merged else {}
                )
            else:
                message = self.llm.invoke(messages, config=config, **options)
            raw = message.text if message is not None else ""
            model = self._model_info(message)
        elif self.mode == "generative":
            model = self._model_info(None)
        generate_ms = (time.perf_counter() - t0) * 1000
        timings = {"retrieve": retrieve_ms, "generate": generate_ms, "total": (time.perf_counter() - started) * 1000}
        answer = self._finish(
            question,
            query,
            history,
            sources,
            raw,
            refusal,
            model,
            timings,
            lead=lead,
            red_flags=red_flags,
            screening=screening,
        )
        if self.mode == "generative" and answer.refusal_reason in FALLBACK_REASONS:
            # Nothing the model wrote survived the checks: the sources' own words, if any answer, instead.
            # The condensed query: a follow-up ("will he need new lungs?") is about what the user said before.
            composed = self._compose(query, sources)
            if composed.sentences and not self._off_aspect(query, composed, sources):
                fallback = ModelInfo(name=f"{EXTRACTIVE_MODEL} (after {model.name})", adapter=model.adapter)
                answer = self._finish(
                    question,
                    query,
                    history,
                    sources,
                    composed.text(),
                    None,
                    fallback,
                    timings,
                    lead=composed.lead,
                    red_flags=red_flags,
                    screening=screening,
                    mode="extractive",
                )
        logger.info(
            "answered: mode=%s refused=%s citations=%d red_flags=%d",
            answer.mode,
            answer.refused,
            len(answer.citations),
            len(answer.red_flags),
        )
        yield {"type": "answer", "answer": answer}


def build_qa_chain(
    retriever: BaseRetriever,
    llm: BaseChatModel | None = None,
    settings: AnswerSettings | None = None,
    *,
    embeddings: Embeddings | None = None,
    vocabulary: Vocabulary | None = None,
    settings_hash: str | None = None,
) -> ClinicalQAChain:
    """The grounded QA chain over any retriever (and chat model, for generative answers)."""
    return ClinicalQAChain(
        retriever, llm, settings, embeddings=embeddings, vocabulary=vocabulary, settings_hash=settings_hash
    )
