"""The `clinicalgpt` CLI through Typer's CliRunner: exit codes, JSON output, error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowledge import download
from model.cli import app
from tests.conftest import TEST_DATA

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CLINICALGPT_DATA_DIR", "CLINICALGPT_KB_DIR", "CLINICALGPT_CONFIG"):
        monkeypatch.delenv(var, raising=False)


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("search", "kb", "config"):
        assert command in result.output
    kb_help = runner.invoke(app, ["kb", "--help"]).output
    for command in ("build", "info", "link", "download"):
        assert command in kb_help


def test_build_info_link_search_json(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    built = runner.invoke(
        app,
        [
            "kb",
            "build",
            "--data-dir",
            str(TEST_DATA),
            "--out",
            str(kb),
            "-s",
            "medquad,disease_ontology,symptom_ontology",
            "--json",
            "--quiet",
        ],
    )
    assert built.exit_code == 0, built.output
    data = json.loads(built.stdout)
    assert data["kb_dir"] == str(kb) and data["counts"]["chunks"] > 0
    assert {r["source"] for r in data["reports"]} == {"medquad", "disease_ontology", "symptom_ontology"}

    info = runner.invoke(app, ["kb", "info", "--kb", str(kb), "--json"])
    assert info.exit_code == 0 and json.loads(info.stdout)["settings_hash"] == data["settings_hash"]

    link = runner.invoke(app, ["kb", "link", "symptoms of the flu", "--kb", str(kb), "--json"])
    assert json.loads(link.stdout)["entities"][0]["node_id"] == "DOID:8469"

    found = runner.invoke(
        app, ["search", "What are the symptoms of myocarditis?", "-k", "3", "--kb", str(kb), "--json"]
    )
    assert found.exit_code == 0, found.output
    result = json.loads(found.stdout)
    assert len(result["documents"]) == 3 and result["documents"][0]["id"] == "medquad:T1-2#0"
    for key in ("source", "title", "url", "retrieval"):
        assert key in result["documents"][0]["metadata"]
    assert result["settings_hash"]

    text = runner.invoke(app, ["search", "flu treatment", "--mode", "bm25", "--kb", str(kb)])
    assert text.exit_code == 0 and "id: medquad:T2-1#0" in text.output and "url: https://example.org/flu" in text.output


def test_user_errors_exit_2_with_the_fix(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["search", "asthma", "--kb", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "clinicalgpt kb build" in missing.stderr
    no_data = runner.invoke(app, ["kb", "build", "--out", str(tmp_path / "kb"), "-s", "hsdn", "--quiet"])
    assert no_data.exit_code == 2 and "CLINICALGPT_DATA_DIR" in no_data.stderr
    unknown = runner.invoke(
        app, ["kb", "build", "--data-dir", str(TEST_DATA), "--out", str(tmp_path / "kb"), "-s", "hsdnn", "--quiet"]
    )
    assert unknown.exit_code == 2 and "did you mean `hsdn`" in unknown.stderr


def test_empty_query_is_rejected(tiny_kb_dir: Path) -> None:
    result = runner.invoke(app, ["search", "  ", "--kb", str(tiny_kb_dir)])
    assert result.exit_code == 2 and "`query` is empty" in result.stderr


def test_download_fails_fast_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(url: str, timeout: float) -> None:
        raise OSError("Network is unreachable")

    monkeypatch.setattr(download, "urllib_probe", unreachable)
    result = runner.invoke(app, ["kb", "download", "--dest", str(tmp_path), "-s", "hsdn"])
    assert result.exit_code == 2
    assert "CLINICALGPT_DATA_DIR" in result.stderr
    assert not any(tmp_path.rglob("*.tsv"))


def test_config_show_reads_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLINICALGPT_DATA_DIR", str(TEST_DATA))
    monkeypatch.setenv("CLINICALGPT_RETRIEVAL__K", "7")
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"retrieval": {"k": 3, "rrf_k": 10}}))
    shown = json.loads(runner.invoke(app, ["config", "show", "--config", str(cfg)]).stdout)
    assert shown["data_dir"] == str(TEST_DATA)
    assert shown["retrieval"]["k"] == 7  # environment beats the file
    assert shown["retrieval"]["rrf_k"] == 10
    bad = runner.invoke(app, ["config", "show", "--config", str(tmp_path / "nope.json")])
    assert bad.exit_code == 2 and "--config" in bad.stderr


def test_config_show_and_kb_info_print_the_same_build_hash(tiny_kb_dir: Path, tmp_path: Path) -> None:
    """Issue 8: `kb info` and `config show` printed different "settings" hashes for the same settings."""
    from tests.conftest import TINY_SOURCES

    cfg = tmp_path / "settings.json"
    cfg.write_text(json.dumps({"kb_dir": str(tiny_kb_dir), "knowledge": {"sources": TINY_SOURCES}}))
    shown = json.loads(runner.invoke(app, ["config", "show", "--config", str(cfg)]).stdout)
    info = json.loads(runner.invoke(app, ["kb", "info", "--config", str(cfg), "--json"]).stdout)
    assert shown["kb_build_settings_hash"] == info["settings_hash"]
    assert shown["settings_hash"] != info["settings_hash"]  # the other hash covers every setting
    text = runner.invoke(app, ["kb", "info", "--config", str(cfg)]).stdout
    assert f"build settings {info['settings_hash']}" in text


def test_kg_search_without_facts_says_why(tiny_kb_dir: Path) -> None:
    """Issue 8: `search "metformin side effects" --mode kg` linked the drug and printed a bare "no results"."""
    linked = runner.invoke(app, ["search", "pyrexia", "--mode", "kg", "--kb", str(tiny_kb_dir)])
    assert linked.exit_code == 0, linked.output
    assert "linked fever, but the knowledge graph holds no facts about it; try --mode hybrid" in linked.stdout
    unlinked = runner.invoke(app, ["search", "zzzz qqqq", "--mode", "kg", "--kb", str(tiny_kb_dir)])
    assert "no knowledge-graph entity recognised in the query" in unlinked.stdout


def test_kb_info_lists_each_sources_licence(tiny_kb_dir: Path) -> None:
    shown = runner.invoke(app, ["kb", "info", "--kb", str(tiny_kb_dir)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    medquad = next(line for line in shown.stdout.splitlines() if "medquad" in line)
    assert "CC BY 4.0" in medquad
