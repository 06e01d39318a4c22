"""Scale benchmark: search latency of the dense and BM25 indexes at a synthetic N-chunk index.

    python -m bench.scale --kb ~/.cache/clinicalgpt/kb --size 1000000 --queries 200

Dense: N random unit vectors in the same FAISS index type as the knowledge base (`IndexIDMap2` over
`IndexFlatIP`, exact), queried with real embedded MedQuAD questions. BM25: N synthetic passages made by
mixing the tokens of two random real chunks (so postings grow like real text), indexed with bm25s. The
hybrid figure at N is composed: measured dense + BM25 at N plus the measured linking/KG/fusion overhead
of the real knowledge base, which does not grow with the index.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.kb import KnowledgeBase  # noqa: E402
from knowledge.lexical import tokenize  # noqa: E402
from rag.retrieve import HybridSearcher  # noqa: E402


def pcts(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(q[94], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    import bm25s
    import faiss

    kb = KnowledgeBase.load(args.kb.expanduser())
    rng = np.random.default_rng(args.seed)
    pyrng = random.Random(args.seed)
    # Questions in MedQuAD's style about random titles of the knowledge base.
    passages = pyrng.sample([c for c in kb.chunks if c.source == "medquad" and c.section], args.queries)
    questions = [f"What is the {c.section} of {c.title}?" for c in passages]
    qvec = kb.embeddings.embed_array(questions)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "size": args.size,
        "queries": args.queries,
    }

    # Overhead that does not grow with the index: linking, KG facts, entity passages, fusion.
    searcher = HybridSearcher(kb)
    kb.linker.link("warm-up")
    full = {"dense": [], "bm25": [], "hybrid": []}
    for q, v in zip(questions, qvec, strict=True):
        for mode in full:
            t0 = time.perf_counter()
            searcher.search(q, k=20, mode=mode, query_vector=v[None, :])  # type: ignore[arg-type]
            full[mode].append((time.perf_counter() - t0) * 1000)
    overhead = [h - d - b for h, d, b in zip(full["hybrid"], full["dense"], full["bm25"], strict=True)]
    report["full_size"] = {"chunks": len(kb.chunks), **{m: pcts(v) for m, v in full.items()}}

    t0 = time.perf_counter()
    dim = qvec.shape[1]
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    step = 100_000
    for start in range(0, args.size, step):
        block = rng.standard_normal((min(step, args.size - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        index.add_with_ids(block, np.arange(start, start + len(block), dtype=np.int64))
    dense_build = time.perf_counter() - t0
    dense_ms = []
    for v in qvec:
        t0 = time.perf_counter()
        index.search(v[None, :], 100)
        dense_ms.append((time.perf_counter() - t0) * 1000)
    del index

    t0 = time.perf_counter()
    real_tokens = [tokenize(c.index_text()) for c in kb.chunks]
    corpus = []
    for _ in range(args.size):
        a, b = pyrng.choice(real_tokens), pyrng.choice(real_tokens)
        corpus.append((a[: len(a) // 2] + b[len(b) // 2 :]) or ["empty"])
    model = bm25s.BM25()
    model.index(corpus, show_progress=False)
    del corpus
    bm25_build = time.perf_counter() - t0
    vocab = model.vocab_dict
    bm25_ms = []
    for q in questions:
        t0 = time.perf_counter()
        tokens = [t for t in tokenize(q) if t in vocab]
        if tokens:
            scores = model.get_scores(tokens)
            np.argpartition(-scores, 100)[:100]
        bm25_ms.append((time.perf_counter() - t0) * 1000)
    embed_ms = []
    for q in questions[:50]:
        t0 = time.perf_counter()
        kb.embed_query(q)
        embed_ms.append((time.perf_counter() - t0) * 1000)
    composed = [d + b + o + statistics.median(embed_ms) for d, b, o in zip(dense_ms, bm25_ms, overhead, strict=True)]
    report["at_size"] = {
        "dense_search": pcts(dense_ms),
        "bm25_search": pcts(bm25_ms),
        "query_embedding": pcts(embed_ms),
        "fusion_overhead": pcts(overhead),
        "hybrid_composed": pcts(composed),
        "dense_build_s": round(dense_build, 1),
        "bm25_build_s": round(bm25_build, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
