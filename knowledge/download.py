"""Fetch the permissively licensed sources from their GitHub repositories (`clinicalgpt kb download`).

Files come at the commit pinned in `en/MANIFEST.tsv`, are checked against its size and SHA-256 prefix
and moved into place atomically. Whole-repository archives are checked by content: the manifest records
every file's path and SHA-256 (`tree_digest`), so any other tree is refused. `DERIVED` rows are built
locally and cannot be downloaded. Every error raised here is a `ClinicalAssistantError` with a one-line message."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
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
    "fda_labels": "en/fda_labels",
    "indications": "en/indications",
    "openstax_anatomy_physiology": "en/openstax_anatomy_physiology",
    "openstax_microbiology": "en/openstax_microbiology",
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
_REDOWNLOAD_HINT = "delete it and run `clinicalgpt kb download` again"
#: What a fetcher may raise for a failed transfer (IncompleteRead and friends are not OSErrors).
_FETCH_ERRORS = (OSError, http.client.HTTPException)
#: What reading a broken archive may raise (a corrupt deflate stream surfaces as `zlib.error`).
_UNPACK_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)

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
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        msg = f"manifest not found: {path}; pass an existing MANIFEST.tsv with --manifest"
        raise SourceNotFoundError(msg) from exc
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read manifest {path}: {_one_line(exc)}; restore it or pass another with --manifest"
        raise SourceFormatError(msg) from exc
    if not lines or tuple(lines[0].split("\t")) != MANIFEST_COLUMNS:
        msg = f"{path}:1: bad header, expected columns {', '.join(MANIFEST_COLUMNS)}; restore the manifest header"
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
        msg = f"{path}:{lineno}: {problem}; fix or remove that manifest row"
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


def _one_line(exc: BaseException) -> str:
    # Some library messages (tarfile.ReadError, for one) span lines; ours must stay on one.
    return " ".join(str(exc).split()) or type(exc).__name__


def _sha256_16(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:16]


def tree_digest(archive: Path) -> tuple[int, str]:
    """Total bytes and SHA-256 prefix of a tar archive's *content*: its regular files, by path, with the
    archive's own top folder ("./" or GitHub's "<repo>-<commit>/") removed.

    A whole-repository archive is pinned by what it holds, not by its bytes: GitHub builds its archives on
    request and does not promise the same compression, member order or header fields, so two sound
    archives of one commit may differ byte for byte. Member names are hashed, never extracted.

    Raises:
        tarfile.TarError, EOFError, zlib.error, OSError: The archive cannot be read.
    """
    files: list[tuple[str, str]] = []
    total = 0
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            if member.issym() or member.islnk():
                # A link changes what extraction writes: it is part of the content, with its target.
                files.append((member.name, f"link:{member.linkname}"))
                continue
            if not member.isfile():
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            # typeshed types `extractfile` as IO[bytes], but it returns an io.BufferedReader (which has `readinto`).
            digest = hashlib.file_digest(handle, "sha256").hexdigest()  # type: ignore[arg-type]
            files.append((member.name, digest))
            total += member.size
    names = [PurePosixPath(name.removeprefix("./")).parts for name, _ in files]
    tops = {parts[0] for parts in names if parts}
    strip = len(tops) == 1 and all(len(parts) > 1 for parts in names)
    lines = sorted(
        ("/".join(parts[1:] if strip else parts), digest) for parts, (_, digest) in zip(names, files, strict=True)
    )
    listing = "".join(f"{name}\0{digest}\n" for name, digest in lines).encode("utf-8")
    return total, hashlib.sha256(listing).hexdigest()[:16]


def _mismatch(path: Path, entry: ManifestEntry) -> str:
    """How `path` differs from its manifest row ('' when it matches).

    For a whole-tree row, `bytes` and `sha256_16` describe the archive's content (`tree_digest`).

    Raises:
        DownloadError: The file cannot be read.
    """
    if entry.whole_tree:
        try:
            size, digest = tree_digest(path)
        except _UNPACK_ERRORS as exc:
            return f"not a readable tar archive ({_one_line(exc)})"
        if size != entry.size:
            return f"content size mismatch: expected {entry.size} bytes of files, got {size}"
        if digest != entry.sha256_16:
            return f"content mismatch: expected tree digest {entry.sha256_16}, got {digest}"
        return ""
    try:
        actual_size = path.stat().st_size
        if actual_size != entry.size:
            return f"size mismatch: expected {entry.size} bytes, got {actual_size}"
        actual_hash = _sha256_16(path)
    except OSError as exc:
        msg = f"{entry.file}: cannot read {path}: {_one_line(exc)}; check its permissions or {_REDOWNLOAD_HINT}"
        raise DownloadError(msg) from exc
    if actual_hash != entry.sha256_16:
        return f"sha256 mismatch: expected {entry.sha256_16}, got {actual_hash}"
    return ""


def verify_file(path: Path, entry: ManifestEntry) -> None:
    """Check a file's size and SHA-256 prefix against its manifest row.

    Whole-repository archives are held to the same size and hash: the manifest records the archive's
    bytes, and a sound but different tarball is not the pinned source.

    Raises:
        DownloadError: The file is missing or unreadable, or its size or hash differs.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{entry.file}: missing file {path}; run `clinicalgpt kb download` to fetch it"
        raise DownloadError(msg)
    if problem := _mismatch(path, entry):
        msg = f"{entry.file}: {problem} at {path}; {_REDOWNLOAD_HINT}"
        raise DownloadError(msg)


def _unsafe_reason(exc: tarfile.FilterError) -> str:
    member = exc.tarinfo
    if isinstance(exc, tarfile.AbsolutePathError):
        return "absolute path"
    if isinstance(exc, tarfile.OutsideDestinationError):
        if ".." in PurePosixPath(member.name).parts:
            return "'..' component leads outside the destination"
        return "path outside the destination"
    if isinstance(exc, tarfile.AbsoluteLinkError | tarfile.LinkOutsideDestinationError):
        return f"link to {member.linkname!r} outside the destination"
    if isinstance(exc, tarfile.SpecialFileError):
        return "device or special file"
    return _one_line(exc)


def _unsafe_member_error(archive: Path, member: tarfile.TarInfo, reason: str) -> DownloadError:
    msg = f"unsafe member {member.name!r} in {archive}: {reason}; the archive is not trustworthy, {_REDOWNLOAD_HINT}"
    return DownloadError(msg)


def _extract_into(archive: Path, folder: Path) -> list[str]:
    """Unpack `archive` into the empty `folder` with tarfile's `data` filter; return the member names."""
    try:
        with tarfile.open(archive, "r:*", errorlevel=1) as tar:  # errorlevel 1: filter errors raise
            members = tar.getmembers()
            for member in members:
                # The data filter silently strips a leading '/' and extracts the member anyway; an
                # archive with absolute names is not a source tree, so refuse it outright.
                if PurePosixPath(member.name).is_absolute():
                    raise _unsafe_member_error(archive, member, "absolute path")
            tar.extractall(folder, members=members, filter="data")
    except tarfile.FilterError as exc:
        raise _unsafe_member_error(archive, exc.tarinfo, _unsafe_reason(exc)) from exc
    except DownloadError:
        raise
    except _UNPACK_ERRORS as exc:
        msg = (
            f"cannot unpack archive {archive} into {folder.parent}: {_one_line(exc)}; "
            f"check free space and permissions there, or {_REDOWNLOAD_HINT}"
        )
        raise DownloadError(msg) from exc
    return [m.name for m in members]


def _make_folder(folder: Path, archive: Path) -> list[Path]:
    """Create `folder` and its missing parents; return the ones created, outermost first."""
    created = [p for p in (folder, *folder.parents) if not p.exists()][::-1]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot unpack archive {archive}: cannot create {folder}: {_one_line(exc)}; choose another destination"
        raise DownloadError(msg) from exc
    return created


def _remove_created(created: list[Path]) -> None:
    # Only empty folders go, innermost first: whatever someone else put there meanwhile is kept.
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return


def _move_into_place(tree: Path, dest: Path, archive: Path) -> None:
    """Put the finished `tree` at `dest`; an existing `dest` is swapped out, never merged into.

    Every step is a rename within one folder, so a reader sees the old tree, no tree for an instant,
    or the new tree, and never a half-extracted one.
    """
    try:
        if not dest.exists():
            os.replace(tree, dest)
            return
        old = _swap_in(tree, dest)
    except OSError as exc:
        msg = f"cannot move the tree unpacked from {archive} to {dest}: {_one_line(exc)}; remove {dest} and retry"
        raise DownloadError(msg) from exc
    shutil.rmtree(old, ignore_errors=True)
    if old.exists():  # the new tree is in place; only disk space is lost
        logger.warning("could not remove the previous tree %s; delete it by hand", old)


def _swap_in(tree: Path, dest: Path) -> Path:
    """Rename `dest` aside and `tree` to `dest`; return where the old tree went (restored on failure)."""
    # rename(2) may replace an empty folder: move the old tree onto a fresh, uniquely named one.
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
    try:
        os.replace(dest, old)
    except OSError:
        old.rmdir()
        raise
    try:
        os.replace(tree, dest)
    except OSError:
        os.replace(old, dest)  # put the old tree back before reporting
        raise
    return old


def _staging_folder(dest: Path, archive: Path) -> Path:
    # Next to `dest`, so that moving the finished tree into place is a rename on one filesystem.
    try:
        return Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".extracting", dir=dest.parent))
    except OSError as exc:
        msg = f"cannot unpack archive {archive}: cannot write to {dest.parent}: {_one_line(exc)}; check its permissions"
        raise DownloadError(msg) from exc


def safe_extract_tar(archive: Path, dest: Path) -> list[str]:
    """Unpack a tar archive into the folder `dest`, all or nothing; return the member names.

    The archive is unpacked with tarfile's `data` filter into a temporary folder next to `dest` (same
    filesystem) which is renamed to `dest` only once complete. An existing `dest` is replaced by the
    archive's tree, not merged with it. Missing parents of `dest` are created.

    Raises:
        DownloadError: The archive is unreadable or has an absolute path, a member outside `dest`
            (through `..` or a link), a link pointing outside `dest` or a device file; or `dest`
            cannot be written. Nothing is left behind then: neither `dest`, nor the temporary
            folder, nor parents created for it; an existing `dest` is kept as it was.
    """
    archive, dest = Path(archive), Path(dest).resolve()
    if dest.exists() and not dest.is_dir():
        msg = f"cannot unpack archive {archive}: {dest} is not a folder; remove it or choose another destination"
        raise DownloadError(msg)
    created = _make_folder(dest.parent, archive)
    staging: Path | None = None
    try:
        staging = _staging_folder(dest, archive)
        names = _extract_into(archive, staging)
        _move_into_place(staging, dest, archive)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        _remove_created(created)
        raise
    return names


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
    """Fetch `entry` into a temporary file next to `final`, verify it, then move it into place.

    Raises:
        _NoNetworkError: `first` and GitHub cannot be reached at all.
        DownloadError: Anything else; a bad or partial download is deleted.
    """
    tmp = _temp_file_for(final, entry)
    try:
        try:
            fetch(entry.url, tmp, timeout)
        except _FETCH_ERRORS as exc:
            if first and isinstance(exc, OSError):  # nothing reached GitHub yet: stop now
                _raise_if_no_network(entry.url, exc)
            msg = f"{entry.file}: cannot download {entry.url}: {_one_line(exc)}; check the network and retry"
            raise DownloadError(msg) from exc
        if problem := _mismatch(tmp, entry):
            msg = f"{entry.file}: the download from {entry.url} fails the manifest check, {problem}; {_fix_hint(entry)}"
            raise DownloadError(msg)
        try:
            os.replace(tmp, final)
        except OSError as exc:
            msg = f"{entry.file}: cannot move the download to {final}: {_one_line(exc)}; remove {final} and retry"
            raise DownloadError(msg) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _temp_file_for(final: Path, entry: ManifestEntry) -> Path:
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    except OSError as exc:
        msg = f"{entry.file}: cannot write to {final.parent}: {_one_line(exc)}; check permissions or use another --dest"
        raise DownloadError(msg) from exc
    os.close(fd)
    return Path(tmp_name)


def _fix_hint(entry: ManifestEntry) -> str:
    if entry.whole_tree:
        return (
            "the bad download was deleted; the repository may have been rewritten at that commit: copy a verified "
            "archive from a data dir into place (or set CLINICALGPT_DATA_DIR) or update the manifest row"
        )
    return "the bad download was deleted; retry, or update the manifest row if the pinned file changed"


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

    Verified files already present are kept; a present file that fails verification (size or hash,
    whole-tree archives included) is fetched again, and reported failed if that fails. Each download
    goes to a temporary file next to its target and is moved into place only after verification.

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
    unverified: set[str] = set()  # present files that failed verification: never "already present"
    for entry in plan_download(entries, sources):
        target = root / entry.file
        if target.exists():
            try:
                verify_file(target, entry)
            except DownloadError as exc:
                logger.warning("%s (downloading it again)", exc)
                unverified.add(entry.file)
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
            except DownloadError as exc:
                reason = str(exc)
                if entry.file in unverified:
                    reason += f" (the existing copy at {root / entry.file} does not verify either and was left as is)"
                logger.warning("failed to download %s: %s", name, reason)
                report.failed[name] = reason
            else:
                logger.info("downloaded %s", name)
                report.downloaded.append(name)
            bar.update(entry.size)
    return report
