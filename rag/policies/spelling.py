"""Misspelt disease and drug names: the question is answered as corrected, and the answer says so.

Consumers misspell the very names retrieval and the unknown-term policy depend on ("rabbies", "Klippel-Tranaunay",
"fybromyaglia"): uncorrected, a known disease is refused as unknown or retrieved by its neighbours. The
corrections come from the knowledge base's vocabulary (`rag.retrieve.HybridSearcher.spelling`); this module
only applies them and words the notice, so a reader can see what was answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_WORD = re.compile(r"[A-Za-z]+")


def respell(text: str, fixes: Mapping[str, str]) -> str:
    """`text` with each whole word that `fixes` names (lower case) replaced by its correction, in the word's
    own capitalisation ("Rabbies" → "Rabies")."""
    if not fixes:
        return text

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        correction = fixes.get(word.lower())
        if correction is None:
            return word
        if word.isupper():
            return correction.upper()
        return correction.capitalize() if word[0].isupper() else correction

    return _WORD.sub(fix, text)


def spelling_notice(fixes: Mapping[str, str]) -> str:
    """The notice an answer carries when its question was read with corrected spelling."""
    pairs = ", ".join(f"“{wrong}” as “{right}”" for wrong, right in fixes.items())
    return f"Spelling: read {pairs}. If you meant something else, check the spelling and ask again."
