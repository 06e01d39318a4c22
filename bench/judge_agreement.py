"""Agreement of an entailment judge with the hand-labelled pairs in `eval/data/judge_pairs.jsonl`.

    python -m bench.judge_agreement [--judge local] [--split test|dev|all] [--json]
    python -m bench.judge_agreement --sweep        # the DEV grid search that chose the LocalJudge constants

The pairs are split by premise (every hypothesis about one passage lands in the same half), deterministically:
premises are ordered by the SHA-256 of their text and alternately assigned to DEV and TEST. `split_pairs`
checks that the halves share no id and no premise. Thresholds are chosen on DEV only; the figures to quote
are the TEST ones. Reported: 3-way accuracy, per-label precision/recall, precision/recall of "not supported"
in the binary view (what citation recall needs), the confusion matrix (rows gold, columns predicted) and
accuracy per kind.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from collections import Counter
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from eval import judges
from eval.judges import LABELS, Judge, JudgeFeatures, Label, LocalJudge, LocalJudgeParams, decide

PAIRS_PATH = Path(judges.__file__).parent / "data" / "judge_pairs.jsonl"
Kind = Literal[
    "exact_copy",
    "paraphrase",
    "wrong_number",
    "negation_flip",
    "direction_flip",
    "wrong_entity",
    "topic_related",
    "partial_support",
    "unrelated",
    "answer_style",
]
KINDS: tuple[str, ...] = get_args(Kind)


class JudgePair(BaseModel):
    """One hand-labelled premise–hypothesis pair."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    premise: str
    hypothesis: str
    label: Label
    kind: Kind


def load_pairs(path: Path = PAIRS_PATH) -> list[JudgePair]:
    """Every labelled pair; ids must be unique."""
    pairs = [JudgePair.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    dupes = [i for i, n in Counter(p.id for p in pairs).items() if n > 1]
    if dupes:
        msg = f"{path}: duplicate pair ids {dupes}"
        raise ValueError(msg)
    return pairs


def split_pairs(pairs: list[JudgePair]) -> tuple[list[JudgePair], list[JudgePair]]:
    """(DEV, TEST): premises ordered by SHA-256, alternately assigned; raises if the halves overlap."""
    premises = sorted({p.premise for p in pairs}, key=lambda t: hashlib.sha256(t.encode()).hexdigest())
    dev_premises = set(premises[0::2])
    dev = [p for p in pairs if p.premise in dev_premises]
    test = [p for p in pairs if p.premise not in dev_premises]
    if {p.id for p in dev} & {p.id for p in test} or {p.premise for p in dev} & {p.premise for p in test}:
        msg = "DEV and TEST halves of the judge pairs overlap"
        raise ValueError(msg)
    return dev, test


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def agreement(gold: list[Label], predicted: list[Label], kinds: list[str] | None = None) -> dict[str, object]:
    """Accuracy, per-label and binary precision/recall, confusion matrix, per-kind accuracy."""
    pairs = list(zip(gold, predicted, strict=True))
    confusion = {g: {p: sum(1 for a, b in pairs if a == g and b == p) for p in LABELS} for g in LABELS}
    per_label = {
        label: {
            "precision": _ratio(confusion[label][label], sum(confusion[g][label] for g in LABELS)),
            "recall": _ratio(confusion[label][label], sum(confusion[label].values())),
            "n": sum(confusion[label].values()),
        }
        for label in LABELS
    }
    not_gold = [g != "supported" for g in gold]
    not_pred = [p != "supported" for p in predicted]
    tp = sum(1 for a, b in zip(not_gold, not_pred, strict=True) if a and b)
    report: dict[str, object] = {
        "n": len(pairs),
        "accuracy": _ratio(sum(1 for a, b in pairs if a == b), len(pairs)),
        "binary_accuracy": _ratio(sum(1 for a, b in zip(not_gold, not_pred, strict=True) if a == b), len(pairs)),
        "not_supported": {"precision": _ratio(tp, sum(not_pred)), "recall": _ratio(tp, sum(not_gold))},
        "per_label": per_label,
        "confusion": confusion,
    }
    if kinds is not None:
        by_kind = {}
        for kind in sorted(set(kinds)):
            idx = [i for i, k in enumerate(kinds) if k == kind]
            by_kind[kind] = {
                "n": len(idx),
                "accuracy": _ratio(sum(1 for i in idx if gold[i] == predicted[i]), len(idx)),
            }
        report["by_kind"] = by_kind
    return report


def run_judge(judge: Judge, pairs: list[JudgePair]) -> dict[str, object]:
    """The agreement report of `judge` on `pairs`, stamped with the judge's name."""
    t0 = time.perf_counter()
    predicted = [judge.judge(p.premise, p.hypothesis).label for p in pairs]
    report = agreement([p.label for p in pairs], predicted, [p.kind for p in pairs])
    return {"judge": judge.name, "seconds": round(time.perf_counter() - t0, 2), **report}


def sweep(features: list[JudgeFeatures], gold: list[Label]) -> list[tuple[float, float, LocalJudgeParams]]:
    """Every grid point ranked by (3-way accuracy, binary accuracy) on the given (DEV) pairs, best first."""
    results = []
    grid = itertools.product([i / 10 for i in range(11)], [i / 100 for i in range(30, 96)], [0.3, 0.4, 0.5, 0.6, 0.7])
    for weight, threshold, align in grid:
        params = LocalJudgeParams(weight=weight, threshold=threshold, align=align)
        predicted = [decide(f, params).label for f in features]
        acc = sum(1 for a, b in zip(gold, predicted, strict=True) if a == b) / len(gold)
        binary = sum(1 for a, b in zip(gold, predicted, strict=True) if (a == "supported") == (b == "supported")) / len(
            gold
        )
        results.append((acc, binary, params))
    # Ties go to the higher binary accuracy, then to the smallest weight, threshold and alignment (deterministic).
    results.sort(key=lambda r: (-r[0], -r[1], r[2].weight, r[2].threshold, r[2].align))
    return results


def _print_report(report: dict[str, object]) -> None:
    print(f"judge: {report['judge']}   split: {report['split']}   n = {report['n']}   ({report['seconds']} s)")
    print(f"accuracy (3-way): {report['accuracy']}   binary (supported vs not): {report['binary_accuracy']}")
    ns = report["not_supported"]
    assert isinstance(ns, dict)
    print(f"'not supported': precision {ns['precision']}  recall {ns['recall']}")
    per_label = report["per_label"]
    assert isinstance(per_label, dict)
    for label, row in per_label.items():
        print(f"  {label:<13} precision {row['precision']}  recall {row['recall']}  (n = {row['n']})")
    confusion = report["confusion"]
    assert isinstance(confusion, dict)
    print("confusion (rows gold, columns predicted):")
    print(" " * 15 + "".join(f"{p:>14}" for p in LABELS))
    for g in LABELS:
        print(f"  {g:<13}" + "".join(f"{confusion[g][p]:>14}" for p in LABELS))
    by_kind = report.get("by_kind", {})
    assert isinstance(by_kind, dict)
    print("accuracy by kind: " + ", ".join(f"{k} {v['accuracy']} (n={v['n']})" for k, v in by_kind.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judge", choices=["local"], default="local", help="Judge to measure.")
    parser.add_argument("--split", choices=["test", "dev", "all"], default="test")
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    parser.add_argument("--sweep", action="store_true", help="Grid-search the LocalJudge constants on DEV.")
    args = parser.parse_args(argv)
    pairs = load_pairs()
    dev, test = split_pairs(pairs)
    if args.sweep:
        judge = LocalJudge()
        features = [judge.features(p.premise, p.hypothesis) for p in dev]
        ranked = sweep(features, [p.label for p in dev])
        best = [{"accuracy": round(a, 3), "binary": round(b, 3), **p.model_dump()} for a, b, p in ranked[:10]]
        print(json.dumps({"dev_pairs": len(dev), "best": best}, indent=2))
        return 0
    chosen = {"test": test, "dev": dev, "all": pairs}[args.split]
    report = {"split": args.split, **run_judge(LocalJudge(), chosen)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
