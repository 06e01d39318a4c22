"""Brand and other names of ~20,000 drugs → their generic names, from the `drug-named-entity-recognition` package.

The knowledge base's own drug lexicon (`knowledge.graph.drugs.DrugLexicon`) knows only the drugs its sources
hold (the 363 FDA labels, ChatDoctor, the indication sets), so a question about Tylenol or Advil links to
nothing. This table (MIT, Fast Data Science; built from MeSH, DrugBank and MedlinePlus) maps such names to the
generic name passages use ("tylenol" → "acetaminophen"), for query expansion.

The package keeps its dictionary as a pickle and, when imported, also unpickles a cache file from the user's
home folder. We never import it: the one dictionary file is read from the installed distribution, and only
after its SHA-256 matches the pinned release's, so no other pickle is ever loaded.
"""

from __future__ import annotations

import bz2
import functools
import hashlib
import importlib.metadata
import pickle  # the package's own data file, checked against a pinned hash before it is read (see above)
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.graph.names import normalize

DISTRIBUTION = "drug-named-entity-recognition"
DICTIONARY = "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2"
#: SHA-256 of the dictionary in release 2.0.9 (pinned in pyproject.toml): a different file is refused.
DICTIONARY_SHA256 = "ec10a1c7b633fc4bae8d0eecff053892c0e37f49e18eaf59c8a1e9f40fc80d9d"
#: Shorter names are too often abbreviations or parts of other words.
MIN_NAME_LETTERS = 4


def dictionary_path() -> Path:
    """Where the installed package keeps its dictionary (the package is not imported)."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        msg = f"the drug-name table needs the `{DISTRIBUTION}` package: reinstall clinicalgpt (`pip install -e .`)"
        raise KnowledgeError(msg) from exc
    return Path(str(distribution.locate_file(DICTIONARY)))


@functools.cache
def generic_names() -> dict[str, str]:
    """Normalised one-word drug name → its generic name, for names other than the generic itself.

    Loaded once per process (~0.4 s). Multi-word names are left out: the table's multi-word entries are mostly
    combinations and chemical names that questions do not use.
    """
    path = dictionary_path()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != DICTIONARY_SHA256:
        msg = (
            f"{path} has SHA-256 {digest}, not the pinned {DICTIONARY_SHA256}; install the pinned release "
            f"(`pip install {DISTRIBUTION}==2.0.9`)"
        )
        raise KnowledgeError(msg)
    table = pickle.loads(bz2.decompress(data))["drug_variant_to_canonical"]  # noqa: S301 (hash checked above)
    names: dict[str, str] = {}
    for variant, canonical in table.items():
        surface, generic = normalize(variant), canonical[0]
        if " " not in surface and len(surface) >= MIN_NAME_LETTERS and surface != normalize(generic):
            names[surface] = generic
    return names


@functools.cache
def drug_words() -> frozenset[str]:
    """Every normalised one-word drug name the table knows, generic names included ("aclidinium", "eliquis")."""
    table = generic_names()
    generics = (normalize(g) for g in table.values())
    return frozenset(table) | frozenset(g for g in generics if " " not in g and len(g) >= MIN_NAME_LETTERS)
