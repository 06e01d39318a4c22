"""Fetch the permissively licensed sources from their GitHub repositories (`clinicalgpt kb download`).

Files come at the commit pinned in `en/MANIFEST.tsv`, are checked against its size and SHA-256 prefix
and moved into place atomically. `DERIVED` rows are built locally and cannot be downloaded."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from knowledge.errors import DownloadError, SourceFormatError, SourceNotFoundError, UnknownSourceError

logger = logging.getLogger(__name__)

#: Data folders (relative to the data dir) of the sources fetched from GitHub.
SOURCE_FOLDERS: dict[str, str] = {
    "medquad": "en/medquad",
    "disease_ontology": "en/disease_ontology",
    "symptom_ontology": "en/symptom_ontology",
    "hsdn": "en/hsdn",
    "ddxplus": "en/ddxplus",
    "chatdoctor": "en/chatdoctor",
}
#: Sources shipped as PyPI packages: nothing to download.
PACKAGE_SOURCES: frozenset[str] = frozenset({"hpo", "icd10cm"})

MANIFEST_COLUMNS = ("file", "source_repo_or_package", "commit", "source_path", "bytes", "sha256_16")
DERIVED = "DERIVED"
WHOLE_TREE_PREFIX = "(whole tree"
PROBE_TIMEOUT_S = 5.0
_ROOT = "en"  # file paths in en/MANIFEST.tsv are relative to en/
_HEX = frozenset("0123456789abcdef")
_USER_AGENT = "clinicalgpt-kb-download"
_NO_NETWORK_HINT = "To use local copies of the datasets, set CLINICALGPT_DATA_DIR (e.g. to ../shared/data)."

Fetch = Callable[[str, Path, float], None]
Probe = Callable[[str, float], None]


class _NoNetworkError(DownloadError):
    """GitHub cannot be reached at all."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One row of the dataset manifest."""

    file: str
    repo: str
    commit: str
    source_path: str
    size: int
    sha256_16: str

    @property
    def downloadable(self) -> bool:
        """False for rows built locally (`DERIVED`, commit `-`)."""
        return self.repo != DERIVED and self.commit != "-"

    @property
    def whole_tree(self) -> bool:
        """True when the row is a whole-repository archive rather than one file."""
        return self.source_path.startswith(WHOLE_TREE_PREFIX)

    @property
    def url(self) -> str:
        """Where the file is fetched from, pinned to the manifest commit."""
        if self.whole_tree:
            return f"https://github.com/{self.repo}/archive/{self.commit}.tar.gz"
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.source_path}"


@dataclass(slots=True)
class DownloadReport:
    """What `download_sources` did, file by file (paths relative to the data dir)."""

    downloaded: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # file -> reason
    derived_skipped: list[str] = field(default_factory=list)


def read_manifest(path: Path) -> list[ManifestEntry]:
    """Parse a dataset manifest (TSV with the `MANIFEST_COLUMNS` header) into rows, in file order.

    Args:
        path: The `MANIFEST.tsv` file.

    Raises:
        SourceNotFoundError: The file does not exist.
        SourceFormatError: The header or a row is malformed; the message names file and line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        msg = f"manifest not found: {path}"
        raise SourceNotFoundError(msg) from exc
    if not lines or tuple(lines[0].split("\t")) != MANIFEST_COLUMNS:
        msg = f"{path}:1: bad header, expected columns {', '.join(MANIFEST_COLUMNS)}"
        raise SourceFormatError(msg)
    return [_parse_row(line, path, n) for n, line in enumerate(lines[1:], start=2) if line.strip()]


def _parse_row(line: str, path: Path, lineno: int) -> ManifestEntry:
    cols = [c.strip() for c in line.split("\t")]
    problem = ""
    if len(cols) != len(MANIFEST_COLUMNS):
        problem = f"expected {len(MANIFEST_COLUMNS)} tab-separated columns, got {len(cols)}"
    elif not cols[0] or PurePosixPath(cols[0]).is_absolute() or ".." in PurePosixPath(cols[0]).parts:
        problem = f"bad file path {cols[0]!r}"
    elif cols[1] != DERIVED and (cols[1].count("/") != 1 or cols[2] == "-" or not set(cols[2]) <= _HEX):
        problem = f"bad repository {cols[1]!r} or commit {cols[2]!r}"
    elif not cols[4].isdigit():
        problem = f"bytes is not a non-negative integer: {cols[4]!r}"
    elif len(cols[5]) != 16 or not set(cols[5]) <= _HEX:
        problem = f"sha256_16 is not 16 lowercase hex digits: {cols[5]!r}"
    if problem:
        msg = f"{path}:{lineno}: {problem}"
        raise SourceFormatError(msg)
    file, repo, commit, source_path, size, digest = cols
    return ManifestEntry(file, repo, commit, source_path, int(size), digest)


def _selected(entries: Iterable[ManifestEntry], sources: Iterable[str]) -> list[ManifestEntry]:
    prefixes = []
    for name in sources:
        if name not in SOURCE_FOLDERS and name not in PACKAGE_SOURCES:
            msg = f"unknown source {name!r}; known: {', '.join(sorted({*SOURCE_FOLDERS, *PACKAGE_SOURCES}))}"
            raise UnknownSourceError(msg)
        if name in SOURCE_FOLDERS:
            prefixes.append(SOURCE_FOLDERS[name].removeprefix(f"{_ROOT}/") + "/")
    return [e for e in entries if e.file.startswith(tuple(prefixes))]


def plan_download(entries: Iterable[ManifestEntry], sources: Iterable[str]) -> list[ManifestEntry]:
    """Select the downloadable manifest rows of the given sources: one per file, in manifest order.

    Args:
        entries: Rows from `read_manifest`.
        sources: Source names (`SOURCE_FOLDERS` keys; PyPI-packaged sources are ignored).

    Raises:
        UnknownSourceError: A source name that is neither downloadable nor packaged.
    """
    return list({e.file: e for e in _selected(entries, sources) if e.downloadable}.values())


def derived_files(entries: Iterable[ManifestEntry], sources: Iterable[str]) -> list[ManifestEntry]:
    """The `DERIVED` rows of `sources`, as for `plan_download`, minus files that have a downloadable row."""
    selected = _selected(entries, sources)
    fetched = {e.file for e in selected if e.downloadable}
    return [e for e in selected if not e.downloadable and e.file not in fetched]


def _sha256_16(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:16]


def verify_file(path: Path, entry: ManifestEntry) -> None:
    """Check a file's size and SHA-256 prefix against its manifest row.

    A whole-repository archive is re-tarred in the manifest, so a GitHub archive cannot match the
    recorded hash: when it does not, it is verified by unpacking it safely into a temporary folder.

    Raises:
        DownloadError: The file is missing, or its size or hash differs (or the archive is unsafe).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{entry.file}: missing file {path}"
        raise DownloadError(msg)
    actual_size = path.stat().st_size
    if entry.whole_tree:
        if actual_size != entry.size or _sha256_16(path) != entry.sha256_16:
            with tempfile.TemporaryDirectory(prefix=".verify-", dir=path.parent) as tmp:
                safe_extract_tar(path, Path(tmp))
        return
    if actual_size != entry.size:
        msg = f"{entry.file}: size mismatch at {path}: expected {entry.size} bytes, got {actual_size}"
        raise DownloadError(msg)
    if (actual_hash := _sha256_16(path)) != entry.sha256_16:
        msg = f"{entry.file}: sha256 mismatch at {path}: expected {entry.sha256_16}, got {actual_hash}"
        raise DownloadError(msg)


def _check_member(member: tarfile.TarInfo, dest: Path, archive: Path) -> None:
    name = PurePosixPath(member.name)
    problem = ""
    if name.is_absolute() or member.name.startswith(("/", "\\")):
        problem = "absolute path"
    elif ".." in name.parts:
        problem = "'..' component"
    elif not (dest / name).resolve().is_relative_to(dest):
        problem = "path outside the destination"
    elif member.isdev() or not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        problem = "device or special file"
    elif member.issym() or member.islnk():
        link = PurePosixPath(member.linkname)
        base = dest / name.parent if member.issym() else dest  # hard links are relative to the root
        if link.is_absolute() or not (base / link).resolve().is_relative_to(dest):
            problem = f"link to {member.linkname!r} outside the destination"
    if problem:
        msg = f"unsafe member {member.name!r} in {archive}: {problem}"
        raise DownloadError(msg)


def safe_extract_tar(archive: Path, dest: Path) -> list[str]:
    """Unpack a tar archive into `dest` (created if needed); return the member names.

    Raises:
        DownloadError: The archive is unreadable or has an absolute path, a `..` component, a link
            pointing outside `dest` or a device file; nothing is extracted then.
    """
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member, dest, Path(archive))
            tar.extractall(dest, members=members, filter="data")
    except DownloadError:
        raise
    except (tarfile.TarError, EOFError, OSError) as exc:
        msg = f"cannot unpack archive {archive}: {exc}"
        raise DownloadError(msg) from exc
    return [m.name for m in members]


def urllib_fetch(url: str, dest_path: Path, timeout: float) -> None:
    """Default fetcher: stream `url` into `dest_path` (overwritten) with urllib."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, Path(dest_path).open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)


def urllib_probe(url: str, timeout: float) -> None:
    """Default connectivity probe: a HEAD request to `url`."""
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout):
        pass


def _raise_if_no_network(url: str, exc: OSError) -> None:
    # An HTTP status means the server answered; a bad download is not a network failure.
    if not isinstance(exc, urllib.error.HTTPError | DownloadError):
        msg = f"no network access to GitHub ({url}: {exc}). {_NO_NETWORK_HINT}"
        raise _NoNetworkError(msg) from exc


def _fetch_one(entry: ManifestEntry, final: Path, fetch: Fetch, timeout: float, *, first: bool) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            fetch(entry.url, tmp, timeout)
        except OSError as exc:
            if first:  # nothing reached GitHub yet: stop now
                _raise_if_no_network(entry.url, exc)
            raise
        verify_file(tmp, entry)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def download_sources(
    dest_dir: Path,
    sources: Iterable[str],
    manifest_path: Path,
    *,
    fetch: Fetch | None = None,
    probe: Probe | None = None,
    timeout: float = 10.0,
    show_progress: bool = True,
) -> DownloadReport:
    """Download and verify the files of the given sources; report what happened to each file.

    Verified files already present are kept. Each download goes to a temporary file next to its
    target and is moved into place only after verification.

    Args:
        dest_dir: The data dir: files land in `dest_dir / "en" / <manifest file>`.
        sources: Source names (`SOURCE_FOLDERS` keys; PyPI-packaged sources are ignored).
        manifest_path: The `en/MANIFEST.tsv` manifest.
        fetch: `(url, dest_path, timeout) -> None`; default `urllib_fetch`.
        probe: `(url, timeout) -> None` connectivity check; default `urllib_probe` with the default
            fetcher, none with a custom one (whose first connection error then aborts instead).
        timeout: Seconds per network operation (the probe uses at most `PROBE_TIMEOUT_S`).
        show_progress: Show a tqdm progress bar.

    Raises:
        DownloadError: GitHub cannot be reached; raised before any file is written.
        SourceFormatError, UnknownSourceError: Bad manifest or source name.
    """
    if fetch is None:
        fetch, probe = urllib_fetch, probe or urllib_probe
    sources = list(sources)
    entries = read_manifest(Path(manifest_path))
    root = Path(dest_dir) / _ROOT
    report = DownloadReport(derived_skipped=[f"{_ROOT}/{e.file}" for e in derived_files(entries, sources)])
    todo: list[ManifestEntry] = []
    for entry in plan_download(entries, sources):
        if (root / entry.file).is_file():
            try:
                verify_file(root / entry.file, entry)
            except DownloadError as exc:
                logger.warning("%s; downloading it again", exc)
            else:
                report.already_present.append(f"{_ROOT}/{entry.file}")
                continue
        todo.append(entry)
    if todo and probe is not None:
        try:
            probe(todo[0].url, min(timeout, PROBE_TIMEOUT_S))
        except OSError as exc:
            _raise_if_no_network(todo[0].url, exc)
    with tqdm(total=sum(e.size for e in todo), unit="B", unit_scale=True, disable=not show_progress) as bar:
        for entry in todo:
            name = f"{_ROOT}/{entry.file}"
            bar.set_description(name)
            first = not (report.downloaded or report.failed)
            try:
                _fetch_one(entry, root / entry.file, fetch, timeout, first=first)
            except _NoNetworkError:
                raise
            except OSError as exc:
                logger.warning("failed to download %s from %s: %s", name, entry.url, exc)
                report.failed[name] = str(exc)
            else:
                logger.info("downloaded %s", name)
                report.downloaded.append(name)
            bar.update(entry.size)
    return report
