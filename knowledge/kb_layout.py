"""How a knowledge base lies on disk: versioned builds behind an atomic pointer, hashed files, a build lock.

    <kb_dir>/
      CURRENT           {"build": "<name>", "manifest_sha256": "<hex>"}: replaced atomically by each build
      builds/<name>/    one complete build (manifest.json, chunks.jsonl, graph.json.gz, dense/, bm25/)
      builds/.tmp-*     a build in progress (removed on failure, or by the next build if it was killed)
      .build.lock       held by the one process building into this folder

Why a pointer: a reader resolves `CURRENT` once and then reads every file from that one build folder, so a
load that runs during a rebuild sees the old build or the new one, never a mix. The pointer also records
the manifest's hash, and the manifest records the size and SHA-256 of every other file: a load checks the
manifest hash and every size (fast), `clinicalgpt kb verify` checks every hash (full).

Never delete what we did not create: a build refuses a non-empty folder that is not a knowledge base, and
cleans up only the names listed here.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from knowledge.errors import IndexCorruptError, IndexNotBuiltError, KnowledgeBaseTargetError, KnowledgeBaseWriteError

POINTER = "CURRENT"
BUILDS = "builds"
MANIFEST = "manifest.json"
LOCK = ".build.lock"
TMP_PREFIX = ".tmp-"
#: Builds kept besides the current one, so that a reader that resolved the pointer just before a swap can
#: still finish reading the build it chose.
KEEP_PREVIOUS_BUILDS = 1
#: What a format-1 knowledge base (files directly in the folder) holds; removed when it is rebuilt.
LEGACY_ENTRIES = ("manifest.json", "chunks.jsonl", "graph.json.gz", "dense", "bm25")
REBUILD = "rebuild it with `clinicalgpt kb build`"
_HASH_CHUNK = 1 << 20


class FileRecord(BaseModel):
    """Size and SHA-256 of one file of a build."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bytes: int
    sha256: str


class Pointer(BaseModel):
    """The contents of `CURRENT`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    build: str
    manifest_sha256: str


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes in memory."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def record_files(build_dir: Path) -> dict[str, FileRecord]:
    """Size and hash of every file under a finished build folder (the manifest itself excluded)."""
    records: dict[str, FileRecord] = {}
    for path in sorted(p for p in build_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(build_dir).as_posix()
        if rel != MANIFEST:
            records[rel] = FileRecord(bytes=path.stat().st_size, sha256=sha256_file(path))
    return records


def is_legacy(kb_dir: Path) -> bool:
    """True for a format-1 knowledge base: a manifest directly in the folder and no pointer."""
    return (kb_dir / MANIFEST).is_file() and not (kb_dir / POINTER).exists()


def is_knowledge_base(kb_dir: Path) -> bool:
    """True when the folder holds a knowledge base of any format we wrote."""
    return (kb_dir / POINTER).is_file() or is_legacy(kb_dir)


def read_pointer(kb_dir: Path) -> Pointer:
    """The build `CURRENT` names, or an error that says how to get one."""
    path = kb_dir / POINTER
    if is_legacy(kb_dir):
        msg = f"the knowledge base at {kb_dir} has the old layout (format 1, no {POINTER} file); {REBUILD}"
        raise IndexCorruptError(msg)
    if not path.exists():
        msg = f"no knowledge base at {kb_dir} (missing {POINTER}); run `clinicalgpt kb build` or set CLINICALGPT_KB_DIR"
        raise IndexNotBuiltError(msg)
    try:
        pointer = Pointer.model_validate_json(path.read_bytes())
    except (ValidationError, UnicodeDecodeError) as exc:
        msg = f"{path} is unreadable ({exc.__class__.__name__}); {REBUILD}"
        raise IndexCorruptError(msg) from exc
    if "/" in pointer.build or pointer.build.startswith("."):
        msg = f"{path} names an invalid build {pointer.build!r}; {REBUILD}"
        raise IndexCorruptError(msg)
    return pointer


def check_target(kb_dir: Path) -> None:
    """Refuse to build into anything but a new folder, an empty folder or a knowledge base."""
    if kb_dir.exists() and not kb_dir.is_dir():
        msg = f"--out {kb_dir} is a file, not a folder; choose a new or empty folder for the knowledge base"
        raise KnowledgeBaseTargetError(msg)
    if kb_dir.is_dir() and not is_knowledge_base(kb_dir) and any(kb_dir.iterdir()):
        msg = (
            f"--out {kb_dir} is a non-empty folder that is not a knowledge base; nothing was changed. "
            "Choose a new or empty folder (a knowledge base is never built over other files)"
        )
        raise KnowledgeBaseTargetError(msg)


def write_error(kb_dir: Path, exc: OSError) -> KnowledgeBaseWriteError:
    """The one-line error for a failed write (full disk, read-only folder, …) naming the fix."""
    where = exc.filename or kb_dir
    if exc.errno == errno.ENOSPC:
        fix = "free disk space or choose another --out"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "choose a writable --out (or CLINICALGPT_KB_DIR)"
    else:
        fix = "check the folder and try again"
    msg = f"cannot write the knowledge base at {kb_dir}: {exc.strerror or exc} ({where}); {fix}"
    return KnowledgeBaseWriteError(msg)


@contextmanager
def build_lock(kb_dir: Path) -> Iterator[None]:
    """Hold the folder's build lock; a second builder gets a clear error instead of racing."""
    try:
        kb_dir.mkdir(parents=True, exist_ok=True)
        fh = (kb_dir / LOCK).open("a")
    except OSError as exc:
        raise write_error(kb_dir, exc) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            msg = f"another `clinicalgpt kb build` is writing to {kb_dir}; wait for it or choose another --out"
            raise KnowledgeBaseTargetError(msg) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_stale_temporaries(kb_dir: Path) -> list[str]:
    """Delete unfinished builds left by killed builders (call with the build lock held)."""
    removed: list[str] = []
    builds = kb_dir / BUILDS
    stale = list(builds.glob(f"{TMP_PREFIX}*")) if builds.is_dir() else []
    # Format-1 builders wrote `.<name>-build-*` next to the target.
    stale += [p for p in kb_dir.parent.glob(f".{kb_dir.name}-build-*") if p.is_dir()]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))
    return removed


def new_build_dir(kb_dir: Path) -> Path:
    """A fresh temporary folder inside `builds/` (same filesystem, so installing it is a rename)."""
    try:
        (kb_dir / BUILDS).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=kb_dir / BUILDS))
    except OSError as exc:
        raise write_error(kb_dir, exc) from exc


def install_build(kb_dir: Path, tmp: Path) -> str:
    """Give the finished build its final name, then swap the pointer to it atomically. Returns the name."""
    # Microsecond timestamps sort in build order, which is how old builds are pruned.
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + tmp.name.removeprefix(TMP_PREFIX)
    final = kb_dir / BUILDS / name
    try:
        os.replace(tmp, final)
        pointer = Pointer(build=name, manifest_sha256=sha256_file(final / MANIFEST))
        staged = kb_dir / f"{POINTER}.{os.getpid()}.tmp"
        staged.write_text(pointer.model_dump_json(), encoding="utf-8")
        with staged.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staged, kb_dir / POINTER)  # the atomic switch: readers see the old or the new build
    except OSError as exc:
        shutil.rmtree(final, ignore_errors=True)
        raise write_error(kb_dir, exc) from exc
    _remove_old_builds(kb_dir, keep=name)
    return name


def _remove_old_builds(kb_dir: Path, *, keep: str) -> None:
    builds = sorted((p for p in (kb_dir / BUILDS).iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    previous = [p for p in builds if p.name != keep]
    for path in previous[KEEP_PREVIOUS_BUILDS:]:
        shutil.rmtree(path, ignore_errors=True)
    for entry in LEGACY_ENTRIES:  # a format-1 knowledge base that this build replaced
        path = kb_dir / entry
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file():
            path.unlink()


def read_manifest_bytes(kb_dir: Path) -> tuple[Path, bytes]:
    """Resolve the pointer and return the build folder with its manifest, checked against the pointer's hash."""
    pointer = read_pointer(kb_dir)
    build_dir = kb_dir / BUILDS / pointer.build
    path = build_dir / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        msg = f"{kb_dir}: build {pointer.build} named by {POINTER} is missing ({path}); {REBUILD}"
        raise IndexCorruptError(msg) from exc
    if sha256_bytes(data) != pointer.manifest_sha256:
        msg = f"{path} was changed after the build (hash differs from {kb_dir / POINTER}); {REBUILD}"
        raise IndexCorruptError(msg)
    return build_dir, data


def check_sizes(build_dir: Path, files: dict[str, FileRecord]) -> None:
    """Fast integrity check: every recorded file exists with its recorded size."""
    for rel, record in files.items():
        path = build_dir / rel
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            msg = f"{path} is missing from the knowledge base; {REBUILD}"
            raise IndexCorruptError(msg) from exc
        if size != record.bytes:
            msg = f"{path} has {size} bytes, the manifest records {record.bytes} (changed after the build); {REBUILD}"
            raise IndexCorruptError(msg)


def check_hash(path: Path, data: bytes, record: FileRecord | None) -> None:
    """Check bytes already read against their recorded hash."""
    if record is None or sha256_bytes(data) != record.sha256:
        msg = f"{path} does not match the hash in the manifest (changed after the build); {REBUILD}"
        raise IndexCorruptError(msg)


def verify_hashes(build_dir: Path, files: dict[str, FileRecord]) -> list[str]:
    """Full integrity check: the files whose size or hash differ from the manifest, or that are missing."""
    bad: list[str] = []
    for rel, record in files.items():
        path = build_dir / rel
        if not path.is_file():
            bad.append(f"{rel}: missing")
        elif path.stat().st_size != record.bytes or sha256_file(path) != record.sha256:
            bad.append(f"{rel}: content differs from the manifest")
    extra = sorted(p.relative_to(build_dir).as_posix() for p in build_dir.rglob("*") if p.is_file())
    bad += [f"{rel}: not part of the build" for rel in extra if rel not in files and rel != MANIFEST]
    return bad
