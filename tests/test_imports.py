"""Public API of each package, and no heavy imports at import time (house rule 6)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

EXPECTED_ALL = {
    "knowledge": [
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
    ],
    "rag": [
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
    ],
    "model": [
        "AppSettings",
        "ChatClinicalGPT",
        "ClinicalAssistant",
        "ConfigError",
        "GenerationError",
        "GeneratorSettings",
        "ModelNotFoundError",
        "build_chat_model",
        "load_assistant",
        "load_settings",
    ],
    "eval": [
        "EvalError",
        "Item",
        "ItemResult",
        "LeakageError",
        "Report",
        "RunHeader",
        "RunResult",
        "TaskConfig",
        "TaskConfigError",
        "UnknownTaskError",
        "build_report",
        "list_tasks",
        "load_task",
        "run",
    ],
}


@pytest.mark.parametrize("package", sorted(EXPECTED_ALL))
def test_all(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(EXPECTED_ALL[package])
    for name in module.__all__:
        assert hasattr(module, name)


def test_importing_the_packages_loads_no_model_library() -> None:
    code = (
        "import sys, importlib, knowledge, rag, model, model.cli; importlib.import_module('eval.cli'); "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'faiss', 'bm25s', 'pyhpo') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
