"""Retrieval benchmark: MedQuAD question → the passage holding its own answer, on a held-out split.

Measures recall@1/5/20 and MRR for each mode of our knowledge base (dense, bm25, kg, hybrid) and for a
naive LangChain baseline built in the same run (community FAISS over one document per distinct MedQuAD
answer, indexed with the same "title — section: text" our index gets, + rank_bm25, fused by
`EnsembleRetriever`), plus per-query latency p50/p95.

    python -m bench.retrieval --split test --n 1000 --seed 0 [--json out.json]

Questions come from one split of `eval.datasets.medquad_split` (by focus): `test` (the default) is held
out, `dev` is the only one tuning may read (`bench.retrieval_sweep`). Needs the `bench` extra
(`pip install -e ".[bench]"`) and CLINICALGPT_DATA_DIR. The baseline's vectors are cached under
~/.cache/clinicalgpt/bench so re-runs skip the re-embedding.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from eval.datasets.consumer_qa import medquad_split  # noqa: E402
from knowledge.kb import KnowledgeBase  # noqa: E402
from knowledge.schema import json_hash  # noqa: E402
from knowledge.sources.base import LoadReport, clean_text, iter_jsonl  # noqa: E402
from knowledge.sources.medquad import JSONL, load_medquad  # noqa: E402
from rag.retrieve import HybridSearcher  # noqa: E402
from rag.settings import RetrievalSettings  # noqa: E402

CUTOFFS = (1, 5, 20)
Split = Literal["dev", "test"]


def sample_questions(data_dir: Path, n: int, seed: int, split: Split = "test") -> list[dict[str, str]]:
    """`n` seeded MedQuAD questions of one split with the id of the document holding their answer."""
    doc_of_text = {d.text: d.doc_id for d in load_medquad(data_dir).docs}
    rows = []
    for _, row in iter_jsonl(data_dir / JSONL, LoadReport(source="medquad")):  # malformed lines are skipped
        gold = doc_of_text.get(clean_text(row.get("answer") or ""))
        if gold and row.get("question") and medquad_split(row.get("focus")) == split:
            rows.append(
                {
                    "question": row["question"],
                    "gold": gold,
                    "qtype": row.get("qtype") or "",
                    "focus": row.get("focus") or "",
                    "answer": clean_text(row.get("answer") or ""),
                }
            )
    random.Random(seed).shuffle(rows)
    return rows[:n]


def score(ranked_docs: list[list[str]], golds: list[str]) -> dict[str, float]:
    """recall@k (the gold document among the top k) and MRR@20."""
    out: dict[str, float] = {}
    for k in CUTOFFS:
        out[f"recall@{k}"] = float(np.mean([g in r[:k] for r, g in zip(ranked_docs, golds, strict=True)]))
    rr = [1.0 / (r[:20].index(g) + 1) if g in r[:20] else 0.0 for r, g in zip(ranked_docs, golds, strict=True)]
    out["mrr"] = float(np.mean(rr))
    return out


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50/p95 of per-query latencies in ms."""
    qs = statistics.quantiles(ms, n=100)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(qs[94], 2)}


def dedupe_docs(doc_ids: list[str]) -> list[str]:
    """Chunk ranking → document ranking (first occurrence wins)."""
    seen: dict[str, None] = {}
    for d in doc_ids:
        seen.setdefault(d, None)
    return list(seen)


def run_ours(kb: KnowledgeBase, questions: list[dict[str, str]], settings: RetrievalSettings) -> dict[str, Any]:
    searcher = HybridSearcher(kb, settings)
    kb.embed_query("warm-up")  # load the model outside the timings
    kb.linker.link("warm-up")
    results: dict[str, Any] = {}
    golds = [q["gold"] for q in questions]
    for mode in ("dense", "bm25", "kg", "hybrid"):
        ranked, times = [], []
        for q in tqdm(questions, desc=f"ours/{mode}", leave=False):
            t0 = time.perf_counter()
            res = searcher.search(q["question"], k=60, mode=mode)
            times.append((time.perf_counter() - t0) * 1000)
            ranked.append(dedupe_docs([d.metadata["doc_id"] for d in res.documents]))
        results[mode] = score(ranked, golds) | percentiles(times)
    return results


def run_baseline(data_dir: Path, questions: list[dict[str, str]], kb: KnowledgeBase, cache: Path) -> dict[str, Any]:
    """Naive LangChain hybrid: community FAISS + rank_bm25 over one document per distinct answer, plain RRF."""
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document

    docs = load_medquad(data_dir).docs
    # The same text our index embeds (`Chunk.index_text`): title and section, then the body.
    texts = [f"{d.title} — {d.section}: {d.text}" if d.section else f"{d.title}: {d.text}" for d in docs]
    ids = [d.doc_id for d in docs]
    cache.mkdir(parents=True, exist_ok=True)
    vec_path = cache / f"baseline-{json_hash(texts)}.npy"
    if vec_path.exists():
        vectors = np.load(vec_path)
    else:
        emb = kb.embeddings.model_copy(update={"show_progress": True})
        vectors = emb.embed_array(texts)
        np.save(vec_path, vectors)
    store = FAISS.from_embeddings(
        list(zip(texts, vectors.tolist(), strict=True)), kb.embeddings, metadatas=[{"doc_id": i} for i in ids]
    )
    bm25 = BM25Retriever.from_documents(
        [Document(page_content=t, metadata={"doc_id": i}) for t, i in zip(texts, ids, strict=True)]
    )
    bm25.k = 20
    dense = store.as_retriever(search_kwargs={"k": 20})
    ensemble = EnsembleRetriever(retrievers=[dense, bm25], weights=[0.5, 0.5])
    golds = [q["gold"] for q in questions]
    results: dict[str, Any] = {}
    for name, retriever in (("dense", dense), ("bm25", bm25), ("fused", ensemble)):
        ranked, times = [], []
        for q in tqdm(questions, desc=f"baseline/{name}", leave=False):
            t0 = time.perf_counter()
            found = retriever.invoke(q["question"])
            times.append((time.perf_counter() - t0) * 1000)
            ranked.append(dedupe_docs([d.metadata["doc_id"] for d in found]))
        results[name] = score(ranked, golds) | percentiles(times)
    results["documents"] = len(docs)
    return results


def table(title: str, rows: dict[str, dict[str, float]]) -> str:
    cols = ["recall@1", "recall@5", "recall@20", "mrr", "p50_ms", "p95_ms"]
    lines = [title, f"{'mode':<10}" + "".join(f"{c:>11}" for c in cols)]
    for name, vals in rows.items():
        if isinstance(vals, dict):
            lines.append(f"{name:<10}" + "".join(f"{vals[c]:>11.3f}" for c in cols))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--n", type=int, default=1000, help="questions (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=["dev", "test"], default="test", help="MedQuAD split (tune on dev only)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/clinicalgpt/bench"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    data_dir = Path(args.data_dir).expanduser()
    kb = KnowledgeBase.load(args.kb.expanduser())
    questions = sample_questions(data_dir, args.n, args.seed, args.split)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "questions": len(questions),
        "seed": args.seed,
        "split": args.split,
        "kb_chunks": len(kb.chunks),
        "kb_embedded": len(kb.dense),
        "kb_settings_hash": kb.manifest.settings_hash,
    }
    report["ours"] = run_ours(kb, questions, RetrievalSettings())
    title = f"ours ({len(kb.chunks)} chunks, {len(questions)} {args.split} questions, seed {args.seed})"
    print(table(title, report["ours"]))
    if not args.no_baseline:
        report["baseline"] = run_baseline(data_dir, questions, kb, args.cache.expanduser())
        print(table(f"naive LangChain baseline ({report['baseline']['documents']} documents)", report["baseline"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k not in ("ours", "baseline")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
