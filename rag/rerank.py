"""A cross-encoder that reads the question and a passage together and re-orders hybrid retrieval's first hits.

Dense and BM25 score the question and the passage apart; on consumer questions (long messages, misspellings,
a story before the question) that ranked the passage that answers them no higher than dense alone did. The
reranker is all-MiniLM-L6-v2 (the embedded model, from its PyPI package) with a one-logit head and a LoRA
adapter, trained by `python -m bench.rerank_train` on judged consumer answers (MEDIQA 2019's training and
validation questions), LiveQA 2017's training questions (their NLM answers, and the knowledge base's passages
graded by how much of that answer they hold) and MedQuAD `dev` questions, never a question any figure is
reported on (`bench.consumer_dev.tuning_items` drops the MEDIQA and LiveQA test questions LiveQA's training
files repeat).
Only the adapter and the head ship (`rag/data/reranker/`, 2.7 MB); the base weights are the embedder's.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.errors import RetrievalError

logger = logging.getLogger(__name__)

RERANKER_DIR = Path(__file__).parent / "data" / "reranker"
#: Question and passage share MiniLM's window; the passage is cut, never the question (but a question longer
#: than `MAX_QUESTION_TOKENS` is cut too, so a long story cannot crowd the passage out).
MAX_TOKENS = 256
MAX_QUESTION_TOKENS = 96
#: Pairs per forward pass: 20 pairs of up to 256 tokens take ~1 s on two shared CPU cores in bf16.
BATCH_SIZE = 32


def base_model_path() -> Path:
    """The embedded all-MiniLM-L6-v2 folder the reranker's adapter was trained on."""
    from knowledge.embeddings import default_model_path

    return default_model_path()


def load_card(folder: Path = RERANKER_DIR) -> dict[str, Any]:
    """The reranker's card (`card.json`: what it was trained on and how it scored on dev)."""
    path = folder / "card.json"
    if not path.is_file():
        msg = (
            f"no reranker at {folder} (missing card.json): train one with `python -m bench.rerank_train --out "
            f"{folder}`, or set retrieval.rerank_top=0 to search without it"
        )
        raise RetrievalError(msg)
    card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return card


def encode_pairs(tokenizer: Any, question: str, passages: list[str]) -> Any:
    """The model's input for (question, passage) pairs, as in training and scoring alike: the question cut to
    `MAX_QUESTION_TOKENS`, then each passage cut so the pair fits `MAX_TOKENS`."""
    ids = tokenizer(question, add_special_tokens=False, truncation=True, max_length=MAX_QUESTION_TOKENS)["input_ids"]
    short = tokenizer.decode(ids)
    return tokenizer(
        [short] * len(passages),
        passages,
        truncation="only_second",
        max_length=MAX_TOKENS,
        padding=True,
        return_tensors="pt",
    )


class CrossEncoderReranker:
    """Scores (question, passage) pairs; higher means the passage holds more of the answer.

    Loaded once per process and folder (`load_reranker`); scoring is thread-safe.
    """

    def __init__(self, folder: Path = RERANKER_DIR, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from peft import PeftModel
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from knowledge.embeddings import resolve_dtype

        self.card = load_card(folder)
        hf_logging.disable_progress_bar()
        base = base_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
        # The MiniLM checkpoint has no classification head: transformers warns that it is newly initialised,
        # and the adapter folder then supplies it (saved whole as a `modules_to_save` module).
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1, local_files_only=True)
        finally:
            hf_logging.set_verbosity(verbosity)  # the caller's level, not a fixed one
        with warnings.catch_warnings():  # transformers 5 deprecation noise from inside peft, not ours to fix
            warnings.simplefilter("ignore", FutureWarning)
            self.model = PeftModel.from_pretrained(model, str(folder)).merge_and_unload().to(device).eval()
        self.device = device
        self.dtype = getattr(torch, resolve_dtype("auto", device))
        self._lock = threading.Lock()

    def score(self, question: str, passages: list[str]) -> list[float]:
        """One logit per passage, in order."""
        import torch

        if not passages:
            return []
        scores: list[float] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(passages), BATCH_SIZE):
                encoded = encode_pairs(self.tokenizer, question, passages[start : start + BATCH_SIZE]).to(self.device)
                with torch.autocast(self.device.split(":")[0], dtype=self.dtype, enabled=self.dtype != torch.float32):
                    logits = self.model(**encoded).logits
                scores.extend(float(x) for x in logits.float().view(-1))
        return scores


def rerank_order(logits: list[float], prior: float) -> list[int]:
    """Positions of the fused passages whose logits these are, best first: logit less `prior` x ln(1 + fused
    position), so a passage the fused lists ranked first needs less of the reranker's confidence to stay there
    (ties keep the fused order)."""
    return sorted(range(len(logits)), key=lambda i: (-(logits[i] - prior * math.log1p(i)), i))


@lru_cache(maxsize=2)
def load_reranker(folder: str = str(RERANKER_DIR), device: str = "cpu") -> CrossEncoderReranker:
    """The reranker in `folder`, loaded once per process (~1 s)."""
    logger.info("Loading reranker from %s on %s", folder, device)
    try:
        return CrossEncoderReranker(Path(folder), device)
    except RetrievalError:
        raise
    except (OSError, ValueError) as exc:
        msg = f"cannot load the reranker from {folder}: {exc}; set retrieval.rerank_top=0 to search without it"
        raise RetrievalError(msg) from exc
