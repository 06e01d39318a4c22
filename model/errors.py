"""Errors of the model layer (generation, assistant, CLI)."""

from __future__ import annotations

from knowledge.errors import ClinicalAssistantError


class ConfigError(ClinicalAssistantError, ValueError):
    """Settings that cannot be used as given."""


class ModelNotFoundError(ClinicalAssistantError, FileNotFoundError):
    """A generator model or adapter folder is missing."""


class GenerationError(ClinicalAssistantError, RuntimeError):
    """Generation failed (bad spec, backend error, timeout)."""


class GeneratorUnreachableError(GenerationError, ConnectionError):
    """The `openai:URL` server cannot be reached (nothing listening, wrong host, timeout)."""


class InvalidModelError(ClinicalAssistantError, ValueError):
    """A model folder exists but its files cannot be loaded (corrupt or incomplete)."""


class InvalidAdapterError(InvalidModelError):
    """A LoRA adapter folder exists but is not a usable peft adapter."""


class TrainDataError(ClinicalAssistantError, ValueError):
    """Training data that cannot be used: the message names the file, the line or field, and the fix."""
