"""Knowledge layer: sources → knowledge graph, chunks and indexes (no LLM here)."""

from knowledge.errors import ClinicalAssistantError, IndexNotBuiltError, KnowledgeError
from knowledge.kb import KBManifest, KnowledgeBase, build_knowledge_base, read_manifest
from knowledge.schema import Chunk, EdgeRecord, NodeRecord, Provenance, SourceDoc
from knowledge.settings import KnowledgeSettings

__all__ = [
    "Chunk",
    "ClinicalAssistantError",
    "EdgeRecord",
    "IndexNotBuiltError",
    "KBManifest",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeSettings",
    "NodeRecord",
    "Provenance",
    "SourceDoc",
    "build_knowledge_base",
    "read_manifest",
]
