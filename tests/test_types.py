"""mypy over the four packages with the repository's `[tool.mypy]` settings (disallow_untyped_defs, files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_reports_no_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    # From the repository root, so `files` and the incremental cache (.mypy_cache/, ignored) are the usual ones:
    # ~45 s cold, ~2 s warm.
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml")])
    report = f"mypy exited {status}\n{stdout}{stderr}"  # the assertion message: pytest shows it on failure
    assert status == 0, report
    assert stdout.startswith("Success: no issues found"), report
