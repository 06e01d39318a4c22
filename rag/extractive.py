"""Extractive answers: sentences chosen from the retrieved passages, each cited to the passage it came from.

A 270M generator wastes good context (echoes, fragments, invented figures); the sources' own words cannot
be wrong about what the sources say. The composer:

1. splits every usable source into sentences (a passage flagged as untrusted by `knowledge.injection` gives
   none: its words are never repeated as an answer; nor do knowledge-graph facts, which are our listings, not
   a source's statements, except a drug's indications from curated resources, `curated_indications`), dropping
   section labels ("Summary :"), list headings, reference lists and sentences too short or too long to stand
   alone, and cutting a sentence glued to the end of a list (`unglue_lists`);
2. scores each sentence's relevance to the question: cosine similarity of embeddings (when an embedder is
   given) plus the share of the question's content words it contains, minus a small penalty per rank of
   its source (the retriever's order is evidence too), plus a bonus, for a question naming two drugs, to a
   sentence naming both;
3. picks sentences greedily by relevance minus redundancy with those already picked (maximal marginal
   relevance, Carbonell & Goldstein 1998) until the sentence or word budget is spent, skipping near-copies;
4. puts a definition first when the question asks what something is and a picked or candidate sentence
   defines it ("X is a …").

A question about causes is not answered with its disease's effects (`states_effect_of`).

The lead line only restates the question's topic (a source title named in the question); it states
nothing a source must support. Every other sentence is verbatim source text with its source's number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field

from knowledge.chunking import split_sentences
from knowledge.graph.names import normalize
from knowledge.injection import untrusted
from knowledge.lexical import tokenize
from knowledge.sources.indications import LABELEDIN_URL, PHARMACOTHERAPYDB_URL
from rag.context import SECTION, SOURCE, URL, block_flags, source_title
from rag.intent import intent_relations, section_matches, section_mismatch

#: Embeds a list of texts into L2-normalised rows (the knowledge base's own embedder in practice).
EmbedTexts = Callable[[list[str]], np.ndarray]

#: Sources whose passages are never quoted: knowledge-graph facts are listings rendered by us from edges, some of
#: them co-occurrence statistics (ChatDoctor: "Zoster vaccine is used for: Delirium"), not statements a source
#: makes. They still rank passages and feed generative answers, which the support check holds to them.
NOT_QUOTED_SOURCES = frozenset({"knowledge_graph"})
#: Resources whose drug-indication edges were curated by people (PharmacotherapyDB's physicians; LabeledIn, the
#: indications stated on FDA labels): a knowledge-graph `used_for` listing is quoted with their items only, as the
#: one answer the knowledge base has to "what is diclofenac used for?" when no label of the drug is indexed.
CURATED_INDICATION_RESOURCES = ("PharmacotherapyDB", "LabeledIn")
#: Question types a drug's indications answer (None: untyped).
INDICATION_INTENTS = frozenset({None, "indication", "information"})
#: Most conditions a quoted indication listing names (the listing ranks best-supported first).
MAX_INDICATIONS = 8
#: Sources whose every passage is about one drug, its title's: quoted only when the question names that drug.
DRUG_SPECIFIC_SOURCES = frozenset({"fda_labels"})
#: Sentences shorter than this many words rarely stand alone ("See below."); longer ones are lists or tables.
MIN_SENTENCE_WORDS, MAX_SENTENCE_WORDS = 5, 70
#: Weight of lexical overlap (share of question content words present) next to embedding cosine.
LEXICAL_WEIGHT = 0.5
#: Relevance lost per rank of the sentence's source: the retriever's order breaks near-ties.
RANK_PENALTY = 0.02
#: MMR trade-off: 1 = relevance only, 0 = novelty only.
MMR_LAMBDA = 0.7
#: A sentence this similar (cosine, or word Jaccard without an embedder) to a picked one says the same thing.
NEAR_COPY = 0.85

# "Summary : …", "What are the symptoms of X? …" at the start of MedQuAD passages: labels, not content.
_LEADING_LABEL = re.compile(r"^\s*(?:[A-Z][\w'’()/,-]*(?:\s+[\w'’()/,-]+){0,5}\s+:\s+|Key Points\s+-\s+)")
_QUESTION_PREFIX = re.compile(r"^[^.?!]{3,160}\?\s+")
_ANAPHOR = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|he|she|such|both|the latter|the former|some (?:common )?ones)\b"
    # "The disease is metastatic breast cancer, not bone cancer": a verdict on the passage's case, which out of
    # its passage reads as one on the asker's (a judged sample's answer to a mother's small ductal tumour).
    r"|^the (?:disease|cancer|tumou?r|condition|disorder|infection|patient|child|baby) (?:is|was|has)\b",
    re.I,
)
_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what\s+(?:is|are|'s)|what's|whats|define|definition of|meaning of|tell me about)\b", re.IGNORECASE
)
_DEFINES = re.compile(r"^[^.;:]{0,80}?\b(?:is|are|refers to|means|describes)\s+(?:a|an|the|one|any)\b", re.IGNORECASE)
# Not answer text: resource lists, "see also", pointers elsewhere ("Learn more … here."), bare references to
# other label sections, and the Disease Ontology's formal definitions, written in its relation names ("A drug
# allergy that has_allergic_trigger diclofenac").
_NOT_CONTENT = re.compile(
    r"^(?:these resources|see also|for more information|resources? (?:from|on)|source:|references?\b)"
    r"|\b[a-z]+_[a-z_]+\b"
    r"|\b(?:learn more|click|read more|see below|see above)\b|\bhere\.$"
    r"|\[\s*see [^\]]*\]|\(\s*\d+(?:\.\d+)*\s*(?:,\s*\d+(?:\.\d+)*\s*)*\)\s*$"
    # The cancer summaries' stock sentences, which name no treatment: "There are different types of treatment for
    # patients with non-Hodgkin lymphoma" answered "what is the treatment for lymphoma?" in a judged sample.
    r"|^(?:there are )?(?:different|several|many) types of treatment (?:for|are available)"
    r"|^new types of treatment are being tested|^some treatments are standard\b"
    r"|^patients may want to think about taking part in a clinical trial"
    r"|^the following \w+ (?:are|is) used\b|\bthis section describes\b"
    # GARD's pointer to a table the passage does not hold: "The Human Phenotype Ontology provides the following
    # list of signs and symptoms for Congenital hypothyroidism."
    r"|\bprovides the following list\b"
    # The table that pointer announces, flattened: "Signs and Symptoms Approximate number of patients (when available)".
    r"|\bapproximate number of patients\b|\bthe human phenotype ontology \(hpo\) has collected\b",
    re.IGNORECASE,
)


# MedQuAD's lists lost their line breaks: "… such as - chlorpropamide (Diabinese) - tolbutamide Certain combination
# pills can also cause hypoglycemia, including - …" is one "sentence" of 98 words, past the length limit, and the
# answer to "what can cause hypoglycemia?" was never a candidate. After a list's first item, a capitalised word that
# follows an item's last lower-case word (or closing bracket) and starts six or more words before the next item
# starts a new sentence; a shorter run is part of an item ("- people with Down syndrome - …").
_LIST_ITEM = re.compile(r"\s-\s")
_GLUED_START = re.compile(r"(?<=[a-z)])\s+(?=[A-Z][a-z]+,?\s+[a-z])")
_GLUED_MIN_WORDS = 6
# MedQuAD's pages lost the line break after each subheading too: "Diabetes Medications Hypoglycemia can occur as a
# side effect …", "Coronary Artery Spasm A less common cause of heart attack …" (about 3,700 of its sentences).
# The heading is the run of capitalised words before the sentence's first capitalised word that a lower-case word
# follows. That word begins the sentence when it is a common sentence opener ("A", "In", "Your"), repeats the
# heading ("Chemotherapy Chemotherapy is …"), or follows a heading of two or more words that the passage never
# writes again with it (a name like "Acute Myeloid Leukemia" recurs; "Diabetes Medications Hypoglycemia" does not).
GLUED_HEADING_SOURCES = frozenset({"medquad"})
#: Words a capitalised run may hold ("Eating, Diet, and Nutrition on Dialysis").
_HEADING_LINKS = frozenset({"of", "or", "and", "in", "the", "a", "an", "to", "for", "with", "on", "at", "by", "from"})
#: Common first words of a sentence: after a capitalised run, one of them starts the sentence.
_SENTENCE_OPENERS = frozenset(
    "a an the in if there this these those your you most some many other it its when people each all about for "
    "after before during because although while one two having being to how what no not as at by with without we "
    "our they he she doctors researchers scientists children adults treatment".split()
)
#: A heading never starts with these, and a run that does is a sentence ("The Human Phenotype Ontology provides …").
_NOT_HEADING_START = frozenset(
    "the a an if see when for in to as at by with this these what how why is are do does can".split()
)
#: Stage and type numbers ("Stage II", "Type 2", "Type A"): a run ending in one is a name, not a heading, and a
#: sentence does not start with one ("Stage II Stage II rectal cancer is …").
_STAGE_NUMBER = re.compile(r"^(?:[IVX]+|\d+\w*)$")
_NAME_END = re.compile(r"^(?:[IVX]+|\d+\w*|[A-Z])$")
# "What causes hypoglycemia?" is not answered by what hypoglycemia causes: a sentence naming the question's
# disease only before a causal cue ("Hypoglycemia causes symptoms such as …", "Congenital heart defects also may
# cause congenital heart block") states one of its effects. Matched on normalised text (lemmas: "causes" → "cause").
_CAUSAL_CUE = re.compile(r" (?:cause|causing|lead to|led to|result in|trigger|responsible for|contribute to) ")


class Candidate(BaseModel):
    """A sentence of a source that could be part of the answer."""

    model_config = ConfigDict(extra="forbid")

    text: str
    source: int = Field(description="Number of its source (1-based, as cited).")
    position: int = Field(description="Order of the sentence in its source.")
    relevance: float = 0.0


class ExtractiveAnswer(BaseModel):
    """The composed answer: a topic lead and cited source sentences (empty when nothing was relevant)."""

    model_config = ConfigDict(extra="forbid")

    lead: str | None
    sentences: list[Candidate]

    def text(self) -> str:
        """Sentences with their `[n]` markers, as a generator's answer would carry them (lead excluded)."""
        return " ".join(_with_marker(c.text, c.source) for c in self.sentences)


def _with_marker(sentence: str, n: int) -> str:
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


def clean_sentence(sentence: str) -> str:
    """A source sentence without a leading section label or restated question.

    Square brackets become round ones ("chest pain (HSDN)"): in an answer, `[…]` is a citation marker.
    """
    sentence = _LEADING_LABEL.sub("", sentence, count=1)
    sentence = _QUESTION_PREFIX.sub("", sentence, count=1)
    return " ".join(sentence.replace("[", "(").replace("]", ")").split())


_LISTING_ITEM = re.compile(r"\s*(?P<name>[^;\[\]]+?)\s*\[(?P<resources>[^\]]+)\]")
#: PharmacotherapyDB's mark for a drug that eases a disease's symptoms and does not modify the disease.
_SYMPTOMATIC = "PharmacotherapyDB: symptomatic"
#: LabeledIn names conditions by MeSH headings, which invert ("Rhinitis, Allergic, Perennial", "Diabetes Mellitus,
#: Type 2"): every comma part capitalised. A bare number part is a type number and stays last
#: ("Hypothyroidism, Congenital, Nongoitrous, 4" is left as it is).
_INVERTED_NAME = re.compile(r"^[A-Z][^,]*(?:, [A-Z][^,]*)+$")


def natural_order(name: str) -> str:
    """A MeSH heading in reading order ("Perennial Allergic Rhinitis", "Type 2 Diabetes Mellitus"): each comma
    part qualifies the one before it; any other name unchanged."""
    return " ".join(reversed(name.split(", "))) if _INVERTED_NAME.match(name) else name


def curated_indications(source: Document) -> str | None:
    """The sentence a knowledge-graph `used_for` fact gives when some of its items come from curated resources
    (`CURATED_INDICATION_RESOURCES`), else None; ChatDoctor's items are co-occurrences in dialogues and left out."""
    if source.metadata.get(SOURCE) != "knowledge_graph" or source.metadata.get(SECTION) != "used_for":
        return None
    _, _, listing = source.page_content.partition(": ")
    treats: list[str] = []
    relieves: list[str] = []
    seen: set[str] = set()
    for item in _LISTING_ITEM.finditer(listing):
        # Two graph nodes may share a name ("Seizures" from three LabeledIn headings): each is listed once.
        curated = any(resource in item["resources"] for resource in CURATED_INDICATION_RESOURCES)
        name = natural_order(item["name"])
        if not curated or name.lower() in seen:
            continue
        seen.add(name.lower())
        # PharmacotherapyDB's "symptomatic" eases a disease's symptoms without treating it: "Prochlorperazine is
        # used for: breast cancer" misread a judged answer (its nausea under chemotherapy is meant).
        symptomatic = _SYMPTOMATIC in item["resources"] and not any(
            mark in item["resources"] for mark in ("LabeledIn", "disease-modifying")
        )
        (relieves if symptomatic else treats).append(name)
    if not seen:
        return None
    treats, relieves = treats[:MAX_INDICATIONS], relieves[:MAX_INDICATIONS]
    drug = source_title(source)
    # A drug with indications of its own is quoted for those only: beside them its symptomatic uses read as uses
    # ("Zolpidem is used for: Sleep Initiation and Maintenance Disorders; and to relieve symptoms of: multiple
    # sclerosis" was judged wrong in a blind sample, as "Prochlorperazine is used for: breast cancer" was).
    if treats:
        return f"{drug} is used for: {'; '.join(treats)} (curated indication lists: PharmacotherapyDB, LabeledIn)."
    return (
        f"{drug} is used to relieve symptoms of: {'; '.join(relieves)} (curated indication lists: PharmacotherapyDB)."
    )


def cited_as_curated(source: Document) -> Document:
    """A quotable indication listing, citing the curated resource it is quoted for: the listing's own link is that
    of the resource stating most of its edges, often ChatDoctor's, whose items are left out of the quote."""
    if curated_indications(source) is None:
        return source
    url = PHARMACOTHERAPYDB_URL if "[PharmacotherapyDB" in source.page_content else LABELEDIN_URL
    return Document(id=source.id, page_content=source.page_content, metadata={**source.metadata, URL: url})


def quotable(source: Document) -> bool:
    """Whether the composer may quote this source at all (see `NOT_QUOTED_SOURCES`, `curated_indications`)."""
    return source.metadata.get(SOURCE) not in NOT_QUOTED_SOURCES or curated_indications(source) is not None


def drop_glued_heading(sentence: str, passage: str) -> str:
    """`sentence` without the subheading glued to its start (see `GLUED_HEADING_SOURCES`); `passage` is its text."""
    words = sentence.split()
    first_lower = None
    for i, word in enumerate(words):
        if word[0].isdigit():
            continue
        if not word[0].isalpha():  # "Key Points - …": a list, not a heading
            return sentence
        linking = 0 < i < len(words) - 1 and word.lower() in _HEADING_LINKS and words[i + 1][0].isupper()
        if not (word[0].isupper() or linking):
            first_lower = i
            break
    if first_lower is None or first_lower < 2:
        return sentence
    start = first_lower - 1
    subject, heading = words[start], words[:start]
    if (
        not subject[0].isupper()
        or _STAGE_NUMBER.match(subject)
        # "Filamin A also links …", "Hepatitis A is …", "Type B may …": a letter after a word names a kind
        or (len(subject) == 1 and (subject != "A" or len(heading) < 2))
        or (subject.isupper() and len(subject) > 1)  # an acronym ("UI may be treated …") may end the heading
        or heading[0].lower() in _NOT_HEADING_START
        or _NAME_END.match(heading[-1])
        or heading[-1].lower() in _HEADING_LINKS
    ):
        return sentence
    opener = subject.lower() in _SENTENCE_OPENERS
    repeat = subject.lower().rstrip(",") == heading[0].lower()
    if not (opener or repeat):
        name = " ".join(words[: start + 1]).lower()
        if len(heading) < 2 or passage.lower().count(name) > 1:
            return sentence
    return " ".join(words[start:])


def unglue_lists(sentence: str) -> list[str]:
    """`sentence` cut where a sentence glued to the end of a list item starts (see `_GLUED_START`)."""
    first = _LIST_ITEM.search(sentence)
    if first is None:
        return [sentence]
    for start in _GLUED_START.finditer(sentence, first.end()):
        following = _LIST_ITEM.search(sentence, start.end())
        run = sentence[start.end() : following.start() if following else len(sentence)]
        if len(run.split()) >= _GLUED_MIN_WORDS:
            # The cut piece ends a sentence now: with its full stop, the answer's text splits where the piece does.
            head = sentence[: start.start()].strip()
            head = head if head.endswith((".", "!", "?")) else f"{head}."
            return [head, *unglue_lists(sentence[start.end() :].strip())]
    return [sentence]


def states_effect_of(text: str, names: Sequence[str]) -> bool:
    """Whether `text` names one of `names` before its first causal cue and none after it: an effect of it."""
    normalised = f" {normalize(text)} "
    cue = _CAUSAL_CUE.search(normalised)
    if cue is None:
        return False
    before, after = normalised[: cue.start() + 1], normalised[cue.start() :]
    return any(f" {n} " in before for n in names) and not any(f" {n} " in after for n in names)


def candidates(sources: Sequence[Document]) -> list[Candidate]:
    """Sentences of the usable sources that can stand alone as answer sentences."""
    found: list[Candidate] = []
    seen: set[str] = set()
    for n, source in enumerate(sources, start=1):
        if source.metadata.get(SOURCE) in NOT_QUOTED_SOURCES:
            indications = curated_indications(source)
            if indications is not None:
                found.append(Candidate(text=indications, source=n, position=0))
            continue
        # Inspected afresh (not only the stored flags): documents may come from any retriever, unpacked.
        if untrusted(block_flags(source.metadata, source.page_content, source_title(source))):
            continue
        pieces = [piece for raw in split_sentences(source.page_content) for piece in unglue_lists(raw)]
        if source.metadata.get(SOURCE) in GLUED_HEADING_SOURCES:
            pieces = [drop_glued_heading(piece, source.page_content) for piece in pieces]
        for position, raw in enumerate(pieces):
            text = clean_sentence(raw)
            words = len(text.split())
            key = text.lower()
            if not (MIN_SENTENCE_WORDS <= words <= MAX_SENTENCE_WORDS) or key in seen:
                continue
            # A sentence starts with a capital or a number; anything else is a piece glued to a title or list.
            if (
                text.endswith((":", "…", "?"))
                or _NOT_CONTENT.search(text)
                or not (text[0].isupper() or text[0].isdigit())
            ):
                continue
            if _ANAPHOR.match(text):  # "This can lead to …": out of its passage, "this" points at nothing
                continue
            seen.add(key)
            found.append(Candidate(text=text, source=n, position=position))
    return found


def _overlap(question_words: set[str], text: str) -> float:
    return len(question_words & set(tokenize(text))) / len(question_words) if question_words else 0.0


def _jaccard(a: str, b: str) -> float:
    x, y = set(tokenize(a)), set(tokenize(b))
    return len(x & y) / len(x | y) if x | y else 0.0


def on_focus(candidate: Candidate, sources: Sequence[Document], focus: Sequence[tuple[str, Sequence[str]]]) -> bool:
    """Whether a sentence is about what the question names: a question naming a drug is answered only by
    sentences naming one of its drugs (or from a passage titled by one), else one naming a disease only by
    sentences about one of its diseases. Another drug's side effects are not this drug's ("can alprazolam
    lower blood pressure?" must not be answered with what blood pressure medicines do)."""
    source = sources[candidate.source - 1]
    drugs = [names for kind, names in focus if kind == "drug"]
    title = f" {normalize(source_title(source))} "
    if source.metadata.get(SOURCE) in DRUG_SPECIFIC_SOURCES or curated_indications(source) is not None:
        # Every sentence of a drug label is about that drug, named or not ("Do not consume food … after
        # taking GALAFOLD" is no answer about Rapaflo): quoted only for a question naming that drug.
        if not any(f" {name} " in title for names in drugs for name in names):
            return False
        brand, others = _combination_rest(source_title(source), drugs)
        if not others or any(brand == name for names in drugs for name in names):
            return True  # a single drug, or the question names the product itself
        # A combination's label answers for one of its ingredients only where a sentence names that ingredient and
        # not the product: "is it safe to take Tylenol while pregnant?" was answered with the pregnancy category of
        # an acetaminophen + dihydrocodeine capsule.
        text = f" {normalize(candidate.text)} "
        named = any(f" {name} " in text for names in drugs for name in names)
        # The brand as a word start: trademark signs run into it ("TREZIX™" normalises to "trezixtm").
        return named and not (brand and re.search(rf" {re.escape(brand)}", text))
    wanted = drugs or [names for kind, names in focus if kind != "drug"]
    if not wanted:
        return True
    text = f" {normalize(candidate.text)}{title}"
    return any(f" {name} " in text for names in wanted for name in names)


_LABEL_TITLE = re.compile(r"^(?P<generic>[^()]+?)\s*(?:\((?P<brand>[^()]+)\))?\s*$")


def _combination_rest(title: str, drugs: Sequence[Sequence[str]]) -> tuple[str | None, list[str]]:
    """A drug label's brand (normalised) and the ingredients of its title ("Acetaminophen, caffeine,
    dihydrocodeine bitartrate (Trezix)") that none of the question's drugs names: empty for a single drug."""
    match = _LABEL_TITLE.match(title)
    if match is None:
        return None, []
    ingredients = [normalize(part) for part in re.split(r",|\band\b", match["generic"]) if part.strip()]
    if len(ingredients) < 2:
        return None, []
    others = [i for i in ingredients if not any(f" {name} " in f" {i} " for names in drugs for name in names)]
    return (normalize(match["brand"]) if match["brand"] else None), others


def drugs_named(candidate: Candidate, sources: Sequence[Document], focus: Sequence[tuple[str, Sequence[str]]]) -> int:
    """How many of the question's drugs the sentence (or its passage's title) names."""
    text = f" {normalize(candidate.text)} {normalize(source_title(sources[candidate.source - 1]))} "
    return sum(any(f" {name} " in text for name in names) for kind, names in focus if kind == "drug")


def topic(question: str, sources: Sequence[Document]) -> str | None:
    """The question's topic: the most specific source title (last ` › ` segment) whose words it names."""
    words = set(tokenize(question))
    best: tuple[int, str] | None = None
    for source in sources:
        title = source_title(source).split(" › ")[-1].strip()
        title_words = set(tokenize(title))
        if title_words and title_words <= words and (best is None or len(title_words) > best[0]):
            best = (len(title_words), title)
    return best[1] if best else None


def compose(
    question: str,
    sources: Sequence[Document],
    *,
    embed: EmbedTexts | None = None,
    intent: str | None = None,
    classify: Callable[[np.ndarray, str], str | None] | None = None,
    focus: Sequence[tuple[str, Sequence[str]]] | None = None,
    max_sentences: int = 4,
    max_words: int = 110,
    min_relevance: float = 0.35,
    section_bonus: float = 0.0,
    pair_bonus: float = 0.0,
) -> ExtractiveAnswer:
    """The extractive answer to `question` from `sources` (see the module docstring for the method).

    `min_relevance` is the score a sentence needs to be used at all: with an embedder, cosine plus
    `LEXICAL_WEIGHT` × overlap minus the rank penalty; without, the overlap alone. `intent` is the question
    type (`rag.intent`): listings for other types are left out — a list of what metformin treats shares every
    word with "metformin side effects" and answers none of it. `classify` gives the type from the question's
    vector and text instead (with an embedder), so the question is embedded once.
    `focus` holds the `(type, normalised names)` of the diseases and drugs the question names (`on_focus`).
    `section_bonus` is added to the relevance of sentences from a passage whose section answers the question's
    type ("how is congenital heart disease passed down?" → the inheritance section, not a definition that
    shares its words). `pair_bonus` is added, when the question names two or more drugs, to sentences naming two
    of them: "can she take Tylenol with Coumadin?" is answered by the sentence on acetaminophen *and* warfarin.
    """
    pool = [c for c in candidates(sources) if on_focus(c, sources, focus or [])]
    vectors: np.ndarray | None = None
    if embed is not None and pool:
        vectors = embed([question, *(c.text for c in pool)])
        if classify is not None:
            intent = classify(vectors[0], question)
    keep = [i for i, c in enumerate(pool) if not section_mismatch(intent, sources[c.source - 1].metadata.get(SECTION))]
    if intent not in INDICATION_INTENTS:  # "how should I take it?", "what strengths?": not what it is for
        keep = [i for i in keep if curated_indications(sources[pool[i].source - 1]) is None]
    if intent == "causes":
        named = [name for kind, names in focus or [] if kind != "drug" for name in names]
        keep = [i for i in keep if not states_effect_of(pool[i].text, named)]
    pool = [pool[i] for i in keep]
    if not pool:
        return ExtractiveAnswer(lead=None, sentences=[])
    if vectors is not None:
        vectors = vectors[[0, *(i + 1 for i in keep)]]
    question_words = set(tokenize(question))
    pair_question = sum(kind == "drug" for kind, _ in focus or []) >= 2
    if vectors is not None:
        cosines = vectors[1:] @ vectors[0]
    for i, c in enumerate(pool):
        lexical = _overlap(question_words, c.text)
        dense = float(cosines[i]) if vectors is not None else 0.0
        weight = LEXICAL_WEIGHT if vectors is not None else 1.0
        section = sources[c.source - 1].metadata.get(SECTION)
        answers = section_matches(intent, section) or (section is not None and section in intent_relations(intent))
        bonus = section_bonus if answers else 0.0
        if pair_question and drugs_named(c, sources, focus or []) >= 2:
            bonus += pair_bonus
        c.relevance = round(dense + weight * lexical + bonus - RANK_PENALTY * (c.source - 1), 4)
    usable = [i for i, c in enumerate(pool) if c.relevance >= min_relevance]
    picked: list[int] = []
    words = 0

    def similarity(i: int, j: int) -> float:
        if vectors is not None:
            return float(vectors[i + 1] @ vectors[j + 1])
        return _jaccard(pool[i].text, pool[j].text)

    while usable and len(picked) < max_sentences:
        scored = [
            (MMR_LAMBDA * pool[i].relevance - (1 - MMR_LAMBDA) * max((similarity(i, j) for j in picked), default=0), i)
            for i in usable
        ]
        _, best = max(scored)
        usable.remove(best)
        if any(similarity(best, j) >= NEAR_COPY for j in picked):
            continue
        length = len(pool[best].text.split())
        if picked and words + length > max_words:
            continue
        picked.append(best)
        words += length
    chosen = [pool[i] for i in picked]
    if chosen and _DEFINITION_QUESTION.match(question):
        definitions = [c for c in chosen if _DEFINES.match(c.text)]
        if definitions:
            first = definitions[0]
            chosen = [first, *(c for c in chosen if c is not first)]
    lead = None
    if chosen:
        subject = topic(question, sources)
        lead = f"What the sources say about {subject}:" if subject else "What the sources say:"
    return ExtractiveAnswer(lead=lead, sentences=chosen)
