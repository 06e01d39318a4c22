"""Held-out splits that every layer must agree on (tuning, training and evaluation alike)."""

from __future__ import annotations

import hashlib
from typing import Literal

MEDQUAD_TEST_PERCENT = 10
_MEDQUAD_SALT = "clinicalgpt/medquad-heldout/v1:"


def medquad_split(focus: str | None) -> Literal["dev", "test"]:
    """The MedQuAD split a focus (disease, drug, gene, …) belongs to: `test` (held out) or `dev`.

    Rule: normalise the focus (lower case, whitespace collapsed), hash `"clinicalgpt/medquad-heldout/v1:" +
    focus` with SHA-256, read the first 8 bytes as a big-endian integer; remainder < 10 modulo 100 → `test`,
    else `dev`. So every question about a focus is wholly in or wholly out, about 10 % of the foci are held
    out, and the rule depends on nothing but the focus text (stable across files and versions). A record with
    no focus is `dev`. Anything tuned or trained on MedQuAD (prompts, retrieval settings, adapters) must use
    only `dev`.
    """
    key = " ".join((focus or "").lower().split())
    if not key:
        return "dev"
    digest = hashlib.sha256((_MEDQUAD_SALT + key).encode("utf-8")).digest()
    return "test" if int.from_bytes(digest[:8], "big") % 100 < MEDQUAD_TEST_PERCENT else "dev"
