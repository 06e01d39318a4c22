"""Surface-form normalisation shared by graph merging and entity linking."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Words whose trailing "s" is not a plural.
_KEEP_S = ("ss", "us", "is", "ys", "ps", "as", "os")


def singular(word: str) -> str:
    """A cheap English singular: `diseases` → `disease`, `bodies` → `body`; leaves `diabetes` alone."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_S) or word.endswith("etes"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


def normalize(text: str) -> str:
    """Case, accent, punctuation and plural insensitive key: `Crohn's Diseases` → `crohn s disease`."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(singular(w) for w in words)
