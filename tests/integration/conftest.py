"""Integration fixtures: a real knowledge base built once from CLINICALGPT_DATA_DIR with the real model.

These tests must run in CI (which sets CLINICALGPT_DATA_DIR=../shared/data); when the data folder is
missing they fail with the fix rather than skip silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBase, build_knowledge_base
from knowledge.settings import KnowledgeSettings

#: The sources the issue names (MedQuAD, DO, HSDN, DDXPlus) plus the Symptom Ontology that DO's
#: disease→symptom edges point to. HPO/ChatDoctor add build time without changing what is checked.
INTEGRATION_SOURCES = ["medquad", "disease_ontology", "symptom_ontology", "hsdn", "ddxplus", "icd10cm"]


def real_data_dir() -> Path:
    value = os.environ.get("CLINICALGPT_DATA_DIR")
    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    path = Path(value).expanduser() if value else default
    if not (path / "en" / "medquad").is_dir():
        pytest.fail(f"integration tests need the datasets: set CLINICALGPT_DATA_DIR (tried {path})")
    return path


@pytest.fixture(scope="session")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb_dir = tmp_path_factory.mktemp("realkb") / "kb"
    build_knowledge_base(
        KnowledgeSettings(data_dir=real_data_dir(), kb_dir=kb_dir, sources=INTEGRATION_SOURCES, show_progress=False)
    )
    return KnowledgeBase.load(kb_dir)
