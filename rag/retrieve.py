"""Hybrid retrieval over a knowledge base: dense, BM25, KG facts and entity-matched passages.

Each retriever produces a ranked list of chunk rows; `hybrid` fuses them with weighted reciprocal-rank
fusion (RRF). Two lists come from entity linking: KG facts about the linked entities, and passages
indexed as being *about* those entities (MedQuAD focus, DO term), with passages whose section answers
the question's type (symptoms, treatment, …) first. Plain RRF of dense and BM25 loses to dense alone on
MedQuAD; the entity lists are what make fusion help (see bench/retrieval.py).
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.graph import EntityLink
from knowledge.graph.drug_names import drug_words, generic_names
from knowledge.graph.link import GENERIC
from knowledge.graph.names import normalize
from knowledge.kb import KnowledgeBase
from knowledge.lexical import tokenize
from rag.errors import RetrievalError
from rag.intent import detect_intent, intent_relations, section_matches
from rag.rerank import RERANKER_DIR, CrossEncoderReranker, load_reranker, rerank_order
from rag.settings import RetrievalSettings, SearchMode

logger = logging.getLogger(__name__)


#: The one key retrieval adds to a chunk's metadata (`knowledge.schema.Chunk.metadata`).
RETRIEVAL_KEY = "retrieval"


class RetrievalInfo(BaseModel):
    """How a passage was found: the block stored under `metadata["retrieval"]` of a retrieved `Document`."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(description="Fused score (weighted RRF in `hybrid`, else the list's own score).")
    mode: SearchMode
    ranks: dict[str, int] = Field(default_factory=dict, description="Rank (1-based) in each list that found it.")
    scores: dict[str, float] = Field(
        default_factory=dict,
        description="Raw score in each list: dense cosine, BM25, link/intent score, reranker logit.",
    )


def retrieval_info(document: Document) -> RetrievalInfo | None:
    """The retrieval block of a document, or None for documents from other retrievers."""
    block = document.metadata.get(RETRIEVAL_KEY)
    if not isinstance(block, dict):
        return None
    try:
        return RetrievalInfo.model_validate(block)
    except ValidationError:  # another retriever's own `retrieval` key: not ours to read
        logger.debug("metadata[%r] of %s is not a RetrievalInfo; ignored", RETRIEVAL_KEY, document.id)
        return None


class SearchResult(BaseModel):
    """Hits plus what the query was understood as."""

    model_config = ConfigDict(extra="forbid")

    query: str
    mode: SearchMode
    intent: str | None
    entities: list[EntityLink]
    documents: list[Document] = Field(description="Chunk records as documents, best first, each with `retrieval`.")
    timings_ms: dict[str, float]


#: Fact-list order: a fact answering the question type, then the identity fact ("about"), then the rest.
FACT_ANSWERS_INTENT_BONUS = 1.0
IDENTITY_FACT_BONUS = 0.5
#: Scales the plain dense+BM25 RRF score (at most 2/61 ≈ 0.033) into the range of link scores (0.8–1.0), so
#: among passages about the same entity the one dense and BM25 rank higher comes first.
PRIOR_SCALE = 30.0
#: Among passages of one entity with the same prior, earlier chunks of a document come first.
LATER_CHUNK_PENALTY = 0.01
#: A misspelt drug name links at its fuzzy similarity times this, as an exact name links at 0.95: every typo the
#: lexicon accepts (≥ 85 % similar) then clears `link_min_score` (0.8) and still ranks below the exact name.
FUZZY_DRUG_LINK_SCORE = 0.95
#: Shorter words are not taken for misspelt drug names (too many near misses among short words).
MIN_DRUG_TYPO_LETTERS = 6
#: Shorter words are too often abbreviations or typos of common words to call a term unknown.
MIN_UNKNOWN_WORD_LETTERS = 5
#: The shortest part of two common words run together ("bed" + "time"): shorter parts split anything.
MIN_COMPOUND_PART = 3
#: Entities the support check compares between a sentence and its passages (symptoms and tests are too generic).
FOCUS_TYPES = frozenset({"disease", "drug"})
#: Entities an answer must be about when the question names them: diseases, drugs, and the Human Phenotype
#: Ontology's terms, many of which are diseases a question asks about ("cardiac amyloidosis", "adenomyosis").
QUESTION_FOCUS_TYPES = frozenset({"disease", "drug", "phenotype"})
#: A word this long may be two edits from the known word it misspells ("arbsoption"); shorter ones one edit.
TYPO_LONG_WORD, TYPO_EDITS_LONG = 8, 2
#: Misspellings are corrected only in words this long (shorter ones are too often other words or abbreviations).
MIN_SPELLING_FIX_LETTERS = 6
#: A disease-name word this long may be two edits (a transposition counts one) from the name it misspells
#: ("fybromyaglia"); drug names never: two edits turn one drug into another ("glorvatinib" → "lorlatinib").
SPELLING_TWO_EDITS_LETTERS = 9
#: A word whose stem this many passages hold is spelt right, however rare elsewhere ("prognosis", "asthmatics");
#: patients' own typos in the ChatDoctor dialogues stay below it.
SPELLING_KNOWN_DOCUMENTS = 3
#: Node types whose names a misspelling is corrected to.
SPELLING_DISEASE_TYPES = frozenset({"disease", "phenotype", "symptom"})
SPELLING_DRUG_TYPES = frozenset({"drug"})
#: Most entities read from one text (a passage names a few dozen at most).
MAX_TEXT_ENTITIES = 100
_LETTERS = re.compile(r"[a-z]+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
#: Most results one search may return (the settings' `retrieval.k` has the same bound).
MAX_K = 200


def require_text(value: object, *, field: str, setting: str, max_chars: int) -> str:
    """Strip and validate user text; empty or oversized text raises `RetrievalError` naming the field."""
    if not isinstance(value, str) or not value.strip():
        msg = f"`{field}` is empty: ask a medical question, e.g. 'What are the symptoms of myocarditis?'"
        raise RetrievalError(msg)
    text = value.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Invalid bytes on the command line arrive as lone surrogates (Python's surrogateescape).
        msg = (
            f"`{field}` is not valid UTF-8 text (undecodable character at position {exc.start}); "
            "retype it or set your terminal to UTF-8"
        )
        raise RetrievalError(msg) from exc
    if len(text) > max_chars:
        msg = f"`{field}` has {len(text)} characters, more than `{setting}` = {max_chars}; shorten it"
        raise RetrievalError(msg)
    return text


def check_query(query: str, settings: RetrievalSettings) -> str:
    """A validated search query (see `require_text`)."""
    return require_text(query, field="query", setting="retrieval.max_query_chars", max_chars=settings.max_query_chars)


@dataclass(frozen=True, slots=True)
class RankedLists:
    """What a query was understood as, and each list's `(row, score)` ranking, best first."""

    lists: dict[str, list[tuple[int, float]]]
    intent: str | None
    links: list[EntityLink]
    timings: dict[str, float]


def _merge_drugs(entries: list[tuple[str, set[str]]]) -> list[tuple[str, set[str]]]:
    """One entry per drug the text names: a brand linked to two nodes ("synthroid" → levothyroxine and thyroxine)
    shares a name with both, and is one drug to whoever counts the drugs a question names."""
    merged: list[tuple[str, set[str]]] = []
    for kind, forms in entries:
        if kind == "drug":
            for i, (other_kind, other) in enumerate(merged):
                if other_kind == "drug" and other & forms:
                    merged[i] = ("drug", other | forms)
                    break
            else:
                merged.append((kind, set(forms)))
        else:
            merged.append((kind, set(forms)))
    return merged


class HybridSearcher:
    """Runs the four retrieval modes over one loaded `KnowledgeBase`."""

    def __init__(self, kb: KnowledgeBase, settings: RetrievalSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or RetrievalSettings()

    # -- ranked lists -------------------------------------------------------------------------------
    def dense_rows(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Top-n (row, cosine) from FAISS for one normalised query vector of shape (1, dim)."""
        hits = self.kb.dense.search_vectors(query_vector, n)[0]
        return [(self.kb.row_of[cid], score) for cid, score in hits if cid in self.kb.row_of]

    def bm25_rows(self, query: str, n: int) -> list[tuple[int, float]]:
        """Top-n (row, BM25 score)."""
        return self.kb.bm25.search(query, n)

    def link(self, query: str) -> list[EntityLink]:
        """Entities of the query above the score threshold, best first; misspelt drug names included."""
        s = self.settings
        links = [e for e in self.kb.linker.link(query, top=max(s.link_top, 1)) if e.score >= s.link_min_score]
        return sorted([*links, *self._misspelt_drugs(query, links)], key=lambda e: -e.score)[: s.link_top]

    def unknown_words(self, text: str) -> list[str]:
        """Words of `text` the knowledge base can say nothing about ("varnex", "zorbitol"), when the text names no
        disease or drug it knows by a specific name: a question about a known one ("how much glucose is in my
        GlucaGen HypoKit?") is answered about that one, and its other words do not matter.

        A word is unknown when no passage contains it, it is not common English (the embedder's tokenizer
        vocabulary is the dictionary, so "treated" is known even to a small knowledge base), it is not one typo
        away from a word the passages contain ("pregnent", "anwser"), and no drug name matches it even loosely
        ("metforman"). Hyphenated words are judged by their parts; short words are skipped."""
        links = [link for link in self.link(text) if link.type in FOCUS_TYPES]
        if any(not self._everyday(link) for link in links):
            return []
        unknown = [w for w in dict.fromkeys(_WORD.findall(text)) if not all(map(self._known_word, w.split("-")))]
        if not links:
            # Two common words run together ("dinnertime") are no name; before a disease name they can be
            # one ("Greywater fever"), so they stay unknown there.
            return [w for w in unknown if not self._compound(w)]
        # An everyday name ("fever", "diabetes") vouches for the question, except for the made-up word that
        # names it: "Greywater fever", "Vantablack lung" are as unknown as "Greywater".
        words = normalize(text).split()
        firsts = {link.surface.split()[0] for link in links}
        before = {words[i - 1] for i in range(1, len(words)) if words[i] in firsts}
        return [w for w in unknown if normalize(w.split("-")[-1]) in before]

    def _compound(self, word: str) -> bool:
        """Whether `word` is two common English words run together ("dinnertime", "nighttime")."""
        whole = self.kb.embeddings.is_whole_word
        low = word.lower()
        return "-" not in low and any(
            whole(low[:i]) and whole(low[i:]) for i in range(MIN_COMPOUND_PART, len(low) - MIN_COMPOUND_PART + 1)
        )

    def _known_word(self, word: str, *, strict: bool = False) -> bool:
        """Whether the passages hold `word`, it is common English, or it is a typo of either or of a drug name.
        `strict` (a name the question presents as a disease or drug): one edit at most and no loose drug match,
        since two edits turn one drug name into another ("glorvatinib" → "lorlatinib")."""
        tokens = tokenize(word)
        if len(word) < MIN_UNKNOWN_WORD_LETTERS or not tokens or all(self.kb.bm25.has_token(t) for t in tokens):
            return True
        if self.kb.embeddings.is_whole_word(word):
            return True
        name = normalize(word)
        if name in drug_words():
            # A real drug (generic or brand) is known only if the knowledge base holds it or its generic, never
            # through a near miss: "aclidinium" is not "clidinium", and "eliquis" without apixaban is unknown.
            names = (word, generic_names().get(name))
            return any(n and self.kb.drug_lexicon.lookup(n, fuzzy=False) for n in names)
        match = self.kb.drug_lexicon.lookup(word)
        if match is not None and not (strict and match.match == "fuzzy"):
            return True
        return all(self._near_token(t, 1 if strict else None) for t in tokens)

    def _near_token(self, token: str, max_edits: int | None = None) -> bool:
        """Whether a token of the passages is within a typo of `token`: one edit, two for long words (at most
        `max_edits`)."""
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extractOne

        edits = TYPO_EDITS_LONG if len(token) >= TYPO_LONG_WORD else 1
        edits = min(edits, max_edits) if max_edits is not None else edits
        by_length = self._tokens_by_length
        choices = [t for n in range(len(token) - edits, len(token) + edits + 1) for t in by_length.get(n, ())]
        return extractOne(token, choices, scorer=Levenshtein.distance, score_cutoff=edits) is not None

    @cached_property
    def _tokens_by_length(self) -> dict[int, list[str]]:
        """The passages' tokens grouped by length, for typo lookups (built on first use, ~70k tokens)."""
        groups: dict[int, list[str]] = defaultdict(list)
        for token in self.kb.bm25.tokens():
            groups[len(token)].append(token)
        return dict(groups)

    def spelling(self, text: str) -> dict[str, str]:
        """Misspelt disease and drug names of `text` → the name word they most likely mean ("rabbies" →
        "rabies", "tranaunay" → "trenaunay", "fybromyaglia" → "fibromyalgia").

        Only a word that is not common English, not a word of any name and no drug the outside brand table
        knows is corrected, and only when exactly one name word is nearest: one edit (optimal string alignment,
        so a swap of two letters is one), two for long disease words when the name word is not common English.
        Keys and values are lower case."""
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import extract

        diseases, drugs = self._spelling_words
        real_drugs = drug_words()  # a real drug the knowledge base lacks ("aclidinium") is no typo of one it has
        fixes: dict[str, str] = {}
        for word in dict.fromkeys(_LETTERS.findall(text.lower())):
            if (
                len(word) < MIN_SPELLING_FIX_LETTERS
                or word in diseases.get(len(word), ())
                or word in drugs.get(len(word), ())
                or word in real_drugs
                or self.kb.embeddings.is_whole_word(word)
                or any(self.kb.bm25.document_frequency(t) >= SPELLING_KNOWN_DOCUMENTS for t in tokenize(word))
            ):
                continue
            found: dict[str, int] = {}
            for words, most in ((drugs, 1), (diseases, 2 if len(word) >= SPELLING_TWO_EDITS_LETTERS else 1)):
                choices = [w for n in range(len(word) - most, len(word) + most + 1) for w in words.get(n, ())]
                for match, distance, _ in extract(word, choices, scorer=OSA.distance, score_cutoff=most, limit=5):
                    found[match] = min(distance, found.get(match, distance))
            # Two edits reach far: only to a word no dictionary has ("greywater" is not "greater").
            found = {w: d for w, d in found.items() if d == 1 or not self.kb.embeddings.is_whole_word(w)}
            if not found:
                continue
            best = min(found.values())
            nearest = [w for w, d in found.items() if d == best]
            # Two equally near names: no guess. And a correction must make the question name a disease, drug or
            # phenotype it did not ("medline" is one edit from the "midline" of "midline cleft", and names none).
            if len(nearest) == 1 and self._names_entity(text, word, nearest[0]):
                fixes[word] = nearest[0]
        return fixes

    def _names_entity(self, text: str, word: str, correction: str) -> bool:
        """Whether `text` with `word` spelt as `correction` links a focus entity through that word."""
        corrected = re.sub(rf"(?i)\b{re.escape(word)}\b", correction, text)
        return any(
            link.type in QUESTION_FOCUS_TYPES and normalize(correction) in link.surface.split()
            for link in self.kb.linker.link(corrected, top=MAX_TEXT_ENTITIES)
        )

    @cached_property
    def _spelling_words(self) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
        """The disease and drug name words of the graph (≥ 4 letters), grouped by length for `spelling`."""
        groups: list[dict[int, list[str]]] = []
        for types in (SPELLING_DISEASE_TYPES, SPELLING_DRUG_TYPES):
            by_length: dict[int, list[str]] = defaultdict(list)
            for word in self.kb.linker.name_words(types):
                if len(word) >= 4 and word not in GENERIC:
                    by_length[len(word)].append(word)
            groups.append({n: sorted(set(ws)) for n, ws in by_length.items()})
        return groups[0], groups[1]

    def _spelt_right(self, word: str) -> bool:
        """Whether `word` is common English (the embedder's vocabulary), a word the passages hold or a real drug's
        name (`drug_words`): then it is no typo of a drug name ("general" is not GenTeal, "create" not creatine,
        "desonide" not budesonide)."""
        tokens = tokenize(word)  # the index holds stemmed tokens, as `_known_word` looks them up
        if self.kb.embeddings.is_whole_word(word) or normalize(word) in drug_words():
            return True
        return bool(tokens) and all(map(self.kb.bm25.has_token, tokens))

    def focus_names(self, text: str) -> list[tuple[str, list[str]]]:
        """`(type, names)` of each disease, drug or phenotype the text links to: every name (synonyms and brands
        included), normalised. An answer must name one of them (`rag.extractive.on_focus`), so a name linked in
        passing ("pain") can only let more sentences through, never keep the asked one's out."""
        entries: list[tuple[str, set[str]]] = []
        links = self.link(text)
        for link in links:
            if link.type not in QUESTION_FOCUS_TYPES:
                continue
            attrs = self.kb.graph.nodes[link.node_id]
            forms = {normalize(n) for n in (attrs.get("name", ""), *attrs.get("synonyms", []), link.surface)}
            entries.append((link.type, {f for f in forms if f and f not in GENERIC}))
        # A brand of a drug the graph lacks ("tylenol"): named by the outside table's generic ("acetaminophen").
        covered = {word for link in links for word in link.surface.split()}
        table = generic_names()
        for word in dict.fromkeys(normalize(text).split()):
            generic = table.get(word)
            if generic and word not in covered and word not in GENERIC and not self.kb.embeddings.is_whole_word(word):
                entries.append(("drug", {word, normalize(generic)}))
        return [(kind, sorted(forms)) for kind, forms in _merge_drugs(entries)]

    def _everyday(self, link: EntityLink) -> bool:
        """Whether a link rests on a single word of common English (see `focus_names`)."""
        words = link.surface.split()
        return len(words) == 1 and self.kb.embeddings.is_whole_word(words[0])

    def entity_ids(self, text: str) -> set[str]:
        """Ids of the diseases and drugs `text` names exactly (synonyms and brands included; no fuzzy matches):
        what the support check compares between an answer sentence and its passages."""
        links = self.kb.linker.link(text, top=MAX_TEXT_ENTITIES, fuzzy=False)
        return {e.node_id for e in links if e.type in FOCUS_TYPES and e.score >= self.settings.link_min_score}

    def knows(self, term: str) -> bool:
        """Whether the knowledge base names `term` (a disease or drug from a question).

        A link must cover its last specific word, and every other specific word must be covered too or be
        common English: "contracting dengue fever" is dengue fever, but "Hallgren-Tusk myopathy" is not myopathy
        and "Kessler-Varn syndrome" links at most the generic "syndrome". "chicken pox" is tried as
        "chickenpox". One word is known when the drug lexicon matches it closely (not its loose typo match) or
        the passages hold it, up to a typo."""
        words = [w for w in normalize(term).split() if w not in GENERIC]
        if not words:
            return True  # nothing specific to look up
        for variant in (term, "".join(words)):
            for link in self.kb.linker.link(variant, top=5):
                if link.score < self.settings.link_min_score:
                    continue
                if variant != term:
                    return True
                covered = set(link.surface.split())
                if words[-1] in covered and all(
                    w in covered or self.kb.embeddings.is_whole_word(w) for w in words[:-1]
                ):
                    return True
        if len(words) == 1:
            return self._known_word(words[0], strict=True)
        return False

    def _misspelt_drugs(self, query: str, links: list[EntityLink]) -> list[EntityLink]:
        """Drugs named with a typo ("metforman"): the drug lexicon matches them more loosely than the linker,
        which needs 90 % similarity for any entity; a word another link already covers is left alone."""
        taken = {word for link in links for word in link.surface.split()}
        linked = {link.node_id for link in links}
        found: dict[str, EntityLink] = {}
        for word in dict.fromkeys(normalize(query).split()):
            if len(word) < MIN_DRUG_TYPO_LETTERS or word in taken or word in GENERIC or self._spelt_right(word):
                continue
            match = self.kb.drug_lexicon.lookup(word)
            if match is None or match.match != "fuzzy" or match.node_id in linked:
                continue
            score = round(FUZZY_DRUG_LINK_SCORE * match.score, 4)
            earlier = found.get(match.node_id)
            if score >= self.settings.link_min_score and (earlier is None or score > earlier.score):
                found[match.node_id] = EntityLink(
                    node_id=match.node_id, name=match.name, type="drug", score=score, surface=word, match="fuzzy"
                )
        return list(found.values())

    def expanded_query(self, query: str, links: list[EntityLink]) -> str:
        """`query` plus the generic name of each linked drug that the query does not already write ("how does
        valium affect the brain" + "Diazepam", "rivatigmine interactions" + "Rivastigmine"): drug labels and
        consumer pages name a drug by its generic name, which BM25 cannot match to a brand or a typo, and which
        the embedder knows far better than a rare brand. A brand of a drug the graph lacks ("tylenol") gets its
        generic name from `knowledge.graph.drug_names` ("acetaminophen"). Diseases are left alone: expanding them
        to their ontology names ("flu" → "influenza", "visual impairment" → a narrower term) did not help on the
        consumer tuning set (`python -m bench.consumer_dev`), and the entity lists already carry them."""
        have = set(normalize(query).split())
        names = [str(self.kb.graph.nodes[link.node_id].get("name", "")) for link in links if link.type == "drug"]
        # Drugs the knowledge base has no node for ("tylenol", "advil"): the outside brand → generic table. A
        # word of common English (the embedder's vocabulary) is never taken for a brand ("armour", "caps").
        table = generic_names()
        covered = {word for link in links for word in link.surface.split()}
        for word in dict.fromkeys(normalize(query).split()):
            generic = table.get(word)
            if generic and word not in covered and word not in GENERIC and not self.kb.embeddings.is_whole_word(word):
                names.append(generic)
        extra: list[str] = []
        for name in names:
            words = normalize(name).split()
            if words and not set(words) <= have:
                extra.append(name)
                have.update(words)
        return " ".join([query, *extra]) if extra else query

    def kg_rows(self, links: list[EntityLink], intent: str | None) -> list[tuple[int, float]]:
        """Fact chunks about linked entities: facts answering the intent first, then identity facts, by link score."""
        wanted = intent_relations(intent)
        scored: list[tuple[float, int]] = []
        for link in links:
            for row in self.kb.by_entity.get(link.node_id, []):
                chunk = self.kb.chunks[row]
                if chunk.kind != "fact":
                    continue
                bonus = (
                    FACT_ANSWERS_INTENT_BONUS
                    if chunk.section in wanted
                    else IDENTITY_FACT_BONUS
                    if chunk.section == "about"
                    else 0.0
                )
                scored.append((link.score + bonus, row))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [(row, score) for score, row in scored]

    def entity_rows(self, links: list[EntityLink], prior: dict[int, float]) -> list[tuple[int, float]]:
        """Text passages about linked entities, by link score plus how well dense and BM25 ranked them (`prior`).

        Where a passage's section answers the question type is the `section` list's job (see `search`), not a
        bonus here as well: one signal, one weight.
        """
        rows: dict[int, float] = {}
        for link in links:
            for row in self.kb.by_entity.get(link.node_id, []):
                chunk = self.kb.chunks[row]
                if chunk.kind == "fact":
                    continue
                score = link.score + prior.get(row, 0.0) - LATER_CHUNK_PENALTY * chunk.chunk_index
                rows[row] = max(rows.get(row, -1e9), score)
        return sorted(rows.items(), key=lambda t: (-t[1], t[0]))

    # -- fusion -------------------------------------------------------------------------------------
    def fuse(
        self, lists: dict[str, list[tuple[int, float]]], weights: dict[str, float]
    ) -> tuple[list[tuple[int, float]], dict[int, dict[str, int]]]:
        """Weighted reciprocal-rank fusion: `(row, score)` best first, and each row's rank in every list."""
        fused: dict[int, float] = defaultdict(float)
        via: dict[int, dict[str, int]] = defaultdict(dict)
        for name, ranked in lists.items():
            for rank, (row, _) in enumerate(ranked, start=1):
                fused[row] += weights[name] / (self.settings.rrf_k + rank)
                via[row][name] = rank
        return sorted(fused.items(), key=lambda t: (-t[1], t[0])), via

    @staticmethod
    def _raw_scores(lists: dict[str, list[tuple[int, float]]]) -> dict[int, dict[str, float]]:
        raw: dict[int, dict[str, float]] = defaultdict(dict)
        for name, ranked in lists.items():
            for row, value in ranked:
                raw[row][name] = round(float(value), 6)
        return raw

    def weights(self) -> dict[str, float]:
        """RRF weight of each ranked list of the `hybrid` mode, from the settings."""
        s = self.settings
        return {
            "dense": s.weight_dense,
            "bm25": s.weight_bm25,
            "kg": s.weight_kg,
            "entity": s.weight_entity,
            "section": s.weight_section,
        }

    def ranked_lists(self, query: str, mode: SearchMode, n: int, query_vector: np.ndarray | None = None) -> RankedLists:
        """The ranked lists a mode fuses (one for dense, bm25 and kg; five for hybrid), `n` candidates each.

        Public so that `bench.retrieval_sweep` can fuse the same lists under many weightings.
        """
        timings: dict[str, float] = {}
        lists: dict[str, list[tuple[int, float]]] = {}
        links: list[EntityLink] = []
        intent: str | None = None
        vector = query_vector
        if mode != "bm25":
            t0 = time.perf_counter()
            vector = query_vector if query_vector is not None else self.kb.embed_query(query)
            intent = detect_intent(
                vector, self.kb.manifest.embedding_model, query if self.settings.intent_cues else None
            )
            timings["embed"] = (time.perf_counter() - t0) * 1000
        text, dense_vector = query, vector
        if mode in ("kg", "hybrid"):
            t0 = time.perf_counter()
            links = self.link(query)
            timings["link"] = (time.perf_counter() - t0) * 1000
            if mode == "hybrid" and self.settings.expand_query:
                text = self.expanded_query(query, links)
                if text != query:
                    t0 = time.perf_counter()
                    dense_vector = self.kb.embed_query(text)
                    timings["embed"] += (time.perf_counter() - t0) * 1000
        if mode in ("dense", "hybrid"):
            t0 = time.perf_counter()
            assert dense_vector is not None  # embedded above for every mode but bm25
            lists["dense"] = self.dense_rows(dense_vector, n)
            timings["dense"] = (time.perf_counter() - t0) * 1000
        if mode in ("bm25", "hybrid"):
            t0 = time.perf_counter()
            lists["bm25"] = self.bm25_rows(text, n)
            timings["bm25"] = (time.perf_counter() - t0) * 1000
        if mode in ("kg", "hybrid"):
            t0 = time.perf_counter()
            lists["kg"] = self.kg_rows(links, intent)
            if mode == "hybrid":
                prior, _ = self.fuse({"dense": lists["dense"], "bm25": lists["bm25"]}, {"dense": 1.0, "bm25": 1.0})
                lists["entity"] = self.entity_rows(links, {r: PRIOR_SCALE * sc for r, sc in prior})
                # Passages about the entity that answer the question type, even when their wording is shared
                # boilerplate that dense and BM25 rank low ("inherited in an autosomal recessive pattern").
                lists["section"] = [
                    (row, sc) for row, sc in lists["entity"] if section_matches(intent, self.kb.chunks[row].section)
                ]
            timings["kg"] = (time.perf_counter() - t0) * 1000
        return RankedLists(lists=lists, intent=intent, links=links, timings=timings)

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        query_vector: np.ndarray | None = None,
    ) -> SearchResult:
        """Retrieve the top-k chunks for `query` in the given mode (default from settings)."""
        s = self.settings
        query = check_query(query, s)
        k = s.k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            # The upper bound keeps a typo (k = 10**9) from allocating gigabytes of candidate lists.
            msg = f"`k` must be a whole number from 1 to {MAX_K}, got {k!r}"
            raise RetrievalError(msg)
        mode = mode or s.mode
        if mode not in ("dense", "bm25", "kg", "hybrid"):
            msg = f"unknown search mode `{mode}`; use dense, bm25, kg or hybrid"
            raise RetrievalError(msg)
        found = self.ranked_lists(query, mode, max(s.candidates, k), query_vector)
        lists, timings = found.lists, found.timings
        if mode == "hybrid":
            ranked, via = self.fuse(lists, self.weights())
            if s.rerank_top:
                ranked = self.rerank(query, ranked, via, lists)
        else:
            ranked = lists[mode]
            via = {row: {mode: rank} for rank, (row, _) in enumerate(ranked, start=1)}
        raw = self._raw_scores(lists)
        documents = [self._document(row, score, mode, via[row], raw[row]) for row, score in ranked[:k]]
        timings["total"] = sum(timings.values())
        return SearchResult(
            query=query,
            mode=mode,
            intent=found.intent,
            entities=found.links,
            documents=documents,
            timings_ms={key: round(v, 2) for key, v in timings.items()},
        )

    @cached_property
    def reranker(self) -> CrossEncoderReranker:
        """The cross-encoder (`retrieval.rerank_path`, default the shipped one), loaded on first use."""
        return load_reranker(self.settings.rerank_path or str(RERANKER_DIR))

    def rerank(
        self,
        query: str,
        ranked: list[tuple[int, float]],
        via: dict[int, dict[str, int]],
        lists: dict[str, list[tuple[int, float]]],
    ) -> list[tuple[int, float]]:
        """The first `rerank_top` fused rows re-ordered by the cross-encoder's logit less `rerank_prior` x ln(1 +
        fused position) (the rest keep their order); each reranked row's logit and new rank are recorded as the
        `rerank` list in `via` and `lists`."""
        top = ranked[: self.settings.rerank_top]
        logits = self.reranker.score(query, [self.kb.chunks[row].index_text() for row, _ in top])
        order = rerank_order(logits, self.settings.rerank_prior)
        lists["rerank"] = [(top[i][0], logits[i]) for i in order]
        for rank, i in enumerate(order, start=1):
            via[top[i][0]]["rerank"] = rank
        return [top[i] for i in order] + ranked[len(top) :]

    def _document(
        self, row: int, score: float, mode: SearchMode, ranks: dict[str, int], scores: dict[str, float]
    ) -> Document:
        document = self.kb.chunks[row].to_document()
        info = RetrievalInfo(score=round(float(score), 6), mode=mode, ranks=ranks, scores=scores)
        document.metadata[RETRIEVAL_KEY] = info.model_dump()
        return document
