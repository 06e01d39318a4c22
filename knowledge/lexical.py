"""BM25 lexical index over chunks (bm25s: sparse-matrix BM25, saved as .npy/.json, never pickled)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.errors import IndexNotBuiltError

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.tokenization import STOPWORDS_EN

    # Question words carry intent, not topic: dropping them keeps BM25 on the medical terms.
    return frozenset(STOPWORDS_EN) | {"what", "which", "how", "who", "whom", "why", "when", "are", "is", "do", "does"}


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, English stop words removed, Snowball-stemmed (ICD codes kept whole)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return list(_stemmer().stemWords(words))


class BM25Index:
    """A bm25s index whose rows are positions in the knowledge base's chunk list."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._vocab: dict[str, int] = model.vocab_dict

    @classmethod
    def build(cls, texts: list[str], *, show_progress: bool = False) -> BM25Index:
        """Index `texts` (row i of the index is text i)."""
        import bm25s

        model = bm25s.BM25()
        model.index([tokenize(t) or ["\x00"] for t in texts], show_progress=show_progress)
        return cls(model)

    def save(self, folder: Path) -> None:
        """Write the index as bm25s' numpy/JSON files."""
        folder.mkdir(parents=True, exist_ok=True)
        self._model.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        """Read an index written by `save`."""
        import bm25s

        if not (folder / "params.index.json").exists():
            msg = f"BM25 index not found in {folder}; run `clinicalgpt kb build`"
            raise IndexNotBuiltError(msg)
        return cls(bm25s.BM25.load(str(folder)))

    def tokens(self) -> list[str]:
        """Every token of the indexed texts."""
        return list(self._vocab)

    def has_token(self, token: str) -> bool:
        """Whether a `tokenize` token occurs anywhere in the indexed texts."""
        return token in self._vocab

    def document_frequency(self, token: str) -> int:
        """In how many indexed texts a `tokenize` token occurs (0 for an unknown token)."""
        i = self._vocab.get(token)
        indptr = self._model.scores["indptr"]
        if i is None or i + 1 >= len(indptr):
            return 0
        return int(indptr[i + 1] - indptr[i])

    @property
    def rows(self) -> int:
        """Number of indexed texts (must equal the knowledge base's chunk count)."""
        return int(self._model.scores["num_docs"])

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top-k `(row, score)` pairs with positive score, best first."""
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return []
        scores = self._model.get_scores(tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
