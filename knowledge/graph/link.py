"""Entity linking: text → KG node ids with scores.

Exact and synonym matches of normalised n-grams (case, punctuation and plural insensitive), longest span
first; spans left unmatched fall back to fuzzy matching (rapidfuzz) against surfaces of similar length.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict

import networkx as nx
from pydantic import BaseModel, ConfigDict

from knowledge.graph.names import normalize

logger = logging.getLogger(__name__)

LINKABLE_TYPES = ("disease", "symptom", "phenotype", "test", "drug", "concept", "icd10cm")
MAX_SPAN_WORDS = 8
#: Surfaces too generic to mean one entity ("disease" is DOID:4, "symptom" a SYMP root).
GENERIC = frozenset(
    normalize(w)
    for w in (
        "disease",
        "diseases",
        "symptom",
        "sign",
        "syndrome",
        "disorder",
        "condition",
        "treatment",
        "therapy",
        "cause",
        "test",
        "problem",
        "type",
        "information",
        "the",
        "what",
        "how",
        "can",
        "may",
        "have",
        "has",
        "do",
        "does",
        "is",
        "are",
        "was",
        "be",
        "and",
        "or",
        "of",
        "in",
        "on",
        "to",
        "for",
        "with",
        "a",
        "an",
        "it",
        "i",
        "my",
        "me",
        "you",
        "your",
        "who",
        "which",
        "when",
        "why",
        "about",
        "get",
        "risk",
        "people",
        "person",
        "research",
        "trial",
        "clinical trial",
        "outlook",
        "prevent",
        "prevention",
        "inherited",
        "genetic change",
        "frequency",
        "many",
        "people affected",
        "complication",
        "stage",
        "all",
        "other",
        "diagnose",
        "diagnosis",
        "exam",
        "need",
        "know",
        "help",
        "affected",
        "support",
        "care",
        "role",
    )
)
_LETTERS = re.compile(r"[a-z]+")
_ICD_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_TYPE_PRIORITY = {"disease": 0, "symptom": 1, "phenotype": 2, "concept": 3, "test": 4, "drug": 5, "icd10cm": 6}


class EntityLink(BaseModel):
    """One linked entity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node_id: str
    name: str
    type: str
    score: float
    surface: str
    match: str  # "exact" | "synonym" | "fuzzy"


class EntityLinker:
    """Links free text to KG nodes; built once from the graph (about a second for the default KB)."""

    def __init__(self, graph: nx.MultiDiGraph, *, fuzzy_cutoff: float = 90.0) -> None:
        self.graph = graph
        self.fuzzy_cutoff = fuzzy_cutoff
        self._surfaces: dict[str, list[tuple[str, bool]]] = defaultdict(list)  # key → [(node, is_name)]
        for node_id, attrs in graph.nodes(data=True):
            if attrs.get("type") not in LINKABLE_TYPES:
                continue
            names = [attrs["name"]]
            if attrs["type"] == "icd10cm":
                code = node_id.removeprefix("ICD10CM:")
                # Chapters ("9") and blocks ("I30-I5A") are not entities anyone names in a question.
                if not _ICD_CODE.match(code):
                    continue
                names = [code]
            for i, name in enumerate([*names, *attrs.get("synonyms", [])]):
                key = normalize(name)
                if key and key not in GENERIC and (len(key) > 2 or attrs["type"] == "icd10cm"):
                    self._surfaces[key].append((node_id, i == 0))
        for entries in self._surfaces.values():
            entries.sort(key=lambda e: (not e[1], self._rank(e[0])))
        # Fuzzy candidates bucketed by (word count, length) so a span is compared with few surfaces.
        self._buckets: dict[tuple[int, int], list[str]] = defaultdict(list)
        for key in self._surfaces:
            self._buckets[(key.count(" ") + 1, len(key))].append(key)
        logger.debug("entity linker: %d surface forms", len(self._surfaces))

    def _rank(self, node_id: str) -> tuple[int, int, str]:
        attrs = self.graph.nodes[node_id]
        return (_TYPE_PRIORITY.get(attrs["type"], 9), -len(attrs.get("provenance", [])), node_id)

    def __len__(self) -> int:
        return len(self._surfaces)

    def name_words(self, types: frozenset[str]) -> frozenset[str]:
        """Every word of the names and synonyms of nodes of these types, lower case but not singularised
        ("rickets", "rabies"): the dictionary a misspelt disease or drug name is corrected against."""
        words: set[str] = set()
        for _, attrs in self.graph.nodes(data=True):
            if attrs.get("type") in types:
                for name in (attrs.get("name", ""), *attrs.get("synonyms", [])):
                    folded = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
                    words.update(_LETTERS.findall(folded.lower()))
        return frozenset(words)

    def link(self, text: str, *, top: int = 10, fuzzy: bool = True) -> list[EntityLink]:
        """Entities mentioned in `text`, best first; longest exact spans win, then fuzzy matches."""
        words = normalize(text).split()
        taken = [False] * len(words)
        found: dict[str, EntityLink] = {}
        for size in range(min(MAX_SPAN_WORDS, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                if any(taken[start : start + size]):
                    continue
                key = " ".join(words[start : start + size])
                entries = self._surfaces.get(key)
                if not entries:
                    continue
                for j in range(start, start + size):
                    taken[j] = True
                # Longer spans are more specific: a slight bonus per word.
                bonus = min(0.05, 0.01 * (size - 1))
                for rank, (node_id, is_name) in enumerate(entries[:3]):
                    score = (0.95 + bonus if is_name else 0.9 + bonus) * (0.9**rank)
                    self._keep(found, node_id, score, key, "exact" if is_name else "synonym")
        if fuzzy:
            self._fuzzy(words, taken, found)
        return sorted(found.values(), key=lambda e: (-e.score, e.node_id))[:top]

    def _keep(self, found: dict[str, EntityLink], node_id: str, score: float, surface: str, match: str) -> None:
        if node_id in found and found[node_id].score >= score:
            return
        attrs = self.graph.nodes[node_id]
        found[node_id] = EntityLink(
            node_id=node_id, name=attrs["name"], type=attrs["type"], score=round(score, 4), surface=surface, match=match
        )

    def _fuzzy(self, words: list[str], taken: list[bool], found: dict[str, EntityLink]) -> None:
        from rapidfuzz import fuzz, process

        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                if any(taken[start : start + size]):
                    continue
                key = " ".join(words[start : start + size])
                if len(key) < 5 or any(w in GENERIC for w in words[start : start + size]):
                    continue
                choices = [c for n in range(len(key) - 2, len(key) + 3) for c in self._buckets.get((size, n), [])]
                best = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff)
                if best is None:
                    continue
                for j in range(start, start + size):
                    taken[j] = True
                node_id = self._surfaces[best[0]][0][0]
                self._keep(found, node_id, 0.85 * best[1] / 100.0, best[0], "fuzzy")
