"""`--executor ray`: the same per-record function on Ray Data, for runs spread over several machines.

The driver keeps what makes a run dependable: it reads the records, skips those already written (`--resume`)
and writes every row itself, in input order (Ray Data's `preserve_order`). Only the diagnosing moves: the
diagnoser (its graph, linker and scorer, about 40 MB pickled for the default knowledge base) is put in Ray's
object store once, and each of `workers` actors loads it once and diagnoses batches of records sent as JSON.
Worker nodes therefore need the package installed but no knowledge base of their own. Records go to Ray in
chunks of `CHUNK_RECORDS`, so the driver's memory stays flat in the size of the input.

Ray is an optional extra (`pip install 'clinicalgpt[ray]'`); nothing else imports this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from model.diagnosis.output import DiagnosisRow
from model.diagnosis.records import PatientRecord, RecordError
from model.diagnosis.runner import Diagnose, diagnose_item

#: Records per Ray dataset: large enough that starting the actors is paid rarely, small enough to hold in memory.
CHUNK_RECORDS = 20_000
#: Records per batch sent to an actor.
BATCH = 256


def _chunks(items: Iterable[PatientRecord | RecordError]) -> Iterator[list[PatientRecord | RecordError]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK_RECORDS)):
        yield chunk


def _encode(item: PatientRecord | RecordError) -> str:
    kind = "error" if isinstance(item, RecordError) else "record"
    return f"{kind}\t{item.model_dump_json()}"


def _decode(text: str) -> PatientRecord | RecordError:
    kind, payload = text.split("\t", 1)
    return (RecordError if kind == "error" else PatientRecord).model_validate_json(payload)


class _DiagnoseBatches:
    """A Ray Data actor: loads the diagnoser once, then turns batches of encoded items into row JSON."""

    def __init__(self, diagnose: Any) -> None:
        import ray

        self.diagnose: Diagnose = ray.get(diagnose) if isinstance(diagnose, ray.ObjectRef) else diagnose

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        rows = [diagnose_item(self.diagnose, _decode(str(text))) for text in batch["item"]]
        return {"row": [row.model_dump_json() for row in rows]}


def import_ray() -> Any:
    """The `ray` module with Ray Data, or a RuntimeError saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the Data library is a separate extra of ray)
    except ImportError as exc:
        msg = "--executor ray needs Ray Data: pip install 'clinicalgpt[ray]' (or pip install 'ray[data]')"
        raise RuntimeError(msg) from exc
    return ray


def ray_rows(
    items: Iterable[PatientRecord | RecordError], diagnose: Diagnose, *, workers: int, address: str | None = None
) -> Iterator[DiagnosisRow]:
    """One row per item, in input order, diagnosed by `workers` Ray actors.

    Uses the Ray instance this process is already connected to; otherwise connects to `address` (or the
    RAY_ADDRESS environment variable), or starts a local instance, and shuts down what it started."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        # Ray's own INFO logging and per-operator progress bars would drown the CLI's bar.
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        diagnoser_ref = ray.put(diagnose)
        for chunk in _chunks(items):
            dataset = ray.data.from_items([{"item": _encode(item)} for item in chunk])
            rows = dataset.map_batches(
                _DiagnoseBatches,
                fn_constructor_args=(diagnoser_ref,),
                compute=ray.data.ActorPoolStrategy(size=workers),
                batch_size=BATCH,
                batch_format="numpy",
            )
            for row in rows.iter_rows():
                yield DiagnosisRow.model_validate_json(row["row"])
    finally:
        if started_here:
            ray.shutdown()
