"""`clinicalgpt train …` through the product CLI: registered as a plugin group, JSON output, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from model.cli import app
from model.train.examples import write_examples
from tests.model.test_train_sft import _example
from tests.model.tiny import make_tiny_model

runner = CliRunner()


def test_train_group_is_registered() -> None:
    result = runner.invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    for command in ("data", "sft", "dpo"):
        assert command in result.output


def test_sft_runs_stops_and_resumes_from_the_cli(tmp_path: Path) -> None:
    model = make_tiny_model(tmp_path / "m")
    data = tmp_path / "train.jsonl"
    write_examples(data, [_example(i) for i in range(6)])
    args = ["train", "sft", "--data", str(data), "--out", str(tmp_path / "run"), "--base-model", str(model)]
    args += ["--max-tokens", "2048", "--batch-size", "2", "--grad-accum", "1", "--max-steps", "3", "--json"]
    first = runner.invoke(app, [*args, "--stop-after", "1"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["finished"] is False
    again = runner.invoke(app, args)  # the checkpoint is there: starting over would lose it
    assert again.exit_code == 2 and "--resume" in again.output
    done = runner.invoke(app, [*args, "--resume"])
    summary = json.loads(done.stdout)
    assert done.exit_code == 0 and summary["finished"] and summary["steps"] == 3
    assert Path(summary["adapter"], "adapter_config.json").exists()


def test_a_bad_data_file_is_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"id": "x"}\n')
    result = runner.invoke(
        app,
        [
            "train",
            "sft",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "r"),
            "--base-model",
            str(make_tiny_model(tmp_path / "m")),
        ],
    )
    assert result.exit_code == 2
    assert "bad.jsonl:1: field `kind`" in result.output
