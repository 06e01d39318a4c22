"""Entailment judges: does a premise (cited passages, a reference answer, an answer) support a sentence?

Every citation and long-form metric asks one question, `judge(premise, hypothesis)`, and gets a `Verdict`:
`supported`, `unsupported` (not stated) or `contradicted`, with a 0..1 confidence that it is supported. The
judge's `name` is stamped on every report, so scores from different judges are never compared unawares.

- `LocalJudge` (the default) needs no network and no model beyond the bundled all-MiniLM-L6-v2. It scores
  `WEIGHT · similarity + (1 − WEIGHT) · coverage`, where similarity is the best cosine between the hypothesis
  and a premise sentence (or two adjacent sentences) and coverage the share of the hypothesis's content words
  (`knowledge.lexical.tokenize`) that occur in the premise. Similarity cannot see a wrong number, a dropped
  "not" or a swapped drug, so agreement checks decide those:
  - *contradicted* when, against the best-aligned premise sentence, a shared content word is negated on one
    side and affirmed on the other (a negation covers up to `NEGATION_SCOPE` words, to the clause's end), an
    up/down word governs the same object the other way ("raises LDL" vs "lower … LDL"), an opposite word
    replaces the premise's ("after" vs "before"), or a number or dose differs from the one stated;
  - *unsupported* when a number, dose (`rag.doses`, 500 mg = 0.5 g) or time span is not stated, a drug or
    disease name (medical suffixes, capitalised and all-caps words, or KG entities when an `EntityLinker` is
    given) does not occur in the premise, or an item of an enumeration ("diarrhea, nausea and hair loss") is
    absent while the others are present.
  Constants were chosen on the DEV half of `eval/data/judge_pairs.jsonl` by
  `python -m bench.judge_agreement --sweep`; on the disjoint TEST half (`python -m bench.judge_agreement`)
  the judge agrees with the hand labels on 81% of pairs (3-way) and 87% (supported vs not).
- `ChatModelJudge` asks any LangChain chat model with a strict one-word prompt; an answer that is not exactly
  one label is a counted failure (`failures`), scored `unsupported` with score 0, never a guess.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from knowledge.graph.names import singular
from knowledge.lexical import tokenize
from rag.citations import strip_markers
from rag.doses import find_doses

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from knowledge.embeddings import SentenceTransformerEmbeddings
    from knowledge.graph.link import EntityLinker

logger = logging.getLogger(__name__)

Label = Literal["supported", "unsupported", "contradicted"]
LABELS: tuple[Label, ...] = ("supported", "unsupported", "contradicted")

#: Weight of embedding similarity against content-word coverage (sweep on the DEV half).
SIMILARITY_WEIGHT = 0.5
#: Combined score at or above which a hypothesis that passes every check is supported (DEV sweep).
SUPPORT_THRESHOLD = 0.64
#: Share of the hypothesis's content words the best-matching premise sentence must contain before a negation,
#: direction or number mismatch counts as a contradiction rather than as "not stated" (DEV sweep).
ALIGN_THRESHOLD = 0.3
#: Score multiplier for a hypothesis that fails a check (keeps the score below any sensible threshold).
CHECK_PENALTY = 0.25
#: Bumped whenever the checks change, so reports never compare two different local judges under one name.
LOCAL_JUDGE_VERSION = 1


class Verdict(BaseModel):
    """One judgement of a hypothesis against a premise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Label
    score: float = Field(ge=0.0, le=1.0, description="Confidence (0..1) that the hypothesis is supported.")
    reasons: tuple[str, ...] = Field(
        default=(),
        description="Why, when a check decided: `entity_missing:<w>`, `number_missing:<n>`, `negation_mismatch`, "
        "`direction_mismatch:<a>/<b>`, `number_conflict:<n>`, `parse_error`.",
    )


@runtime_checkable
class Judge(Protocol):
    """Anything that labels a hypothesis against a premise; `name` identifies it on reports."""

    name: str

    def judge(self, premise: str, hypothesis: str) -> Verdict:
        """Label `hypothesis` against `premise`."""
        ...


class JudgeContext(Protocol):
    """What the metrics need from their scoring context (the registry's `ScoringContext` is one)."""

    @property
    def judge(self) -> Judge:
        """The judge the run uses."""
        ...


# --- sentences -------------------------------------------------------------------------------------------

# Punkt, untrained, told about the abbreviations medical text uses, so "e.g." and "Dr." do not end sentences.
_ABBREVIATIONS = {"e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "vs", "approx", "fig", "no", "st", "u.s", "al"}


@lru_cache(maxsize=1)
def _punkt() -> Any:
    try:
        from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    except ImportError as exc:
        msg = "the eval judges split sentences with nltk: install the eval extra (`pip install 'clinicalgpt[eval]'`)"
        raise ImportError(msg) from exc
    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` (nltk Punkt; line breaks always end a sentence), trimmed, empties dropped."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(s.strip() for s in _punkt().tokenize(line) if s.strip())
    return out


# --- agreement checks --------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,/]\d+)*")
_TOKEN_OR_STOP = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,/]\d+)*|[.;:!?]")
_ANSWER_PARTICLE = re.compile(r"^\s*(?:yes|no)\s*[,.!:;]\s*", re.IGNORECASE)
_LIST_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
#: Words that negate what follows them, up to `NEGATION_SCOPE` words or a clause boundary.
_NEGATIONS = frozenset(
    "not no never cannot without none neither nor nothing nobody avoid avoids avoided avoiding lack lacks".split()
)
_SCOPE_ENDS = frozenset("but because although though whereas while unless except so".split())
NEGATION_SCOPE = 12
_UP = frozenset(
    "increase increases increased increasing raise raises raised raising higher more rise rises plenty".split()
)
_DOWN = frozenset(
    "decrease decreases decreased decreasing lower lowers lowered lowering reduce reduces reduced reducing "
    "less fewer".split()
)
# Word pairs whose swap flips a medical statement; each side lists its forms.
_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(a.split()), frozenset(b.split()))
    for a, b in (
        ("before", "after"),
        ("gain gains", "loss losses lose"),
        ("fast faster rapid", "slow slower slowed"),
        ("small smaller", "large larger"),
        ("weak weaker", "strong stronger"),
        ("early earlier", "late later"),
        ("acute", "chronic"),
        ("benign", "malignant"),
        ("common", "rare"),
        ("safe safely", "unsafe dangerous"),
        ("virus viral viruses", "bacteria bacterial bacterium"),
        ("upper", "lower"),
        ("stays stay remains", "leaves leave"),
    )
)
_NUMBER_WORDS: dict[str, float] = {
    word: float(n) for n, word in enumerate("two three four five six seven eight nine ten eleven twelve".split(), 2)
} | {"twenty": 20.0, "thirty": 30.0, "hundred": 100.0}
_SPAN_UNITS = {"hour", "day", "week", "month", "year", "minute", "percent", "%"}
# Drug and disease name endings (INN stems and clinical suffixes); a word ending so is a named entity.
_MEDICAL_SUFFIX = re.compile(
    r"(?:pril|sartan|olol|alol|statin|azole|mycin|micin|cillin|cycline|oxacin|prazole|tidine|afil|oxetine|"
    r"triptan|zepam|zolam|mab|tinib|vir|dipine|gliptin|gliflozin|parin|profen|fenac|sone|olone|dronate|semide|"
    r"thiazide|zide|lukast|formin|glitazone|setron|terol|tropium|caine|barbital|codone|morphone|azine|amine|"
    r"oxine|oxin|phen|itis|osis|emia|aemia|oma|pathy|algia|plasia|trophy|uria|penia|rrhea|rrhoea|ectomy|otomy|"
    r"oscopy|plasty|oidism)$"
)
_NOT_ENTITIES = frozenset(
    "examine famine celsius fahrenheit i january february march april may june july august september october "
    "november december monday tuesday wednesday thursday friday saturday sunday".split()
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _norm(word: str) -> str:
    return singular(word.lower().replace("’", "'").removesuffix("'s").strip("'-"))


def _polarity(text: str) -> dict[str, set[bool]]:
    """Content stem → the polarities it occurs with (True: inside an odd number of negation scopes)."""
    out: dict[str, set[bool]] = {}
    scopes: list[int] = []
    for token in _TOKEN_OR_STOP.findall(text):
        low = token.lower()
        if low in ".;:!?" or low in _SCOPE_ENDS:
            scopes = []
            continue
        if low in _NEGATIONS or low.endswith("n't"):
            scopes.append(NEGATION_SCOPE)
            continue
        for stem in tokenize(token):
            out.setdefault(stem, set()).add(len(scopes) % 2 == 1)
        scopes = [n - 1 for n in scopes if n > 1]
    return out


def _negation_conflict(hypothesis: str, sentence: str) -> bool:
    """A content word both share is negated in one and plainly affirmed in the other."""
    hyp, premise = _polarity(hypothesis), _polarity(sentence)
    for stem, polarities in hyp.items():
        if len(polarities) == 1 and premise.get(stem) == {not next(iter(polarities))}:
            return True
    return False


def _missing_list_items(hypothesis: str, premise_tokens: set[str]) -> list[str]:
    """Items of an enumeration ("A, B and C") mostly absent from the premise while another item is present.

    Counted only for lists of three or more, or for items of two or more content words, so that "swell and
    narrow" (a paraphrased verb pair) is not an enumeration of findings.
    """
    items = [(part, tokenize(part)) for part in _LIST_SEPARATOR.split(hypothesis)]
    items = [(part, toks) for part, toks in items if toks]
    if len(items) < 2:
        return []
    absent = [sum(t not in premise_tokens for t in toks) / len(toks) for _, toks in items]
    if min(absent) > 0.0:
        return []
    return [
        part.strip()
        for (part, toks), share in zip(items, absent, strict=True)
        if share >= 0.5 and (len(items) >= 3 or len(toks) >= 2)
    ]


def _numbers(text: str) -> list[tuple[str, str, str]]:
    """Bare numbers outside doses as `(surface, value, unit)`; unit is a time span/percent word or ``""``."""
    for dose in find_doses(text):
        text = text.replace(dose.text, " ")
    words = _words(text.replace("%", " % "))
    found = []
    for i, w in enumerate(words):
        low = w.lower()
        if low in _NUMBER_WORDS:
            value = repr(_NUMBER_WORDS[low])
        elif "/" in w and w[0].isdigit():  # 120/80: one reading, compared whole
            value = w
        elif w[0].isdigit():
            try:
                value = repr(float(w.replace(",", "")))
            except ValueError:
                continue
        else:
            continue
        after = words[i + 1].lower() if i + 1 < len(words) else ""
        unit = _norm(after) if _norm(after) in _SPAN_UNITS else ""
        found.append((w, value, unit))
    return found


def _number_checks(premise: str, hypothesis: str) -> tuple[list[str], list[str]]:
    """(numbers and doses of the hypothesis the premise does not state, those where it states another)."""
    missing: list[str] = []
    conflicts: list[str] = []
    premise_doses = find_doses(premise)
    stated = {d.key for d in premise_doses}
    for dose in find_doses(hypothesis):
        if dose.key not in stated:
            missing.append(dose.text)
            if any(d.unit == dose.unit for d in premise_doses):
                conflicts.append(f"number_conflict:{dose.text}")
    premise_numbers = _numbers(premise)
    for surface, value, unit in _numbers(hypothesis):
        same = [u for _, v, u in premise_numbers if v == value]
        if not any(not unit or not u or u == unit for u in same):
            missing.append(surface)
            if any(not unit or not u or u == unit for _, _, u in premise_numbers):
                conflicts.append(f"number_conflict:{surface}")
    return missing, conflicts


def _entity_words(hypothesis: str) -> set[str]:
    """Named drugs/diseases by heuristic: medical suffixes, acronyms, and capitalised words after the first."""
    found = set()
    for i, w in enumerate(_words(hypothesis)):
        norm = _norm(w)
        if not norm or norm in _NOT_ENTITIES or w[0].isdigit():
            continue
        acronym = len(w) >= 2 and w.isupper()
        capital = i > 0 and w[0].isupper()
        if acronym or capital or (len(norm) >= 6 and _MEDICAL_SUFFIX.search(norm)):
            found.add(norm)
    return found


class JudgeFeatures(BaseModel):
    """What `LocalJudge` measures for one pair, before thresholds turn it into a `Verdict`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    similarity: float = Field(description="Best cosine between the hypothesis and a premise window (0..1).")
    coverage: float = Field(description="Share of the hypothesis's content words found in the premise.")
    alignment: float = Field(description="Share of its content words in the best-matching premise sentence.")
    entities_missing: tuple[str, ...] = ()
    numbers_missing: tuple[str, ...] = ()
    items_missing: tuple[str, ...] = Field(default=(), description="Enumeration items the premise lacks.")
    conflicts: tuple[str, ...] = Field(default=(), description="Negation, direction or number mismatches.")


def agreement_checks(premise: str, hypothesis: str, linker: EntityLinker | None = None) -> JudgeFeatures:
    """The lexical half of `LocalJudge`: coverage, alignment and the agreement checks (similarity left 0)."""
    hyp_tokens = set(tokenize(hypothesis))
    premise_tokens = set(tokenize(premise))
    coverage = len(hyp_tokens & premise_tokens) / len(hyp_tokens) if hyp_tokens else 0.0
    sentences = split_sentences(premise) or [premise]
    overlap, _, aligned = max((len(hyp_tokens & set(tokenize(s))), -len(s), s) for s in sentences)
    alignment = overlap / len(hyp_tokens) if hyp_tokens else 0.0
    premise_norm = {_norm(w) for w in _words(premise)}

    missing_entities = _entity_words(hypothesis) - premise_norm
    if linker is not None:
        linked_missing, excused = _linked_entities(linker, premise, hypothesis)
        missing_entities = (missing_entities - excused) | linked_missing
    conflicts = ["negation_mismatch"] if _negation_conflict(hypothesis, aligned) else []
    conflicts.extend(_direction_conflicts(_words(hypothesis), _words(premise), _words(aligned), premise_norm))
    missing_numbers, number_conflicts = _number_checks(premise, hypothesis)
    return JudgeFeatures(
        similarity=0.0,
        coverage=coverage,
        alignment=alignment,
        entities_missing=tuple(sorted(missing_entities)),
        numbers_missing=tuple(missing_numbers),
        items_missing=tuple(_missing_list_items(hypothesis, premise_tokens)),
        conflicts=tuple(conflicts + number_conflicts),
    )


def _direction_conflicts(
    hyp_words: list[str], premise_words: list[str], aligned_words: list[str], premise_norm: set[str]
) -> list[str]:
    """Up/down words that govern the same object in opposite ways, and swapped opposite words."""
    out = []
    lowered = [w.lower() for w in premise_words]
    hyp_lower = [w.lower() for w in hyp_words]
    for i, w in enumerate(hyp_lower):
        side = _UP if w in _UP else _DOWN if w in _DOWN else None
        if side is None:
            continue
        # The object: the next content word ("raises LDL" → ldl); its direction in the premise is the nearest
        # up/down word at most six words before it.
        obj = next((x for x in hyp_lower[i + 1 : i + 4] if tokenize(x)), None)
        if obj is None:
            continue
        found = set()
        for j, p in enumerate(lowered):
            if _norm(p) != _norm(obj):
                continue
            for k in range(j - 1, max(-1, j - 7), -1):
                if lowered[k] in _UP or lowered[k] in _DOWN:
                    found.add(lowered[k] in _UP)
                    break
        if found and (side is _UP) not in found:
            out.append(f"direction_mismatch:{w}/{obj}")
    aligned_norm = {_norm(w) for w in aligned_words}
    hyp_norm = {_norm(w) for w in hyp_words}
    for a, b in _OPPOSITES:
        for mine, theirs in ((a, b), (b, a)):
            said = hyp_norm & mine
            if said and not (premise_norm & mine) and aligned_norm & theirs:
                out.append(f"direction_mismatch:{min(said)}/{min(aligned_norm & theirs)}")
    return out


def _linked_entities(linker: EntityLinker, premise: str, hypothesis: str) -> tuple[set[str], set[str]]:
    """(drug/disease KG entities of the hypothesis absent from the premise under every synonym, words of the
    hypothesis's entities that the premise names by some synonym: those are not missing)."""
    in_premise = {e.node_id for e in linker.link(premise, top=1000, fuzzy=False)}
    missing: set[str] = set()
    excused: set[str] = set()
    for link in linker.link(hypothesis, top=50, fuzzy=False):
        if link.node_id in in_premise:
            excused.update(link.surface.split())
        elif link.type in ("disease", "drug"):
            missing.add(link.surface)
    return missing, excused


# --- the local judge ---------------------------------------------------------------------------------------


class LocalJudgeParams(BaseModel):
    """Thresholds of `LocalJudge` (defaults: the constants chosen on the DEV half)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(default=SIMILARITY_WEIGHT, ge=0.0, le=1.0, description="Similarity weight.")
    threshold: float = Field(default=SUPPORT_THRESHOLD, ge=0.0, le=1.0, description="Support threshold.")
    align: float = Field(default=ALIGN_THRESHOLD, ge=0.0, le=1.0, description="Alignment for a contradiction.")


def decide(features: JudgeFeatures, params: LocalJudgeParams) -> Verdict:
    """Turn measured features into a verdict (pure; the DEV sweep calls it for every grid point)."""
    score = max(0.0, min(1.0, params.weight * features.similarity + (1 - params.weight) * features.coverage))
    if features.entities_missing:
        reasons = tuple(f"entity_missing:{e}" for e in features.entities_missing)
        return Verdict(label="unsupported", score=score * CHECK_PENALTY, reasons=reasons)
    if features.conflicts and features.alignment >= params.align:
        return Verdict(label="contradicted", score=score * CHECK_PENALTY, reasons=features.conflicts)
    if features.numbers_missing or features.items_missing:
        reasons = tuple(f"number_missing:{n}" for n in features.numbers_missing)
        reasons += tuple(f"item_missing:{n}" for n in features.items_missing)
        return Verdict(label="unsupported", score=score * CHECK_PENALTY, reasons=reasons)
    return Verdict(label="supported" if score >= params.threshold else "unsupported", score=score)


class LocalJudge:
    """Embedding similarity + content-word coverage + agreement checks; offline, bundled model only.

    Construction is cheap; the embedding model loads on the first judgement. Sentence vectors are cached
    (a metric asks about the same passages many times).

    Args:
        embeddings: Sentence embeddings; default: the bundled all-MiniLM-L6-v2.
        params: Thresholds; default: the DEV-chosen constants.
        linker: Optional KG entity linker (e.g. `KnowledgeBase.linker`): drug and disease entities of the
            hypothesis must then also be linked in the premise.
    """

    def __init__(
        self,
        embeddings: SentenceTransformerEmbeddings | None = None,
        params: LocalJudgeParams | None = None,
        linker: EntityLinker | None = None,
    ) -> None:
        self._embeddings = embeddings
        self.params = params or LocalJudgeParams()
        self.linker = linker
        self._cache: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        model = embeddings.model_name if embeddings is not None else "all-MiniLM-L6-v2"
        digest = hashlib.sha256(self.params.model_dump_json().encode()).hexdigest()[:8]
        kg = ":kg" if linker is not None else ""
        self.name = f"local-nli-v{LOCAL_JUDGE_VERSION}:{model}:{digest}{kg}"

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if todo:
                if self._embeddings is None:
                    from knowledge.embeddings import SentenceTransformerEmbeddings

                    self._embeddings = SentenceTransformerEmbeddings()
                if len(self._cache) > 20_000:
                    self._cache.clear()
                self._cache.update(zip(todo, self._embeddings.embed_documents(todo), strict=True))
            return [self._cache[t] for t in texts]

    def similarity(self, premise: str, hypothesis: str) -> float:
        """Best cosine between the hypothesis and a premise sentence or pair of adjacent sentences."""
        sentences = split_sentences(premise) or [premise]
        windows = sentences + [f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)]
        vectors = np.asarray(self._vectors([hypothesis, *windows]), dtype=np.float32)
        return max(0.0, float((vectors[1:] @ vectors[0]).max()))

    def features(self, premise: str, hypothesis: str) -> JudgeFeatures:
        """Similarity, coverage, alignment and the agreement checks for one pair."""
        hypothesis = _ANSWER_PARTICLE.sub("", strip_markers(hypothesis)).strip()
        premise = strip_markers(premise)
        if not hypothesis or not premise.strip():
            return JudgeFeatures(similarity=0.0, coverage=0.0, alignment=0.0)
        checks = agreement_checks(premise, hypothesis, self.linker)
        return checks.model_copy(update={"similarity": self.similarity(premise, hypothesis)})

    def judge(self, premise: str, hypothesis: str) -> Verdict:
        """Label `hypothesis` against `premise`."""
        return decide(self.features(premise, hypothesis), self.params)


def default_judge() -> Judge:
    """The local judge with the DEV-chosen constants (no network, bundled model)."""
    return LocalJudge()


# --- a chat model as judge -----------------------------------------------------------------------------------


class EntailmentInput(BaseModel):
    """What the chat judge is shown."""

    model_config = ConfigDict(extra="forbid")

    premise: str = Field(description="The evidence: passages, a reference answer or an answer.")
    hypothesis: str = Field(description="The one statement to check against the evidence.")


class EntailmentOutput(BaseModel):
    """What the chat judge must answer: one label."""

    model_config = ConfigDict(extra="forbid")

    label: Label


JUDGE_SYSTEM_PROMPT = (
    "You check whether a statement is supported by a text. Use only the text, not your own knowledge. "
    "Answer with exactly one word:\n"
    "supported - the text states or directly implies the whole statement;\n"
    "contradicted - the text states something incompatible with the statement;\n"
    "unsupported - anything else (the text does not say, or says only part of it).\n"
    "Write nothing but that one word."
)
JUDGE_USER_TEMPLATE = "Text:\n{premise}\n\nStatement:\n{hypothesis}\n\nLabel:"
_LABEL_ONLY = re.compile(r"^\W*(?:label\s*[:=]\s*)?\W*(supported|unsupported|contradicted)\W*$", re.IGNORECASE)


def parse_label(text: str) -> EntailmentOutput | None:
    """The label when `text` is exactly one label (case, quotes, markup and a `Label:` prefix aside), else None."""
    match = _LABEL_ONLY.match(text.strip())
    if match is None:
        return None
    return EntailmentOutput(label=match.group(1).lower())  # type: ignore[arg-type]  # regex admits only labels


class ChatModelJudge:
    """Any LangChain chat model as judge. Unparseable answers are counted in `failures`, scored unsupported/0.

    Args:
        llm: The chat model; its provider and model name make up `name`.
    """

    def __init__(self, llm: BaseChatModel) -> None:
        self.llm = llm
        params = llm._get_ls_params()
        model = params.get("ls_model_name") or llm._llm_type
        provider = params.get("ls_provider")
        self.name = f"chat:{provider}/{model}" if provider and provider != model else f"chat:{model}"
        self.calls = 0
        self.failures = 0
        self._lock = threading.Lock()

    def judge(self, premise: str, hypothesis: str) -> Verdict:
        """Ask the model for one label; anything else is a counted parse failure."""
        from langchain_core.messages import HumanMessage, SystemMessage

        prompt = EntailmentInput(premise=premise, hypothesis=hypothesis)
        reply = self.llm.invoke(
            [SystemMessage(JUDGE_SYSTEM_PROMPT), HumanMessage(JUDGE_USER_TEMPLATE.format(**prompt.model_dump()))]
        )
        parsed = parse_label(reply.text)
        with self._lock:
            self.calls += 1
            if parsed is None:
                self.failures += 1
        if parsed is None:
            logger.debug("judge %s: unparseable answer %r", self.name, reply.text[:200])
            return Verdict(label="unsupported", score=0.0, reasons=("parse_error",))
        return Verdict(label=parsed.label, score=1.0 if parsed.label == "supported" else 0.0)
