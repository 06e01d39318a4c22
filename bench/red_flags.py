"""Emergency red flags: do they fire on emergencies, and only on them?

    python -m bench.red_flags [--split dev|test|all] [--cases FILE] [--rules-only] [--json] [--out FILE]

Cases: bench/data/red_flags.jsonl, hand-written messages labelled `emergency` (true/false) with the
`category` of emergency they describe or resemble (null when they resemble none) and a `split`, written in
two batches:
- rf-001..rf-186, written before any rule; splits alternate within each (category, label) in writing order.
  The first rules scored 100% on both splits, but the same hand wrote data and rules, so that showed
  shared phrasing, not reliability: 30 new messages caught 5 of 19 emergencies.
- rf-187..rf-216: those 30 messages. They were seen against the rules, so they are all dev.
- rf-217..rf-267: written afterwards, before any further rule change; splits alternate as above.
Rules were revised on dev misses and false alarms only. Test was run once per frozen rule set and is
reported as is, never tuned on; it is still phrased by the rules' author, so expect lower on real users.

Detection is what the assistant runs: the phrase rules, then, when none fires, the learned classifier
(`rag.red_flag_classifier`, trained by `python -m bench.red_flag_train`: see its TRAIN_FILES); `--rules-only`
scores the rules alone. The classifier never saw the test split, the fresh sets, bench/data/red_flags_heldout.jsonl,
red_flags_heldout3.jsonl, red_flags_heldout4.jsonl, red_flags_heldout7.jsonl or red_flags_heldout8.jsonl (each
written by someone who saw neither the rules nor the training messages). Each held-out set is scored once on a
frozen model, then the rules are mended on its misses, so it is a dev set from then on (its frozen score:
`reports/red_flags_heldoutN.json`); red_flags_heldout2.jsonl, red_flags_heldout5.jsonl and red_flags_heldout6.jsonl
are training data.

Per split:
- sensitivity: emergencies where the flag of their own category fired (a stroke read as a seizure still
  shows an urgent notice, and `any_flag` counts that, but the notice would be the wrong one);
- false-alarm rate: non-emergencies where any flag fired;
each with a 95% Wilson interval, per category, and every miss and false alarm listed (id, text, flags).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rag.red_flags import RedFlag, detect_red_flags

Detect = Callable[[str], list[RedFlag]]

CASES = Path(__file__).parent / "data" / "red_flags.jsonl"
#: Later sets, each written before the rule change it measures (`--cases`): `red_flags_fresh.jsonl` (30, written
#: after the rules were changed on the test split's misses; its own misses then changed them again) and
#: `red_flags_fresh2.jsonl` (20, written before that second change and scored once after it).
FRESH = Path(__file__).parent / "data" / "red_flags_fresh.jsonl"
SPLITS = ("dev", "test")
#: Two-sided 95% normal quantile for the Wilson interval.
Z_95 = 1.959963984540054
#: Targets the issue sets for the test split.
TARGET_SENSITIVITY = 0.95
TARGET_FALSE_ALARM = 0.05


def read_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """Rows of the labelled file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion (0, 1 when n is 0: nothing is known)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson(successes, n)
    return {"k": successes, "n": n, "rate": successes / n if n else None, "ci95": [round(low, 4), round(high, 4)]}


def detector(rules_only: bool) -> Detect:
    """The rules alone, or rules and classifier over the bundled embedder (as the assistant runs them)."""
    if rules_only:
        return detect_red_flags
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from knowledge.embeddings import SentenceTransformerEmbeddings

    embedder = SentenceTransformerEmbeddings()

    def embed(texts: list[str]) -> np.ndarray:
        return embedder.embed_array(texts)

    return lambda text: detect_red_flags(text, embed=embed, model=embedder.model_name)


def score(rows: list[dict[str, Any]], detect: Detect = detect_red_flags) -> dict[str, Any]:
    """Sensitivity, false-alarm rate, per-category counts, misses and false alarms for `rows`."""
    hits = any_flag = alarms = 0
    misses: list[dict[str, Any]] = []
    false_alarms: list[dict[str, Any]] = []
    per_category: dict[str, dict[str, int]] = defaultdict(
        lambda: {"emergencies": 0, "hits": 0, "non_emergencies": 0, "false_alarms": 0}
    )
    for row in rows:
        flags = detect(row["text"])
        fired = [flag.id for flag in flags]
        counts = per_category[row["category"] or "none"]
        record = {
            "id": row["id"],
            "category": row["category"],
            "text": row["text"],
            "fired": fired,
            "matched_by": sorted({flag.matched_by for flag in flags}),
        }
        if row["emergency"]:
            counts["emergencies"] += 1
            any_flag += bool(fired)
            if row["category"] in fired:
                hits += 1
                counts["hits"] += 1
            else:
                misses.append(record)
        else:
            counts["non_emergencies"] += 1
            if fired:
                alarms += 1
                counts["false_alarms"] += 1
                false_alarms.append(record)
    n_pos = sum(bool(r["emergency"]) for r in rows)
    n_neg = len(rows) - n_pos
    return {
        "n": len(rows),
        "sensitivity": _rate(hits, n_pos),
        "any_flag_sensitivity": _rate(any_flag, n_pos),
        "false_alarm_rate": _rate(alarms, n_neg),
        "per_category": dict(sorted(per_category.items())),
        "misses": misses,
        "false_alarms": false_alarms,
    }


def report(rows: list[dict[str, Any]], split: str, detect: Detect = detect_red_flags) -> dict[str, Any]:
    """Scores for the chosen split, or for dev, test and both when `split` is "all"."""
    chosen = SPLITS if split == "all" else (split,)
    result: dict[str, Any] = {
        "cases": str(CASES.relative_to(Path(__file__).parent.parent)),
        "targets": {"sensitivity": TARGET_SENSITIVITY, "false_alarm_rate": TARGET_FALSE_ALARM},
        "splits": {name: score([r for r in rows if r["split"] == name], detect) for name in chosen},
    }
    if split == "all":
        result["splits"]["all"] = score(rows, detect)
    return result


def _fmt(rate: dict[str, Any]) -> str:
    value = "n/a" if rate["rate"] is None else f"{rate['rate']:.3f}"
    low, high = rate["ci95"]
    return f"{value} ({rate['k']}/{rate['n']}, 95% CI {low:.3f}-{high:.3f})"


def render(result: dict[str, Any]) -> str:
    """Plain-text report."""
    lines: list[str] = []
    for name, scores in result["splits"].items():
        lines.append(f"== {name} ({scores['n']} messages)")
        lines.append(f"  sensitivity      {_fmt(scores['sensitivity'])}")
        lines.append(f"  any flag fired   {_fmt(scores['any_flag_sensitivity'])}")
        lines.append(f"  false-alarm rate {_fmt(scores['false_alarm_rate'])}")
        lines.append("  per category: hits/emergencies, false alarms/non-emergencies")
        for category, c in scores["per_category"].items():
            lines.append(
                f"    {category:<20} {c['hits']}/{c['emergencies']}  {c['false_alarms']}/{c['non_emergencies']}"
            )
        for kind in ("misses", "false_alarms"):
            lines.append(f"  {kind.replace('_', ' ')}: {len(scores[kind])}")
            lines.extend(
                f"    {r['id']} [{r['category']}] fired={r['fired']} by={r['matched_by']}: {r['text']}"
                for r in scores[kind]
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    parser.add_argument(
        "--cases", type=Path, help="score this labelled file instead (one split per `split` value, else one split)"
    )
    parser.add_argument("--rules-only", action="store_true", help="score the phrase rules without the classifier")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--out", type=Path, help="also write the JSON report to this file")
    args = parser.parse_args(argv)
    detect = detector(args.rules_only)
    if args.cases:
        rows = read_cases(args.cases)
        names = dict.fromkeys(r.get("split", "all") for r in rows)
        result = {
            "cases": str(args.cases),
            "targets": {"sensitivity": TARGET_SENSITIVITY, "false_alarm_rate": TARGET_FALSE_ALARM},
            "splits": {name: score([r for r in rows if r.get("split", "all") == name], detect) for name in names},
        }
    else:
        result = report(read_cases(), args.split, detect)
    result["detector"] = "rules" if args.rules_only else "rules + classifier"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
