"""Answer-support pairs from real answers: (answer sentence, passage) rows to hand-label (issue 9, item 2).

    python -m bench.support_pairs --out bench/data/support_pairs_raw.jsonl --limit 140

Answers real consumer questions (MedicationQA, LiveQA-Med 2017 test, MEDIQA-2019 QA test, read through the
evaluation package's task files and loaders) with the default assistant in generative mode
(`answer.mode = "generative"`: the chat model writes) and `answer.unsupported = "flag"`, so that sentences the
lexical check rejects are kept, and writes one JSON line per (answer sentence, passage) pair:

- a sentence citing passages gives one row per cited passage (`cited: true`, `origin: "model"` when the model
  wrote the marker; `cited: false`, `origin: "attributed"` when post-processing attributed it because the model
  cited nothing);
- a sentence citing nothing is paired with the shown passage of highest lexical overlap (`cited: false`,
  `origin: "best_overlap"`);
- sentences the citation check drops outright (markup only, instructions, copies of flagged passages) are never
  answer text and give no row; sentences only the answer policies withhold (`fragment`, `personal_verdict`,
  `dose_not_quoted`), and answers refused afterwards only for echoing the question, were support-checked
  first: they give rows, with the reason in `withheld` (`echo_answer` for the latter);
- a question the question-level screen would refuse before generating (`unknown_term`: a word no source
  knows, often a typo) is answered all the same, and its rows say `question_screen:<reason>` in `withheld`
  (so a calibration can keep or drop them); `--respect-question-screen` refuses them as the product does;
- other refusals (low retrieval confidence, empty answer, model refusal, ...) give no row; they are written to
  `<out>.refusals` and counted on stderr. An answer refused after its sentences were checked (`echo`: it only
  repeats the question; `no_supported_sentence` once the policies withheld every sentence) keeps its rows.

Row fields: `pair_id` (`<dataset>/<question_id>/<sentence index>/<passage number>`), `question_id` (the loader's
item id: `mqa-0001`, `TQ1`, `1`; distinct across the three sets), `dataset`, `question`, `sentence`,
`passage_id`, `passage` (full text, as shown to the model), `cited`, `origin`, `lexical_support` (the lexical
score of the sentence over its cited passages, as the chain computed it), `pair_lexical_support` (the same score
against this one passage), `current_supported` (the lexical check's verdict: score >= `answer.min_support` and
no unconfirmed dose; any deeper support check is switched off or ignored here, since these rows calibrate it),
`withheld` (the policies' reasons this sentence or answer would not be shown; empty when it would be).

Question selection (keeps this set disjoint from a hand-judged sample drawn later): only questions whose
loader id satisfies `int(hashlib.sha1(id.encode()).hexdigest(), 16) % 4 == 0`, taken in order of that
hash within each dataset, datasets interleaved round-robin, until `--limit` questions have been asked
(refusals included). Splits of the labelled file follow the next bit of the same hash: `(h // 4) % 2`
(0: dev, 1: test), so no question is in both.

Resumable: question ids already in `--out` or `<out>.refusals` are skipped. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

#: Dataset name in the rows → shipped task that reads it.
TASKS = {"medicationqa": "medicationqa", "liveqa": "liveqa-2017", "mediqa": "mediqa-2019-qa"}


def id_hash(question_id: str) -> int:
    """The SHA-1 of a question id as an integer (selection and split both read it)."""
    return int(hashlib.sha1(question_id.encode()).hexdigest(), 16)


def selected(question_id: str) -> bool:
    """Whether a question may enter the support-pairs set (the other three quarters are left for other uses)."""
    return id_hash(question_id) % 4 == 0


def split_of(question_id: str) -> str:
    """`dev` or `test`, by question: the bit of the id hash after the selection bits."""
    return "test" if (id_hash(question_id) // 4) % 2 else "dev"


def load_questions(data_dir: Path | None) -> dict[str, list[dict[str, str]]]:
    """Selected questions of each dataset, in hash order: `{"dataset": [{"id", "question"}, ...]}`."""
    from eval.datasets import load_items
    from eval.tasks import load_task

    out: dict[str, list[dict[str, str]]] = {}
    for dataset, task_name in TASKS.items():
        items = load_items(load_task(task_name), data_dir)
        rows = [{"id": item.id, "question": item.question} for item in items]
        rows = [r for r in rows if selected(r["id"])]
        out[dataset] = sorted(rows, key=lambda r: id_hash(r["id"]))
    return out


def interleave(groups: dict[str, list[dict[str, str]]]) -> Iterator[tuple[str, dict[str, str]]]:
    """Round-robin over the datasets."""
    iters = {name: iter(rows) for name, rows in groups.items()}
    while iters:
        for name in list(iters):
            row = next(iters[name], None)
            if row is None:
                del iters[name]
            else:
                yield name, row


#: Issues by which the answer policies withhold a sentence after the support check ran on it.
POLICY_ISSUES = ("fragment", "personal_verdict", "dose_not_quoted")


def lexically_supported(check: Any, min_support: float) -> bool:
    """The lexical check's verdict on a `SentenceCheck`: shared-word score and confirmed doses only."""
    return check.support >= min_support and not any(i.startswith("dose_unconfirmed") for i in check.issues)


#: Issues by which the citation check drops a sentence as no answer text at all (`rag.citations`).
CHECK_DROPS = ("instruction:", "markup_only", "copies_flagged_passage:")
#: Refusals reached after the answer's sentences were checked: their sentences still give rows.
LATE_REFUSALS = ("echo", "no_supported_sentence")


def pairs_of(
    answer: Any, question_id: str, dataset: str, min_support: float, screened: str | None = None
) -> list[dict[str, Any]]:
    """One row per (answer sentence, passage) of a `CitedAnswer` (see the module docstring); `screened` is the
    question-level refusal that was bypassed, if any."""
    from rag.citations import support

    contexts = answer.contexts
    passages = [d.page_content for d in contexts]
    echo = ["echo_answer"] if answer.refused and answer.refusal_reason == "echo" else []
    echo = ([f"question_screen:{screened}"] if screened else []) + echo
    rows: list[dict[str, Any]] = []
    for index, check in enumerate(answer.sentences):
        if check.dropped and any(i.startswith(CHECK_DROPS) for i in check.issues):
            continue  # dropped by the citation check itself: never answer text
        withheld = [i for i in check.issues if i in POLICY_ISSUES]
        if check.dropped and not withheld:  # a dose statement already marked unconfirmed is withheld as such
            withheld = [i for i in check.issues if i.startswith("dose_unconfirmed")] or ["withheld"]
        if check.citations:
            numbers = list(check.citations)
            origin = "model" if answer.citation_origin == "model" else "attributed"
        elif passages:
            scores = [support(check.text, [p]) for p in passages]
            numbers = [max(range(len(scores)), key=scores.__getitem__) + 1]
            origin = "best_overlap"
        else:
            continue
        for n in numbers:
            doc = contexts[n - 1]
            rows.append(
                {
                    "pair_id": f"{dataset}/{question_id}/{index}/{n}",
                    "question_id": question_id,
                    "dataset": dataset,
                    "question": answer.question,
                    "sentence": check.text,
                    "passage_id": str(doc.id),
                    "passage": doc.page_content,
                    "cited": origin == "model",
                    "origin": origin,
                    "lexical_support": check.support,
                    "pair_lexical_support": round(support(check.text, [doc.page_content]), 3),
                    "current_supported": lexically_supported(check, min_support),
                    "withheld": withheld + echo,
                }
            )
    return rows


def bypass_question_screen() -> dict[str, str]:
    """Let questions the question-level screen refuses be answered; returns `{question: refusal}`, filled as
    the chain runs (empty, and nothing bypassed, when the chain has no such screen)."""
    import rag.chain as chain

    screened: dict[str, str] = {}
    original = getattr(chain, "screen_question", None)
    if original is None:
        return screened

    def screen_but_answer(question: str, *args: Any, **kwargs: Any) -> Any:
        result = original(question, *args, **kwargs)
        if getattr(result, "refusal", None):
            screened[question] = result.refusal
            return result.model_copy(update={"refusal": None, "message": None})
        return result

    chain.screen_question = screen_but_answer
    return screened


def done_ids(*paths: Path) -> set[str]:
    """Question ids already written to any of `paths`."""
    seen: set[str] = set()
    for path in paths:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    seen.add(json.loads(line)["question_id"])
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.support_pairs", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="JSONL of pairs (appended to; resumable)")
    parser.add_argument("--limit", type=int, default=140, help="questions to answer in all, refusals included")
    parser.add_argument(
        "--respect-question-screen",
        action="store_true",
        help="refuse questions the question-level screen refuses (default: answer them, noted in `withheld`)",
    )
    parser.add_argument(
        "--datasets", default=",".join(TASKS), help=f"comma-separated subset of {', '.join(TASKS)} (default: all)"
    )
    args = parser.parse_args(argv)
    wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = sorted(set(wanted) - set(TASKS))
    if unknown:
        parser.error(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(TASKS)}")

    from model.assistant import load_assistant
    from rag.settings import AnswerSettings

    answer_settings: dict[str, Any] = {"mode": "generative", "unsupported": "flag"}
    if "support_check" in AnswerSettings.model_fields:  # the deeper check these rows calibrate: keep it out
        answer_settings["support_check"] = False
    assistant = load_assistant(answer=answer_settings)
    min_support = assistant.settings.answer.min_support
    screened = {} if args.respect_question_screen else bypass_question_screen()
    refusals_path = args.out.with_name(args.out.name + ".refusals")
    seen = done_ids(args.out, refusals_path)
    groups = {d: rows for d, rows in load_questions(assistant.settings.data_dir).items() if d in wanted}
    print(
        "selected questions: " + ", ".join(f"{d} {len(r)}" for d, r in groups.items()) + f"; already done {len(seen)}",
        file=sys.stderr,
        flush=True,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    asked = len(seen)
    counts = {"answered": 0, "late_refusal_kept": 0, "screen_bypassed": 0, "refused": 0, "pairs": 0}
    for dataset, row in interleave(groups):
        if asked >= args.limit:
            break
        if row["id"] in seen:
            continue
        t0 = time.perf_counter()
        answer = assistant.ask(row["question"])
        asked += 1
        if answer.mode != "generative":
            raise SystemExit(f"expected a generative answer, got mode {answer.mode!r}")
        if answer.refused and answer.refusal_reason not in LATE_REFUSALS:
            counts["refused"] += 1
            with refusals_path.open("a", encoding="utf-8") as f:
                record = {"question_id": row["id"], "dataset": dataset, "reason": answer.refusal_reason}
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            status = f"refused ({answer.refusal_reason})"
        else:
            rows = pairs_of(answer, row["id"], dataset, min_support, screened.get(row["question"]))
            if not rows:  # every sentence dropped: nothing to label, but do not ask again
                with refusals_path.open("a", encoding="utf-8") as f:
                    record = {"question_id": row["id"], "dataset": dataset, "reason": "no_pairs"}
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
            with args.out.open("a", encoding="utf-8") as f:
                for r in rows:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            counts["late_refusal_kept" if answer.refused else "answered"] += 1
            counts["screen_bypassed"] += row["question"] in screened
            counts["pairs"] += len(rows)
            status = f"{len(rows)} pairs"
            status += f" (refused late: {answer.refusal_reason}, kept)" if answer.refused else ""
            status += f" (screen bypassed: {screened[row['question']]})" if row["question"] in screened else ""
        print(
            f"[{asked}/{args.limit}] {row['id']}: {status} in {time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
            flush=True,
        )
    print(f"done: {json.dumps(counts)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
