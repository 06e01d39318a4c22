"""Build benchmark: wall time and peak memory of a full default knowledge-base build.

    python -m bench.build [--out DIR] [-- extra `clinicalgpt kb build` flags]

Runs `clinicalgpt kb build` in a child process and reads its peak resident memory from the kernel
(`getrusage(RUSAGE_CHILDREN)`), so the figure covers everything the build loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="knowledge base folder (default: a temporary folder, removed)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("extra", nargs="*", help="extra flags for `clinicalgpt kb build`")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="clinicalgpt-bench-")) / "kb"
    cli = Path(sys.executable).with_name("clinicalgpt")
    cmd = [str(cli), "kb", "build", "--out", str(out), "--json", "--quiet", *args.extra]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return done.returncode
    manifest = json.loads(done.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KiB
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "command": " ".join(cmd),
        "wall_seconds": round(wall, 1),
        "peak_rss_mb": round(peak_mb),
        "counts": manifest["counts"],
        "kb_bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
