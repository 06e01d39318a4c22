"""Retrieval layer: question → ranked, citable contexts (no generator here)."""

from rag.errors import RetrievalError
from rag.intent import detect_intent
from rag.retrieve import Hit, HybridSearcher, SearchResult
from rag.retrievers import ClinicalRetriever
from rag.settings import RetrievalSettings

__all__ = ["ClinicalRetriever", "Hit", "HybridSearcher", "RetrievalError", "RetrievalSettings", "SearchResult", "detect_intent"]
