"""Train/eval separation: training examples that share text with any evaluation set are dropped.

An example overlaps an evaluation set when its question or its target shares a run of `NGRAM_WORDS` words
(lower case, punctuation ignored) with any text of that set's items, or when its question equals one of the
set's short texts (under `NGRAM_WORDS` words, e.g. "What is (are) Asthma ?") after the same folding. 13-word
runs are the usual contamination test for language-model training data (GPT-3's, among others): long enough
that shared medical phrasing ("is a rare genetic disorder characterized by") does not count, short enough to
catch a copied question.

The evaluation texts come from the `clinicalgpt.eval_texts` entry point (the `eval` package registers it):
this layer may not import `eval`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import TrainDataError
from model.train.examples import TrainExample

NGRAM_WORDS = 13
ENTRY_POINT_GROUP = "clinicalgpt.eval_texts"
TRAIN_ITEMS_GROUP = "clinicalgpt.train_items"
_WORD = re.compile(r"\w+")
_QUESTION = re.compile(r"\nQuestion: (.*)\nAnswer:\s*$", re.S)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def ngram_hashes(text: str, n: int = NGRAM_WORDS) -> list[int]:
    """Hashes of every run of `n` words of `text` (none when it is shorter)."""
    words = _words(text)
    return [_hash(" ".join(words[i : i + n])) for i in range(len(words) - n + 1)]


class EvalIndex:
    """The n-grams and short texts of each evaluation set, for overlap look-ups."""

    def __init__(self, texts: Iterable[tuple[str, str]]) -> None:
        grams: dict[str, list[int]] = {}
        short: dict[str, set[str]] = {}
        whole: dict[str, set[int]] = {}
        self.not_checked: list[str] = []
        for task, text in texts:
            if not text:
                self.not_checked.append(task)
                continue
            words = _words(text)
            whole.setdefault(task, set()).add(_hash(" ".join(words)))
            if len(words) < NGRAM_WORDS:
                short.setdefault(task, set()).add(" ".join(words))
            grams.setdefault(task, []).extend(ngram_hashes(text))
        self.tasks = sorted(set(grams) | set(short))
        self._grams = {task: np.unique(np.asarray(grams.get(task, []), dtype=np.int64)) for task in self.tasks}
        self._short = short
        self._whole = whole

    def equal_texts(self, text: str) -> list[str]:
        """Evaluation sets holding exactly this text (case, punctuation and spacing folded)."""
        key = _hash(" ".join(_words(text)))
        return [task for task in self.tasks if key in self._whole.get(task, set())]

    def overlaps(self, text: str, *, exact: bool = False) -> list[str]:
        """Evaluation sets `text` overlaps (13-word runs; with `exact`, also the whole folded text)."""
        hashes = np.asarray(ngram_hashes(text), dtype=np.int64)
        folded = " ".join(_words(text))
        hit = []
        for task in self.tasks:
            grams = self._grams[task]
            if hashes.size and grams.size and np.isin(hashes, grams).any():
                hit.append(task)
            elif exact and folded in self._short.get(task, set()):
                hit.append(task)
        return hit


def registered_eval_texts(data_dir: Path | None) -> Iterator[tuple[str, str]]:
    """Every text every installed evaluation package offers (`clinicalgpt.eval_texts` entry points)."""
    providers = list(entry_points(group=ENTRY_POINT_GROUP))
    if not providers:
        msg = (
            f"no evaluation sets are registered under the `{ENTRY_POINT_GROUP}` entry point, so training data "
            "cannot be decontaminated; reinstall the project (`pip install -e .`)"
        )
        raise TrainDataError(msg)
    for provider in providers:
        texts: Callable[[Path | None], Iterable[tuple[str, str]]] = provider.load()
        yield from texts(data_dir)


def registered_train_items(data_dir: Path | None) -> Iterator[dict[str, str]]:
    """Training items other packages offer (`clinicalgpt.train_items`: the evaluation package's training-split
    consultations in its own prompt); none when nothing is registered."""
    for provider in entry_points(group=TRAIN_ITEMS_GROUP):
        items: Callable[[Path | None], Iterable[dict[str, str]]] = provider.load()
        yield from items(data_dir)


def question_of(example: TrainExample) -> str:
    """The question of an example's prompt (the text after the sources)."""
    last = example.messages[-1].content
    match = _QUESTION.search(last)
    return match.group(1) if match else last


def decontaminate(examples: Iterable[TrainExample], index: EvalIndex) -> tuple[list[TrainExample], dict[str, Any]]:
    """The examples that overlap no evaluation set, and a report: sets checked and not, drops per set."""
    kept: list[TrainExample] = []
    dropped: dict[str, int] = {}
    dropped_ids: list[str] = []
    for example in examples:
        if example.exact_check is not None:
            # A templated record shares every sentence frame with the evaluation's records: compare it whole.
            hits = index.equal_texts(example.exact_check)
        else:
            hits = sorted(set(index.overlaps(question_of(example), exact=True)) | set(index.overlaps(example.target)))
        if hits:
            dropped_ids.append(example.id)
            for task in hits:
                dropped[task] = dropped.get(task, 0) + 1
        else:
            kept.append(example)
    report = {
        "ngram_words": NGRAM_WORDS,
        "sets_checked": index.tasks,
        "sets_not_checked": index.not_checked,
        "dropped": len(dropped_ids),
        "dropped_per_set": dict(sorted(dropped.items())),
        "dropped_ids_sample": dropped_ids[:20],
    }
    return kept, report
