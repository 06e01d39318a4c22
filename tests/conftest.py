"""Shared fixtures and offline guards.

Network access is blocked by pytest-socket (`--disable-socket` in pyproject). The Hugging Face libraries
are told to stay offline too, so a missing local file fails fast instead of trying the hub.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LANGSMITH_TRACING", "false")
# As the CLI does (model/cli.py): torch's spinning OpenMP threads crawl on a shared 2-core machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TEST_DATA = Path(__file__).parent / "data"


@pytest.fixture
def test_data() -> Path:
    """Folder of the hand-written fixtures (a miniature `CLINICALGPT_DATA_DIR`)."""
    return TEST_DATA


#: Fixture sources (HPO is left out: it loads the whole ontology from its package, ~15 s).
TINY_SOURCES = ["medquad", "disease_ontology", "symptom_ontology", "hsdn", "ddxplus", "chatdoctor", "icd10cm"]


@pytest.fixture(scope="session")
def tiny_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base built once from the fixtures with the real embedding model."""
    from knowledge.kb import build_knowledge_base
    from knowledge.settings import KnowledgeSettings

    kb_dir = tmp_path_factory.mktemp("kb") / "tiny"
    build_knowledge_base(
        KnowledgeSettings(data_dir=TEST_DATA, kb_dir=kb_dir, sources=TINY_SOURCES, show_progress=False)
    )
    return kb_dir


@pytest.fixture(scope="session")
def tiny_kb(tiny_kb_dir: Path):  # type: ignore[no-untyped-def]
    """The loaded tiny knowledge base."""
    from knowledge.kb import KnowledgeBase

    return KnowledgeBase.load(tiny_kb_dir)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random causal LM + tokenizer with a chat template (see tests/model/tiny.py)."""
    from tests.model.tiny import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny-lm") / "model")


@pytest.fixture
def fake_assistant(tiny_kb):  # type: ignore[no-untyped-def]
    """An assistant over the tiny knowledge base whose chat model replays canned cited answers."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from model.assistant import ClinicalAssistant
    from model.settings import AppSettings

    llm = FakeListChatModel(responses=["Myocarditis can cause chest pain and shortness of breath [1]."])
    return ClinicalAssistant(AppSettings(kb_dir=tiny_kb.kb_dir), kb=tiny_kb, llm=llm)
