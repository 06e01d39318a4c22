"""Time to an answer as a person feels it: wall time of whole `clinicalgpt ask` calls, per answer mode.

    python -m bench.ask_latency [--runs 3] [--modes extractive generative] [--json] [--out reports/ask_latency.json]

Each call is a fresh process (loading the knowledge base, the embedder and, for generative answers, the model),
as when someone types the command. The first call of a mode is reported apart from the later ones (it may
convert or cache files). Run it on an idle machine: the target (issue 9) is ≤ 15 s for a CLI call in the
default mode there. Needs a built knowledge base.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

QUESTION = "What are the symptoms of myocarditis?"


def one_call(mode: str, question: str) -> float:
    """Seconds for one `clinicalgpt ask --mode MODE QUESTION --json` process."""
    cli = Path(sys.executable).with_name("clinicalgpt")
    command = [str(cli) if cli.exists() else "clinicalgpt", "ask", question, "--mode", mode, "--json"]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=os.environ.copy())
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="Calls per mode (the first reported apart).")
    parser.add_argument("--modes", nargs="+", default=["extractive", "generative"], help="Answer modes to time.")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    parser.add_argument("--out", type=Path, default=None, help="Also write the JSON report here.")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "question": args.question,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average": os.getloadavg(),
        "modes": {},
    }
    for mode in args.modes:
        times = [round(one_call(mode, args.question), 2) for _ in range(args.runs)]
        later = times[1:] or times
        report["modes"][mode] = {
            "first_s": times[0],
            "later_median_s": round(statistics.median(later), 2),
            "all_s": times,
        }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        sys.stdout.write(text + "\n")
    else:
        for mode, r in report["modes"].items():
            print(f"{mode}: first {r['first_s']} s, later median {r['later_median_s']} s ({r['all_s']})")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
