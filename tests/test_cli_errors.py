"""Every bad input found by trying the CLI as a new user and as an attacker would: exit 2 and one line that
names the field or file and the fix; never a traceback, never rich markup read from user or document text.

One table, run through the real CLI (Typer's CliRunner). Each row: how to set the case up, the arguments,
the exit code and a phrase the error must contain.
"""

from __future__ import annotations

import errno
import json
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowledge.kb import open_build
from knowledge.vectorstores import FaissVectorStore
from model.cli import app
from tests.conftest import TEST_DATA

runner = CliRunner()

Setup = Callable[[Path, Path, pytest.MonkeyPatch], list[str]]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CLINICALGPT_DATA_DIR", "CLINICALGPT_KB_DIR", "CLINICALGPT_CONFIG"):
        monkeypatch.delenv(var, raising=False)


@dataclass
class Case:
    name: str
    setup: Setup
    code: int = 2
    says: list[str] = field(default_factory=list)
    stdin: bytes | str | None = None


def _kb_copy(kb: Path, tmp: Path) -> Path:
    target = tmp / "kb"
    shutil.copytree(kb, target)
    return target


def _damage(victim: str, data: bytes | None) -> Setup:
    def setup(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
        copy = _kb_copy(kb, tmp)
        path = open_build(copy)[0] / victim
        if data is None:
            path.unlink()
        else:
            path.write_bytes(data)
        return ["search", "myocarditis", "--kb", str(copy)]

    return setup


def _config(name: str, content: bytes) -> Setup:
    def setup(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
        path = tmp / name
        path.write_bytes(content)
        return ["config", "show", "--config", str(path)]

    return setup


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bad_adapter(content: str) -> Setup:
    def setup(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
        adapter = tmp / "adapter"
        adapter.mkdir()
        (adapter / "adapter_config.json").write_text(content)
        model = tmp / "model"
        from tests.model.tiny import make_tiny_model

        make_tiny_model(model)
        return ["ask", "What is myocarditis?", "--kb", str(kb), "--generator", f"hf:{model}", "--adapter", str(adapter)]

    return setup


def _docs_with(rows: list[dict[str, object]]) -> Setup:
    def setup(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
        docs = tmp / "docs"
        docs.mkdir()
        (docs / "notes.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        out = tmp / "built"
        result = runner.invoke(
            app,
            ["kb", "build", "--data-dir", str(TEST_DATA), "-s", "symptom_ontology", "--docs", str(docs)]
            + ["--out", str(out), "--quiet", "--no-progress"],
        )
        assert result.exit_code == 0, result.output
        return ["kb", "info", "--kb", str(out)]

    return setup


def _full_disk(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    copy = _kb_copy(kb, tmp)

    def full(self: FaissVectorStore, folder: Path, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    mp.setattr(FaissVectorStore, "save", full)
    return ["kb", "build", "--data-dir", str(TEST_DATA), "-s", "disease_ontology", "--out", str(copy), "-q"]


def _read_only(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    # Tests run as root, which ignores permission bits: answer as a read-only filesystem would.
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp / "ro"))

    mp.setattr(Path, "mkdir", read_only)
    return ["kb", "build", "--data-dir", str(TEST_DATA), "-s", "disease_ontology", "--out", str(tmp / "ro"), "-q"]


def _not_a_kb(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    notes = tmp / "notes"
    notes.mkdir()
    (notes / "thesis.docx").write_text("x")
    return ["kb", "build", "--data-dir", str(TEST_DATA), "-s", "symptom_ontology", "--out", str(notes), "-q"]


def _unexpected(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    from rag import retrieve

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something nobody planned for\nsecond line")

    mp.setattr(retrieve.HybridSearcher, "search", boom)
    return ["search", "myocarditis", "--kb", str(kb)]


def _env(var: str, value: str, args: list[str]) -> Setup:
    def setup(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
        mp.setenv(var, value)
        return [a.replace("{kb}", str(kb)) for a in args]

    return setup


def _args(*args: str) -> Setup:
    def setup(kb: Path, tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
        return [a.replace("{kb}", str(kb)).replace("{tmp}", str(tmp)) for a in args]

    return setup


SURROGATE = "fever\udcffcough"  # what the shell's invalid byte 0xff becomes in Python's argv

CASES = [
    # invalid UTF-8 / lone surrogates in user text
    Case("search: invalid UTF-8", _args("search", SURROGATE, "--kb", "{kb}"), says=["not valid UTF-8"]),
    Case("ask: invalid UTF-8", _args("ask", SURROGATE, "--kb", "{kb}"), says=["not valid UTF-8"]),
    Case("kb link: invalid UTF-8", _args("kb", "link", SURROGATE, "--kb", "{kb}"), says=["not valid UTF-8"]),
    Case(
        "chat: invalid UTF-8 line does not end the conversation",
        _args("chat", "--kb", "{kb}"),
        code=0,
        stdin=b"fever\xffcough\n/help\n",
        says=["not valid UTF-8", "Commands:", "bye"],
    ),
    # square brackets that rich would read as markup
    Case("search: --mode [/x]", _args("search", "x", "--mode", "[/x]", "--kb", "{kb}"), says=["[/x]"]),
    Case(
        "chat: unknown command with brackets",
        _args("chat", "--kb", "{kb}"),
        code=0,
        stdin="/unknown [/y]\n",
        says=["unknown command /unknown [/y]"],
    ),
    Case(
        "kb info: document title [/bold] and duplicate id [/x]",
        _docs_with(
            [
                {"id": "[/x]", "title": "[/bold] Notes", "text": "Headache relief with rest and fluids."},
                {"id": "[/x]", "title": "Other", "text": "A second row with the same id."},
            ]
        ),
        code=0,
        says=["duplicate id '[/x]'", "notes.jsonl:1 and notes.jsonl:2"],
    ),
    # settings and config files
    Case(
        "env: CLINICALGPT_RETRIEVAL__K=abc",
        _env("CLINICALGPT_RETRIEVAL__K", "abc", ["config", "show"]),
        says=["CLINICALGPT_RETRIEVAL__K"],
    ),
    Case(
        "env: bad value breaks no command silently",
        _env("CLINICALGPT_RETRIEVAL__K", "abc", ["search", "x", "--kb", "{kb}"]),
        says=["retrieval.k"],
    ),
    Case("config: invalid JSON", _config("c.json", b'{"retrieval": {"k": 3'), says=["not valid JSON", "c.json"]),
    Case("config: invalid TOML", _config("c.toml", b"[retrieval\nk = 3"), says=["not valid TOML", "c.toml"]),
    Case("config: not UTF-8", _config("c.json", b'{"kb_dir": "\xff"}'), says=["not UTF-8"]),
    Case("config: not an object", _config("c.json", b"[1, 2]"), says=["must hold an object"]),
    Case("config: unknown setting", _config("c.json", b'{"retrieval": {"kk": 3}}'), says=["retrieval.kk"]),
    # generators
    Case(
        "ask: openai generator with nothing listening",
        _args("ask", "What is myocarditis?", "--kb", "{kb}", "--generator", "openai:http://127.0.0.1:{port}/v1"),
        says=["127.0.0.1", "--generator"],
    ),
    Case("ask: adapter config garbage", _bad_adapter("not json {"), says=["adapter", "--adapter"]),
    Case("ask: adapter config incomplete", _bad_adapter("{}"), says=["adapter", "--adapter"]),
    Case(
        "ask: hf: on a folder that is not a model",
        _args("ask", "What is myocarditis?", "--kb", "{kb}", "--generator", "hf:{tmp}"),
        says=["config.json"],
    ),
    # damaged knowledge bases
    Case("search: missing chunks.jsonl", _damage("chunks.jsonl", None), says=["chunks.jsonl is missing"]),
    Case("search: garbage chunks.jsonl", _damage("chunks.jsonl", b"{garbage"), says=["chunks.jsonl", "rebuild"]),
    Case("search: garbage graph", _damage("graph.json.gz", b"\x1f\x8bgarbage"), says=["graph.json.gz", "rebuild"]),
    Case("search: missing graph", _damage("graph.json.gz", None), says=["graph.json.gz is missing"]),
    Case(
        "search: garbage BM25 file",
        _damage("bm25/params.index.json", b"not json"),
        says=["params.index.json", "rebuild"],
    ),
    Case("search: missing BM25 file", _damage("bm25/vocab.index.json", None), says=["vocab.index.json is missing"]),
    # builds
    Case("kb build: non-empty folder that is not a knowledge base", _not_a_kb, says=["not a knowledge base"]),
    Case("kb build: full disk", _full_disk, says=["No space left on device", "free disk space"]),
    Case("kb build: read-only folder", _read_only, says=["Read-only file system", "writable --out"]),
    # numeric limits and empty text
    Case("kb link: --top -1", _args("kb", "link", "flu", "--top", "-1", "--kb", "{kb}"), says=["--top"]),
    Case("kb link: empty text", _args("kb", "link", "  ", "--kb", "{kb}"), says=["empty"]),
    Case("kb link: text too long", _args("kb", "link", "flu " * 1000, "--kb", "{kb}"), says=["max_query_chars"]),
    Case("search: -k 0", _args("search", "flu", "-k", "0", "--kb", "{kb}"), says=["-k"]),
    Case("search: -k 10**9", _args("search", "flu", "-k", "1000000000", "--kb", "{kb}"), says=["-k"]),
    Case("kb verify: knowledge base missing", _args("kb", "verify", "--kb", "{tmp}/none"), says=["kb build"]),
    # the last-resort handler
    Case("unexpected error: one line, no traceback", _unexpected, code=1, says=["RuntimeError", "run with -vv"]),
]


@pytest.mark.enable_socket
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_error(
    case: Case, tiny_kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [a.replace("{port}", str(_closed_port())) for a in case.setup(tiny_kb_dir, tmp_path, monkeypatch)]
    result = runner.invoke(app, args, input=case.stdin)
    output = result.output
    assert result.exit_code == case.code, f"{case.name}: exit {result.exit_code}\n{output}\n{result.exception!r}"
    assert "Traceback" not in output, output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    for phrase in case.says:
        assert phrase in output, f"{case.name}: {phrase!r} not in\n{output}"
    if case.code == 2:
        # One line naming the problem (usage errors keep click's own "Error:" format with the usage line).
        errors = [line for line in output.splitlines() if line.lower().startswith("error:")]
        assert len(errors) == 1, output


def test_damaged_kb_is_caught_by_verify(tiny_kb_dir: Path, tmp_path: Path) -> None:
    copy = _kb_copy(tiny_kb_dir, tmp_path)
    assert runner.invoke(app, ["kb", "verify", "--kb", str(copy)]).exit_code == 0
    index = open_build(copy)[0] / "dense" / "faiss.index"
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0x01
    index.write_bytes(bytes(data))
    result = runner.invoke(app, ["kb", "verify", "--kb", str(copy), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["problems"] == ["dense/faiss.index: content differs from the manifest"]


def test_help_keeps_bracketed_text() -> None:
    build_help = runner.invoke(app, ["kb", "build", "--help"]).output
    flat = " ".join(build_help.split())  # help is wrapped to the terminal width
    assert "[env CLINICALGPT_DATA_DIR]" in flat and "[env CLINICALGPT_KB_DIR]" in flat
    ask_help = runner.invoke(app, ["ask", "--help"]).output
    assert "openai:URL[#model]" in ask_help


def test_kb_info_lists_every_problem_and_dropped_edges(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    rows = [f'{{"id": "n{i}", "title": "Note {i}"}}' for i in range(30)]  # 30 rows without `text`
    (docs / "notes.jsonl").write_text("\n".join(rows) + "\n")
    out = tmp_path / "kb"
    args = ["kb", "build", "--data-dir", str(TEST_DATA), "-s", "hsdn,symptom_ontology", "--docs", str(docs)]
    built = runner.invoke(app, [*args, "--out", str(out), "-q", "--no-progress"])
    assert built.exit_code == 0, built.output
    data = json.loads(runner.invoke(app, ["kb", "info", "--kb", str(out), "--json"]).stdout)
    user = next(r for r in data["reports"] if r["source"] == "user")
    assert len(user["problems"]) == 30 and data["problem_count"] == 31  # + one bad HSDN row
    assert data["counts"]["dropped_edges"] > 0  # HSDN edges to diseases that no loaded source defines
    text = runner.invoke(app, ["kb", "info", "--kb", str(out)]).output
    assert f"{data['counts']['dropped_edges']} graph edges pointed at unknown entities" in text
    assert "31 problems" in text and "kb info --json` lists all 31" in text


def test_sources_without_passages_are_refused(tmp_path: Path) -> None:
    args = ["kb", "build", "--data-dir", str(TEST_DATA), "-s", "hsdn", "--out", str(tmp_path / "kb"), "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "produced no passages" in result.output, result.output


def test_upper_layers_register_command_groups_through_entry_points() -> None:
    result = runner.invoke(app, ["eval", "--help"])
    assert result.exit_code == 0 and "Evaluate the assistant" in result.output


def test_a_broken_plugin_is_reported_not_fatal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from importlib import metadata

    from model import cli

    class Broken:
        name = "broken"

        def load(self) -> None:
            raise ImportError("missing extra")

    monkeypatch.setattr(metadata, "entry_points", lambda group: [Broken()])
    assert cli.register_plugins() == []
    assert "could not be loaded: missing extra" in caplog.text
