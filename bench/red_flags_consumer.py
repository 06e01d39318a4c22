"""How often red flags fire on real consumer questions: LiveQA 2017 test, MEDIQA 2019 test, MedicationQA.

These sets carry no emergency labels. Nearly all of their questions are no emergency, so the count of messages
that get an urgent notice is a false-alarm rate as real users would meet it, once the few real emergencies
among them are read and set aside by hand (every message that fired is listed for that).

    python -m bench.red_flags_consumer [--data-dir DIR] [--rules-only] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.consumer_dev import scored_sets  # noqa: E402
from bench.red_flags import detector  # noqa: E402
from bench.report_file import emit_report  # noqa: E402

#: Characters of each message that fired shown in the report.
SHOWN_CHARS = 300


def consumer_sets(data_dir: Path) -> dict[str, dict[str, str]]:
    """Set name → {question text: item id}, each distinct question once (MedicationQA repeats some)."""
    out: dict[str, dict[str, str]] = {}
    for name, items in scored_sets(data_dir).items():
        seen: dict[str, str] = {}
        for item in items:
            seen.setdefault(item.question, item.id)
        out[name] = seen
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("CLINICALGPT_DATA_DIR"))
    parser.add_argument("--rules-only", action="store_true", help="score the phrase rules without the classifier")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set CLINICALGPT_DATA_DIR or pass --data-dir")
    detect = detector(args.rules_only)
    report: dict[str, Any] = {}
    for name, questions in consumer_sets(Path(args.data_dir).expanduser()).items():
        fired = []
        for text, item_id in questions.items():
            flags = detect(text)
            if flags:
                fired.append(
                    {
                        "id": item_id,
                        "flags": [f.id for f in flags],
                        "matched_by": [f.matched_by for f in flags],
                        "text": text[:SHOWN_CHARS],
                    }
                )
        report[name] = {"questions": len(questions), "fired": len(fired), "messages": fired}
        print(f"{name}: {len(fired)} of {len(questions)} questions got an urgent notice", file=sys.stderr)
    emit_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
