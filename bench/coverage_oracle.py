"""How much of a consumer question's reference answer the knowledge base could cover at best.

`answer_coverage@5` scores the best of the top five passages by the share of the reference answer's content words
it contains. Its ceiling is the best passage in the whole knowledge base: this command finds it for every item
(exhaustively, over every chunk, as one sparse matrix product) and prints the mean next to nothing else, so a
retrieval figure can be read against what the sources hold. An analysis, not a tuning set: nothing is chosen here.

    python -m bench.coverage_oracle [-t retrieval-liveqa -t retrieval-medicationqa ...] [--limit 500] [--json F]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean

import numpy as np
from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.report_file import emit_report  # noqa: E402
from eval.datasets import load_items  # noqa: E402
from eval.tasks import load_task  # noqa: E402
from knowledge.kb import KnowledgeBase  # noqa: E402
from knowledge.lexical import tokenize  # noqa: E402

TASKS = ("retrieval-liveqa", "retrieval-mediqa", "retrieval-medicationqa")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("-t", "--task", action="append", help=f"retrieval task (default: {', '.join(TASKS)})")
    parser.add_argument("--limit", type=int, default=500, help="seeded sample per task, as `eval run` (default 500)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    from scipy.sparse import csr_matrix

    kb = KnowledgeBase.load(args.kb.expanduser())
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for chunk in tqdm(kb.chunks, desc="tokenise chunks"):
        ids = {vocab.setdefault(t, len(vocab)) for t in tokenize(chunk.text)}
        indices.extend(sorted(ids))
        indptr.append(len(indices))
    passages = csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(kb.chunks), len(vocab) + 1)
    ).tocsc()  # column slices: one per reference answer
    rows = []
    for name in args.task or TASKS:
        items = load_items(load_task(name), Path(args.data_dir).expanduser(), limit=args.limit)
        best: list[float] = []
        kinds: dict[str, int] = {}
        for item in items:
            references = item.meta.get("references") or []
            words = set(tokenize(references[0])) if references else set()
            if not words:
                continue
            # Words no passage holds map to one spare column that no passage has.
            cols = sorted({vocab.get(w, len(vocab)) for w in words})
            counts = np.asarray(passages[:, cols].sum(axis=1)).ravel()
            top = int(counts.argmax())
            best.append(float(counts[top]) / len(words))
            kinds[kb.chunks[top].source] = kinds.get(kb.chunks[top].source, 0) + 1
        rows.append(
            {
                "task": name,
                "items": len(best),
                "best_passage_coverage": round(mean(best), 4),
                "best_passage_source": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
            }
        )
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "command": " ".join(["python -m bench.coverage_oracle", *(argv if argv is not None else sys.argv[1:])]),
        "kb_settings_hash": kb.manifest.settings_hash,
        "chunks": len(kb.chunks),
        "rows": rows,
    }
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
