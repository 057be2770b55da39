"""The files a backup must carry beside the database: photos and signed decision PDFs.

They live in the data directory, not in the database: `<data dir>/attachments/<submission uuid>/<sha256>.<ext>`
(server/collection/photos.py: the hash's first 32 hex digits) and `<data dir>/decisions/<sha256>.pdf`
(server/review/decisions.py). A backup writes them into a tar archive next to the database copy
(`<backup>.files.tar`), after the database snapshot: both kinds of file are written before the row that
names them, so every file the snapshot names is already on disk. Their names are their SHA-256, so
reading the archive back checks every byte, and a restore never has to choose between two versions of
one name.

A restore checks the whole archive before anything is replaced (regular files under the two folders
only: no links, no absolute or `..` paths), then adds its files to the data directory; files already
there are kept (a restore loses no photo that arrived after the backup).
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

FOLDERS = ("attachments", "decisions")
_CONTENT_NAME = re.compile(r"([0-9a-f]{32,64})\.[a-z]{3,4}")  # a photo: the first 32 hex digits; a decision: 64


class FilesError(Exception):
    """An archive of files that cannot be written or restored; the message says why."""


@dataclass
class Files:
    """What a folder tree or an archive holds: photos and decisions, by relative path, with their sizes."""

    sizes: dict[str, int] = field(default_factory=dict)  # "attachments/<uuid>/<sha>.jpg" -> bytes

    def count(self, folder: str) -> int:
        return sum(1 for name in self.sizes if name.startswith(folder + "/"))

    def text(self) -> str:
        megabytes = sum(self.sizes.values()) / 2**20
        return f"photos {self.count('attachments'):,} · signed decisions {self.count('decisions'):,} · {megabytes:,.1f} MB"


def archive_path(backup: Path) -> Path:
    """Where the files of the database backup `backup` are kept: `<backup>.files.tar`."""
    return backup.with_name(backup.name + ".files.tar")


def on_disk(data_dir: Path) -> Files:
    found = Files()
    for folder in FOLDERS:
        root = data_dir / folder
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.name.endswith((".part", ".tmp")):
                    found.sizes[path.relative_to(data_dir).as_posix()] = path.stat().st_size
    return found


def write_archive(data_dir: Path, out: Path) -> Files:
    """Archive the data directory's photos and decisions into `out` (a temporary name, read back, renamed)."""
    files = on_disk(data_dir)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with tarfile.open(partial, "w") as archive:
            for name in files.sizes:
                archive.add(data_dir / name, arcname=name, recursive=False)
        held = describe_archive(partial)
        if held.sizes.keys() != files.sizes.keys():
            raise FilesError(f"the archive of files does not hold what {data_dir} holds; nothing was kept")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return held


def _checked_name(member: tarfile.TarInfo) -> str:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] not in FOLDERS:
        raise FilesError(f"unexpected entry {member.name!r}: not a photo or a decision")
    if not member.isfile():
        raise FilesError(f"unexpected entry {member.name!r}: not a regular file")
    return path.as_posix()


def describe_archive(file: Path) -> Files:
    """Read every byte of an archive of files and say what it holds; FilesError if it is damaged or foreign."""
    held = Files()
    try:
        with tarfile.open(file, "r") as archive:
            for member in archive:
                if member.isdir():
                    continue
                name = _checked_name(member)
                reader = archive.extractfile(member)
                assert reader is not None
                digest = hashlib.sha256()
                for chunk in iter(partial_read(reader), b""):
                    digest.update(chunk)
                named = _CONTENT_NAME.fullmatch(PurePosixPath(name).name)
                if named and not digest.hexdigest().startswith(named.group(1)):
                    raise FilesError(f"{name} is damaged: its bytes do not match its name")
                held.sizes[name] = member.size
    except (tarfile.TarError, OSError, EOFError) as error:
        raise FilesError(f"{file} cannot be read as an archive of files: {error}") from error
    return held


def restore_archive(file: Path, data_dir: Path) -> int:
    """Add the archive's files that the data directory lacks (call describe_archive first); how many were added."""
    added = 0
    with tarfile.open(file, "r") as archive:
        for member in archive:
            if member.isdir():
                continue
            target = data_dir / _checked_name(member)
            if target.is_file() and target.stat().st_size == member.size:
                continue  # the same name is the same content
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            reader = archive.extractfile(member)
            assert reader is not None
            with open(partial, "wb") as out:
                for chunk in iter(partial_read(reader), b""):
                    out.write(chunk)
            partial.replace(target)
            added += 1
    return added


def partial_read(reader: IO[bytes]) -> Callable[[], bytes]:
    """Reads of 1 MiB from `reader`, for iter(…, b"")."""
    return lambda: reader.read(1 << 20)
