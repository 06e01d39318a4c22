"""Retrieval layer: question → ranked, citable contexts → prompt; parses citations back (no generator here)."""

from rag.chain import ClinicalQAChain, build_qa_chain
from rag.errors import RetrievalError
from rag.intent import detect_intent
from rag.retrieve import HybridSearcher, RetrievalInfo, SearchResult
from rag.retrievers import ClinicalRetriever
from rag.safety import DISCLAIMER, RedFlag, detect_red_flags
from rag.schema import Citation, CitedAnswer
from rag.settings import AnswerSettings, RetrievalSettings

__all__ = [
    "DISCLAIMER",
    "AnswerSettings",
    "Citation",
    "CitedAnswer",
    "ClinicalQAChain",
    "ClinicalRetriever",
    "HybridSearcher",
    "RedFlag",
    "RetrievalError",
    "RetrievalInfo",
    "RetrievalSettings",
    "SearchResult",
    "build_qa_chain",
    "detect_intent",
    "detect_red_flags",
]
