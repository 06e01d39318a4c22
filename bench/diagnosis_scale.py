"""Batch-diagnosis throughput and memory: N records resampled from the DDXPlus test patients, KG-only.

    python -m bench.diagnosis_scale [--n 100000] [--workers 1 2] [--ray-workers 2] [--json reports/diagnosis_scale.json]

The records are written to a temporary DDXPlus-format file (resampled with a fixed seed, renumbered so every
id is distinct) and run through the same reader → diagnoser → row writer as `clinicalgpt diagnose`. Reported
per worker count: records/s, and peak resident memory of the parent and of the largest worker (to show that
memory stays flat in the number of records: nothing is held per record). `--ray-workers N` adds a run with
`--executor ray` on a local Ray instance started for it (its start-up is inside the time; the actors are Ray's
processes, not ours, so only the driver's memory is reported). Issue 11 target: ≥ 200 records/s on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.diagnosis import DDXPLUS
from bench.report_file import emit_report
from model.diagnosis.api import load_diagnoser
from model.diagnosis.output import RowWriter
from model.diagnosis.readers import read_records
from model.diagnosis.runner import Executor, run_batch


def resampled(source: Path, out_dir: Path, n: int, seed: int = 0) -> Path:
    """A DDXPlus-format file of `n` patients drawn with replacement from `source`, evidences linked beside it."""
    with source.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    rng = random.Random(seed)
    path = out_dir / "patients.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for _ in range(n):
            writer.writerow(rng.choice(rows))
    (out_dir / "release_evidences.json").symlink_to(source.with_name("release_evidences.json"))
    return path


def measure(path: Path, workers: int, kb_dir: Path, out_dir: Path, executor: Executor = "local") -> dict[str, Any]:
    diagnoser = load_diagnoser(kb_dir)
    out = out_dir / f"rows-{executor}-{workers}.jsonl"
    started = time.perf_counter()
    with RowWriter.open(out) as writer:
        summary = run_batch(read_records([path], "ddxplus"), diagnoser, writer, workers=workers, executor=executor)
    seconds = time.perf_counter() - started
    rows = sum(summary.written.values())
    children = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return {
        "executor": executor,
        "workers": workers,
        "records": rows,
        "statuses": summary.written,
        "seconds": round(seconds, 1),
        "records_per_s": round(rows / seconds, 1),
        "peak_rss_parent_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_largest_worker_mb": children if executor == "local" else None,
        "output_mb": round(out.stat().st_size / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="local runs, one per count")
    parser.add_argument("--ray-workers", type=int, nargs="*", default=[], help="--executor ray runs (needs [ray])")
    parser.add_argument(
        "--kb-dir", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CLINICALGPT_DATA_DIR", "../shared/data")))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = resampled(args.data_dir / DDXPLUS, Path(tmp), args.n)
        report = {
            "n": args.n,
            "cpus": os.cpu_count(),
            "runs": [measure(path, w, args.kb_dir, Path(tmp)) for w in args.workers]
            + [measure(path, w, args.kb_dir, Path(tmp), "ray") for w in args.ray_workers],
        }
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
