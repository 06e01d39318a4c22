"""Run a per-record diagnosis function over readers' output, one row per record, resumable.

`run_batch(items, diagnose, writer)` is the loop every executor shares: records already in the output
(`--resume`) are skipped, a `RecordError` becomes an `error` row as is, an exception inside `diagnose`
becomes an `error` row for that record (the run goes on), and the summary counts rows by status with the
time taken. Patient text is never logged above DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from model.diagnosis.output import DiagnosisRow, RowWriter
from model.diagnosis.records import PatientRecord, RecordError

logger = logging.getLogger(__name__)

Diagnose = Callable[[PatientRecord], DiagnosisRow]


class BatchSummary(BaseModel):
    """What a run did: rows written by status, records skipped as already written, time and throughput."""

    written: dict[str, int]
    skipped_existing: int
    seconds: float
    records_per_s: float

    @property
    def failed(self) -> bool:
        return self.written.get("error", 0) > 0


def run_batch(
    items: Iterable[PatientRecord | RecordError],
    diagnose: Diagnose,
    writer: RowWriter,
    *,
    on_row: Callable[[DiagnosisRow], Any] = lambda row: None,
) -> BatchSummary:
    """Diagnose every record not yet in `writer`'s file and write its row; see the module doc."""
    started = time.perf_counter()
    counts: dict[str, int] = {}
    skipped = 0
    for item in items:
        if item.id in writer.written:
            skipped += 1
            continue
        if isinstance(item, RecordError):
            row = DiagnosisRow(id=item.id, status="error", message=item.message, source=item.source)
        else:
            try:
                row = diagnose(item)
            except Exception as exc:  # one bad record must not stop the run; its row says what happened
                logger.debug("diagnosis failed for %s", item.id, exc_info=True)
                row = DiagnosisRow(
                    id=item.id,
                    status="error",
                    message=f"{item.source}: diagnosis failed: {exc.__class__.__name__}: {exc}",
                    source=item.source,
                )
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
