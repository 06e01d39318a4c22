"""Errors of the retrieval layer."""

from __future__ import annotations

from knowledge.errors import ClinicalAssistantError


class RetrievalError(ClinicalAssistantError, ValueError):
    """A retrieval request cannot be served as asked (bad query, bad mode, bad k)."""
