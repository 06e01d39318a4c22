"""Run a per-record diagnosis function over readers' output, one row per record, resumable.

`run_batch(items, diagnose, writer)` is the loop every executor shares: records already in the output
(`--resume`) are skipped, a `RecordError` becomes an `error` row as is, an exception inside `diagnose`
becomes an `error` row for that record (the run goes on), and the summary counts rows by status with the
time taken. Patient text is never logged above DEBUG.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel

from model.diagnosis.output import DiagnosisRow, RowWriter
from model.diagnosis.records import PatientRecord, RecordError

logger = logging.getLogger(__name__)

Diagnose = Callable[[PatientRecord], DiagnosisRow]
Executor = Literal["local", "ray"]
#: Records handed to a worker process at a time (fewer round trips; rows still come back in input order).
CHUNK = 64
_WORKER_DIAGNOSE: Diagnose | None = None


class BatchSummary(BaseModel):
    """What a run did: rows written by status, records skipped as already written, time and throughput."""

    written: dict[str, int]
    skipped_existing: int
    seconds: float
    records_per_s: float

    @property
    def failed(self) -> bool:
        return self.written.get("error", 0) > 0


def diagnose_safely(diagnose: Diagnose, record: PatientRecord) -> DiagnosisRow:
    """`diagnose(record)`, or an `error` row saying what went wrong (one bad record must not stop a run)."""
    try:
        return diagnose(record)
    except Exception as exc:
        logger.debug("diagnosis failed for %s", record.id, exc_info=True)
        return DiagnosisRow(
            id=record.id,
            status="error",
            message=f"{record.source}: diagnosis failed: {exc.__class__.__name__}: {exc}",
            source=record.source,
        )


def _init_worker(diagnose: Diagnose) -> None:
    global _WORKER_DIAGNOSE
    _WORKER_DIAGNOSE = diagnose


def diagnose_item(diagnose: Diagnose, item: PatientRecord | RecordError) -> DiagnosisRow:
    """The row for one reader item: a record's diagnosis, or the `error` row of a record that could not be read."""
    if isinstance(item, RecordError):
        return DiagnosisRow(id=item.id, status="error", message=item.message, source=item.source)
    return diagnose_safely(diagnose, item)


def _in_worker(item: PatientRecord | RecordError) -> DiagnosisRow:
    assert _WORKER_DIAGNOSE is not None  # set by _init_worker
    return diagnose_item(_WORKER_DIAGNOSE, item)


def _rows(
    items: Iterable[PatientRecord | RecordError],
    diagnose: Diagnose,
    workers: int,
    executor: Executor,
    ray_address: str | None,
) -> Iterator[DiagnosisRow]:
    if executor == "ray":
        from model.diagnosis.ray_executor import ray_rows  # Ray is an optional extra, imported only when asked for

        yield from ray_rows(items, diagnose, workers=workers, address=ray_address)
        return
    if workers <= 1:
        _init_worker(diagnose)
        yield from map(_in_worker, items)
        return
    # Forked workers share the parent's graph, linker and scorer pages (built once, copy-on-write); records and
    # rows travel pickled, in input order.
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker, initargs=(diagnose,)) as pool:
        yield from pool.imap(_in_worker, items, chunksize=CHUNK)


def run_batch(
    items: Iterable[PatientRecord | RecordError],
    diagnose: Diagnose,
    writer: RowWriter,
    *,
    workers: int = 1,
    executor: Executor = "local",
    ray_address: str | None = None,
    on_row: Callable[[DiagnosisRow], Any] = lambda row: None,
) -> BatchSummary:
    """Diagnose every record not yet in `writer`'s file and write its row (in input order); see the module doc.

    `workers > 1` runs `diagnose` in that many forked processes; the parent alone writes. `executor="ray"` runs
    it in `workers` Ray actors instead (`model.diagnosis.ray_executor`; `ray_address` names a cluster, else
    RAY_ADDRESS or a local instance); reading, resuming and writing stay here either way."""
    started = time.perf_counter()
    counts: dict[str, int] = {}
    skipped = 0

    def pending() -> Iterator[PatientRecord | RecordError]:
        nonlocal skipped
        for item in items:
            if item.id in writer.written:
                skipped += 1
            else:
                yield item

    for row in _rows(pending(), diagnose, workers, executor, ray_address):
        writer.write(row)
        counts[row.status] = counts.get(row.status, 0) + 1
        on_row(row)
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    return BatchSummary(
        written=dict(sorted(counts.items())),
        skipped_existing=skipped,
        seconds=round(seconds, 3),
        records_per_s=round(total / seconds, 1) if seconds > 0 else 0.0,
    )
