"""User documents: one bad row, byte or link never aborts a load, and every problem names file and line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from knowledge.sources import load_user_docs
from knowledge.sources.base import MAX_PROBLEMS_KEPT, LoadReport, iter_jsonl

GOOD = {"title": "Good", "text": "Kept."}


def _write_jsonl(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    """One line per row; a `str` row is written verbatim (for broken lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _reasons(report: LoadReport) -> list[str]:
    return [f"{p.file}:{p.line} {p.reason}" for p in report.problems]


def test_iter_jsonl_counts_an_undecodable_line_and_reads_on(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    first = b'{"a": 1}\n'
    path.write_bytes(first + b'{"a": "caf\xe9"}\n' + b'{"a": 3}\n')
    report = LoadReport(source="t")
    rows = list(iter_jsonl(path, report, "rows.jsonl"))
    assert [(n, r["a"]) for n, r in rows] == [(1, 1), (3, 3)]
    assert report.malformed == 1
    problem = report.problems[0]
    assert (problem.file, problem.line) == ("rows.jsonl", 2)
    # The offset is in the file, so `xxd -s N` lands on the bad byte.
    assert f"not valid UTF-8 at byte {len(first) + 10}" in problem.reason


def test_non_utf8_jsonl_costs_one_record(tmp_path: Path) -> None:
    (tmp_path / "docs.jsonl").write_bytes(
        json.dumps(GOOD).encode()
        + b"\n"
        + b'{"title": "\xff", "text": "x"}\n'
        + json.dumps(GOOD | {"id": "b"}).encode()
    )
    bundle = load_user_docs(tmp_path)
    assert bundle.report.records == 2
    assert bundle.report.malformed == 1
    assert bundle.report.problems[0].line == 2 and "not valid UTF-8" in bundle.report.problems[0].reason


@pytest.mark.parametrize(
    "row",
    [
        "[" * 100_000,  # deeper than the JSON parser recurses
        "1" * 5000,  # longer than Python converts to an int
    ],
    ids=["deep-nesting", "huge-number"],
)
def test_jsonl_lines_the_parser_refuses_are_malformed(tmp_path: Path, row: str) -> None:
    _write_jsonl(tmp_path / "docs.jsonl", [GOOD, row])
    bundle = load_user_docs(tmp_path)
    assert bundle.report.records == 1 and bundle.report.malformed == 1
    assert bundle.report.problems[0].line == 2


def test_unpaired_surrogate_escape_is_malformed(tmp_path: Path) -> None:
    # `\ud800` parses to a string that cannot be written back as UTF-8; it would fail the build later.
    (tmp_path / "docs.jsonl").write_text('{"title": "a\\ud800", "text": "x"}\n' + json.dumps(GOOD) + "\n")
    bundle = load_user_docs(tmp_path)
    assert bundle.report.records == 1 and bundle.report.malformed == 1
    assert bundle.report.problems[0].line == 1 and "surrogate" in bundle.report.problems[0].reason


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("section", 5, "string"),
        ("url", {"a": 1}, "string"),
        ("title", 5, "string"),
        ("text", ["a"], "string"),
        ("id", 7, "string"),
        ("metadata", [1, 2], "object"),
        ("metadata", "note", "object"),
    ],
)
def test_wrong_field_type_is_a_malformed_row(tmp_path: Path, field: str, value: Any, expected: str) -> None:
    _write_jsonl(tmp_path / "docs.jsonl", [GOOD, GOOD | {"id": "bad", field: value}, GOOD | {"id": "c"}])
    bundle = load_user_docs(tmp_path)
    assert bundle.report.records == 2
    assert bundle.report.malformed == 1
    problem = bundle.report.problems[0]
    assert (problem.file, problem.line) == ("docs.jsonl", 2)
    assert f"`{field}`" in problem.reason and expected in problem.reason


def test_good_optional_fields_are_kept(tmp_path: Path) -> None:
    row = GOOD | {"id": "g", "section": "dosing", "url": "https://example.org/g", "metadata": {"k": [1]}}
    _write_jsonl(tmp_path / "docs.jsonl", [row, GOOD | {"id": "n", "section": None, "url": None, "metadata": None}])
    bundle = load_user_docs(tmp_path)
    assert bundle.report.malformed == 0
    by_id = {d.doc_id: d for d in bundle.docs}
    assert by_id["user:g"].section == "dosing" and by_id["user:g"].metadata == {"k": [1]}
    assert by_id["user:g"].provenance.url == "https://example.org/g"
    assert by_id["user:n"].section is None and by_id["user:n"].metadata == {}


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "a.jsonl", [GOOD | {"id": "p"}, GOOD | {"id": "q"}, GOOD | {"id": "x", "text": "first"}])
    _write_jsonl(tmp_path / "b.jsonl", [GOOD | {"id": f"r{i}"} for i in range(6)] + [GOOD | {"id": "x"}])
    bundle = load_user_docs(tmp_path)
    assert [p.reason for p in bundle.report.problems] == [
        "duplicate id 'x': a.jsonl:3 and b.jsonl:7; keeping the first"
    ]
    assert (bundle.report.problems[0].file, bundle.report.problems[0].line) == ("b.jsonl", 7)
    assert bundle.report.malformed == 1
    assert next(d for d in bundle.docs if d.doc_id == "user:x").text == "first"


def test_jsonl_id_clashing_with_a_later_markdown_file_is_reported(tmp_path: Path) -> None:
    # `a.jsonl` sorts before `notes/n.md`, whose id is `user:notes/n.md`: the file must not slip through twice.
    _write_jsonl(tmp_path / "a.jsonl", [GOOD | {"id": "notes/n.md"}])
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "n.md").write_text("# Note\nbody\n")
    bundle = load_user_docs(tmp_path)
    ids = [d.doc_id for d in bundle.docs]
    assert ids == ["user:notes/n.md"]
    assert _reasons(bundle.report) == [
        "notes/n.md:None duplicate id 'notes/n.md': a.jsonl:1 and notes/n.md; keeping the first"
    ]


def test_symlinks_leaving_the_folder_are_skipped_and_reported(tmp_path: Path) -> None:
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\nnot for the index\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "real.md").write_text("# Real\nbody\n")
    os.symlink(outside / "secret.md", docs / "leak.md")
    os.symlink(outside, docs / "leakdir")
    os.symlink(docs / "real.md", docs / "alias.md")  # inside the folder: fine
    bundle = load_user_docs(docs)
    assert sorted(d.doc_id for d in bundle.docs) == ["user:alias.md", "user:real.md"]
    assert all("not for the index" not in d.text for d in bundle.docs)
    assert _reasons(bundle.report) == [
        "leak.md:None symlink leaves the documents folder; skipped",
        "leakdir:None symlink leaves the documents folder; skipped",
    ]
    assert bundle.report.malformed == 0 and bundle.report.skipped == 2


def test_symlinked_docs_folder_itself_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.md").write_text("# A\nbody\n")
    os.symlink(real, tmp_path / "link")
    bundle = load_user_docs(tmp_path / "link")
    assert [d.doc_id for d in bundle.docs] == ["user:a.md"] and not bundle.report.problems


def test_markdown_provenance_keeps_local_paths_private(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "n.txt").write_text("Note title\nbody\n")
    doc = load_user_docs(tmp_path).docs[0]
    assert doc.provenance.url is None
    assert doc.provenance.native_id == "sub/n.txt"
    assert str(tmp_path) not in doc.model_dump_json()


def test_non_utf8_markdown_is_skipped_with_its_offset(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_bytes(b"# Title\nbad \xff here\n")
    (tmp_path / "good.txt").write_text("Fine\n")
    bundle = load_user_docs(tmp_path)
    assert [d.doc_id for d in bundle.docs] == ["user:good.txt"]
    assert _reasons(bundle.report) == ["bad.md:2 not valid UTF-8 at byte 12; re-save it as UTF-8; skipped"]
    assert bundle.report.skipped == 1 and bundle.report.malformed == 0


def test_report_keeps_every_problem_up_to_the_cap() -> None:
    report = LoadReport(source="t")
    for n in range(MAX_PROBLEMS_KEPT + 7):
        report.bad("f.jsonl", n, "bad")
    assert MAX_PROBLEMS_KEPT >= 10_000
    assert len(report.problems) == MAX_PROBLEMS_KEPT
    assert report.malformed == MAX_PROBLEMS_KEPT + 7
    assert report.problems_not_kept == 7


def test_loader_lists_more_than_fifty_problems(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "docs.jsonl", ["{broken"] * 60)
    bundle = load_user_docs(tmp_path)
    assert bundle.report.malformed == 60
    assert [p.line for p in bundle.report.problems] == list(range(1, 61))


def test_square_brackets_in_user_text_pass_through(tmp_path: Path) -> None:
    _write_jsonl(
        tmp_path / "docs.jsonl", [{"id": "[/x]", "title": "[/bold]", "text": "[red]a[/red]", "section": "[b]"}]
    )
    bundle = load_user_docs(tmp_path)
    doc = bundle.docs[0]
    assert (doc.doc_id, doc.title, doc.text, doc.section) == ("user:[/x]", "[/bold]", "[red]a[/red]", "[b]")
    assert doc.provenance.native_id == "[/x]"


def test_links_inside_the_folder_neither_loop_nor_double_count(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("# A\nbody\n")
    os.symlink(tmp_path, tmp_path / "again")  # a loop back to the folder itself
    os.symlink(tmp_path / "sub", tmp_path / "subalias")  # its files are read where they really are
    os.symlink(tmp_path / "missing.md", tmp_path / "gone.md")
    bundle = load_user_docs(tmp_path)
    assert [d.doc_id for d in bundle.docs] == ["user:sub/a.md"]
    assert _reasons(bundle.report) == [
        "gone.md:None symlink target is missing or loops; fix or remove the link; skipped"
    ]


def test_byte_order_mark_is_not_part_of_the_text(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes("\ufeff# Title\nbody\n".encode())
    (tmp_path / "b.jsonl").write_bytes("\ufeff".encode() + json.dumps(GOOD).encode() + b"\n")
    bundle = load_user_docs(tmp_path)
    assert bundle.report.malformed == 0
    assert [d.title for d in bundle.docs] == ["Title", "Good"]
