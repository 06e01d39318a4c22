"""Unknown entities: disease- and drug-like names in a question that the knowledge base has never heard of.

A small generator asked about "Kessler-Varn syndrome" (fictional) invents a plausible answer from the
nearest real passage. Refusing is better: the question names something, the knowledge base does not know
it, and no retrieved passage mentions it, so the honest answer is "I found nothing about it".

`candidate_terms(question)` finds the names, rule-based:

- a *head* noun (syndrome, disease, disorder, fever, virus, palsy, poisoning, flu, …) with one to three
  modifiers in front ("Kessler-Varn syndrome", "Grobnik's disease", "blue lantern fever",
  "zorbital poisoning"); a head alone ("disease") or with only generic adjectives ("a high fever",
  "rare disease") is not a name;
- a word with a medical suffix (-itis, -osis, -emia, -oma, -pathy, -thyroidism, …) or a drug-stem suffix
  (-mab, -nib, -pril, -olol, -statin, -azole, -mycin, -cillin, -vir, -sartan, …), with an eponym in front
  when there is one ("Hashimoto's thyroiditis");
- a capitalised word or drug-stem word before a dose form ("Varnex tablets" → "Varnex");
- a single word after "take", "taking", "prescribed", "mix", … and the word after its "with"/"and"
  ("can i take varnex with ibuprofen" → "varnex", "ibuprofen").

`unknown_terms(question, is_known=…, passages=…)` keeps the candidates that the caller's `is_known` rejects
and that no passage mentions (compared through `normalize_term`: case, apostrophes, hyphens and a plural
"s" do not matter). `unknown_term_message(terms)` is the refusal text.

Known limits: a lower-case brand name is found only after a verb of taking ("is varnex safe?" is missed),
a capitalised word alone is never a candidate (it would catch places and people), and a misspelt real
disease without a suffix or head noun ("diabetis", "alzheimers") goes unseen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

#: Nouns that end a multiword disease name.
HEAD_NOUNS = frozenset(
    {
        "syndrome",
        "syndromes",
        "disease",
        "diseases",
        "disorder",
        "disorders",
        "fever",
        "virus",
        "palsy",
        "poisoning",
        "flu",
        "plague",
        "sickness",
        "pox",
        "dystrophy",
        "deficiency",
        "toxicity",
    }
)
#: Suffixes of disease names and of drug stems (INN stems), longest first where they nest.
MEDICAL_SUFFIXES = (
    "thyroidism",
    "aldosteronism",
    "itis",
    "osis",
    "iasis",
    "emia",
    "aemia",
    "oma",
    "pathy",
    "algia",
    "penia",
    "plasia",
    "trophy",
    "mab",
    "nib",
    "pril",
    "olol",
    "statin",
    "azole",
    "mycin",
    "cillin",
    "cycline",
    "floxacin",
    "vir",
    "sartan",
    "zepam",
    "zolam",
    "oxetine",
    "tidine",
    "prazole",
    "dipine",
    "formin",
    "gliptin",
    "gliflozin",
    "parin",
    "xaban",
    "triptan",
    "profen",
    "caine",
    "olone",
    "thiazide",
    "semide",
)
#: Everyday words that happen to end in a medical suffix.
SUFFIX_EXCEPTIONS = frozenset(
    {
        "diagnosis",
        "prognosis",
        "osmosis",
        "hypnosis",
        "symbiosis",
        "metamorphosis",
        "academia",
        "bohemia",
        "diploma",
        "aroma",
        "stoma",
        "oklahoma",
        "tacoma",
        "empathy",
        "sympathy",
        "apathy",
        "antipathy",
        "telepathy",
        "homeopathy",
        "april",
        "trophy",
        "atrophy",
        "cholesterol",
        "cocaine",
    }
)
#: A word shorter than this is never a suffix match ("coma", "soma").
MIN_SUFFIX_WORD = 6
#: Up to this many modifiers are read in front of a head noun.
MAX_MODIFIERS = 3
#: Dose forms after which a capitalised word is a product name.
DOSE_FORMS = frozenset(
    {
        "tablet",
        "tablets",
        "tabs",
        "pill",
        "pills",
        "capsule",
        "capsules",
        "caps",
        "cream",
        "ointment",
        "syrup",
        "drops",
        "injection",
        "injections",
        "inhaler",
        "patch",
        "patches",
        "gel",
        "spray",
        "suspension",
        "lozenges",
    }
)
_TAKE_VERBS = frozenset(
    {"take", "taking", "took", "taken", "prescribed", "mix", "mixing", "combine", "combining", "started"}
)
_PAIR_WORDS = frozenset({"with", "and", "alongside", "plus", "or"})
#: Shortest word read as a drug name after a verb of taking ("take it" is not a drug).
MIN_DRUG_WORD = 4

# Function words and question verbs: never part of a name.
_STOP = frozenset(
    """a an the my your his her its our their this that these those some any no every each other another
    of for with without about from to in on at by as into onto over under after before during between
    and or but nor so if than then also just only very really too quite
    i me you he she it we they him them us who whom whose what which when where why how
    is am are was were be been being have has had having do does did can could should would will shall may
    might must get gets got getting catch caught treat treated treating treatment cure cured curing prevent
    avoid spread diagnose diagnosed diagnosing develop developed developing cause causes caused causing
    suffer suffers suffering called named known like regarding know tell explain mean means
    symptom symptoms sign signs test tests type types stage kind sort form case cases risk risks
    please hi hello thanks doctor doc""".split()
)
# Adjectives that only grade a head noun ("a high fever"): dropped from the front of a name.
_GRADING = frozenset(
    """high low mild severe bad worse worst slight terrible awful constant persistent sudden recurring
    recurrent weird strange possible probable suspected new little big huge minor major real""".split()
)
# Adjectives that classify without naming: a head with only these ("rare disease") is not a name.
_CLASSIFYING = frozenset(
    """chronic acute rare common genetic hereditary inherited congenital autoimmune infectious contagious
    viral bacterial fungal parasitic serious deadly fatal mystery unknown unusual tropical childhood
    lifelong progressive""".split()
)
# Words after a verb of taking that are not a drug's name.
_NOT_DRUGS = frozenset(
    """care time steps action measures precautions break rest part advantage place turns note look
    medicine medicines medication medications meds pill pills tablet tablets capsule capsules drug drugs
    painkiller painkillers antibiotic antibiotics vitamin vitamins supplement supplements dose doses
    both them together more less anything something everything nothing alcohol food water milk coffee
    juice grapefruit caffeine meal meals breakfast lunch dinner daily once twice again instead still
    iron sleeping birth control blood pressure pain allergy thyroid steroid steroids hormone hormones diet
    water eye ear nasal first second extra double half""".split()
)
# People and pets: "my baby's fever" and "Mom's diabetes" name no disease.
_NOT_EPONYMS = frozenset(
    """mom mum dad mother father doctor today child kid baby son daughter wife husband partner brother sister
    friend dog cat person patient people everyone someone""".split()
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def _plain(word: str) -> str:
    """Lower case without a possessive ending."""
    word = word.lower().replace("\u2019", "'")
    return word[:-2] if word.endswith("'s") else word.rstrip("'")


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text.replace("\u2019", "'")))


def _adjacent(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Whether only spaces separate two tokens (a comma or full stop ends a name)."""
    return text[left.end() : right.start()].strip() == ""


def _has_suffix(word: str) -> bool:
    plain = _plain(word).replace("-", "")
    if len(plain) < MIN_SUFFIX_WORD or plain in SUFFIX_EXCEPTIONS:
        return False
    return plain.endswith(MEDICAL_SUFFIXES)


def _is_eponym(token: str) -> bool:
    """A capitalised or possessive word that can start a name ("Hashimoto's", "Hodgkin")."""
    plain = _plain(token)
    if plain in _STOP or plain in _NOT_EPONYMS:
        return False
    return any(ch.isupper() for ch in token) or token.lower().endswith("'s")


def _head_names(text: str, tokens: list[re.Match[str]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for i, token in enumerate(tokens):
        if token.group().lower() not in HEAD_NOUNS:
            continue
        modifiers: list[re.Match[str]] = []
        j = i - 1
        while j >= 0 and len(modifiers) < MAX_MODIFIERS and _adjacent(text, tokens[j], tokens[j + 1]):
            if _plain(tokens[j].group()) in _STOP or _plain(tokens[j].group()) in _NOT_EPONYMS:
                break
            modifiers.insert(0, tokens[j])
            j -= 1
        while modifiers and _plain(modifiers[0].group()) in _GRADING:
            modifiers.pop(0)
        if modifiers and not all(_plain(m.group()) in _CLASSIFYING for m in modifiers):
            spans.append((modifiers[0].start(), token.end()))
    return spans


def _suffix_words(text: str, tokens: list[re.Match[str]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for i, token in enumerate(tokens):
        if not _has_suffix(token.group()):
            continue
        start = token.start()
        j = i - 1
        while j >= 0 and i - j <= 2 and _adjacent(text, tokens[j], tokens[j + 1]) and _is_eponym(tokens[j].group()):
            start = tokens[j].start()
            j -= 1
        spans.append((start, token.end()))
    return spans


def _drug_word(token: str) -> bool:
    plain = _plain(token)
    return len(plain) >= MIN_DRUG_WORD and plain not in _STOP and plain not in _NOT_DRUGS


def _product_names(text: str, tokens: list[re.Match[str]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for i, token in enumerate(tokens):
        word = token.group()
        lower = word.lower()
        if lower in DOSE_FORMS and i > 0 and _adjacent(text, tokens[i - 1], token):
            name = tokens[i - 1]
            if _drug_word(name.group()) and (name.group()[0].isupper() or _has_suffix(name.group())):
                spans.append((name.start(), name.end()))
        if lower in _TAKE_VERBS:
            k = i + 1
            if k < len(tokens) and tokens[k].group().lower() == "on":  # "started on X"
                k += 1
            if k < len(tokens) and _drug_word(tokens[k].group()):
                spans.append((tokens[k].start(), tokens[k].end()))
                pair = k + 1
                if pair + 1 < len(tokens) and tokens[pair].group().lower() in _PAIR_WORDS:
                    other = tokens[pair + 1]
                    if _drug_word(other.group()):
                        spans.append((other.start(), other.end()))
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans become the longest one; order of appearance."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if kept and start < kept[-1][1]:
            if end > kept[-1][1]:
                kept[-1] = (kept[-1][0], end)
            continue
        kept.append((start, end))
    return kept


def candidate_terms(question: str) -> list[str]:
    """Disease- and drug-like names in `question`, as written there, in order, without repeats.

    Generic words ("pain", "infection", "disease" or "syndrome" alone) are never candidates.
    """
    text = question.replace("\u2019", "'")
    tokens = _tokens(text)
    spans = _head_names(text, tokens) + _suffix_words(text, tokens) + _product_names(text, tokens)
    terms: list[str] = []
    seen: set[str] = set()
    for start, end in _merge(spans):
        term = text[start:end].strip("'")
        key = normalize_term(term)
        if key not in seen:
            seen.add(key)
            terms.append(term)
    return terms


def normalize_term(text: str) -> str:
    """Lower case, apostrophes dropped, hyphens as spaces, a plural/possessive "s" off each longer word.

    "Crohn's disease", "Crohn disease" and "crohns diseases" all become "crohn disease".
    """
    text = text.lower().replace("\u2019", "'").replace("'s", "").replace("'", "").replace("-", " ")
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def mentioned_in(term: str, passages: Sequence[str]) -> bool:
    """Whether any passage names `term` (whole words, through `normalize_term`)."""
    needle = normalize_term(term)
    if not needle:
        return False
    pattern = re.compile(rf"(?:^| ){re.escape(needle)}(?: |$)")
    return any(pattern.search(normalize_term(passage)) for passage in passages)


def unknown_terms(question: str, *, is_known: Callable[[str], bool], passages: Sequence[str]) -> list[str]:
    """Candidate terms of `question` that `is_known` rejects and no passage mentions.

    Args:
        question: The user's question.
        is_known: Whether the knowledge base knows a term (e.g. a lookup in its entity names); it receives
            the term as written in the question, so it should normalise on its side (`normalize_term`).
        passages: Texts of the retrieved passages.

    Returns:
        The unknown terms, as written in the question, in order (empty when every name is known).
    """
    return [t for t in candidate_terms(question) if not is_known(t) and not mentioned_in(t, passages)]


def unknown_term_message(terms: Sequence[str]) -> str:
    """The refusal for unknown terms: "I found nothing about 'X' in the knowledge base, so I cannot answer. …".

    Raises:
        ValueError: When `terms` is empty (there is nothing to refuse).
    """
    if not terms:
        msg = "`terms` must name at least one unknown term, got none"
        raise ValueError(msg)
    quoted = [f"'{t}'" for t in terms]
    named = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return (
        f"I found nothing about {named} in the knowledge base, so I cannot answer. "
        "Check the spelling, or ask a clinician."
    )
