"""Canonical drug identity and a drug lexicon built from the knowledge graph.

Sources name one drug in many ways: an FDA label says "METFORMIN HYDROCHLORIDE", PharmacotherapyDB says
"Metformin", a patient says "Glucophage" or "metforman". `drug_key` reduces a name to its active moiety
(case, punctuation, salt and ester words dropped; combinations as a sorted set of components), so every
loader that names its drug nodes `drug_node_id(name)` lands on the same `DRUG:<key>` node and
`knowledge.graph.build` merges the records by id. `DrugLexicon` then maps every name, brand and misspelling
found on those nodes back to the node, for entity linking and query expansion.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

import networkx as nx
from pydantic import BaseModel, ConfigDict

from knowledge.graph.names import normalize
from knowledge.schema import NodeRecord

DRUG_PREFIX = "DRUG:"

#: Words naming the salt, ester or counter-ion of a drug rather than the drug: "metformin hydrochloride",
#: "atorvastatin calcium" and "estradiol valerate" are metformin, atorvastatin and estradiol. They are dropped
#: only while another word remains, so "potassium chloride" or "magnesium sulfate" keep their whole name.
#: Active cations (lithium, silver, bismuth) are deliberately absent: "lithium carbonate" is lithium.
# fmt: off
SALT_WORDS = frozenset(
    {
        # inorganic anions and their acid salts
        "hydrochloride", "dihydrochloride", "hcl", "hydrobromide", "bromide", "chloride", "iodide",
        "sulfate", "sulphate", "bisulfate", "phosphate", "diphosphate", "nitrate", "carbonate", "bicarbonate",
        # organic anions
        "acetate", "maleate", "fumarate", "hemifumarate", "succinate", "tartrate",
        "bitartrate", "citrate", "gluconate", "lactate", "malate", "mesylate", "mesilate", "dimesylate",
        "besylate", "besilate", "tosylate", "camsylate", "edisylate", "esylate", "napsylate", "xinafoate",
        "benzoate", "pamoate", "embonate", "stearate", "oxalate", "trifluoroacetate",
        "meglumine", "tromethamine", "hyclate",
        # cations of salts
        "sodium", "disodium", "potassium", "dipotassium", "calcium", "magnesium",
        # esters and pro-moieties that do not change which drug it is
        "propionate", "dipropionate", "valerate", "cypionate", "enanthate", "decanoate", "undecanoate",
        "palmitate", "furoate", "acetonide", "mofetil", "dipivoxil", "pivoxil", "axetil", "medoxomil",
        "cilexetil", "proxetil",
    }
)
# fmt: on
#: Words describing the grade or hydration of the substance, never the drug.
QUALIFIER_WORDS = frozenset(
    {"usp", "nf", "anhydrous", "monohydrate", "dihydrate", "trihydrate", "hemihydrate", "sesquihydrate", "hydrate"}
)
#: A label's generic name may add the vehicle ("bupivacaine hydrochloride in dextrose"): cut from " in " on
#: when one of these follows.
_VEHICLES = ("dextrose", "sodium chloride", "water", "plastic container")
#: International (INN/BAN) names → the US adopted name that FDA labels use, so "paracetamol" and
#: "acetaminophen" are one drug. Short on purpose: only names that differ in common English usage.
US_NAMES = {
    "paracetamol": "acetaminophen",
    "acetylsalicylic acid": "aspirin",
    "salbutamol": "albuterol",
    "adrenaline": "epinephrine",
    "noradrenaline": "norepinephrine",
    "glibenclamide": "glyburide",
    "lignocaine": "lidocaine",
    "frusemide": "furosemide",
    "pethidine": "meperidine",
    "rifampicin": "rifampin",
    "ciclosporin": "cyclosporine",
    "cromoglicic acid": "cromolyn",
    "l dopa": "levodopa",
}
# Separators between the components of a combination product ("sulfamethoxazole and trimethoprim",
# "estradiol valerate/dienogest", "acetaminophen, caffeine, dihydrocodeine bitartrate").
_COMPONENT_SPLIT = re.compile(r"\s*(?:,\s*and\s+|,|/|\+|\band\b|\bwith\b)\s*", re.IGNORECASE)
_SEPARATOR = re.compile(r"(\s*(?:,|/|\+|\band\b|\bwith\b)\s*)", re.IGNORECASE)
_PARENTHESES = re.compile(r"\([^)]*\)")
# Since 2017 the FDA appends a four-letter meaningless suffix to biologics ("cemiplimab-rwlc").
_BIOLOGIC_SUFFIX = re.compile(r"(?<=[a-z]{3})-[a-z]{4}$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_STEREO_SALT = re.compile(r"\b(?:r|s|rs)-([a-z]+)")


def _ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _strip_vehicle(name: str) -> str:
    at = name.lower().find(" in ")
    return name[:at] if at > 0 and name[at + 4 :].strip().lower().startswith(_VEHICLES) else name


def _component_key(component: str) -> str:
    # A stereo descriptor on a salt ("cabozantinib s-malate") goes with the salt.
    component = _STEREO_SALT.sub(lambda m: m.group(1) if m.group(1) in SALT_WORDS else m.group(0), component)
    tokens = component.split()
    if tokens:
        tokens[-1] = _BIOLOGIC_SUFFIX.sub("", tokens[-1])
    words = _NON_WORD.sub(" ", " ".join(tokens)).split()
    for drop in (QUALIFIER_WORDS, SALT_WORDS):
        words = [w for w in words if w not in drop] or words
    key = " ".join(words)
    return US_NAMES.get(key, key)


def drug_components(name: str) -> list[str]:
    """Sorted, de-duplicated component keys of a drug name (one for a single drug)."""
    text = _strip_vehicle(_PARENTHESES.sub(" ", _ascii_lower(name)))
    parts = [_component_key(p) for p in _COMPONENT_SPLIT.split(text) if p.strip()]
    # A grade given as its own part ("sennosides, USP") is no component.
    return sorted({p for p in parts if p and not set(p.split()) <= QUALIFIER_WORDS})


def drug_key(name: str) -> str:
    """Canonical key of a drug name: `"Metformin HCl"` → `metformin`, `"Trimethoprim and sulfamethoxazole"` →
    `sulfamethoxazole+trimethoprim`.

    Raises ValueError for a name that names no drug, so a loader counts the record as malformed.
    """
    components = drug_components(name)
    if not components:
        msg = f"drug name {name!r} names no drug (no letters, or only a grade such as USP); fix the source's drug name"
        raise ValueError(msg)
    return "+".join(components)


def drug_node_id(name: str) -> str:
    """KG node id of a drug: `DRUG:<drug_key(name)>`."""
    return DRUG_PREFIX + drug_key(name)


def readable(name: str) -> str:
    """An all-capitals label name in sentence case (`GENTAMICIN SULFATE` → `Gentamicin sulfate`); other case kept."""
    name = " ".join(name.split())
    if name.upper() != name:
        return name
    return name[:1].upper() + name[1:].lower()


def moiety_name(name: str) -> str:
    """The readable name without salt and grade words, word order kept: `Gentamicin sulfate` → `Gentamicin`.

    Loaders name drug nodes this way, so the node's name does not depend on which source loaded first.
    """
    text = _strip_vehicle(readable(name))
    # re.split with a group keeps the separators at the odd positions, so the name reads as before.
    parts = _SEPARATOR.split(text)
    for i in range(0, len(parts), 2):
        words = parts[i].split()
        for drop in (QUALIFIER_WORDS, SALT_WORDS):
            words = [w for w in words if _NON_WORD.sub("", w.lower()) not in drop] or words
        parts[i] = " ".join(words)
    result = "".join(parts).strip(" ,")
    return result[:1].upper() + result[1:] if result else readable(name)


class DrugMatch(BaseModel):
    """One drug found by the lexicon."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node_id: str
    name: str
    surface: str
    score: float
    match: str  # "name" | "synonym" | "key" | "fuzzy"


class DrugLexicon:
    """Every name of every drug node → the node: generic names, salts, brands and substance names.

    `lookup` tries the exact surface, then the canonical key (so an unseen salt form still finds its drug),
    then a fuzzy match for misspellings. Fuzzy matching is stricter than nothing but looser than the entity
    linker's (85 vs 90), because drug names are long, rare words where one wrong vowel ("metforman") is the
    usual error; surfaces under five letters never match fuzzily.
    """

    def __init__(self, drugs: Iterable[tuple[str, str, list[str]]], *, fuzzy_cutoff: float = 85.0) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self._names: dict[str, str] = {}
        self._synonyms: dict[str, list[str]] = {}
        surfaces: dict[str, list[tuple[int, str]]] = defaultdict(list)  # surface → [(rank, node id)]
        keys: dict[str, set[str]] = defaultdict(set)
        for node_id, name, synonyms in drugs:
            self._names[node_id] = name
            self._synonyms[node_id] = [s for s in dict.fromkeys(synonyms) if s != name]
            for rank, surface in enumerate([name, *synonyms]):
                norm = normalize(surface)
                if len(norm) > 2:
                    # A node's own name beats another node's synonym; canonical DRUG: ids beat source-local ones.
                    surfaces[norm].append((0 if rank == 0 else 1, node_id))
                try:
                    keys[drug_key(surface)].add(node_id)
                except ValueError:
                    continue
        self._surfaces = {
            s: sorted(set(e), key=lambda e: (e[0], not e[1].startswith(DRUG_PREFIX), e[1]))[0][1]
            for s, e in surfaces.items()
        }
        self._keys = {k: sorted(ids, key=lambda n: (not n.startswith(DRUG_PREFIX), n))[0] for k, ids in keys.items()}
        self._fuzzy_choices = [s for s in self._surfaces if len(s) >= 5]

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, **kwargs: float) -> DrugLexicon:
        """Lexicon of the graph's `drug` nodes."""
        return cls(
            ((n, a["name"], list(a.get("synonyms", []))) for n, a in graph.nodes(data=True) if a.get("type") == "drug"),
            **kwargs,
        )

    @classmethod
    def from_records(cls, nodes: Iterable[NodeRecord], **kwargs: float) -> DrugLexicon:
        """Lexicon of loader node records (before a graph is built); records with one id are combined."""
        merged: dict[str, tuple[str, list[str]]] = {}
        for node in nodes:
            if node.type != "drug":
                continue
            name, synonyms = merged.get(node.node_id, (node.name, []))
            merged[node.node_id] = (name, [*synonyms, *([node.name] if node.name != name else []), *node.synonyms])
        return cls(((n, name, syn) for n, (name, syn) in merged.items()), **kwargs)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._names

    def lookup(self, text: str, *, fuzzy: bool = True) -> DrugMatch | None:
        """The drug `text` names (a generic, brand or misspelt name), or None."""
        norm = normalize(text)
        if not norm:
            return None
        node_id = self._surfaces.get(norm)
        if node_id is not None:
            match = "name" if normalize(self._names[node_id]) == norm else "synonym"
            return DrugMatch(node_id=node_id, name=self._names[node_id], surface=norm, score=1.0, match=match)
        try:
            node_id = self._keys.get(drug_key(text))
        except ValueError:
            node_id = None
        if node_id is not None:
            return DrugMatch(node_id=node_id, name=self._names[node_id], surface=norm, score=0.95, match="key")
        if not fuzzy or len(norm) < 5:
            return None
        from rapidfuzz import fuzz, process

        best = process.extractOne(norm, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff)
        if best is None:
            return None
        node_id = self._surfaces[best[0]]
        return DrugMatch(
            node_id=node_id, name=self._names[node_id], surface=best[0], score=round(best[1] / 100.0, 4), match="fuzzy"
        )

    def generic(self, text: str) -> str | None:
        """The canonical (generic) name of the drug `text` names: `generic("Glucophage")` → `"Metformin"`."""
        match = self.lookup(text)
        return match.name if match else None

    def names(self, node_id: str) -> list[str]:
        """Every name of a drug node, its canonical name first: the terms to expand a query with."""
        if node_id not in self._names:
            return []
        return [self._names[node_id], *self._synonyms[node_id]]
