"""BM25 library choice: bm25s vs rank_bm25 on the knowledge base's own chunks.

    python -m bench.lexical --kb ~/.cache/clinicalgpt/kb --n 300

Same tokeniser for both, so only the libraries differ: index time, memory-light query latency p50/p95,
and recall@5 of the gold MedQuAD document (same questions as bench/retrieval.py).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from bench.retrieval import percentiles, sample_questions
from knowledge.kb import KnowledgeBase
from knowledge.lexical import tokenize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args(argv)
    import bm25s
    from rank_bm25 import BM25Okapi

    kb = KnowledgeBase.load(args.kb.expanduser())
    corpus = [tokenize(c.index_text()) or ["\x00"] for c in kb.chunks]
    docs = [c.doc_id for c in kb.chunks]
    questions = sample_questions(Path(args.data_dir).expanduser(), args.n, seed=0)
    report = {}
    t0 = time.perf_counter()
    fast = bm25s.BM25()
    fast.index(corpus, show_progress=False)
    fast_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = BM25Okapi(corpus)
    slow_index = time.perf_counter() - t0
    for name, index_s, scorer in (
        ("bm25s", fast_index, lambda toks: fast.get_scores([t for t in toks if t in fast.vocab_dict])),
        ("rank_bm25", slow_index, slow.get_scores),
    ):
        hits, times = [], []
        for q in questions:
            toks = tokenize(q["question"])
            t0 = time.perf_counter()
            scores = scorer(toks) if toks else np.zeros(len(corpus))
            top = np.argsort(-scores)[:5]
            times.append((time.perf_counter() - t0) * 1000)
            hits.append(q["gold"] in {docs[i] for i in top})
        report[name] = {"index_s": round(index_s, 2), "recall@5": round(float(np.mean(hits)), 3), **percentiles(times)}
    print(json.dumps({"chunks": len(corpus), "questions": len(questions), **report}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
