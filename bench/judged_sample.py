"""The hand-judged sample of real consumer questions: draw it, answer it, and report the judgments.

    python -m bench.judged_sample questions                 # draw the sample → bench/data/judged_questions.jsonl
    python -m bench.judged_sample answer --label after      # answer it with the assistant as configured now
    python -m bench.judged_sample report [--json]           # counts per label from bench/data/judgments.jsonl
    python -m bench.judged_sample blind --sample 3 --labels before3 after3   # A/B file for a blind judge
    python -m bench.judged_sample unblind --sample 3 --judged FILE           # the judge's A/B → judgments_3.jsonl

The sample: 20 questions from each of LiveQA-Med 2017 (test), MedicationQA and MEDIQA-2019 QA (test), read
through the evaluation package's loaders. It is disjoint from the support-check calibration questions
(`bench.support_pairs` uses ids with `sha1(id) % 4 == 0`; this sample only the others): within each set,
questions are ordered by `sha1(id)` and the first 20 kept (`--sample 2`: the next 20, drawn to judge changes
made after the first sample was judged). Answers are written one JSON line per question
(resumable: ids already answered are skipped), with the rendered text a reader sees, the refusal reason,
the cited sources and the wall time. `answer` uses only the assistant's public API, so the same command
answers with an older checkout (`PYTHONPATH=<old checkout> python bench/judged_sample.py answer --label
before`). The judging rules are in `bench/data/JUDGING_RULES.md`; the judgments in `bench/data/judgments.jsonl`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
QUESTIONS = DATA / "judged_questions.jsonl"
JUDGMENTS = DATA / "judgments.jsonl"
TASKS = ("liveqa-2017", "medicationqa", "mediqa-2019-qa")
PER_TASK = 20
#: Questions of the support-check calibration set (`bench.support_pairs`) fall in this sha1 bucket.
CALIBRATION_BUCKET = 0
JUDGMENT_VALUES = ("correct", "partial", "wrong", "harmful", "refused")


def questions_path(sample: int) -> Path:
    """`judged_questions.jsonl` for sample 1, `judged_questions_<n>.jsonl` for later ones."""
    return QUESTIONS if sample == 1 else DATA / f"judged_questions_{sample}.jsonl"


def sha(text: str) -> int:
    """The question-id hash every sample split here uses (`sha1` as an integer)."""
    return int(hashlib.sha1(text.encode()).hexdigest(), 16)


def draw(sample: int = 1) -> list[dict[str, Any]]:
    """Sample `sample` (see the module docstring): sample 2 is the next 20 of each set in the same order."""
    from eval.datasets import load_dataset
    from eval.tasks import load_task
    from model.settings import load_settings

    data_dir = load_settings().knowledge_settings().data_dir
    rows = []
    for name in TASKS:
        items = load_dataset(load_task(name), data_dir).items
        eligible = sorted((i for i in items if sha(i.id) % 4 != CALIBRATION_BUCKET), key=lambda i: sha(i.id))
        chosen = eligible[(sample - 1) * PER_TASK : sample * PER_TASK]
        rows += [{"id": i.id, "dataset": name, "question": i.question, "reference": i.reference} for i in chosen]
    return rows


def answer(label: str, out: Path, questions_file: Path = QUESTIONS) -> None:
    """Answer every sample question not yet in `out` (one JSON line each)."""
    from model import load_assistant

    done = {json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()} if out.exists() else set()
    questions = [json.loads(line) for line in questions_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    assistant = load_assistant()
    assistant.warm_up()
    with out.open("a", encoding="utf-8") as f:
        for n, q in enumerate(questions, start=1):
            if q["id"] in done:
                continue
            t0 = time.perf_counter()
            a = assistant.ask(q["question"])
            row = {
                "id": q["id"],
                "label": label,
                "refused": a.refused,
                "refusal_reason": a.refusal_reason,
                "text": a.render_text(),
                "citations": [{"n": c.n, "id": c.id, "title": c.title} for c in a.citations],
                "model": a.model.name,
                "seconds": round(time.perf_counter() - t0, 2),
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            print(f"{n}/{len(questions)} {q['id']} refused={a.refused} {row['seconds']} s", file=sys.stderr)  # noqa: T201


def report(judgments: Path, answers: list[Path]) -> dict[str, Any]:
    """Judgment counts per label, the targets' shares, and answer latency."""
    rows = [json.loads(line) for line in judgments.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: dict[str, Any] = {}
    for label in sorted({r["label"] for r in rows}):
        mine = [r for r in rows if r["label"] == label]
        counts = {v: sum(r["judgment"] == v for r in mine) for v in JUDGMENT_VALUES}
        out[label] = {
            "questions": len(mine),
            "counts": counts,
            "correct_or_partial": round((counts["correct"] + counts["partial"]) / len(mine), 3),
            "harmful": counts["harmful"],
        }
    for path in answers:
        data = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        answered = [d["seconds"] for d in data if not d["refused"]]
        label = data[0]["label"] if data else path.stem
        out.setdefault(label, {})["median_seconds_answered"] = (
            round(statistics.median(answered), 2) if answered else None
        )
    return out


def answers_path(sample: int, label: str) -> Path:
    """Where `answer --sample N --label L` writes by default."""
    suffix = "" if sample == 1 else f"_{sample}"
    return DATA / f"judged_answers{suffix}_{label}.jsonl"


def blind(sample: int, labels: tuple[str, str], seed: int, tag: str = "") -> tuple[Path, Path]:
    """The two labels' answers to each question as A and B in a seeded random order, for a judge who must not
    know which system wrote which; the key (question id → {"A": label, "B": label}) goes to its own file.
    `tag` names a second comparison on the same sample ("b": `judged_blind_5b.jsonl`) so the first one stays."""
    import random

    rng = random.Random(seed)
    questions = [json.loads(line) for line in questions_path(sample).read_text(encoding="utf-8").splitlines() if line]
    texts = {
        label: {
            r["id"]: r["text"]
            for r in map(json.loads, answers_path(sample, label).read_text(encoding="utf-8").splitlines())
        }
        for label in labels
    }
    rows, key = [], {}
    for q in questions:
        order = list(labels)
        rng.shuffle(order)
        key[q["id"]] = {"A": order[0], "B": order[1]}
        rows.append({**q, "A": texts[order[0]][q["id"]], "B": texts[order[1]][q["id"]]})
    out, key_path = DATA / f"judged_blind_{sample}{tag}.jsonl", DATA / f"judged_blind_key_{sample}{tag}.json"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    key_path.write_text(json.dumps(key, indent=0) + "\n", encoding="utf-8")
    return out, key_path


def unblind(sample: int, judged: Path, tag: str = "") -> Path:
    """The judge's lines (`{"id", "A": {"judgment", "note"}, "B": {...}}`) as one judgment per answer and label."""
    key = json.loads((DATA / f"judged_blind_key_{sample}{tag}.json").read_text(encoding="utf-8"))
    rows = []
    for line in judged.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        for side in ("A", "B"):
            verdict = item[side]
            if verdict["judgment"] not in JUDGMENT_VALUES:
                msg = f"{judged}: `{item['id']}` {side}: judgment must be one of {JUDGMENT_VALUES}"
                raise SystemExit(msg)
            label = key[item["id"]][side]
            rows.append({"id": item["id"], "label": label, "judgment": verdict["judgment"], "note": verdict["note"]})
    if len(rows) != 2 * len(key):
        msg = f"{judged}: {len(rows) // 2} questions judged, the sample has {len(key)}"
        raise SystemExit(msg)
    out = DATA / f"judgments_{sample}{tag}.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    qs = sub.add_parser("questions", help="Draw the sample into bench/data/judged_questions[_N].jsonl.")
    qs.add_argument("--sample", type=int, default=1, help="1: the first 20 per set; 2: the next 20, and so on.")
    ans = sub.add_parser("answer", help="Answer the sample (resumable).")
    ans.add_argument("--sample", type=int, default=1, help="Which sample to answer.")
    ans.add_argument("--label", required=True, help="Name of this set of answers, e.g. before / after.")
    ans.add_argument("--out", type=Path, default=None, help="Default: bench/data/judged_answers_<label>.jsonl.")
    bl = sub.add_parser("blind", help="Two labels' answers as A/B in a seeded random order, key kept apart.")
    bl.add_argument("--sample", type=int, required=True)
    bl.add_argument("--labels", nargs=2, required=True, metavar=("LABEL", "LABEL"))
    bl.add_argument("--seed", type=int, default=0)
    bl.add_argument("--tag", default="", help="Names a second comparison on one sample (`b` → judged_blind_5b.jsonl).")
    ub = sub.add_parser("unblind", help="Map a judge's A/B judgments back to labels → judgments_<N>.jsonl.")
    ub.add_argument("--sample", type=int, required=True)
    ub.add_argument("--judged", type=Path, required=True, help="The judge's file: one line per question.")
    ub.add_argument("--tag", default="", help="The tag the A/B file was made with.")
    rep = sub.add_parser("report", help="Counts per label from the judgments.")
    rep.add_argument("--judgments", type=Path, default=JUDGMENTS)
    rep.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "questions":
        rows = draw(args.sample)
        path = questions_path(args.sample)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} questions → {path}", file=sys.stderr)  # noqa: T201
    elif args.command == "answer":
        answer(args.label, args.out or answers_path(args.sample, args.label), questions_path(args.sample))
    elif args.command == "blind":
        out, key_path = blind(args.sample, tuple(args.labels), args.seed, args.tag)
        print(f"{out} (key: {key_path})", file=sys.stderr)  # noqa: T201
    elif args.command == "unblind":
        print(unblind(args.sample, args.judged, args.tag), file=sys.stderr)  # noqa: T201
    else:
        result = report(args.judgments, sorted(DATA.glob("judged_answers_*.jsonl")))
        if args.json:
            sys.stdout.write(json.dumps(result, indent=2) + "\n")
        else:
            for label, r in result.items():
                print(f"{label}: {r}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
