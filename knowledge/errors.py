"""The project's exception tree.

`ClinicalAssistantError` is the single root, kept in the lowest layer so every layer can import it.
Each domain error also subclasses the matching builtin, so callers that catch builtins keep working.
"""

from __future__ import annotations


class ClinicalAssistantError(Exception):
    """Root of every error raised on purpose by ClinicalGPT."""


class KnowledgeError(ClinicalAssistantError):
    """Something is wrong with knowledge sources, the graph or the indexes."""


class SourceNotFoundError(KnowledgeError, FileNotFoundError):
    """A configured source file or folder does not exist."""


class SourceFormatError(KnowledgeError, ValueError):
    """A source file cannot be parsed at all (single bad records are counted, not raised)."""


class UnknownSourceError(KnowledgeError, KeyError):
    """A source name that no loader handles."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IndexNotBuiltError(KnowledgeError, FileNotFoundError):
    """The knowledge base folder is missing or incomplete."""


class IndexCorruptError(KnowledgeError, ValueError):
    """The knowledge base exists but fails its integrity checks."""


class KnowledgeBaseTargetError(KnowledgeError, FileExistsError):
    """The folder chosen for a build cannot take a knowledge base (not ours, or another build holds it)."""


class KnowledgeBaseWriteError(KnowledgeError, OSError):
    """A build could not write its files (read-only folder, full disk, …); the old build is untouched."""


class DownloadError(KnowledgeError, OSError):
    """A source could not be downloaded or failed verification."""


class EmbeddingModelMissingError(KnowledgeError, FileNotFoundError):
    """The embedding model a knowledge base was built with is no longer where the build found it."""
