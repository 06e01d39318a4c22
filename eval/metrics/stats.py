"""Bootstrap confidence intervals for metric means and corpus-level statistics."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

#: Resampled index matrices are drawn in blocks of at most this many cells, so memory stays bounded.
_BLOCK_CELLS = 1_000_000


def _check_options(n_resamples: int, confidence: float) -> None:
    if n_resamples < 1:
        msg = f"`n_resamples` must be ≥ 1, got {n_resamples}"
        raise ValueError(msg)
    if not 0.0 < confidence < 1.0:
        msg = f"`confidence` must be between 0 and 1 (exclusive), got {confidence}"
        raise ValueError(msg)


def _index_blocks(n: int, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield `(rows, n)` blocks of resampled indices, `n_resamples` rows in all."""
    rows_per_block = max(1, _BLOCK_CELLS // n)
    done = 0
    while done < n_resamples:
        rows = min(rows_per_block, n_resamples - done)
        yield rng.integers(0, n, size=(rows, n))
        done += rows


def _percentile_interval(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(stats, [100.0 * alpha, 100.0 * (1.0 - alpha)])
    return float(low), float(high)


def bootstrap_ci(
    values: Sequence[float], *, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of `values` and its percentile-bootstrap confidence interval.

    Args:
        values: Per-item scores; NaN and infinities are refused (a failure is never a silent number).
        n_resamples: Bootstrap resamples (each draws `len(values)` items with replacement).
        confidence: Coverage of the interval, e.g. 0.95 for the 2.5th and 97.5th percentiles.
        seed: Seed of the `numpy.random.Generator`, so the same input gives the same interval.

    Returns:
        `(mean, low, high)`; a single value gives `(v, v, v)`.

    Raises:
        ValueError: `values` is empty or holds a non-finite number, or an option is out of range.
    """
    _check_options(n_resamples, confidence)
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size == 0:
        msg = "bootstrap_ci needs a non-empty flat list of values; got none (report the metric as unscored instead)"
        raise ValueError(msg)
    if not np.all(np.isfinite(data)):
        bad = [float(v) for v in data if not math.isfinite(v)]
        msg = f"bootstrap_ci refuses non-finite values {bad[:3]}; record those items as failures instead"
        raise ValueError(msg)
    mean = float(data.mean())
    if data.size == 1:
        return mean, mean, mean
    rng = np.random.default_rng(seed)
    means = np.concatenate([data[idx].mean(axis=1) for idx in _index_blocks(data.size, n_resamples, rng)])
    low, high = _percentile_interval(means, confidence)
    return mean, low, high


def bootstrap_statistic(
    n: int,
    statistic: Callable[[np.ndarray], Sequence[float]],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[tuple[float, float]]:
    """Percentile-bootstrap intervals of a statistic of `n` items (e.g. corpus BLEU) that yields several numbers.

    Args:
        n: Number of items.
        statistic: Called with an array of `n` resampled item indices; returns the same number of finite
            values every time (one per reported key).
        n_resamples: Bootstrap resamples.
        confidence: Coverage of the intervals.
        seed: Seed of the `numpy.random.Generator`.

    Returns:
        One `(low, high)` per value of the statistic.

    Raises:
        ValueError: `n` < 1, an option is out of range, or the statistic returned a non-finite number or a
            varying number of values.
    """
    _check_options(n_resamples, confidence)
    if n < 1:
        msg = f"bootstrap_statistic needs at least one item, got n={n}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    rows: list[list[float]] = []
    for block in _index_blocks(n, n_resamples, rng):
        for idx in block:
            row = [float(v) for v in statistic(idx)]
            if rows and len(row) != len(rows[0]):
                msg = f"the resampled statistic returned {len(row)} values, earlier {len(rows[0])}"
                raise ValueError(msg)
            if not all(math.isfinite(v) for v in row):
                msg = f"the resampled statistic returned {row}; it must return finite numbers"
                raise ValueError(msg)
            rows.append(row)
    table = np.asarray(rows, dtype=float)
    return [_percentile_interval(table[:, j], confidence) for j in range(table.shape[1])]
