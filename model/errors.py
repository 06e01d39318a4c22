"""Errors of the model layer (generation, assistant, CLI)."""

from __future__ import annotations

from knowledge.errors import ClinicalAssistantError


class ConfigError(ClinicalAssistantError, ValueError):
    """Settings that cannot be used as given."""
